/* Placeholder. */
#ifndef CTW_TOPK_H
#define CTW_TOPK_H
#endif
