#ifndef CTW_JOURNAL_H
#define CTW_JOURNAL_H
#endif
