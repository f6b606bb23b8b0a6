/* Placeholder. */
#ifndef CTW_STATUS_H
#define CTW_STATUS_H
#endif
