/* Placeholder: the state file. */
#include "statefile.h"
