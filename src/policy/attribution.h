/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whose is a "table full in netns N" kernel-log record? The kernel names a
 * namespace by its inode and reuses inodes once a namespace is gone, so the
 * inode alone does not say: the namespace's own drop counter does. On the
 * packet path a table-full record comes with one drop in the namespace that
 * logged it (nf_conntrack_core.c: __nf_conntrack_alloc() logs, and
 * nf_conntrack_in() counts NF_CT_STAT_INC_ATOMIC(state->net, drop) when that
 * allocation failed), so a namespace whose counter has not moved since a
 * record's time did not drop a packet then. (An entry created over ctnetlink
 * that meets a full table logs the same line with no drop: such records are
 * called earlier too; the usage findings still see that table.) Pure: no I/O,
 * the caller gathers the facts. docs/netns-inode-reuse.md gives the reasons. */
#ifndef CTW_ATTRIBUTION_H
#define CTW_ATTRIBUTION_H

#include <stdbool.h>
#include <stdint.h>

/* Record and namespace times are microseconds since boot: the kernel log's
 * clock (printk's local_clock), which the daemon may take as CLOCK_BOOTTIME.
 * The two may drift apart by a little: comparisons leave this much slack,
 * always towards "this namespace". */
#define CTW_ATTR_CLOCK_SLACK_USEC 1000000ULL

struct ctw_attr_record {
	uint64_t inode;        /* the netns the text names; 0: it names none */
	uint64_t usec;         /* the record's time since boot */
};

/* What is known about one namespace, now. */
struct ctw_attr_netns {
	uint64_t inode;
	bool have_drop;        /* its drop counter now (sum over CPUs) */
	uint64_t drop;
	bool have_drop_then;   /* its drop counter read earlier, at then_usec */
	uint64_t drop_then;
	uint64_t then_usec;
	bool have_born_after;  /* it did not exist yet at this time (a scan or an
				* inotify event that saw it appear): a lower bound
				* of its creation, never a first-seen time */
	uint64_t born_after_usec;
};

enum ctw_attribution {
	CTW_ATTR_UNKNOWN,      /* cannot tell: the drop counter is unknown, or the
				* record names no namespace */
	CTW_ATTR_OTHER,        /* the record names another namespace */
	CTW_ATTR_THIS,         /* this namespace logged it (as far as can be told) */
	CTW_ATTR_EARLIER,      /* an earlier namespace that had the same inode */
};

/* The rule, in order:
 *  1. the record names no netns -> UNKNOWN; another inode -> OTHER;
 *  2. older than the namespace (born_after, minus the slack) -> EARLIER;
 *  3. drop counter 0 now -> EARLIER (a fresh netns has drop 0 on every CPU,
 *     and this one never dropped a packet, so it never logged table full);
 *  4. drop counter read at then_usec <= the record's time (minus the slack)
 *     and unchanged since -> EARLIER (it dropped nothing after the record);
 *  5. drop counter > 0 -> THIS; unknown -> UNKNOWN. */
enum ctw_attribution ctw_attribute_record(const struct ctw_attr_record *rec, const struct ctw_attr_netns *ns);

/* ---- for the audit: one snapshot of this host ---------------------------- */

struct ctw_host;
struct ctw_table_full;

/* This namespace as the audit knows it: its inode and, when the statistics
 * were read, its drop counter. The audit knows no earlier reading and no
 * creation time (a netns has no cheap birth time: its nsfs inode is made
 * when first opened, not when the namespace is), so rule 3 decides. */
void ctw_attr_netns_of_host(const struct ctw_host *h, struct ctw_attr_netns *ns);

/* How many of t's table-full records name ns->inode but were logged by an
 * earlier namespace with that inode. t keeps per inode only the oldest and the
 * newest record; they are all earlier when both of those are (every rule is
 * monotonic in the record's time). 0 when they are ns's, or cannot be told. */
uint64_t ctw_table_full_earlier(const struct ctw_table_full *t, const struct ctw_attr_netns *ns);

/* The oldest and newest record times of t without the records naming inode
 * (those of an earlier namespace): *first and *last are left as they are when
 * records not kept by name (more than CTW_KMSG_MAX_NETNS inodes) may be among
 * them, or when no other record is kept. */
void ctw_table_full_span_without(const struct ctw_table_full *t, uint64_t inode, uint64_t *first, uint64_t *last);

/* "unknown", "other", "this", "earlier". */
const char *ctw_attribution_name(enum ctw_attribution a);

#endif
