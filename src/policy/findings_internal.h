/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the findings files share: one evaluation's inputs and the helpers
 * that build a finding (message, remedy commands). Private to
 * src/policy/findings_*.c; the interface is findings.h. */
#ifndef CTW_FINDINGS_INTERNAL_H
#define CTW_FINDINGS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/knob_names.h"
#include "kernel/host.h"
#include "policy/findings.h"

#define SYSCTL_D_FILE "/etc/sysctl.d/90-ctwarden.conf"
#define MODPROBE_D_FILE "/etc/modprobe.d/nf_conntrack.conf"
#define READONLY_PREFIX "# run on the host (initial network namespace):"
#define RESIZE_NOTE "# a resize stops inserts while it rehashes: run at a quiet time"

/* One evaluation: the inputs and the values several findings share. */
struct eval {
	const struct ctw_host *h;
	const struct ctw_config *c;
	struct ctw_findings *out;
	bool have_usage;       /* count and a non-zero max known */
	double usage;          /* percent of max */
	uint64_t objsize;
	uint64_t memtotal;     /* 0 unknown */
	uint64_t buckets_now;  /* the kernel's, 0 unknown */
	uint64_t allowed;      /* ctw_max_allowed() */
	uint64_t drops, early_drops, chaintoolong;
	uint64_t earlier;      /* table-full records of an earlier netns with this inode */
	const char *raise_code;/* the finding that carries the "raise max" remedy */
};

/* findings_build.c: a new finding (NULL when the list is full), whole
 * sentences of its message, whole lines of its remedy. */
struct ctw_finding *finding_new(struct eval *e, enum ctw_severity sev, const char *code);
void msg_add(struct ctw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void remedy_add(struct ctw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The remedies: where to run them, sysctl -w plus its sysctl.d line, a hash
 * resize, a new max (with the resize its ratio needs). */
void remedy_global_prefix(const struct eval *e, struct ctw_finding *f);
void remedy_sysctl(struct ctw_finding *f, enum ctw_knob knob, uint64_t value);
void remedy_set_buckets(const struct eval *e, struct ctw_finding *f, uint64_t buckets);
bool ratio_exceeded(const struct eval *e, uint64_t max, uint64_t buckets);
void remedy_set_max(const struct eval *e, struct ctw_finding *f, uint64_t max);

/* findings_usage.c: usage and drops; a table full in the past gets the raise. */
void raise_for_past_full(struct eval *e, struct ctw_finding *f);
void judge_usage(struct eval *e);
void judge_drops(struct eval *e);

/* findings_kmsg.c: table full and expectation table full in the kernel log. */
void judge_kmsg(struct eval *e);

/* findings_memory.c: the hash's ratio and chains, memory over budget. */
void judge_hash(struct eval *e);
void judge_memory(struct eval *e);

/* findings_timeouts.c: the established timeout and NOTRACK for a dominant port. */
uint64_t established_suggested(const struct eval *e);
bool established_too_long(const struct eval *e);
bool notrack_applies(const struct eval *e);
void remedy_notrack(struct ctw_finding *f, uint8_t proto, uint16_t port);
void judge_established(struct eval *e);
void judge_notrack(struct eval *e);

/* findings_stale.c: a full table mostly idle past the floors (audit --top). */
void judge_stale(struct eval *e);

#endif
