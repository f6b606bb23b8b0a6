/* Placeholder. */
#include "topk.h"
