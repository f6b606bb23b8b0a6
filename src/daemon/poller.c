#include "daemon/poller.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"

int ctw_knob_open_fd(const struct ctw_knobs *k, enum ctw_knob id)
{
	int fd = openat(k->root_fd, ctw_knob_path(k, id), O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

int ctw_knob_read_fd(int fd, uint64_t *out)
{
	char buf[32];
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(buf))
		return -EINVAL;
	return ctw_knob_parse_value(buf, (size_t)n, out);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ctw_poller_set_timeouts(struct ctw_poller *p, const struct ctw_config *c)
{
	p->low_water_pct = c->low_water_pct;
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

struct open_ctx {
	struct ctw_poller *p;
	struct ctw_netns_watch *w;
};

/* Runs inside the target netns: what is opened here stays bound to it. */
static int open_in_netns(void *userdata)
{
	struct open_ctx *ctx = userdata;
	int fd = ctw_knob_open_fd(ctx->p->knobs, CTW_KNOB_COUNT);

	if (fd < 0)
		return fd;   /* no conntrack in that netns (or not permitted) */
	ctx->w->count_fd = fd;
	if (ctw_stats_nl_open(&ctx->w->nl) < 0)
		ctx->w->nl = NULL;
	return 0;
}

static void watch_close(struct ctw_netns_watch *w)
{
	close_fd(&w->count_fd);
	if (w->nl)
		ctw_stats_nl_close(w->nl);
	w->nl = NULL;
}

static struct ctw_netns_watch *find_watch(struct ctw_poller *p, uint64_t inode)
{
	for (unsigned i = 0; i < p->n_watch; i++)
		if (p->watch[i].ref.inode == inode)
			return &p->watch[i];
	return NULL;
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
		p->watch[i].seen = false;
	for (int i = 1; i < n; i++) {
		struct ctw_netns_watch *w = find_watch(p, found[i].inode);
		struct open_ctx ctx;

		if (w) {
			w->seen = true;
			continue;
		}
		if (p->n_watch >= CTW_MAX_WATCHED_NETNS)
			break;
		w = &p->watch[p->n_watch];
		memset(w, 0, sizeof(*w));
		w->ref = found[i];
		w->count_fd = -1;
		ctx.p = p;
		ctx.w = w;
		if (ctw_netns_enter(&w->ref, open_in_netns, &ctx) == 0) {
			w->seen = true;
			p->n_watch++;
		} else {
			watch_close(w);
		}
	}
	/* Forget the namespaces that are gone (keep our own, [0]). */
	for (unsigned i = 1; i < p->n_watch;) {
		if (p->watch[i].seen) {
			i++;
			continue;
		}
		watch_close(&p->watch[i]);
		p->watch[i] = p->watch[--p->n_watch];
	}
}

int ctw_poller_open(struct ctw_poller *p, const struct ctw_knobs *k, bool live, const struct ctw_config *c)
{
	struct ctw_netns_watch *own;
	int r;

	memset(p, 0, sizeof(*p));
	p->knobs = k;
	p->low_water_pct = c->low_water_pct;
	p->live = live;
	p->all_netns = c->all_netns;
	for (int i = 0; i < CTW_KNOB__COUNT; i++)
		p->fd[i] = -1;
	p->watch = calloc(CTW_MAX_WATCHED_NETNS, sizeof(*p->watch));
	if (!p->watch)
		return -ENOMEM;
	own = &p->watch[0];
	own->count_fd = -1;
	/* Outside the initial netns (a container) our own is not the host's. */
	snprintf(own->ref.name, sizeof(own->ref.name), "%s", ctw_knobs_global_writable(k) ? "host" : "own netns");
	own->ref.inode = live ? ctw_netns_self_inode() : 0;
	p->n_watch = 1;

	r = ctw_knob_open_fd(k, CTW_KNOB_MAX);
	if (r < 0)
		goto fail;
	p->fd[CTW_KNOB_MAX] = r;
	r = ctw_knob_open_fd(k, CTW_KNOB_COUNT);
	if (r < 0)
		goto fail;
	own->count_fd = r;
	r = ctw_knob_open_fd(k, CTW_KNOB_BUCKETS);
	p->fd[CTW_KNOB_BUCKETS] = r < 0 ? -1 : r;
	ctw_poller_set_timeouts(p, c);
	if (live) {
		r = ctw_stats_nl_open(&own->nl);
		if (r < 0) {
			own->nl = NULL;
			snprintf(p->note, sizeof(p->note),
				 "netlink statistics: %s; using /proc/net/stat/nf_conntrack", strerror(-r));
		}
	}
	return 0;
fail:
	ctw_poller_close(p);
	return r;
}

static void update_growth(struct ctw_netns_watch *w, uint64_t count, uint64_t now_us)
{
	if (w->count_at_us && now_us > w->count_at_us) {
		double dt = (double)(now_us - w->count_at_us);
		double rate = ((double)count - (double)w->count) * 1e6 / dt;
		double alpha = dt / ((double)CTW_GROWTH_TAU_US + dt);

		w->growth_per_s += alpha * (rate - w->growth_per_s);
	}
	w->count = count;
	w->count_at_us = now_us;
}

static bool counters_due(const struct ctw_poller *p, const struct ctw_netns_watch *w, uint64_t max,
			 uint64_t now_us)
{
	if (!w->have_prev || now_us - w->counters_at_us >= CTW_IDLE_COUNTERS_US)
		return true;
	return max == 0 || 100.0 * (double)w->count >= p->low_water_pct * (double)max;
}

static void read_counters(struct ctw_poller *p, struct ctw_netns_watch *w, struct ctw_poll *out,
			  uint64_t now_us)
{
	struct ctw_stats st;
	int r;

	if (!counters_due(p, w, out->max, now_us)) {
		out->have_counters = true;
		return;
	}
	w->counters_at_us = now_us;
	memset(&st, 0, sizeof(st));
	if (w->nl)
		r = ctw_stats_nl_read(w->nl, &st);
	else if (w == &p->watch[0])
		r = ctw_stats_read_procfs(p->knobs, &st);
	else
		r = -ENOTCONN;
	if (r < 0)
		return;
	out->have_counters = true;
	if (w->have_prev) {
		out->drops += ctw_counter_delta(w->prev.value[CTW_CTR_DROP], st.counters.value[CTW_CTR_DROP]);
		out->early_drops += ctw_counter_delta(w->prev.value[CTW_CTR_EARLY_DROP],
						      st.counters.value[CTW_CTR_EARLY_DROP]);
	}
	w->prev = st.counters;
	w->have_prev = true;
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
		struct ctw_netns_watch *w = &p->watch[i];

		uint64_t count;

		r = ctw_knob_read_fd(w->count_fd, &count);
		if (r < 0) {
			if (i == 0)
				return r;
			continue;   /* a netns going away: the next rescan drops it */
		}
		update_growth(w, count, now_us);
		if (!out->fullest || w->count > out->count) {
			out->count = w->count;
			out->fullest = &w->ref;
			out->growth_per_s = w->growth_per_s;
		}
		read_counters(p, w, out, now_us);
	}
	out->n_netns = p->n_watch;
	return 0;
}

void ctw_poller_close(struct ctw_poller *p)
{
	for (int i = 0; i < CTW_KNOB__COUNT; i++)
		close_fd(&p->fd[i]);
	for (unsigned i = 0; p->watch && i < p->n_watch; i++)
		watch_close(&p->watch[i]);
	free(p->watch);
	p->watch = NULL;
	p->n_watch = 0;
}
