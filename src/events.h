/* Placeholder. */
#ifndef CTW_EVENTS_H
#define CTW_EVENTS_H
#endif
