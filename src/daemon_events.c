/* The daemon's conntrack event watch: NEW/DESTROY rates, time to full, and
 * who fills the table. Placeholder until the events module lands. */
#include "daemon.h"

void ctw_daemon_top_line(struct ctw_daemon *d, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
}

void ctw_daemon_status_fill_events(struct ctw_daemon *d, struct ctw_status *st)
{
	st->have_events = false;
	st->have_rates = false;
}
