/* The global knobs and the set of watched namespaces, read once per poll. */
#include "daemon/poller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "kernel/knob_fd.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void opts_from_config(struct ctw_watcher_opts *o, const struct ctw_config *c)
{
	o->rcvbuf = c->receive_buffer_bytes;
	o->rcvbuf_max = c->receive_buffer_max_bytes;
	o->event_batch = c->event_batch;
	o->high_water_pct = c->high_water_pct;
	o->horizon_us = c->horizon_us;
}

void ctw_poller_set_config(struct ctw_poller *p, const struct ctw_config *c)
{
	p->low_water_pct = c->low_water_pct;
	opts_from_config(&p->opts, c);
	for (unsigned i = 0; i < p->n_watch; i++) {
		struct ctw_watcher_opts o = p->watch[i]->opts;

		p->watch[i]->opts = p->opts;
		p->watch[i]->opts.own = o.own;
		p->watch[i]->opts.netlink = o.netlink;
		p->watch[i]->opts.events = o.events;
	}
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		enum ctw_knob id = CTW_KNOB_TIMEOUT(t);

		close_fd(&p->fd[id]);
		/* Only the timeouts that may be shortened matter to the loop. */
		if (c->timeout_shorten[t]) {
			int fd = ctw_knob_open_fd(p->knobs, id);
			p->fd[id] = fd < 0 ? -1 : fd;
		}
	}
}

/* ---- watched namespaces ------------------------------------------------ */

struct ctw_watcher *ctw_poller_find(const struct ctw_poller *p, uint64_t inode)
{
	for (unsigned i = 0; i < p->n_watch; i++)
		if (p->watch[i]->ref.inode == inode)
			return p->watch[i];
	return NULL;
}

struct ctw_watcher *ctw_poller_own(const struct ctw_poller *p)
{
	return p->watch[0];
}

static void add_watcher(struct ctw_poller *p, const struct ctw_netns_ref *ref)
{
	struct ctw_watcher_opts opts = p->opts;
	struct ctw_watcher *w;
	char note[256];

	if (p->n_watch >= CTW_MAX_WATCHED_NETNS)
		return;
	/* Events are watched in our own netns only (for now). */
	opts.own = false;
	opts.netlink = true;
	opts.events = false;
	if (ctw_watcher_open(&w, ref, p->knobs, &opts, note, sizeof(note)) < 0)
		return;
	if (p->loop && ctw_watcher_attach(w, p->loop, p->on_pressure, p->ud) < 0) {
		ctw_watcher_close(w);
		return;
	}
	w->seen = true;
	p->watch[p->n_watch++] = w;
}

void ctw_poller_rescan(struct ctw_poller *p, uint64_t now_us)
{
	static struct ctw_netns_ref found[CTW_MAX_WATCHED_NETNS];
	int n;

	p->last_scan_us = now_us;
	if (!p->all_netns || !p->live)
		return;
	n = ctw_netns_discover("/proc", "/run/netns", found, CTW_MAX_WATCHED_NETNS);
	if (n <= 0)
		return;
	for (unsigned i = 1; i < p->n_watch; i++)
		p->watch[i]->seen = false;
	for (int i = 1; i < n; i++) {
		struct ctw_watcher *w = ctw_poller_find(p, found[i].inode);

		if (w)
			w->seen = true;
		else
			add_watcher(p, &found[i]);
	}
	/* Forget the namespaces that are gone (keep our own, [0]). */
	for (unsigned i = 1; i < p->n_watch;) {
		if (p->watch[i]->seen) {
			i++;
			continue;
		}
		ctw_watcher_close(p->watch[i]);
		p->watch[i] = p->watch[--p->n_watch];
	}
}

int ctw_poller_open(struct ctw_poller *p, const struct ctw_knobs *k, bool live, const struct ctw_config *c)
{
	struct ctw_netns_ref own = { 0 };
	struct ctw_watcher_opts opts;
	int r;

	memset(p, 0, sizeof(*p));
	p->knobs = k;
	p->low_water_pct = c->low_water_pct;
	p->live = live;
	p->all_netns = c->all_netns;
	opts_from_config(&p->opts, c);
	for (int i = 0; i < CTW_KNOB__COUNT; i++)
		p->fd[i] = -1;
	p->watch = calloc(CTW_MAX_WATCHED_NETNS, sizeof(*p->watch));
	if (!p->watch)
		return -ENOMEM;

	r = ctw_knob_open_fd(k, CTW_KNOB_MAX);
	if (r < 0)
		goto fail;
	p->fd[CTW_KNOB_MAX] = r;
	r = ctw_knob_open_fd(k, CTW_KNOB_BUCKETS);
	p->fd[CTW_KNOB_BUCKETS] = r < 0 ? -1 : r;
	ctw_poller_set_config(p, c);

	/* Outside the initial netns (a container) our own is not the host's. */
	snprintf(own.name, sizeof(own.name), "%s", ctw_knobs_global_writable(k) ? "host" : "own netns");
	own.inode = live ? ctw_netns_self_inode() : 0;
	opts = p->opts;
	opts.own = true;
	opts.netlink = live;
	opts.events = live;
	r = ctw_watcher_open(&p->watch[0], &own, k, &opts, p->note, sizeof(p->note));
	if (r < 0)
		goto fail;
	p->n_watch = 1;
	return 0;
fail:
	ctw_poller_close(p);
	return r;
}

int ctw_poller_attach(struct ctw_poller *p, sd_event *loop, ctw_watcher_pressure_fn on_pressure, void *ud)
{
	p->loop = loop;
	p->on_pressure = on_pressure;
	p->ud = ud;
	for (unsigned i = 0; i < p->n_watch; i++) {
		int r = ctw_watcher_attach(p->watch[i], loop, on_pressure, ud);

		if (r < 0)
			return r;
	}
	return 0;
}

static bool counters_due(const struct ctw_poller *p, const struct ctw_watcher *w, uint64_t max,
			 uint64_t now_us)
{
	if (now_us - w->counters_at_us >= CTW_IDLE_COUNTERS_US)
		return true;
	return max == 0 || 100.0 * (double)w->count >= p->low_water_pct * (double)max;
}

int ctw_poller_read(struct ctw_poller *p, uint64_t now_us, struct ctw_poll *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (p->all_netns && p->live && (p->last_scan_us == 0 || now_us - p->last_scan_us >= CTW_NETNS_RESCAN_US))
		ctw_poller_rescan(p, now_us);
	r = ctw_knob_read_fd(p->fd[CTW_KNOB_MAX], &out->max);
	if (r < 0)
		return r;
	if (p->fd[CTW_KNOB_BUCKETS] >= 0)
		out->have_buckets = ctw_knob_read_fd(p->fd[CTW_KNOB_BUCKETS], &out->buckets) == 0;
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		int fd = p->fd[CTW_KNOB_TIMEOUT(t)];
		if (fd >= 0)
			out->have_timeout[t] = ctw_knob_read_fd(fd, &out->timeout_s[t]) == 0;
	}
	for (unsigned i = 0; i < p->n_watch; i++) {
		struct ctw_watcher *w = p->watch[i];
		struct ctw_watcher_summary s;

		r = ctw_watcher_read_count(w, now_us);
		if (r < 0) {
			if (i == 0)
				return r;
			continue;   /* a netns going away: the next rescan drops it */
		}
		ctw_watcher_anchor(w, out->max);
		if (!out->fullest || w->count > out->count) {
			ctw_watcher_summary(w, out->max, &s);
			out->count = w->count;
			out->fullest = w;
			out->growth_per_s = s.growth_per_s;
		}
		r = ctw_watcher_read_counters(w, now_us, counters_due(p, w, out->max, now_us), &out->drops,
					      &out->early_drops);
		if (r == 0 || r == -EAGAIN)
			out->have_counters = true;
	}
	out->n_netns = p->n_watch;
	return 0;
}

void ctw_poller_close(struct ctw_poller *p)
{
	for (int i = 0; i < CTW_KNOB__COUNT; i++)
		close_fd(&p->fd[i]);
	for (unsigned i = 0; p->watch && i < p->n_watch; i++)
		ctw_watcher_close(p->watch[i]);
	free(p->watch);
	p->watch = NULL;
	p->n_watch = 0;
}
