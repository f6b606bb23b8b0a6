/* The daemon's conntrack event watch (its own netns): NEW/DESTROY rates, time
 * to full, who fills the table. The projected pressure is checked on every
 * batch, so a flood is met within milliseconds rather than at the next poll. */
#include "daemon/daemon.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <syslog.h>

#include "base/log.h"

/* The top talkers describe the recent past: counts halve this often. */
#define TOP_HALF_LIFE_US (60ULL * 1000 * 1000)
/* Policy rounds triggered by events are at least this far apart. */
#define EVENT_ROUND_MIN_US (10ULL * 1000)
#define TOP_CAPACITY 256
#define TOP_ALERT_ENTRIES 3

static void on_new_flow(const struct ctw_flow_key *key, void *ud)
{
	struct ctw_daemon *d = ud;

	ctw_top_add(&d->top, key);
}

/* Re-anchor the event-derived count on the kernel's (own netns). */
void ctw_daemon_events_anchor(struct ctw_daemon *d, uint64_t own_count)
{
	struct ctw_event_counts c;

	if (!d->events)
		return;
	ctw_events_counts(d->events, &c);
	ctw_rates_anchor(&d->rates, own_count, c.new, c.destroy);
}

static bool pressure_projected(struct ctw_daemon *d, const struct ctw_event_counts *c)
{
	uint64_t count = ctw_rates_derived_count(&d->rates, c->new, c->destroy);
	uint64_t max = d->last_max;
	double ttf;

	if (max == 0)
		return false;
	if (100.0 * (double)count >= d->cfg.high_water_pct * (double)max)
		return true;
	ttf = ctw_rates_time_to_full_s(&d->rates, count, max);
	return isfinite(ttf) && ttf * 1e6 < (double)d->cfg.horizon_us;
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ctw_daemon *d = userdata;

	return sd_event_source_set_enabled(d->events_source, SD_EVENT_ON);
}

static int on_events(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ctw_daemon *d = userdata;
	struct ctw_event_counts c;
	uint64_t now;
	int n;

	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	n = ctw_events_drain(d->events, d->cfg.event_batch, on_new_flow, d);
	if (n < 0 && !d->events_failing)
		ctw_log(LOG_WARNING, "conntrack events: %s; relying on polls", strerror(-n));
	d->events_failing = n < 0;
	ctw_events_counts(d->events, &c);
	ctw_rates_update(&d->rates, now, c.new, c.destroy);
	if (now - d->top_halved_us >= TOP_HALF_LIFE_US) {
		ctw_top_halve(&d->top);
		d->top_halved_us = now;
	}
	/* Lost events: the derived count is wrong until anchored on the real one. */
	if (ctw_events_take_overrun(d->events) || pressure_projected(d, &c)) {
		if (now - d->event_round_us >= EVENT_ROUND_MIN_US) {
			d->event_round_us = now;
			ctw_daemon_poll_round(d, now);
		}
	}
	/* A partial batch: let more events gather for a moment instead of
	 * waking per event (the cost per event drops several fold). */
	if (n > 0 && (unsigned)n < d->cfg.event_batch) {
		sd_event_source_set_enabled(d->events_source, SD_EVENT_OFF);
		sd_event_source_set_time_relative(d->events_resume, CTW_EVENTS_COALESCE_US);
		sd_event_source_set_enabled(d->events_resume, SD_EVENT_ONESHOT);
	}
	return 0;
}

int ctw_daemon_watch_events(struct ctw_daemon *d)
{
	int r;

	ctw_rates_init(&d->rates, 0);
	r = ctw_top_init(&d->top, TOP_CAPACITY, 0x5eed);
	if (r < 0)
		return r;
	d->top_ready = true;
	sd_event_now(d->event, CLOCK_MONOTONIC, &d->top_halved_us);
	if (!d->live)
		return 0;
	r = ctw_events_open(&d->events, d->cfg.receive_buffer_bytes, d->cfg.receive_buffer_max_bytes);
	if (r < 0) {
		ctw_log(LOG_WARNING, "cannot subscribe to conntrack events: %s; polls only", strerror(-r));
		d->events = NULL;
		return 0;
	}
	r = sd_event_add_io(d->event, &d->events_source, ctw_events_fd(d->events), EPOLLIN, on_events, d);
	if (r < 0)
		return r;
	/* Re-enables the io source after a short pause (armed by on_events). */
	/* Accuracy 1 us: 0 would mean sd-event's default of 250 ms, and the socket
	 * would stay off long enough to overflow. */
	r = sd_event_add_time_relative(d->event, &d->events_resume, CLOCK_MONOTONIC, CTW_EVENTS_COALESCE_US, 1,
				       on_resume, d);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(d->events_resume, SD_EVENT_OFF);
}

void ctw_daemon_events_fini(struct ctw_daemon *d)
{
	d->events_resume = sd_event_source_unref(d->events_resume);
	d->events_source = sd_event_source_unref(d->events_source);
	if (d->events)
		ctw_events_close(d->events);
	d->events = NULL;
	if (d->top_ready)
		ctw_top_free(&d->top);
	d->top_ready = false;
}

/* Event growth is the sharper signal for our own netns. */
bool ctw_daemon_events_growth(const struct ctw_daemon *d, double *growth_per_s)
{
	if (!d->events || !ctw_rates_have_rate(&d->rates))
		return false;
	*growth_per_s = ctw_rates_growth_per_s(&d->rates);
	return true;
}

void ctw_daemon_top_line(struct ctw_daemon *d, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	if (d->top_ready && d->top.total > 0)
		ctw_top_format_alert(&d->top, TOP_ALERT_ENTRIES, buf, len);
}

static void fill_top(const struct ctw_top *top, enum ctw_top_view v, struct ctw_status_top *out)
{
	struct ctw_top_row rows[CTW_STATUS_TOP_N];
	unsigned n = ctw_top_list(top, v, rows, CTW_STATUS_TOP_N);

	out->n = 0;
	for (unsigned i = 0; i < n; i++)
		ctw_status_top_add(out, rows[i].key, rows[i].count, rows[i].percent);
}

/* Events lag the kernel's count a little: a status written when the count
 * settled may still miss the last ones. */
bool ctw_daemon_events_moved(const struct ctw_daemon *d, const struct ctw_status *st)
{
	struct ctw_event_counts c;

	if (!d->events)
		return false;
	ctw_events_counts(d->events, &c);
	return c.new != st->events_new || c.destroy != st->events_destroy || c.overruns != st->events_overruns;
}

void ctw_daemon_status_fill_events(struct ctw_daemon *d, struct ctw_status *st)
{
	struct ctw_event_counts c;
	double ttf;

	st->have_events = d->events != NULL;
	st->have_rates = d->events && ctw_rates_have_rate(&d->rates);
	st->have_time_to_full = false;
	if (!d->events)
		return;
	ctw_events_counts(d->events, &c);
	st->events_new = c.new;
	st->events_destroy = c.destroy;
	st->events_overruns = c.overruns;
	st->receive_buffer_bytes = c.rcvbuf;
	st->events_count = ctw_rates_derived_count(&d->rates, c.new, c.destroy);
	if (st->have_rates) {
		st->new_per_s = ctw_rates_new_per_s(&d->rates);
		st->destroy_per_s = ctw_rates_destroy_per_s(&d->rates);
		st->growth_per_s = ctw_rates_growth_per_s(&d->rates);
		ttf = ctw_rates_time_to_full_s(&d->rates, ctw_rates_derived_count(&d->rates, c.new, c.destroy),
					       d->last_max);
		st->have_time_to_full = isfinite(ttf);
		st->time_to_full_s = ttf;
	}
	if (d->top_ready) {
		fill_top(&d->top, CTW_TOP_SOURCE, &st->top_sources);
		fill_top(&d->top, CTW_TOP_DESTINATION, &st->top_destinations);
		fill_top(&d->top, CTW_TOP_DPORT, &st->top_ports);
	}
}
