/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Retiring dead entries: the rule that makes a shortened timeout true for the
 * entries already in the table. Pure: no I/O, no clock, no globals.
 *
 * The kernel sets an entry's deadline from a timeout sysctl only when a packet
 * refreshes it, so after tcp_timeout_established goes from 432000 to 3600 an
 * idle entry still has days left. Its idle time is the timeout in force at its
 * last refresh minus the time it has left. Which value was in force is not
 * known per entry: the rule takes the smallest value known to have been in
 * force that is >= the time left, which never makes an entry look idler than
 * it is as long as the list of values is complete (the daemon knows what it
 * wrote and what it found; the CLI knows the state file's originals and the
 * kernel default). Then: idle >= new value: delete (it would have expired
 * already); idle < new value: retime to new - idle. Where in doubt, keep: a
 * live flow whose entry goes is picked up mid-stream as ctstate NEW, which a
 * ruleset that drops new non-SYN packets turns into a reset. */
#ifndef CTW_POLICY_RETIRE_H
#define CTW_POLICY_RETIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/ct_entry.h"
#include "base/timeouts.h"

#define CTW_RETIRE_AGE_UNKNOWN UINT32_MAX
/* Values one timeout may have held over the entries' lives, at most. */
#define CTW_RETIRE_KNOWN_MAX 16
/* Marks and zones the config excludes (entries under an nft ct timeout policy). */
#define CTW_RETIRE_EXCLUDE_MAX 8

struct ctw_retire_rule {
	enum ctw_timeout timeout;          /* the timeout that was shortened */
	uint32_t new_s;                    /* its value now */
	uint32_t known_s[CTW_RETIRE_KNOWN_MAX]; /* every value it is known to have held (new_s among them) */
	unsigned n_known;
	uint32_t special_s;                /* longest of tcp_timeout_unacknowledged / max_retrans in force */
	/* How long new_s has been in force at most, when it was never in force
	 * (nor retimed to) before: an entry with less time left than new_s -
	 * new_age_s - 1 was not refreshed under it, so "within the new value"
	 * does not protect it. CTW_RETIRE_AGE_UNKNOWN (rule_init's default):
	 * any entry may have been. Lets a pass after a halving step delete
	 * what the previous step's pass retimed, instead of waiting for it to
	 * expire and for the kernel's garbage collector. */
	uint32_t new_age_s;
	bool retire_nat;                   /* [timeouts] retire_nat */
	struct { uint32_t value, mask; } exclude_mark[CTW_RETIRE_EXCLUDE_MAX];
	unsigned n_exclude_mark;
	uint16_t exclude_zone[CTW_RETIRE_EXCLUDE_MAX];
	unsigned n_exclude_zone;
};

/* The timeout that governs an entry now (tcp_timeout_<state> by its TCP
 * state, udp_timeout_stream for an assured UDP entry, udp_timeout otherwise,
 * icmp(v6)_timeout, generic_timeout), or -1 when none of the table's does. */
int ctw_retire_governing(const struct ctw_ct_entry *e);

/* The L4 protocol whose entries a timeout governs (IPPROTO_*), 0 for
 * generic_timeout (any protocol without a tracker of its own). */
uint8_t ctw_retire_l4proto(enum ctw_timeout t);

/* The short name of a reason to keep ("within_new", ...), for reports,
 * the journal and JSON keys; "?" for a value out of range. */
const char *ctw_retire_reason_name(enum ctw_retire_reason r);

/* A rule for `timeout` now at new_s. known_s lists the other values it held
 * (duplicates and values equal to new_s are fine); the kernel default is
 * always added. -EINVAL when new_s is 0 or too many values are given. */
int ctw_retire_rule_init(struct ctw_retire_rule *r, enum ctw_timeout timeout, uint32_t new_s,
			 const uint32_t *known_s, size_t n_known, uint32_t special_s, bool retire_nat);

/* The config's retire_exclude_mark / retire_exclude_zone into r. 0 or -EINVAL. */
int ctw_retire_rule_exclude(struct ctw_retire_rule *r, const struct ctw_config *cfg);

/* What to do with one entry under rule r. In order: another timeout governs
 * it, dying, offloaded (or no timeout), excluded, NATed (unless retire_nat),
 * TCP with unacknowledged data or time left within special_s, time left
 * within new_s, no known value covers its time left: keep. Else its idle time
 * (a lower bound: the time left is rounded down) decides: >= new_s delete,
 * else retime to new_s - idle. */
void ctw_retire_decide(const struct ctw_retire_rule *r, const struct ctw_ct_entry *e,
		       struct ctw_retire_decision *out);

/* Idle-age buckets for the audit's histogram: < 1 min, < 1 h, < 1 day,
 * >= 1 day, and unknown (no known value covers its time left). */
enum ctw_idle_bucket { CTW_IDLE_MINUTE, CTW_IDLE_HOUR, CTW_IDLE_DAY, CTW_IDLE_OLDER, CTW_IDLE_UNKNOWN,
		       CTW_IDLE__COUNT };

struct ctw_idle_histogram {
	uint64_t n[CTW_TO__COUNT][CTW_IDLE__COUNT];  /* by governing timeout */
	uint64_t entries;                             /* entries counted */
};

/* Count one entry: its idle age from the smallest of known_s[t] (per
 * timeout t, the values in force now and before) >= its time left. */
void ctw_idle_histogram_add(struct ctw_idle_histogram *h, const uint32_t known_s[CTW_TO__COUNT][CTW_RETIRE_KNOWN_MAX],
			    const unsigned n_known[CTW_TO__COUNT], const struct ctw_ct_entry *e);

#endif
