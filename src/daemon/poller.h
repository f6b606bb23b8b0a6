/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's hot path: the global knobs (max, buckets, the timeouts it may
 * change) from files opened once, and one watcher per network namespace it
 * can see (watcher.h), as many as there are. Spawns nothing, walks no table.
 *
 * Namespaces are found by a scan (bind-mount directories, then every
 * process), run at start, every CTW_NETNS_RESCAN_US as a safety net, at once
 * when the netns_watch (inotify) sees a new one, and when the global number
 * of conntrack objects grows past what the watched namespaces account for
 * (an unnamed namespace filling). Each watcher is read on its own schedule
 * (policy/poll_schedule.h), at once when its events project pressure or
 * the kernel log says its table is full (ctw_poller_wake). A round touches
 * only the watchers that are due: they wait in a heap by next poll time, the
 * most pressed one is the top of a heap by pressure (policy/pressure.h), and
 * the sum of counts is kept as counts are read, so an idle namespace costs
 * nothing between its own polls. */
#ifndef CTW_POLLER_H
#define CTW_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "base/conf.h"
#include "base/heap.h"
#include "daemon/watcher.h"
#include "kernel/knobs.h"
#include "kernel/netns.h"

/* Descriptors kept free for everything but watchers (status file, state
 * file, netlink dumps, inotify, setns): past this the next namespace is
 * unwatchable (EMFILE) rather than the daemon starved. */
#define CTW_FD_RESERVE 64
/* Descriptors one watcher holds: count file, statistics and event sockets. */
#define CTW_FDS_PER_WATCHER 3

/* The safety-net scan for new namespaces: inotify and the sentinel find
 * them sooner, so this only catches what both missed (and forgets
 * namespaces whose last process exited). */
#define CTW_NETNS_RESCAN_US (30ULL * 1000 * 1000)
/* Scans triggered by unaccounted growth are at least this far apart. */
#define CTW_NETNS_TRIGGER_MIN_US (200ULL * 1000)
/* Unaccounted conntrack objects (all namespaces minus the watched ones) may
 * grow this much, beyond the per-CPU slack of the slab count, before a scan. */
#define CTW_NETNS_UNACCOUNTED_STEP 512
/* The kernel's counters move only when a table is (nearly) full: below
 * low_water they are read at most this often (when the namespace is polled). */
#define CTW_IDLE_COUNTERS_US (1000ULL * 1000)

struct ctw_poll {
	uint64_t count;                 /* the namespace under pressure: the limit is per netns */
	uint64_t max, buckets;
	bool have_buckets;
	struct ctw_watcher *fullest;    /* which netns that is (shortest time to full, else fullest) */
	double growth_per_s;            /* its best known net growth, entries/s */
	unsigned n_netns;
	unsigned n_unwatchable;
	uint64_t total_count;           /* sum over watched namespaces */
	bool have_timeout[CTW_TO__COUNT];
	uint64_t timeout_s[CTW_TO__COUNT];
	bool have_counters;
	uint64_t drops, early_drops;    /* summed over netns, since the previous poll */
};

/* A namespace that exists but could not be watched (said once per reason). */
struct ctw_unwatchable {
	uint64_t inode;                 /* 0 when even stat failed */
	char name[CTW_NETNS_NAME_MAX];
	char path[160];
	int err;
	bool seen;
};

/* Told to the owner: a namespace could not be watched (err), first time or new reason. */
typedef void (*ctw_poller_unwatchable_fn)(const struct ctw_unwatchable *u, void *ud);

struct ctw_poller {
	const struct ctw_knobs *knobs;
	const struct ctw_config *cfg;   /* the daemon's, kept current across reloads */
	bool live;                      /* the real kernel: netlink and other netns usable */
	struct ctw_watcher_opts opts;   /* for watchers opened from now on */
	int fd[CTW_KNOB__COUNT];        /* own netns: max, buckets, timeouts; -1 when not open */
	struct ctw_watcher **watch;     /* [0] is our own netns */
	unsigned n_watch, cap_watch;
	struct ctw_unwatchable *bad;
	unsigned n_bad, cap_bad;
	uint64_t last_scan_us;          /* any scan: triggered ones are spaced from it */
	uint64_t last_full_scan_us;     /* directories and processes: the safety net's clock */
	int slab_fd;                    /* /sys/kernel/slab/nf_conntrack/objects, -1 when absent */
	uint64_t unaccounted_base;      /* objects not in watched counts, at the last scan */
	double fastest_rate;            /* fastest growth seen in any namespace, entries/s */
	uint64_t max;                   /* at the last poll */
	uint64_t fd_limit;              /* RLIMIT_NOFILE (0: unknown, no check) */
	sd_event *loop;                 /* NULL until attached: new watchers are attached to it */
	ctw_watcher_pressure_fn on_pressure;
	ctw_poller_unwatchable_fn on_unwatchable;
	void *ud;
	char note[256];                 /* a set-up fact worth saying once, "" otherwise */

	struct ctw_heap due;            /* every watcher but our own, soonest next_poll_us first */
	struct ctw_heap pressed;        /* every watcher, most pressed first */
	uint64_t next_seq;              /* for the next watcher (ours is 0) */
	uint64_t total_count;           /* sum of the watched counts as last read */
	uint64_t changes;               /* bumped when a summary or the set of watchers changes */
	uint64_t count_changes;         /* ... when a count, a drop total or the set changes */
	struct ctw_watcher **tended;    /* namespaces whose timeouts ctwarden changed */
	unsigned n_tended, cap_tended;
	struct ctw_watcher **by_inode;  /* every watcher, by inode: scans look each one up */
	unsigned cap_by_inode;          /* (n_watch of them) */
};

/* Open what the polls read. Fails (-errno) only when the own count or max
 * cannot be opened: without them there is nothing to watch. live: the root
 * is the real "/" (netlink and namespaces can be used). c must outlive p. */
int ctw_poller_open(struct ctw_poller *p, const struct ctw_knobs *k, bool live, const struct ctw_config *c);
/* Put every watcher's event socket (and those of watchers found later) on the loop. */
int ctw_poller_attach(struct ctw_poller *p, sd_event *loop, ctw_watcher_pressure_fn on_pressure,
		      ctw_poller_unwatchable_fn on_unwatchable, void *ud);
/* Take a reloaded config (the same struct): which timeouts to read, thresholds, event options. */
void ctw_poller_set_config(struct ctw_poller *p);
/* Look for new namespaces and drop the ones gone (when all_netns). Returns
 * how many new namespaces are watched now. */
unsigned ctw_poller_rescan(struct ctw_poller *p, uint64_t now_us);
/* A file appeared in a namespace directory (inotify): watch it if it is a
 * mounted namespace. 0, -EAGAIN (not mounted yet: try again shortly), -errno. */
int ctw_poller_add_file(struct ctw_poller *p, const char *dir, const char *file, uint64_t now_us);
/* A file left a namespace directory: forget the watcher opened from it. */
void ctw_poller_forget_file(struct ctw_poller *p, const char *dir, const char *file);
/* Cheap check for an unwatched namespace filling (one small read): scans when
 * the global object count outgrew the watched counts. dirs_watched: inotify
 * sees every namespace directory, so only processes' namespaces can be new
 * and the scan looks only there (its cost does not grow with the namespaces
 * already watched). Returns new watchers. */
unsigned ctw_poller_check_unaccounted(struct ctw_poller *p, uint64_t now_us, bool dirs_watched);
/* The watcher of the netns with this inode, or NULL. */
struct ctw_watcher *ctw_poller_find(const struct ctw_poller *p, uint64_t inode);
/* The unwatchable namespace with this inode, or NULL. */
const struct ctw_unwatchable *ctw_poller_find_unwatchable(const struct ctw_poller *p, uint64_t inode);
/* Our own netns's watcher. */
struct ctw_watcher *ctw_poller_own(const struct ctw_poller *p);
/* Read w at the next round (its events or a table-full message). */
void ctw_poller_wake(struct ctw_poller *p, struct ctw_watcher *w);
/* Keep w in (or take it out of) the tended list: the watchers the timeout
 * pass must visit every round, not only when they are the most pressed. */
void ctw_poller_set_tended(struct ctw_poller *p, struct ctw_watcher *w, bool tended);
/* One poll: the global knobs, then each watcher that is due (all when
 * force; when max changed, each re-timed and those due under it). 0 or
 * -errno (own count or max unreadable). */
int ctw_poller_read(struct ctw_poller *p, uint64_t now_us, bool force, struct ctw_poll *out);
void ctw_poller_close(struct ctw_poller *p);

#endif
