/* Placeholder. */
#include "rates.h"
