/* Placeholder: journald output. */
#include "journal.h"
