/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the running daemon believes now, for `ctwarden status` and for tests:
 * <runtime_dir>/status.json, mode 0644, replaced atomically (temp file in the
 * same directory, then rename) so that a reader never sees half a file.
 *
 * The daemon owns one struct ctw_status and keeps it current:
 *
 *	ctw_status_init(&d->st, getpid(), now_realtime_us);    (once, at start)
 *	... every poll round:
 *	d->st.updated_at_us = now_realtime_us;
 *	d->st.count = poll.count; d->st.max = poll.max; ...
 *	for each decision carried out:
 *		ctw_status_add_decision(&d->st, now_realtime_us, dec, applied);
 *	ctw_status_netns_clear(&d->st);
 *	for each watcher: ctw_status_netns_add(&d->st, &(struct ctw_status_netns){ ... });
 *	d->st.netns_watched = ...; d->st.netns_unwatchable = ...; d->st.netns_total_entries = ...;
 *	ctw_status_set_pressure(&d->st, name, inode);     (name "" or NULL: none)
 *	ctw_status_write(d->cfg.runtime_dir, &d->st);
 *	... at a clean exit:
 *	ctw_status_remove(d->cfg.runtime_dir);
 *
 * Times are wall-clock microseconds since the epoch (CLOCK_REALTIME), written
 * as ISO 8601 UTC with milliseconds ("2026-11-22T10:15:30.123Z"). A value
 * that is not known is JSON null, never 0. */
#ifndef CTW_STATUS_H
#define CTW_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/conf.h"
#include "kernel/netns.h"
#include "policy/policy.h"

struct json_object;

#define CTW_STATUS_FILE_NAME "status.json"
#define CTW_STATUS_VERSION 1
#define CTW_STATUS_FILE_MAX (64 * 1024)  /* a full one is under 16 KiB */
#define CTW_STATUS_DECISIONS 16          /* the ring of last decisions */
#define CTW_STATUS_TOP_N 5               /* entries per top-talker list */
#define CTW_STATUS_KEY_MAX 64            /* an IPv6 address, "udp/53", ... */
#define CTW_STATUS_KIND_MAX 32
#define CTW_STATUS_KNOB_MAX 64
#define CTW_STATUS_YIELDED_MAX 16        /* more knobs than ctwarden manages */
#define CTW_STATUS_NETNS_MAX 32          /* namespaces listed; the rest only in the totals */
#define CTW_STATUS_RETIRE_MAX 8          /* retirement passes listed: the last one per namespace */

/* The status is stale (daemon hung or gone) when not updated for
 * max(this, CTW_STATUS_STALE_POLLS poll intervals). */
#define CTW_STATUS_STALE_MIN_US (10ULL * 1000 * 1000)
#define CTW_STATUS_STALE_POLLS 10

struct ctw_status_decision {
	uint64_t at_us;                       /* wall clock */
	char kind[CTW_STATUS_KIND_MAX];       /* ctw_decision_kind_name(): "raise_max", "usage_critical" */
	char knob[CTW_STATUS_KNOB_MAX];       /* "nf_conntrack_max", a timeout; "" for alerts (JSON null) */
	uint64_t old_value;                   /* alerts: the count then */
	uint64_t new_value;                   /* alerts: the max then */
	bool applied;                         /* the kernel has new_value (false in advise mode) */
	char reason[CTW_REASON_MAX];
};

/* One heavy hitter: key is what the list is about (an address, or
 * "proto/port" for ports), count the flows attributed to it, percent its share
 * of the flows counted (the top-K module's estimates). */
struct ctw_status_talker {
	char key[CTW_STATUS_KEY_MAX];
	uint64_t count;
	double percent;
};

struct ctw_status_top {
	unsigned n;                           /* [0, n) used, largest first */
	struct ctw_status_talker t[CTW_STATUS_TOP_N];
};

/* One watched network namespace. Its usage is count over the top-level max
 * (nf_conntrack_max is global). */
struct ctw_status_netns {
	char name[CTW_NETNS_NAME_MAX];        /* "host", a /run/netns name, "docker 1a2b3c4d5e6f", "pid N" */
	uint64_t inode;                       /* 0: unknown (null) */
	uint64_t count;                       /* entries */
	bool have_rates;                      /* false: the three rates null */
	double new_per_s, destroy_per_s, growth_per_s;
	bool have_time_to_full;               /* false: not growing, or unknown (null) */
	double time_to_full_s;
	uint64_t drops, early_drops;          /* since the daemon began watching it */
	bool have_events;                     /* false: not subscribed ("events" null) */
	uint64_t events_new, events_destroy, events_overruns;
};

/* A retirement pass (daemon_retire.c): the last one of a namespace, running
 * or ended. Counts are what it did so far (dry run: would do). */
struct ctw_status_retire {
	char netns[CTW_NETNS_NAME_MAX];
	uint64_t inode;
	char timeout[CTW_STATUS_KNOB_MAX];    /* "tcp_timeout_established" */
	uint64_t old_s, new_s;
	bool running;                         /* false: ended (ended_at set) */
	bool dry_run;                         /* advise mode: counted, nothing changed */
	char outcome[CTW_STATUS_KIND_MAX];    /* "done", "superseded", "failed", "running" */
	uint64_t started_at_us, ended_at_us;  /* wall clock; ended 0 while running (null) */
	uint64_t seen, deleted, retimed, skipped, gone, failed;
	uint64_t oldest_idle_s;
	double duration_s;
	double max_poll_gap_s;                /* the longest gap between poll rounds meanwhile */
};

struct ctw_status {
	pid_t pid;
	uint64_t started_at_us, updated_at_us;  /* wall clock */
	uint64_t poll_interval_us;              /* the daemon's, for the staleness check */
	enum ctw_mode mode;
	enum ctw_level level;                   /* the policy's alert level */
	char config[CTW_CONF_PATH_MAX];         /* where the policy came from (ctw_config.source) */

	/* The fullest watched netns: the limit is per netns. */
	uint64_t count;
	uint64_t max;                           /* 0: unlimited (usage_percent null) */
	uint64_t buckets;                       /* 0: unknown (null) */
	char fullest_netns[CTW_NETNS_NAME_MAX]; /* "host", a /run/netns name, "pid N" */
	uint64_t fullest_inode;                 /* 0: unknown (null) */
	unsigned netns_watched;
	uint64_t drops;                         /* packets dropped since the daemon started */

	bool have_rates;                        /* false: all three null */
	double new_per_s, destroy_per_s, growth_per_s;
	bool have_time_to_full;                 /* false: not growing, or unknown (null) */
	double time_to_full_s;

	bool have_events;                       /* false: not subscribed (all null) */
	uint64_t events_new, events_destroy, events_overruns;
	uint64_t receive_buffer_bytes;          /* the netlink socket's buffer now */
	uint64_t events_count;                  /* entries by the events (own netns), re-anchored
						 * on the kernel's count every poll and after an overrun */

	/* Ring of the last CTW_STATUS_DECISIONS decisions; read it with
	 * ctw_status_decision(). */
	unsigned n_decisions;                   /* how many are stored (at most the ring size) */
	unsigned next_decision;                 /* slot the next one goes to */
	struct ctw_status_decision decisions[CTW_STATUS_DECISIONS];

	struct ctw_status_top top_sources, top_destinations, top_ports;

	/* Every namespace: netns_watched above, those seen but not watchable
	 * (open or setns failed, fd limit), and the entries of all watched ones.
	 * Set by the daemon; a reader keeps n_netns <= netns_watched. */
	unsigned netns_unwatchable;
	uint64_t netns_total_entries;
	/* The fullest CTW_STATUS_NETNS_MAX watched namespaces, count descending
	 * (fullest first); fill with ctw_status_netns_clear() and _add(). */
	unsigned n_netns;
	struct ctw_status_netns netns[CTW_STATUS_NETNS_MAX];
	/* The namespace the policy acts on now (shortest time to full, else the
	 * fullest); "" when none. Set with ctw_status_set_pressure(). */
	/* Knobs the daemon leaves alone since they were changed outside it
	 * (on_outside_change = yield), by sysctl name. */
	unsigned n_yielded;
	char yielded[CTW_STATUS_YIELDED_MAX][CTW_STATUS_KNOB_MAX];
	char pressure_netns[CTW_NETNS_NAME_MAX];
	uint64_t pressure_inode;                /* 0: unknown (null) */
	/* The last retirement pass of up to CTW_STATUS_RETIRE_MAX namespaces,
	 * newest last; set with ctw_status_retire_put(). */
	unsigned n_retire;
	struct ctw_status_retire retire[CTW_STATUS_RETIRE_MAX];
};

/* Zero everything, then set who and when. */
void ctw_status_init(struct ctw_status *st, pid_t pid, uint64_t started_at_us);

/* Remember a decision the daemon carried out (or advised, or said), dropping
 * the oldest when the ring is full. */
void ctw_status_add_decision(struct ctw_status *st, uint64_t at_us, const struct ctw_decision *d, bool applied);
/* The same for a decision already in status form (strings are truncated to fit). */
void ctw_status_push_decision(struct ctw_status *st, const struct ctw_status_decision *d);
/* The i-th most recent decision (0 = newest), NULL when i >= n_decisions. */
const struct ctw_status_decision *ctw_status_decision(const struct ctw_status *st, unsigned i);

/* Add a talker to a top list (ignored when the list is full); keys are
 * truncated to fit. The caller adds them largest first. */
void ctw_status_top_add(struct ctw_status_top *top, const char *key, uint64_t count, double percent);

/* Empty the namespace list (n_netns 0); the totals and the pressure stay. */
void ctw_status_netns_clear(struct ctw_status *st);
/* Add a watched namespace, keeping the list sorted by count, largest first
 * (after those with the same count already there), and bounded: when full,
 * the smallest is dropped (the new one, if it is not larger). The name is
 * copied, cut between UTF-8 characters to fit, invalid UTF-8 and control
 * characters replaced by '?'. */
void ctw_status_netns_add(struct ctw_status *st, const struct ctw_status_netns *n);
/* The namespace under pressure, its name cleaned like netns_add's; name NULL
 * or "" and inode 0: none. */
void ctw_status_set_pressure(struct ctw_status *st, const char *name, uint64_t inode);

/* Record a namespace's retirement pass: replaces the one of the same inode
 * (the pass goes on or ended), else is added, dropping the oldest when full. */
void ctw_status_retire_put(struct ctw_status *st, const struct ctw_status_retire *r);

/* The status as a json-c object (the caller puts it), NULL when out of
 * memory. Pure. Decisions are newest first. */
struct json_object *ctw_status_to_json(const struct ctw_status *st);

/* Parse status JSON text (as written by ctw_status_write) into *out. 0, or
 * -EBADMSG with err saying what is wrong (without the file name), -ENOMEM.
 * Unknown keys are ignored (a newer daemon may add some). Pure. */
int ctw_status_parse(const char *text, size_t len, struct ctw_status *out, char *err, size_t errlen);

/* "<runtime_dir>/status.json" into buf. 0 or -ENAMETOOLONG. */
int ctw_status_path(const char *runtime_dir, char *buf, size_t len);

/* Write <runtime_dir>/status.json atomically, mode 0644 whatever the umask,
 * through a fixed temp name in the same directory (".status.json.tmp": one
 * writer per runtime_dir, the run lock sees to that). Creates runtime_dir
 * (0755) if missing. On failure the previous file is intact and the temp
 * file removed. No fsync: the file describes the running daemon only.
 * 0 or -errno; logs nothing. */
int ctw_status_write(const char *runtime_dir, const struct ctw_status *st);

/* Delete <runtime_dir>/status.json at a clean exit, so that `ctwarden status`
 * says "not running" rather than "stale". A missing file is fine. 0 or -errno. */
int ctw_status_remove(const char *runtime_dir);

/* Read and parse a status file. text (textlen >= CTW_STATUS_FILE_MAX + 1
 * recommended) receives the file's text, NUL-terminated, for --json. 0, or
 * -ENOENT (no file), -EFBIG, -EBADMSG (err says why), -errno. */
int ctw_status_load(const char *path, struct ctw_status *out, char *text, size_t textlen,
		    char *err, size_t errlen);

/* How old a status may get before it is stale, for a daemon polling every
 * poll_interval_us. */
uint64_t ctw_status_stale_after_us(uint64_t poll_interval_us);
/* True when the status was last updated more than ctw_status_stale_after_us()
 * before now_us (wall clock). A time in the future is not stale. */
bool ctw_status_is_stale(const struct ctw_status *st, uint64_t now_us);

/* Wall-clock microseconds as ISO 8601 UTC with milliseconds; false when it
 * does not fit. And back: false unless the text is exactly that format
 * (the fraction optional). */
bool ctw_status_format_time(uint64_t us, char *buf, size_t len);
bool ctw_status_parse_time(const char *s, uint64_t *us);

/* Names used in the JSON. */
const char *ctw_status_mode_name(enum ctw_mode mode);    /* "enforce", "advise" */

#endif
