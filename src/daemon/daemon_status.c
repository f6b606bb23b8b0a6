/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the daemon believes, published to runtime_dir/status.json for
 * `ctwarden status` and the integration tests. */
#include "daemon/daemon_status.h"
#include "daemon/daemon_outside.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

/* Rewritten after every decision, at most this often when the numbers move,
 * and this often when nothing changed (well inside the staleness limit of
 * `ctwarden status`, 10 s): an idle daemon's rename() is its largest cost. */
#define STATUS_MIN_INTERVAL_US (500ULL * 1000)
#define STATUS_IDLE_INTERVAL_US (3000ULL * 1000)

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void fill_top(const struct ctw_top *top, enum ctw_top_view v, struct ctw_status_top *out)
{
	struct ctw_top_row rows[CTW_STATUS_TOP_N];
	unsigned n = ctw_top_list(top, v, rows, CTW_STATUS_TOP_N);

	out->n = 0;
	for (unsigned i = 0; i < n; i++)
		ctw_status_top_add(out, rows[i].key, rows[i].count, rows[i].percent);
}

/* Events, rates, time to full and top talkers of one watcher. */
static void fill_events(const struct ctw_watcher *w, uint64_t max, struct ctw_status *st)
{
	struct ctw_watcher_summary s;

	ctw_watcher_summary(w, max, &s);
	st->have_events = s.have_events;
	st->have_rates = s.have_rates;
	st->have_time_to_full = s.have_events && s.have_time_to_full;
	if (!s.have_events)
		return;
	st->events_new = s.events.new;
	st->events_destroy = s.events.destroy;
	st->events_overruns = s.events.overruns;
	st->receive_buffer_bytes = s.events.rcvbuf;
	st->events_count = s.events_count;
	if (s.have_rates) {
		st->new_per_s = s.new_per_s;
		st->destroy_per_s = s.destroy_per_s;
		st->growth_per_s = s.growth_per_s;
		st->time_to_full_s = s.time_to_full_s;
	}
	if (w->top_ready) {
		fill_top(&w->top, CTW_TOP_SOURCE, &st->top_sources);
		fill_top(&w->top, CTW_TOP_DESTINATION, &st->top_destinations);
		fill_top(&w->top, CTW_TOP_DPORT, &st->top_ports);
	}
}

/* Every watched namespace, fullest first (the model keeps the fullest ones). */
static void fill_namespaces(struct ctw_daemon *d, const struct ctw_poll *p, struct ctw_status *st)
{
	st->netns_unwatchable = p->n_unwatchable;
	st->netns_total_entries = p->total_count;
	if (p->fullest)
		ctw_status_set_pressure(st, p->fullest->ref.name, p->fullest->ref.inode);
	else
		ctw_status_set_pressure(st, NULL, 0);
	/* The list changes only when a summary or the set did: no walk otherwise. */
	if (d->status_netns_filled && d->status_netns_changes == d->poller.changes && d->status_netns_max == p->max)
		return;
	d->status_netns_filled = true;
	d->status_netns_changes = d->poller.changes;
	d->status_netns_max = p->max;
	ctw_status_netns_clear(st);
	for (unsigned i = 0; i < d->poller.n_watch; i++) {
		const struct ctw_watcher *w = d->poller.watch[i];
		struct ctw_watcher_summary s;
		struct ctw_status_netns n;

		if (w->have_summary && w->summary_max == p->max)
			s = w->summary;   /* as of its last read */
		else
			ctw_watcher_summary(w, p->max, &s);
		memset(&n, 0, sizeof(n));
		snprintf(n.name, sizeof(n.name), "%s", w->ref.name);
		n.inode = w->ref.inode;
		n.count = s.count;
		n.have_rates = s.have_rates;
		n.new_per_s = s.new_per_s;
		n.destroy_per_s = s.destroy_per_s;
		n.growth_per_s = s.growth_per_s;
		n.have_time_to_full = s.have_time_to_full;
		n.time_to_full_s = s.time_to_full_s;
		n.drops = s.drops;
		n.early_drops = s.early_drops;
		n.have_events = s.have_events;
		n.events_new = s.events.new;
		n.events_destroy = s.events.destroy;
		n.events_overruns = s.events.overruns;
		ctw_status_netns_add(st, &n);
	}
}

void ctw_daemon_status_init(struct ctw_daemon *d)
{
	ctw_status_init(&d->status_file, getpid(), realtime_us());
}

void ctw_daemon_status_decision(struct ctw_daemon *d, const struct ctw_decision *dec, bool applied)
{
	ctw_status_add_decision(&d->status_file, realtime_us(), dec, applied);
	d->status_dirty = true;
}

void ctw_daemon_status_publish(struct ctw_daemon *d, const struct ctw_poll *p, uint64_t now_us)
{
	struct ctw_status *st = &d->status_file;
	int r;

	/* Events, rates and talkers of the namespace the policy acts on. */
	struct ctw_watcher *pressed = p->fullest ? p->fullest : ctw_poller_own(&d->poller);
	struct ctw_event_counts seen = {
		.new = st->events_new, .destroy = st->events_destroy, .overruns = st->events_overruns,
	};
	/* A namespace found or gone is news: written at once, like a decision. */
	bool news = d->status_dirty || p->n_netns != st->netns_watched || p->n_unwatchable != st->netns_unwatchable ||
		    ctw_daemon_outside_yielded(d) != st->n_yielded;
	bool moved = p->count != st->count || p->max != st->max || d->drops_total != st->drops ||
		     ctw_watcher_events_moved(pressed, &seen);

	if (!news && d->status_written_us &&
	    now_us - d->status_written_us < (moved ? STATUS_MIN_INTERVAL_US : STATUS_IDLE_INTERVAL_US))
		return;
	st->updated_at_us = realtime_us();
	st->poll_interval_us = d->cfg.poll_interval_us;
	st->mode = d->cfg.mode;
	st->level = d->policy.level;
	snprintf(st->config, sizeof(st->config), "%s", d->cfg.source);
	st->count = p->count;
	st->max = p->max;
	st->buckets = p->have_buckets ? p->buckets : 0;
	if (p->fullest) {
		snprintf(st->fullest_netns, sizeof(st->fullest_netns), "%s", p->fullest->ref.name);
		st->fullest_inode = p->fullest->ref.inode;
	}
	st->netns_watched = p->n_netns;
	st->drops = d->drops_total;
	fill_events(pressed, p->max, st);
	fill_namespaces(d, p, st);
	st->n_yielded = 0;
	for (int k = 0; k < CTW_KNOB__COUNT && st->n_yielded < CTW_STATUS_YIELDED_MAX; k++)
		if (d->claims[k].yielded)
			snprintf(st->yielded[st->n_yielded++], CTW_STATUS_KNOB_MAX, "%s",
				 ctw_knob_sysctl_name((enum ctw_knob)k));

	r = ctw_status_write(d->cfg.runtime_dir, st);
	if (r < 0 && !d->status_failing)
		ctw_log(LOG_WARNING, "cannot write %s/%s: %s; ctwarden status will say it is stale",
			d->cfg.runtime_dir, CTW_STATUS_FILE_NAME, strerror(-r));
	d->status_failing = r < 0;
	d->status_dirty = false;
	d->status_written_us = now_us;
}

void ctw_daemon_status_remove(struct ctw_daemon *d)
{
	ctw_status_remove(d->cfg.runtime_dir);
}
