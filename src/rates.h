/* Placeholder. */
#ifndef CTW_RATES_H
#define CTW_RATES_H
#endif
