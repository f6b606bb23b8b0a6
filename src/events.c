/* Placeholder. */
#include "events.h"
