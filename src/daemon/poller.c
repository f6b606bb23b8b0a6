/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The global knobs and the set of watched namespaces, read once per poll. */
#include "daemon/poller.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/knob_fd.h"
#include "policy/poll_schedule.h"
#include "policy/pressure.h"

#define SLAB_OBJECTS_PATH "sys/kernel/slab/nf_conntrack/objects"

/* ---- the orders ---------------------------------------------------------- */

static bool due_before(const struct ctw_heap_node *a, const struct ctw_heap_node *b)
{
	const struct ctw_watcher *x = ctw_container_of(a, struct ctw_watcher, due_node);
	const struct ctw_watcher *y = ctw_container_of(b, struct ctw_watcher, due_node);

	return x->next_poll_us != y->next_poll_us ? x->next_poll_us < y->next_poll_us : x->seq < y->seq;
}

static bool pressure_before(const struct ctw_heap_node *a, const struct ctw_heap_node *b)
{
	return ctw_pressure_before(&ctw_container_of(a, struct ctw_watcher, pressure_node)->pressure,
				   &ctw_container_of(b, struct ctw_watcher, pressure_node)->pressure);
}

static struct ctw_watcher *first_due(const struct ctw_poller *p)
{
	struct ctw_heap_node *n = ctw_heap_top(&p->due);

	return n ? ctw_container_of(n, struct ctw_watcher, due_node) : NULL;
}

void ctw_poller_wake(struct ctw_poller *p, struct ctw_watcher *w)
{
	w->poll_now = true;
	if (ctw_heap_contains(&w->due_node)) {
		w->next_poll_us = 0;
		ctw_heap_fix(&p->due, &w->due_node);
	}
}

void ctw_poller_set_tended(struct ctw_poller *p, struct ctw_watcher *w, bool tended)
{
	struct ctw_watcher *last;
	unsigned i;

	if (tended == (w->tended_at != 0))
		return;
	if (tended) {
		/* Room for every watcher was made when it was added. */
		p->tended[p->n_tended++] = w;
		w->tended_at = p->n_tended;
		return;
	}
	i = w->tended_at - 1;
	last = p->tended[--p->n_tended];
	p->tended[i] = last;
	last->tended_at = i + 1;
	w->tended_at = 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The config's part of the options (the shared batch and per-watcher flags stay). */
static void opts_from_config(struct ctw_watcher_opts *o, const struct ctw_config *c)
{
	o->rcvbuf = c->receive_buffer_bytes;
	o->rcvbuf_max = c->receive_buffer_max_bytes;
	o->event_batch = c->event_batch;
	o->high_water_pct = c->high_water_pct;
	o->horizon_us = c->horizon_us;
}

void ctw_poller_set_config(struct ctw_poller *p)
{
	const struct ctw_config *c = p->cfg;

	opts_from_config(&p->opts, c);
	for (unsigned i = 0; i < p->n_watch; i++) {
		struct ctw_watcher_opts o = p->watch[i]->opts;

		p->watch[i]->opts = p->opts;
		p->watch[i]->opts.own = o.own;
		p->watch[i]->opts.netlink = o.netlink;
		p->watch[i]->opts.events = o.events;
		p->watch[i]->next_poll_us = 0;
	}
	ctw_heap_rebuild(&p->due);   /* all due at once: thresholds and horizon may differ */
	p->changes++;
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

/* ---- the sets ---------------------------------------------------------- */

/* Where inode is, or would go, in by_inode. */
static unsigned inode_slot(const struct ctw_poller *p, uint64_t inode)
{
	unsigned lo = 0, hi = p->n_watch;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (p->by_inode[mid]->ref.inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct ctw_watcher *ctw_poller_find(const struct ctw_poller *p, uint64_t inode)
{
	unsigned i = inode_slot(p, inode);

	return i < p->n_watch && p->by_inode[i]->ref.inode == inode ? p->by_inode[i] : NULL;
}

/* Before n_watch counts w (room was made). */
static void index_add(struct ctw_poller *p, struct ctw_watcher *w)
{
	unsigned i = inode_slot(p, w->ref.inode);

	memmove(&p->by_inode[i + 1], &p->by_inode[i], (p->n_watch - i) * sizeof(*p->by_inode));
	p->by_inode[i] = w;
}

/* Before n_watch stops counting w. */
static void index_remove(struct ctw_poller *p, struct ctw_watcher *w)
{
	unsigned i = inode_slot(p, w->ref.inode);

	while (i < p->n_watch && p->by_inode[i] != w)
		i++;   /* equal inodes (0: unknown) sit side by side */
	if (i == p->n_watch)
		return;
	memmove(&p->by_inode[i], &p->by_inode[i + 1], (p->n_watch - i - 1) * sizeof(*p->by_inode));
}

const struct ctw_unwatchable *ctw_poller_find_unwatchable(const struct ctw_poller *p, uint64_t inode)
{
	for (unsigned i = 0; i < p->n_bad; i++)
		if (inode && p->bad[i].inode == inode)
			return &p->bad[i];
	return NULL;
}

struct ctw_watcher *ctw_poller_own(const struct ctw_poller *p)
{
	return p->watch[0];
}

static int grow(void **arr, unsigned *cap, unsigned need, size_t size)
{
	unsigned ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, (size_t)ncap * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* Remember (or refresh) an unwatchable namespace; tell the owner when it is
 * new or its reason changed. */
static void mark_unwatchable(struct ctw_poller *p, uint64_t inode, const char *path, const char *name, int err)
{
	struct ctw_unwatchable *u = NULL;

	for (unsigned i = 0; i < p->n_bad; i++) {
		if (inode ? p->bad[i].inode == inode : strcmp(p->bad[i].path, path) == 0) {
			u = &p->bad[i];
			break;
		}
	}
	if (!u) {
		if (grow((void **)&p->bad, &p->cap_bad, p->n_bad + 1, sizeof(*p->bad)) < 0)
			return;
		u = &p->bad[p->n_bad++];
		memset(u, 0, sizeof(*u));
		u->inode = inode;
		snprintf(u->path, sizeof(u->path), "%s", path);
	}
	u->seen = true;
	snprintf(u->name, sizeof(u->name), "%s", name);
	if (u->err != err) {
		u->err = err;
		if (p->on_unwatchable)
			p->on_unwatchable(u, p->ud);
	}
}

static void forget_unwatchable(struct ctw_poller *p, uint64_t inode)
{
	for (unsigned i = 0; i < p->n_bad; i++) {
		if (p->bad[i].inode == inode) {
			p->bad[i] = p->bad[--p->n_bad];
			return;
		}
	}
}

static bool events_for(const struct ctw_poller *p, bool own)
{
	return p->live && (p->cfg->events_scope == CTW_EVENTS_ALL ||
			   (own && p->cfg->events_scope == CTW_EVENTS_OWN));
}

/* A watcher's events saw pressure: read it in the round the owner runs now. */
static void on_watcher_pressure(struct ctw_watcher *w, uint64_t now_us, void *ud)
{
	struct ctw_poller *p = ud;

	ctw_poller_wake(p, w);
	if (p->on_pressure)
		p->on_pressure(w, now_us, p->ud);
}

/* Watch ref's namespace. 0 or -errno (then it is marked unwatchable). */
static int add_watcher(struct ctw_poller *p, struct ctw_netns_ref *ref)
{
	struct ctw_watcher_opts opts = p->opts;
	struct ctw_watcher *w;
	char note[256];
	int r;

	if (strncmp(ref->name, "pid ", 4) == 0)
		ctw_netns_name_pid_pod("/proc", p->cfg->pod_log_dir, ref);
	if (p->fd_limit && (uint64_t)(p->n_watch + 1) * CTW_FDS_PER_WATCHER + CTW_FD_RESERVE > p->fd_limit) {
		r = -EMFILE;
		goto bad;
	}
	r = grow((void **)&p->watch, &p->cap_watch, p->n_watch + 1, sizeof(*p->watch));
	if (r == 0)
		r = grow((void **)&p->tended, &p->cap_tended, p->n_watch + 1, sizeof(*p->tended));
	if (r == 0)
		r = grow((void **)&p->by_inode, &p->cap_by_inode, p->n_watch + 1, sizeof(*p->by_inode));
	if (r < 0)
		goto bad;
	opts.own = false;
	opts.netlink = true;
	opts.events = events_for(p, false);
	r = ctw_watcher_open(&w, ref, p->knobs, &opts, note, sizeof(note));
	if (r < 0)
		goto bad;
	w->seq = ++p->next_seq;
	w->next_poll_us = 0;   /* read at the next round */
	ctw_pressure_key_set(&w->pressure, false, 0, 0, p->cfg->horizon_us, w->seq);
	if ((p->loop && (r = ctw_watcher_attach(w, p->loop, on_watcher_pressure, p)) < 0) ||
	    (r = ctw_heap_push(&p->due, &w->due_node)) < 0 || (r = ctw_heap_push(&p->pressed, &w->pressure_node)) < 0) {
		ctw_heap_remove(&p->due, &w->due_node);
		ctw_watcher_close(w);
		goto bad;
	}
	w->seen = true;
	index_add(p, w);
	p->watch[p->n_watch++] = w;
	p->changes++;
	p->count_changes++;
	forget_unwatchable(p, ref->inode);
	return 0;
bad:
	mark_unwatchable(p, ref->inode, ref->path, ref->name, r);
	return r;
}

static void remove_watcher(struct ctw_poller *p, unsigned i)
{
	struct ctw_watcher *w = p->watch[i];

	ctw_heap_remove(&p->due, &w->due_node);
	ctw_heap_remove(&p->pressed, &w->pressure_node);
	ctw_poller_set_tended(p, w, false);
	p->total_count -= w->count;
	p->changes++;
	p->count_changes++;
	index_remove(p, w);
	ctw_watcher_close(w);
	p->watch[i] = p->watch[--p->n_watch];
}

/* ---- discovery --------------------------------------------------------- */

struct scan_ctx {
	struct ctw_poller *p;
	unsigned added;
};

/* A pod's namespace is found first as a file (containerd's cni-<uuid> under
 * /run/netns), before its processes run. When the scan of processes then
 * meets one in it, the pod it belongs to names it, once per namespace (one
 * cgroup read, and a look into the pod log directory when it is a pod). */
static void name_after_pod(struct ctw_poller *p, struct ctw_watcher *w, const struct ctw_netns_ref *ref)
{
	struct ctw_netns_ref named;

	if (w->named_by_process || strncmp(ref->name, "pid ", 4) != 0 || strncmp(w->ref.path, "/proc/", 6) == 0 ||
	    w == ctw_poller_own(p))
		return;
	w->named_by_process = true;
	named = *ref;
	ctw_netns_name_pid_pod("/proc", p->cfg->pod_log_dir, &named);
	if (strncmp(named.name, "pod ", 4) == 0)
		snprintf(w->ref.name, sizeof(w->ref.name), "%s", named.name);
}

static bool on_found(const struct ctw_netns_ref *ref, void *ud)
{
	struct scan_ctx *ctx = ud;
	struct ctw_poller *p = ctx->p;
	struct ctw_watcher *w = ctw_poller_find(p, ref->inode);
	struct ctw_netns_ref copy;

	if (w) {
		w->seen = true;
		name_after_pod(p, w, ref);
		return true;
	}
	for (unsigned i = 0; i < p->n_bad; i++) {
		if (p->bad[i].inode == ref->inode && p->bad[i].seen)
			return true;   /* already tried in this scan */
	}
	copy = *ref;
	if (add_watcher(p, &copy) == 0)
		ctx->added++;
	return true;
}

static void on_failed(const char *path, const char *name, int err, void *ud)
{
	struct scan_ctx *ctx = ud;

	mark_unwatchable(ctx->p, 0, path, name, err);
}

static bool read_slab_objects(struct ctw_poller *p, uint64_t *objects)
{
	char buf[64];
	ssize_t n;

	if (p->slab_fd < 0)
		return false;
	/* "128 N0=128": the first number is all namespaces together. */
	n = pread(p->slab_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return sscanf(buf, "%" SCNu64, objects) == 1;
}

static void rebase_unaccounted(struct ctw_poller *p)
{
	uint64_t objects, watched = p->total_count;

	if (read_slab_objects(p, &objects))
		p->unaccounted_base = objects > watched ? objects - watched : 0;
}

/* Processes' namespaces only, adding what is new and forgetting nothing:
 * the directories' namespaces are seen by inotify as they come and go. */
static unsigned scan_processes(struct ctw_poller *p, uint64_t now_us)
{
	struct scan_ctx ctx = { p, 0 };

	p->last_scan_us = now_us;
	for (unsigned i = 0; i < p->n_bad; i++)
		p->bad[i].seen = false;
	if (ctw_netns_scan("/proc", NULL, 0, on_found, on_failed, &ctx) < 0)
		return 0;
	rebase_unaccounted(p);
	return ctx.added;
}

unsigned ctw_poller_rescan(struct ctw_poller *p, uint64_t now_us)
{
	const char *dirs[CTW_NETNS_DIRS_MAX];
	struct scan_ctx ctx = { p, 0 };

	p->last_scan_us = p->last_full_scan_us = now_us;
	if (!p->cfg->all_netns || !p->live)
		return 0;
	for (unsigned i = 0; i < p->cfg->n_netns_dirs; i++)
		dirs[i] = p->cfg->netns_dirs[i];
	for (unsigned i = 1; i < p->n_watch; i++)
		p->watch[i]->seen = false;
	for (unsigned i = 0; i < p->n_bad; i++)
		p->bad[i].seen = false;
	p->watch[0]->seen = true;
	if (ctw_netns_scan("/proc", dirs, p->cfg->n_netns_dirs, on_found, on_failed, &ctx) < 0)
		return 0;
	/* Forget the namespaces that are gone (keep our own, [0]). */
	for (unsigned i = 1; i < p->n_watch;) {
		if (p->watch[i]->seen)
			i++;
		else
			remove_watcher(p, i);
	}
	for (unsigned i = 0; i < p->n_bad;) {
		if (p->bad[i].seen)
			i++;
		else
			p->bad[i] = p->bad[--p->n_bad];
	}
	rebase_unaccounted(p);
	return ctx.added;
}

int ctw_poller_add_file(struct ctw_poller *p, const char *dir, const char *file, uint64_t now_us)
{
	struct ctw_netns_ref ref;
	int r;

	if (!p->cfg->all_netns || !p->live)
		return 0;
	r = ctw_netns_ref_from_file(dir, file, &ref);
	if (r < 0)
		return r;
	if (ctw_poller_find(p, ref.inode))
		return 0;
	return add_watcher(p, &ref);
}

void ctw_poller_forget_file(struct ctw_poller *p, const char *dir, const char *file)
{
	char path[sizeof(((struct ctw_netns_ref *)0)->path)];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	for (unsigned i = 1; i < p->n_watch; i++) {
		if (strcmp(p->watch[i]->ref.path, path) == 0) {
			remove_watcher(p, i);
			return;
		}
	}
}

unsigned ctw_poller_check_unaccounted(struct ctw_poller *p, uint64_t now_us, bool dirs_watched)
{
	uint64_t objects, watched, unaccounted;

	if (!p->cfg->all_netns || !p->live || !read_slab_objects(p, &objects))
		return 0;
	watched = p->total_count;
	unaccounted = objects > watched ? objects - watched : 0;
	if (unaccounted < p->unaccounted_base) {
		p->unaccounted_base = unaccounted;   /* entries went away: follow down */
		return 0;
	}
	if (unaccounted - p->unaccounted_base < CTW_NETNS_UNACCOUNTED_STEP ||
	    now_us - p->last_scan_us < CTW_NETNS_TRIGGER_MIN_US)
		return 0;
	return dirs_watched ? scan_processes(p, now_us) : ctw_poller_rescan(p, now_us);
}

/* ---- set-up ------------------------------------------------------------ */

int ctw_poller_open(struct ctw_poller *p, const struct ctw_knobs *k, bool live, const struct ctw_config *c)
{
	struct ctw_netns_ref own = { 0 };
	struct ctw_watcher_opts opts;
	int r;

	memset(p, 0, sizeof(*p));
	ctw_heap_init(&p->due, due_before);
	ctw_heap_init(&p->pressed, pressure_before);
	p->knobs = k;
	p->cfg = c;
	p->live = live;
	p->slab_fd = -1;
	opts_from_config(&p->opts, c);
	for (int i = 0; i < CTW_KNOB__COUNT; i++)
		p->fd[i] = -1;
	r = ctw_events_batch_new(&p->opts.batch);
	if (r < 0)
		return r;
	r = grow((void **)&p->watch, &p->cap_watch, 1, sizeof(*p->watch));
	if (r == 0)
		r = grow((void **)&p->tended, &p->cap_tended, 1, sizeof(*p->tended));
	if (r == 0)
		r = grow((void **)&p->by_inode, &p->cap_by_inode, 1, sizeof(*p->by_inode));
	if (r < 0)
		return r;

	r = ctw_knob_open_fd(k, CTW_KNOB_MAX);
	if (r < 0)
		goto fail;
	p->fd[CTW_KNOB_MAX] = r;
	r = ctw_knob_open_fd(k, CTW_KNOB_BUCKETS);
	p->fd[CTW_KNOB_BUCKETS] = r < 0 ? -1 : r;
	ctw_poller_set_config(p);
	r = openat(k->root_fd, SLAB_OBJECTS_PATH, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	p->slab_fd = r < 0 ? -1 : r;

	/* Outside the initial netns (a container) our own is not the host's. */
	snprintf(own.name, sizeof(own.name), "%s", ctw_knobs_global_writable(k) ? "host" : "own netns");
	snprintf(own.path, sizeof(own.path), "/proc/self/ns/net");
	own.inode = live ? ctw_netns_self_inode() : 0;
	opts = p->opts;
	opts.own = true;
	opts.netlink = live;
	opts.events = events_for(p, true);
	r = ctw_watcher_open(&p->watch[0], &own, k, &opts, p->note, sizeof(p->note));
	if (r < 0)
		goto fail;
	p->by_inode[0] = p->watch[0];
	p->n_watch = 1;
	/* Ours is read every round: in the pressure order, not in the schedule. */
	ctw_pressure_key_set(&p->watch[0]->pressure, false, 0, 0, c->horizon_us, 0);
	r = ctw_heap_push(&p->pressed, &p->watch[0]->pressure_node);
	if (r < 0)
		goto fail;
	return 0;
fail:
	ctw_poller_close(p);
	return r;
}

int ctw_poller_attach(struct ctw_poller *p, sd_event *loop, ctw_watcher_pressure_fn on_pressure,
		      ctw_poller_unwatchable_fn on_unwatchable, void *ud)
{
	p->loop = loop;
	p->on_pressure = on_pressure;
	p->on_unwatchable = on_unwatchable;
	p->ud = ud;
	for (unsigned i = 0; i < p->n_watch; i++) {
		int r = ctw_watcher_attach(p->watch[i], loop, on_watcher_pressure, p);

		if (r < 0)
			return r;
	}
	/* Say what the first scan could not watch. */
	for (unsigned i = 0; i < p->n_bad; i++)
		if (on_unwatchable)
			on_unwatchable(&p->bad[i], ud);
	return 0;
}

/* ---- polls ------------------------------------------------------------- */

/* The drop counters move only when a table is full. Our own namespace's are
 * read at least every CTW_IDLE_COUNTERS_US; another namespace's only near
 * its limit (usage >= low_water), on its first poll (the baseline), and when
 * its events or a table-full kernel message called for it: hundreds of idle
 * namespaces then cost no netlink round trips. */
static bool counters_due(const struct ctw_poller *p, const struct ctw_watcher *w, uint64_t max,
			 uint64_t now_us, bool urgent)
{
	if (urgent || !w->have_prev || max == 0 || 100.0 * (double)w->count >= p->cfg->low_water_pct * (double)max)
		return true;
	return w->opts.own && now_us - w->counters_at_us >= CTW_IDLE_COUNTERS_US;
}

/* Read the count, keeping the sum of counts. */
static int read_count(struct ctw_poller *p, struct ctw_watcher *w, uint64_t now_us)
{
	uint64_t before = w->count;
	int r = ctw_watcher_read_count(w, now_us);

	if (r == 0)
		p->total_count += w->count - before;   /* modular: right when the count fell too */
	return r;
}

static void poll_watcher(struct ctw_poller *p, struct ctw_watcher *w, uint64_t now_us, bool urgent,
			 struct ctw_poll *out)
{
	int r = read_count(p, w, now_us);

	if (r < 0)
		return;   /* a netns going away: the next rescan drops it */
	ctw_watcher_anchor(w, out->max);
	r = ctw_watcher_read_counters(w, now_us, counters_due(p, w, out->max, now_us, urgent), &out->drops,
				      &out->early_drops);
	if (r == 0 || r == -EAGAIN)
		out->have_counters = true;
}

/* After w was (or was to be) read: its summary as of this read, its place in
 * the pressure order and its next poll time. A namespace not read this
 * round keeps the summary (and schedule) it had. */
static void after_read(struct ctw_poller *p, struct ctw_watcher *w, uint64_t now_us, uint64_t max)
{
	struct ctw_watcher_summary s;
	bool read = w->count_at_us == now_us;

	if (read || !w->have_summary || w->summary_max != max) {
		ctw_watcher_summary(w, max, &s);
		if (!w->have_summary || memcmp(&s, &w->summary, sizeof(s)) != 0)
			p->changes++;
		if (!w->have_summary || s.count != w->summary.count || s.drops != w->summary.drops ||
		    s.early_drops != w->summary.early_drops)
			p->count_changes++;
		memcpy(&w->summary, &s, sizeof(s));
		w->summary_max = max;
		w->have_summary = true;
		ctw_pressure_key_set(&w->pressure, s.have_time_to_full, s.time_to_full_s, s.count, p->cfg->horizon_us,
				     w->seq);
		ctw_heap_fix(&p->pressed, &w->pressure_node);
		if (s.growth_per_s > p->fastest_rate && isfinite(s.growth_per_s))
			p->fastest_rate = s.growth_per_s;
	}
	/* Not read (max changed): retime() decides its time. */
	if (read || now_us >= w->next_poll_us)
		w->next_poll_us = now_us + ctw_poll_gap_us(w->count, max, p->cfg->high_water_pct, p->fastest_rate,
							   p->cfg->poll_interval_us);
}

/* max changed, w not read: its summary against the new max, and the time
 * the schedule's own rule gives from its last count under the new max (now,
 * when that has passed): the same promise as ever, without a read. */
static void retime(struct ctw_poller *p, struct ctw_watcher *w, uint64_t now_us, uint64_t max)
{
	uint64_t at = w->count_at_us ? w->count_at_us + ctw_poll_gap_us(w->count, max, p->cfg->high_water_pct,
									   p->fastest_rate, p->cfg->poll_interval_us)
				     : 0;

	after_read(p, w, now_us, max);
	if (at < w->next_poll_us)
		w->next_poll_us = at;
}

/* Another namespace's turn (due, woken, or every one when forced). */
static void poll_other(struct ctw_poller *p, struct ctw_watcher *w, uint64_t now_us, bool force,
		       struct ctw_poll *out)
{
	if (force || w->poll_now || now_us >= w->next_poll_us)
		poll_watcher(p, w, now_us, w->poll_now, out);
	w->poll_now = false;
	after_read(p, w, now_us, out->max);
}

int ctw_poller_read(struct ctw_poller *p, uint64_t now_us, bool force, struct ctw_poll *out)
{
	struct ctw_watcher *own, *w;
	bool retimed;
	int r;

	memset(out, 0, sizeof(*out));
	if (p->cfg->all_netns && p->live && (p->last_full_scan_us == 0 || now_us - p->last_full_scan_us >= CTW_NETNS_RESCAN_US))
		ctw_poller_rescan(p, now_us);
	r = ctw_knob_read_fd(p->fd[CTW_KNOB_MAX], &out->max);
	if (r < 0)
		return r;
	/* Everyone's headroom changed: each namespace is re-timed from what it
	 * held (retime), and only those due under the new max are read; another
	 * tool changing max on a host with a thousand namespaces costs no
	 * thousand reads. */
	retimed = p->max != out->max;
	p->max = out->max;
	if (p->fd[CTW_KNOB_BUCKETS] >= 0)
		out->have_buckets = ctw_knob_read_fd(p->fd[CTW_KNOB_BUCKETS], &out->buckets) == 0;
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		int fd = p->fd[CTW_KNOB_TIMEOUT(t)];
		if (fd >= 0)
			out->have_timeout[t] = ctw_knob_read_fd(fd, &out->timeout_s[t]) == 0;
	}
	/* Our own count must be readable: without it there is nothing to watch. */
	own = p->watch[0];
	r = read_count(p, own, now_us);
	if (r < 0)
		return r;
	ctw_watcher_anchor(own, out->max);
	r = ctw_watcher_read_counters(own, now_us, counters_due(p, own, out->max, now_us, own->poll_now), &out->drops,
				      &out->early_drops);
	if (r == 0 || r == -EAGAIN)
		out->have_counters = true;
	own->poll_now = false;
	after_read(p, own, now_us, out->max);

	if (force) {
		for (unsigned i = 1; i < p->n_watch; i++)
			poll_other(p, p->watch[i], now_us, true, out);
		ctw_heap_rebuild(&p->due);
	} else {
		if (retimed) {
			for (unsigned i = 1; i < p->n_watch; i++)
				retime(p, p->watch[i], now_us, out->max);
			ctw_heap_rebuild(&p->due);
		}
		/* Only the ones due: each comes out with a later time, so this ends. */
		while ((w = first_due(p)) && (w->poll_now || now_us >= w->next_poll_us)) {
			poll_other(p, w, now_us, false, out);
			ctw_heap_fix(&p->due, &w->due_node);
		}
	}

	w = ctw_container_of(ctw_heap_top(&p->pressed), struct ctw_watcher, pressure_node);
	out->count = w->count;
	out->fullest = w;
	out->growth_per_s = w->summary.growth_per_s;
	out->total_count = p->total_count;
	out->n_netns = p->n_watch;
	out->n_unwatchable = p->n_bad;
	return 0;
}

void ctw_poller_close(struct ctw_poller *p)
{
	for (int i = 0; i < CTW_KNOB__COUNT; i++)
		close_fd(&p->fd[i]);
	close_fd(&p->slab_fd);
	ctw_heap_free(&p->due);
	ctw_heap_free(&p->pressed);
	for (unsigned i = 0; p->watch && i < p->n_watch; i++)
		ctw_watcher_close(p->watch[i]);
	free(p->watch);
	free(p->bad);
	free(p->tended);
	free(p->by_inode);
	p->by_inode = NULL;
	p->tended = NULL;
	p->n_tended = 0;
	ctw_events_batch_free(p->opts.batch);
	p->opts.batch = NULL;
	p->watch = NULL;
	p->bad = NULL;
	p->n_watch = p->n_bad = 0;
}
