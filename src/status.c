/* Placeholder. */
#include "status.h"
