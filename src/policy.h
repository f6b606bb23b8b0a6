#ifndef CTW_POLICY_H
#define CTW_POLICY_H
#endif
