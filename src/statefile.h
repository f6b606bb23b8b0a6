#ifndef CTW_STATEFILE_H
#define CTW_STATEFILE_H
#endif
