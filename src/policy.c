/* Placeholder: the policy engine. */
#include "policy.h"
