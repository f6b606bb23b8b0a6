/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One watched network namespace. The table limit is checked per netns, so
 * each one the daemon can see gets a watcher: its count file, its statistics
 * socket and (optionally) its conntrack event socket, all opened inside it so
 * they keep reading it from here, and what the daemon derives from them:
 * growth, NEW/DESTROY rates, time to full, who fills the table.
 *
 *	ctw_watcher_open(&w, &ref, knobs, &opts);         (setns into ref, once)
 *	ctw_watcher_attach(w, event, on_pressure, ud);    (event socket on the loop)
 *	every poll:
 *		ctw_watcher_read_count(w, now);
 *		ctw_watcher_read_counters(w, now, due, &drops, &early);
 *		ctw_watcher_anchor(w);
 *	ctw_watcher_summary(w, max, &s);                  (status, alerts)
 *	ctw_watcher_close(w);
 *
 * A watcher never calls the daemon: pressure seen between polls (events
 * projecting a full table, lost events) is passed to the on_pressure
 * callback the owner gave. */
#ifndef CTW_WATCHER_H
#define CTW_WATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "base/heap.h"
#include "base/topk.h"
#include "kernel/events.h"
#include "kernel/knobs.h"
#include "kernel/netns.h"
#include "kernel/stats.h"
#include "daemon/actuator.h"
#include "policy/policy.h"
#include "policy/pressure.h"
#include "policy/rates.h"
#include "policy/retire.h"

/* Time constant of the poll-derived growth rate. */
#define CTW_GROWTH_TAU_US (1000ULL * 1000)
/* The top talkers describe the recent past: counts halve this often. */
#define CTW_WATCHER_TOP_HALF_LIFE_US (60ULL * 1000 * 1000)
#define CTW_WATCHER_TOP_CAPACITY 256
/* Pressure callbacks from events are at least this far apart. */
#define CTW_WATCHER_PRESSURE_MIN_US (10ULL * 1000)

struct ctw_watcher;

/* Called from the event loop when events project the table full within the
 * horizon, or were lost (the derived count needs the kernel's). */
typedef void (*ctw_watcher_pressure_fn)(struct ctw_watcher *w, uint64_t now_us, void *ud);

struct ctw_watcher_opts {
	bool own;                    /* the daemon's own netns: no setns, procfs fallback allowed */
	bool netlink;                /* read counters over ctnetlink (false on a fixture root) */
	bool events;                 /* subscribe to NEW/DESTROY events in it */
	uint64_t rcvbuf, rcvbuf_max; /* event socket buffer, and how far it may grow */
	unsigned event_batch;        /* events handled per wakeup */
	struct ctw_events_batch *batch; /* receive area shared by all watchers (NULL: own) */
	double high_water_pct;       /* pressure thresholds for the event path */
	uint64_t horizon_us;
};

struct ctw_watcher_summary {
	uint64_t count;              /* the kernel's count at the last poll */
	double growth_per_s;         /* best known net growth (events, else polls) */
	bool have_rates;             /* from events */
	double new_per_s, destroy_per_s;
	bool have_time_to_full;      /* growing: time until count reaches max */
	double time_to_full_s;
	bool have_events;
	struct ctw_event_counts events;
	uint64_t events_count;       /* count derived from events, re-anchored on polls */
	uint64_t drops, early_drops; /* since the watch began */
};

struct ctw_watcher {
	struct ctw_netns_ref ref;
	struct ctw_watcher_opts opts;
	const struct ctw_knobs *knobs;
	int count_fd;
	struct ctw_stats_nl *nl;     /* NULL: counters from procfs (own netns only) or none */

	/* From polls. */
	uint64_t count;              /* at the last poll */
	uint64_t count_at_us;        /* when it was read (0: never) */
	double growth_per_s;         /* smoothed net growth of count */
	bool have_prev;
	struct ctw_counters prev;
	uint64_t counters_at_us;     /* when the counters were last read */
	uint64_t drops, early_drops; /* totals since the watch began */
	uint64_t last_max;           /* the max at the last poll, for event-time projections */

	/* From events. */
	struct ctw_events *events;   /* NULL: not subscribed */
	sd_event *loop;
	sd_event_source *events_source, *events_resume;
	bool events_failing;
	struct ctw_rates rates;
	struct ctw_top top;
	bool top_ready;
	uint64_t top_halved_us, pressure_at_us;
	ctw_watcher_pressure_fn on_pressure;
	void *ud;

	/* Its timeouts, decided by the policy's timeout rules for this namespace
	 * alone (daemon_timeouts.c); ready once seeded from the state file. */
	bool tpol_ready;
	struct ctw_policy_state tpol;
	struct ctw_backoff timeout_backoff[CTW_TO__COUNT];

	/* Retirement (daemon_retire.c): every value each timeout is known to
	 * have held here (written, read, the recorded original), a step whose
	 * pass is still to start, and what the passes did. */
	uint32_t timeout_known_s[CTW_TO__COUNT][CTW_RETIRE_KNOWN_MAX];
	uint8_t n_timeout_known[CTW_TO__COUNT];
	/* When each value was first written here by us (CLOCK_MONOTONIC), 0
	 * when it may have been in force earlier (seen, original, or a pass
	 * already retimed entries to it): lets the rule tell entries that
	 * cannot have been refreshed under a brand-new value. */
	uint64_t timeout_known_since_us[CTW_TO__COUNT][CTW_RETIRE_KNOWN_MAX];
	uint64_t retire_not_before_us[CTW_TO__COUNT]; /* history incomplete until then (UINT64_MAX: for good) */
	bool retire_due;
	bool retire_due_dry_run;
	enum ctw_timeout retire_due_timeout;
	uint64_t retire_due_old_s, retire_due_new_s;
	uint64_t retire_advised_new_s[CTW_TO__COUNT]; /* advise mode: the value a dry run was last made for */
	uint64_t retired_deleted[CTW_TO__COUNT], retired_retimed[CTW_TO__COUNT];
	bool retire_touched[CTW_TO__COUNT];     /* a pass ran for it: its counters are published */
	bool have_retire_duration;
	double retire_last_duration_s;

	uint64_t next_poll_us;       /* its own schedule (policy/poll_schedule.h) */
	bool have_summary;           /* summary as of its last read, against summary_max */
	struct ctw_watcher_summary summary;
	uint64_t summary_max;
	bool poll_now;               /* events saw pressure: read it at the next round */
	bool seen;                   /* found by the last discovery */
	bool named_by_process;       /* a process in it was asked for a pod name (once) */

	/* Its places in the poller (poller.c): the schedule, by next_poll_us, and
	 * the pressure order, by the key of its last summary; the list of those
	 * the timeout pass visits every round. */
	uint64_t seq;                /* order of watching: ties go to the first watched */
	struct ctw_heap_node due_node, pressure_node;
	struct ctw_pressure_key pressure;
	unsigned tended_at;          /* index + 1 in the poller's tended list, 0: not in it */
};

/* Open what the watcher reads, inside ref's netns (in place when opts->own).
 * -errno when the count file cannot be opened there (no conntrack, no
 * permission, the netns is gone); a missing statistics or event socket is not
 * an error (note says so, "" otherwise). *out is set only on success. */
int ctw_watcher_open(struct ctw_watcher **out, const struct ctw_netns_ref *ref, const struct ctw_knobs *k,
		     const struct ctw_watcher_opts *opts, char *note, size_t notelen);
/* Put the event socket on the loop. 0 or -errno. */
int ctw_watcher_attach(struct ctw_watcher *w, sd_event *loop, ctw_watcher_pressure_fn on_pressure, void *ud);
void ctw_watcher_close(struct ctw_watcher *w);

/* Read the count and update the growth rate. 0 or -errno. */
int ctw_watcher_read_count(struct ctw_watcher *w, uint64_t now_us);
/* Read the kernel's counters (when due) and add the drops since the last
 * read to *drops and *early_drops. 0, -EAGAIN when not due, or -errno. */
int ctw_watcher_read_counters(struct ctw_watcher *w, uint64_t now_us, bool due, uint64_t *drops,
			      uint64_t *early_drops);
/* The drop counter now (sum over CPUs), read without moving the poll's
 * baseline. 0 or -errno (no statistics socket: -ENOTCONN). */
int ctw_watcher_peek_drops(const struct ctw_watcher *w, uint64_t *drop);
/* Re-anchor the event-derived count on the kernel's count of the last poll,
 * and remember max for projections between polls. */
void ctw_watcher_anchor(struct ctw_watcher *w, uint64_t max);

/* What the watcher knows now, with time to full against max. */
void ctw_watcher_summary(const struct ctw_watcher *w, uint64_t max, struct ctw_watcher_summary *s);
/* "top sources: ...; top ports: ..." from recent NEW events, "" when none. */
void ctw_watcher_top_line(const struct ctw_watcher *w, char *buf, size_t len);
/* Whether the event counters moved since they were last summarized as c. */
bool ctw_watcher_events_moved(const struct ctw_watcher *w, const struct ctw_event_counts *c);

#endif
