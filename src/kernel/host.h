/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Everything the audit knows about this host's connection tracking: a snapshot
 * gathered once (host_gather.c, I/O), judged by findings.c (pure). */
#ifndef CTW_HOST_H
#define CTW_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/kmsg.h"
#include "kernel/memory.h"
#include "kernel/stats.h"
#include "base/timeouts.h"

struct ctw_knobs;
struct ctw_config;
struct ctw_ct_top;
struct ctw_table_idle;

#define CTW_MAX_NOTES 12
#define CTW_NOTE_LEN 256

/* A bounded sample of the table (first entries of a netlink dump): which
 * destination port dominates. Cost does not grow with the table. */
struct ctw_port_sample {
	bool taken;
	uint64_t sampled;        /* entries looked at */
	uint8_t top_proto;       /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t top_port;
	uint64_t top_count;      /* entries with that proto/port in the sample */
};

/* The kernel log's clock, read once at gather time, so that judging and
 * reporting read no clock: a record stamped usec after boot happened at
 * boot_wall_us + usec (stamps past uptime_us, from skew or bogus input, mean
 * "now"). CLOCK_BOOTTIME: printk stamps records with local_clock()
 * (sched_clock), which on hardware whose sched_clock runs on in suspend (x86
 * with a nonstop TSC: servers and VMs) tracks CLOCK_BOOTTIME; CLOCK_MONOTONIC
 * would place every record after a suspend early by the time slept. It is
 * also the clock of "dmesg -T", so times match what an admin sees there. */
struct ctw_kmsg_clock {
	bool known;
	int64_t boot_wall_us;     /* CLOCK_REALTIME - CLOCK_BOOTTIME, microseconds */
	uint64_t uptime_us;       /* CLOCK_BOOTTIME */
};

struct ctw_host {
	bool loaded;              /* nf_conntrack present */
	bool global_writable;     /* initial netns: max/buckets writable here */
	uint64_t self_netns_inode;/* this process's netns (0 unknown), to mark "this netns" in kmsg records */
	bool have_count, have_max, have_buckets;
	uint64_t count, max, buckets;

	bool have_stats;
	struct ctw_stats stats;

	bool have_memory;
	struct ctw_memory memory;  /* facts; bytes_* by ctw_host_memory_compute (policy/budget.h) */

	bool have_kmsg;
	bool kmsg_not_needed;     /* not read: the answer did not need it (ctw_findings_want_kernel_log) */
	struct ctw_table_full table_full;
	struct ctw_kmsg_clock kmsg_clock;

	bool have_timeout[CTW_TO__COUNT];
	uint64_t timeout[CTW_TO__COUNT];

	struct ctw_port_sample ports;

	/* `audit --top`: the breakdown of one full dump (NULL when not asked for
	 * or not permitted), shown top_n rows per dimension. Set by the caller
	 * after ctw_host_gather; the host does not own it. */
	const struct ctw_ct_top *top;
	unsigned top_n;
	/* The same dump's idle ages (policy/retire_idle.h), NULL without --top. */
	const struct ctw_table_idle *idle;

	/* What could not be read, and why (said in the report). */
	char notes[CTW_MAX_NOTES][CTW_NOTE_LEN];
	unsigned n_notes;
};

void ctw_host_note(struct ctw_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Gather the snapshot. use_netlink: ask the kernel over ctnetlink (only when the
 * root is the real "/"). Never walks the whole table, takes no sample and does
 * not read the kernel log. */
void ctw_host_gather(struct ctw_host *h, const struct ctw_knobs *k, bool use_netlink);

/* Count the table-full records of the kernel log into h->table_full (one
 * syslog(2) call on the live kernel, else the root's dev/kmsg); a failure is
 * a note. The caller decides whether the answer needs it (policy/findings.h:
 * ctw_findings_want_kernel_log): the kernel formats every retained record,
 * ~1.5 us each, more than all the rest of an audit on a long log. */
void ctw_host_read_kernel_log(struct ctw_host *h, const struct ctw_knobs *k, bool live);

/* Take the bounded port sample (the first entries of a ctnetlink dump) into
 * h->ports; a failure is a note. The caller decides whether the answer needs
 * it (policy/findings.h: ctw_findings_want_sample): it is the audit's one
 * cost that the kernel's formatting of entries makes large. */
void ctw_host_sample(struct ctw_host *h);

/* usage in percent of max; 0 when max is 0 or unknown. */
double ctw_host_usage_pct(const struct ctw_host *h);

#endif
