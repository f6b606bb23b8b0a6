/* SPDX-License-Identifier: GPL-2.0-or-later */
/* struct ctw_daemon: everything the running daemon owns (after systemd-oomd's
 * Manager): the sd-event loop and its sources, the config, the poller with
 * one watcher per namespace, the policy's memory, the actuator, the journal
 * and the status file. Only the daemon's own files include it. */
#ifndef CTW_MANAGER_H
#define CTW_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "base/conf.h"
#include "base/prom.h"
#include "daemon/actuator.h"
#include "output/journal.h"
#include "daemon/poller.h"
#include "output/status.h"
#include "kernel/knobs.h"
#include "policy/outside.h"
#include "policy/policy.h"

struct ctw_netns_watch;
struct ctw_http;
struct ctw_retire_run;

struct ctw_daemon {
	sd_event *event;
	sd_event_source *poll_timer;
	sd_event_source *kmsg_source;

	const char *version;          /* the program's, for build_info (set by the caller) */
	const char *config_path;
	bool config_explicit;
	struct ctw_config cfg;

	struct ctw_knobs knobs;
	bool live;                    /* root is "/": netlink and namespaces usable */
	bool global_writable;         /* in the initial netns: max and buckets are ours to
				       * write (read once: a path lookup under /proc/sys
				       * costs O(namespaces) in the kernel's dcache) */
	struct ctw_poller poller;     /* the global knobs and one watcher per netns */
	struct ctw_netns_watch *netns_watch; /* inotify on namespace dirs, the sentinel */
	uint64_t nofile_limit;        /* RLIMIT_NOFILE after raising it */
	struct ctw_actuator actuator;
	struct ctw_policy_state policy;
	struct ctw_journal journal;

	uint64_t objsize, memtotal;   /* memory facts, read at start and on reload */
	bool ready;                   /* READY=1 sent after the first good poll */
	bool fatal_said;              /* run failed and said why: the caller adds nothing */
	bool poll_failing;            /* the last poll failed (said once) */
	int poll_error;               /* why, as -errno, while poll_failing */
	uint64_t last_good_poll_us;   /* CLOCK_MONOTONIC time of the last good round; 0: none yet */
	uint64_t drops_total;         /* drops seen since start, for STATUS */
	char status[512];             /* last STATUS= sent */

	struct ctw_knob_claim claims[CTW_KNOB__COUNT]; /* outside changes (daemon_outside.c) */
	uint64_t yield_said[CTW_KNOB__COUNT];          /* the held-back value last said, per knob */

	/* Prometheus textfile (daemon_metrics.c). */
	struct ctw_prom metrics;
	bool metrics_ready, metrics_dirty, metrics_failing;
	bool metrics_good;                        /* the buffer holds a whole exposition */
	uint64_t metrics_fingerprint, metrics_written_us;
	uint64_t metrics_counts[CTW_EV__COUNT];   /* decisions_total by kind */
	bool limit_reached;                       /* wanted to raise, a limit said no */
	double last_poll_wall_s, last_poll_duration_s;

	struct ctw_http *http;        /* the endpoint ([metrics] listen, daemon_http.c); NULL when off */
	/* Retirement passes running now, one per namespace at most (daemon_retire.c). */
	struct ctw_retire_run **retire_runs;
	unsigned n_retire_runs, cap_retire_runs;
	uint64_t last_round_us;       /* the previous poll round, for the passes' worst gap */
	uint64_t retire_gap_inode;    /* a pass ended there since: the next gap is its too */

	struct ctw_status status_file;/* what `ctwarden status` reads */
	bool status_dirty;            /* a decision since the last write */
	bool status_failing;          /* the last write failed (said once) */
	uint64_t status_written_us;
	bool status_netns_filled;     /* the status's namespace list, as of poller.changes */
	uint64_t status_netns_changes, status_netns_max;
};

#endif
