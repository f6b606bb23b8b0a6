/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inotify on namespace directories, and the unaccounted-growth sentinel. */
#include "daemon/netns_watch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <syslog.h>

#include "base/log.h"
#include "daemon/daemon_round.h"

struct ctw_netns_dir_watch {
	struct ctw_daemon *d;
	char dir[CTW_CONF_PATH_MAX];
	sd_event_source *source;       /* NULL: the directory does not exist (yet) */
};

struct pending_mount {
	unsigned dir;                  /* index into d->netns_dirs */
	char file[NAME_MAX + 1];
	uint64_t give_up_us;
};

struct ctw_netns_watch {
	struct ctw_netns_dir_watch dirs[CTW_NETNS_DIRS_MAX];
	unsigned n_dirs;
	struct pending_mount *pending;
	unsigned n_pending, cap_pending;
	sd_event_source *retry, *sentinel;
};

static uint64_t now_us(struct ctw_daemon *d)
{
	uint64_t now;

	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	return now;
}

static void arm_retry(struct ctw_daemon *d)
{
	struct ctw_netns_watch *nw = d->netns_watch;

	sd_event_source_set_time_relative(nw->retry, CTW_MOUNT_RETRY_US);
	sd_event_source_set_enabled(nw->retry, SD_EVENT_ONESHOT);
}

static void add_pending(struct ctw_daemon *d, unsigned dir, const char *file)
{
	struct ctw_netns_watch *nw = d->netns_watch;
	struct pending_mount *pm;

	if (nw->n_pending == nw->cap_pending) {
		unsigned cap = nw->cap_pending ? nw->cap_pending * 2 : 8;
		void *n = realloc(nw->pending, cap * sizeof(*nw->pending));

		if (!n)
			return;   /* the periodic rescan still finds it */
		nw->pending = n;
		nw->cap_pending = cap;
	}
	pm = &nw->pending[nw->n_pending++];
	pm->dir = dir;
	snprintf(pm->file, sizeof(pm->file), "%s", file);
	pm->give_up_us = now_us(d) + CTW_MOUNT_RETRY_FOR_US;
	arm_retry(d);
}

/* Watch a new file; a round right away so the new namespace is read and
 * the policy sees it. true when it was added. */
static bool try_add(struct ctw_daemon *d, unsigned dir, const char *file)
{
	uint64_t now = now_us(d);
	unsigned before = d->poller.n_watch;
	int r = ctw_poller_add_file(&d->poller, d->netns_watch->dirs[dir].dir, file, now);

	if (r == -EAGAIN)
		return false;
	if (r == 0 && d->poller.n_watch > before)
		ctw_daemon_poll_round(d, now);
	return true;   /* watched, or unwatchable (said by the poller) */
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ctw_daemon *d = userdata;
	struct ctw_netns_watch *nw = d->netns_watch;
	uint64_t now = now_us(d);

	for (unsigned i = 0; i < nw->n_pending;) {
		struct pending_mount pm = nw->pending[i];

		if (try_add(d, pm.dir, pm.file) || now >= pm.give_up_us)
			nw->pending[i] = nw->pending[--nw->n_pending];
		else
			i++;
	}
	if (nw->n_pending)
		arm_retry(d);
	return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	struct ctw_netns_dir_watch *w = userdata;
	struct ctw_daemon *d = w->d;
	unsigned dir = (unsigned)(w - d->netns_watch->dirs);

	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* The directory itself went away: look for it again at rescans. */
		w->source = sd_event_source_disable_unref(w->source);
		return 0;
	}
	if (!ev->len || ev->name[0] == '.')
		return 0;
	if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		unsigned before = d->poller.n_watch;

		ctw_poller_forget_file(&d->poller, w->dir, ev->name);
		if (d->poller.n_watch != before)
			ctw_daemon_poll_round(d, now_us(d));   /* status says so at once */
		return 0;
	}
	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		if (!try_add(d, dir, ev->name))
			add_pending(d, dir, ev->name);
	}
	return 0;
}

/* Every namespace directory that exists has its inotify watch: a triggered
 * scan need only look at processes. */
static bool dirs_watched(const struct ctw_daemon *d)
{
	const struct ctw_netns_watch *nw = d->netns_watch;
	struct stat st;

	for (unsigned i = 0; i < nw->n_dirs; i++)
		if (!nw->dirs[i].source && !(stat(nw->dirs[i].dir, &st) < 0 && errno == ENOENT))
			return false;
	return true;
}

/* 0 when the poll timer is often enough. */
static uint64_t sentinel_period_us(const struct ctw_daemon *d)
{
	double rate = d->poller.fastest_rate > CTW_SENTINEL_FLOOD_RATE ? d->poller.fastest_rate
								       : CTW_SENTINEL_FLOOD_RATE;
	double fill_us = d->cfg.high_water_pct / 100.0 * (double)d->poller.max / rate * 1e6;

	if (d->poller.max == 0 || fill_us >= (double)d->cfg.poll_interval_us)
		return 0;
	return fill_us < (double)CTW_SENTINEL_MIN_US ? CTW_SENTINEL_MIN_US : (uint64_t)fill_us;
}

static void arm_sentinel(struct ctw_daemon *d)
{
	struct ctw_netns_watch *nw = d->netns_watch;
	uint64_t period = sentinel_period_us(d);

	if (!period) {
		sd_event_source_set_enabled(nw->sentinel, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time_relative(nw->sentinel, period);
	sd_event_source_set_enabled(nw->sentinel, SD_EVENT_ONESHOT);
}

static int on_sentinel(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ctw_daemon *d = userdata;
	uint64_t now = now_us(d);

	if (ctw_poller_check_unaccounted(&d->poller, now, dirs_watched(d)) > 0)
		ctw_daemon_poll_round(d, now);
	if (d->netns_watch)
		arm_sentinel(d);
	return 0;
}

void ctw_netns_watch_after_poll(struct ctw_daemon *d, uint64_t now_us_)
{
	struct ctw_netns_watch *nw = d->netns_watch;

	if (!nw)
		return;
	if (sentinel_period_us(d) == 0) {
		if (ctw_poller_check_unaccounted(&d->poller, now_us_, dirs_watched(d)) > 0)
			ctw_daemon_poll_round(d, now_us_);
		sd_event_source_set_enabled(nw->sentinel, SD_EVENT_OFF);
	} else if (sd_event_source_get_enabled(nw->sentinel, NULL) == 0) {
		arm_sentinel(d);   /* max went down: the sentinel is needed again */
	}
}

void ctw_netns_watch_refresh(struct ctw_daemon *d)
{
	struct ctw_netns_watch *nw = d->netns_watch;

	if (!nw)
		return;
	for (unsigned i = 0; i < nw->n_dirs; i++) {
		struct ctw_netns_dir_watch *w = &nw->dirs[i];
		struct stat st;
		int r;

		if (w->source || stat(w->dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		r = sd_event_add_inotify(d->event, &w->source, w->dir,
					 IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |
					 IN_MOVE_SELF | IN_ONLYDIR, on_inotify, w);
		if (r < 0) {
			ctw_log(LOG_WARNING, "cannot watch %s for new network namespaces: %s; "
				"they are found by the rescan every %llu s", w->dir, strerror(-r),
				(unsigned long long)(CTW_NETNS_RESCAN_US / 1000000));
			w->source = NULL;
		}
	}
}

int ctw_netns_watch_start(struct ctw_daemon *d)
{
	struct ctw_netns_watch *nw;
	int r;

	if (!d->live || !d->cfg.all_netns)
		return 0;
	nw = calloc(1, sizeof(*nw));
	if (!nw)
		return -ENOMEM;
	d->netns_watch = nw;
	for (unsigned i = 0; i < d->cfg.n_netns_dirs; i++) {
		nw->dirs[i].d = d;
		snprintf(nw->dirs[i].dir, sizeof(nw->dirs[i].dir), "%s", d->cfg.netns_dirs[i]);
	}
	nw->n_dirs = d->cfg.n_netns_dirs;
	/* Accuracy 1 us: sd-event's default (250 ms) would defeat the point. */
	r = sd_event_add_time_relative(d->event, &nw->retry, CLOCK_MONOTONIC, CTW_MOUNT_RETRY_US, 1, on_retry, d);
	if (r < 0)
		return r;
	sd_event_source_set_enabled(nw->retry, SD_EVENT_OFF);
	r = sd_event_add_time_relative(d->event, &nw->sentinel, CLOCK_MONOTONIC, CTW_SENTINEL_MIN_US,
				       CTW_SENTINEL_MIN_US / 10, on_sentinel, d);
	if (r < 0)
		return r;
	ctw_netns_watch_refresh(d);
	return 0;
}

void ctw_netns_watch_stop(struct ctw_daemon *d)
{
	struct ctw_netns_watch *nw = d->netns_watch;

	if (!nw)
		return;
	for (unsigned i = 0; i < nw->n_dirs; i++)
		nw->dirs[i].source = sd_event_source_disable_unref(nw->dirs[i].source);
	nw->retry = sd_event_source_disable_unref(nw->retry);
	nw->sentinel = sd_event_source_disable_unref(nw->sentinel);
	free(nw->pending);
	free(nw);
	d->netns_watch = NULL;
}
