/* The daemon's hot path: read the count of every watched network namespace,
 * the global max and buckets, the timeouts it may change and the counters,
 * from files and sockets opened once, spawning nothing. */
#ifndef CTW_POLLER_H
#define CTW_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/knobs.h"
#include "kernel/netns.h"
#include "kernel/stats.h"

struct ctw_config;

#define CTW_MAX_WATCHED_NETNS 512
/* New namespaces are looked for this often. */
#define CTW_NETNS_RESCAN_US (5ULL * 1000 * 1000)
/* Time constant of the smoothed growth rate. */
#define CTW_GROWTH_TAU_US (1000ULL * 1000)
/* The kernel's counters move only when a table is (nearly) full: below
 * low_water they are read at most this often, which keeps an idle daemon's
 * netlink traffic small even at a 100 ms poll. */
#define CTW_IDLE_COUNTERS_US (1000ULL * 1000)

/* One watched network namespace: its count file and ctnetlink socket were
 * opened inside it, so they keep reading it from here. */
struct ctw_netns_watch {
	struct ctw_netns_ref ref;
	int count_fd;
	struct ctw_stats_nl *nl;     /* NULL: counters from procfs (own netns only) */
	bool have_prev;
	struct ctw_counters prev;
	uint64_t count;              /* at the last poll */
	uint64_t count_at_us;        /* when it was read (0: never) */
	double growth_per_s;         /* smoothed net growth of count */
	uint64_t counters_at_us;     /* when the counters were last read */
	bool seen;                   /* found by the last discovery */
};

struct ctw_poll {
	uint64_t count;                 /* the fullest watched netns: the limit is per netns */
	uint64_t max, buckets;
	bool have_buckets;
	const struct ctw_netns_ref *fullest; /* which netns that is */
	double growth_per_s;            /* its smoothed net growth, entries/s */
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
	int fd[CTW_KNOB__COUNT];        /* own netns: max, buckets, timeouts; -1 when not open */
	struct ctw_netns_watch *watch;  /* [0] is our own netns */
	unsigned n_watch;
	uint64_t last_scan_us;
	char note[256];                 /* a set-up fact worth saying once, "" otherwise */
};

/* Open what the polls read. Fails (-errno) only when the own count or max
 * cannot be opened: without them there is nothing to watch. live: the root
 * is the real "/" (netlink and namespaces can be used). */
int ctw_poller_open(struct ctw_poller *p, const struct ctw_knobs *k, bool live, const struct ctw_config *c);
/* Reopen the timeout files after a reload changed which ones may be shortened. */
void ctw_poller_set_timeouts(struct ctw_poller *p, const struct ctw_config *c);
/* Look for new namespaces and drop the ones gone (when all_netns). */
void ctw_poller_rescan(struct ctw_poller *p, uint64_t now_us);
/* One poll. 0 or -errno (own count or max unreadable). */
int ctw_poller_read(struct ctw_poller *p, uint64_t now_us, struct ctw_poll *out);
void ctw_poller_close(struct ctw_poller *p);

/* Open one knob for repeated reads; read it with pread at offset 0. */
int ctw_knob_open_fd(const struct ctw_knobs *k, enum ctw_knob id);
int ctw_knob_read_fd(int fd, uint64_t *out);

#endif
