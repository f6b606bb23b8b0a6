#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ctw_host_note(struct ctw_host *h, const char *fmt, ...)
{
	va_list ap;

	if (h->n_notes >= CTW_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(h->notes[h->n_notes++], CTW_NOTE_LEN, fmt, ap);
	va_end(ap);
}

double ctw_host_usage_pct(const struct ctw_host *h)
{
	if (!h->have_count || !h->have_max || h->max == 0)
		return 0.0;
	return 100.0 * (double)h->count / (double)h->max;
}

void ctw_host_gather(struct ctw_host *h, const struct ctw_knobs *k, bool use_netlink)
{
	memset(h, 0, sizeof(*h));
}
