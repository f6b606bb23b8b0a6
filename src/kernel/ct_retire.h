/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A retirement pass over one network namespace's table: one ctnetlink dump,
 * and for each entry the caller's decision carried out by tuple and zone
 * (deletes carry the dumped CTA_ID, so a newer flow that reused the tuple
 * since is never deleted; updates carry only tuple, zone and timeout).
 * Requests go in batches, many per sendmsg and without per-message acks; only
 * failures reply, matched to their entry by sequence number. Memory is fixed
 * at open, whatever the size of the table: nothing is kept per entry.
 *
 * The pass runs in slices so a daemon's loop keeps polling: open it (inside
 * the namespace: its sockets stay bound to it), then step it with a time
 * budget until it says done, from wherever the caller is. */
#ifndef CTW_CT_RETIRE_H
#define CTW_CT_RETIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ct_entry.h"
#include "base/topk.h"

/* The caller's rule: what to do with one dumped entry. */
typedef void (*ctw_retire_decide_fn)(void *ud, const struct ctw_ct_entry *e, struct ctw_retire_decision *out);

struct ctw_retire_report {
	uint64_t seen;                 /* entries the dump returned (of opts.l4proto / family) */
	uint64_t deleted;              /* delete requests the kernel did not refuse */
	uint64_t retimed;
	uint64_t gone;                 /* ENOENT: went away (or was replaced) since the dump: normal */
	uint64_t failed;               /* other errors from the kernel */
	uint64_t kept[CTW_RETIRE_REASON__COUNT];
	uint32_t oldest_idle_s;        /* the largest idle time among retired entries */
	bool interrupted;              /* NLM_F_DUMP_INTR: the table changed during the dump (normal) */
	int first_error;               /* -errno of the first failure, 0 when none */
};

struct ctw_ct_retire;

struct ctw_ct_retire_opts {
	uint8_t l4proto;               /* only this L4 protocol; 0 = all */
	/* AF_INET or AF_INET6: only that family, and then the kernel filters by
	 * l4proto itself (5.8+; it wants one family per filtered dump). 0: both
	 * families in one unfiltered dump, l4proto filtered here: every dump
	 * walks the whole hash table, shared by all namespaces (~90 ms at 262144
	 * buckets here), so one walk beats two filtered ones. */
	uint8_t family;
	bool dry_run;                  /* decide and count, change nothing: deleted and retimed
					* then count what would be (gone and failed stay 0) */
	struct ctw_top *top;           /* when set: what was (or would be) retired is counted here */
};

/* Open a pass in the caller's current netns. 0 or -errno (-EPERM without
 * CAP_NET_ADMIN, -ENOMEM). */
int ctw_ct_retire_open(struct ctw_ct_retire **out, const struct ctw_ct_retire_opts *opts,
		       ctw_retire_decide_fn decide, void *ud);

/* Work for at most budget_us (0: until done). 1 when the pass is done, 0 when
 * there is more, -errno when it failed (the report says how far it got).
 * The pass's dump socket is readable when there is more to do. */
int ctw_ct_retire_step(struct ctw_ct_retire *p, uint64_t budget_us);

/* The dump socket, to wait on between slices. */
int ctw_ct_retire_fd(const struct ctw_ct_retire *p);

const struct ctw_retire_report *ctw_ct_retire_report(const struct ctw_ct_retire *p);

/* Ends the pass, finished or not (a superseded pass just closes). */
void ctw_ct_retire_close(struct ctw_ct_retire *p);

/* Pure, for the pass, the audit and the tests: one dump entry message into *e.
 * 0, -ENOENT when it is not an IPv4/IPv6 entry, -EINVAL when malformed. */
int ctw_ct_entry_parse(const void *msg, size_t len, struct ctw_ct_entry *e);

#endif
