/* Fuzz the state file parser: whatever is in state.json, parsing must not
 * crash, and what it accepts must format and parse back to the same state. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/statefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctw_state s, again;
	static char text[64 * 1024];
	char err[256];
	int n;

	if (ctw_state_parse(&s, (const char *)data, size, err, sizeof(err)) < 0)
		return 0;
	n = ctw_state_format(&s, text, sizeof(text));
	if (n < 0)
		abort();
	if (ctw_state_parse(&again, text, (size_t)n, err, sizeof(err)) < 0 || again.n != s.n)
		abort();
	for (size_t i = 0; i < s.n; i++)
		if (strcmp(s.originals[i].name, again.originals[i].name) != 0 ||
		    s.originals[i].value != again.originals[i].value ||
		    s.originals[i].changed_at != again.originals[i].changed_at)
			abort();
	return 0;
}
