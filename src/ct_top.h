/* Placeholder. */
#ifndef CTW_CT_TOP_H
#define CTW_CT_TOP_H
#endif
