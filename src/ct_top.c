/* Placeholder. */
#include "ct_top.h"
