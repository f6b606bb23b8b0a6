/* The daemon's hot path: the global knobs (max, buckets, the timeouts it may
 * change) from files opened once, and one watcher per network namespace it
 * can see (watcher.h). Spawns nothing, walks no table. */
#ifndef CTW_POLLER_H
#define CTW_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "daemon/watcher.h"
#include "kernel/knobs.h"
#include "kernel/netns.h"

struct ctw_config;

#define CTW_MAX_WATCHED_NETNS 512
/* New namespaces are looked for this often. */
#define CTW_NETNS_RESCAN_US (5ULL * 1000 * 1000)
/* The kernel's counters move only when a table is (nearly) full: below
 * low_water they are read at most this often, which keeps an idle daemon's
 * netlink traffic small even at a 100 ms poll. */
#define CTW_IDLE_COUNTERS_US (1000ULL * 1000)

struct ctw_poll {
	uint64_t count;                 /* the fullest watched netns: the limit is per netns */
	uint64_t max, buckets;
	bool have_buckets;
	struct ctw_watcher *fullest;    /* which netns that is */
	double growth_per_s;            /* its best known net growth, entries/s */
	unsigned n_netns;
	bool have_timeout[CTW_TO__COUNT];
	uint64_t timeout_s[CTW_TO__COUNT];
	bool have_counters;
	uint64_t drops, early_drops;    /* summed over netns, since the previous poll */
};

struct ctw_poller {
	const struct ctw_knobs *knobs;
	double low_water_pct;           /* counters every poll at or above this usage */
	bool live;                      /* the real kernel: netlink and other netns usable */
	bool all_netns;
	struct ctw_watcher_opts opts;   /* for watchers opened from now on */
	int fd[CTW_KNOB__COUNT];        /* own netns: max, buckets, timeouts; -1 when not open */
	struct ctw_watcher **watch;     /* [0] is our own netns */
	unsigned n_watch;
	uint64_t last_scan_us;
	sd_event *loop;                 /* NULL until attached: new watchers are attached to it */
	ctw_watcher_pressure_fn on_pressure;
	void *ud;
	char note[256];                 /* a set-up fact worth saying once, "" otherwise */
};

/* Open what the polls read. Fails (-errno) only when the own count or max
 * cannot be opened: without them there is nothing to watch. live: the root
 * is the real "/" (netlink and namespaces can be used). */
int ctw_poller_open(struct ctw_poller *p, const struct ctw_knobs *k, bool live, const struct ctw_config *c);
/* Put every watcher's event socket (and those of watchers found later) on the loop. */
int ctw_poller_attach(struct ctw_poller *p, sd_event *loop, ctw_watcher_pressure_fn on_pressure, void *ud);
/* Take a reloaded config: which timeouts to read, thresholds, event options. */
void ctw_poller_set_config(struct ctw_poller *p, const struct ctw_config *c);
/* Look for new namespaces and drop the ones gone (when all_netns). */
void ctw_poller_rescan(struct ctw_poller *p, uint64_t now_us);
/* The watcher of the netns with this inode, or NULL. */
struct ctw_watcher *ctw_poller_find(const struct ctw_poller *p, uint64_t inode);
/* Our own netns's watcher. */
struct ctw_watcher *ctw_poller_own(const struct ctw_poller *p);
/* One poll. 0 or -errno (own count or max unreadable). */
int ctw_poller_read(struct ctw_poller *p, uint64_t now_us, struct ctw_poll *out);
void ctw_poller_close(struct ctw_poller *p);

#endif
