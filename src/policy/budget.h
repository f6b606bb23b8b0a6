/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory budget arithmetic, in one place: what the conntrack table costs
 * in kernel memory at a given max, with the buckets the hash really has, and
 * whether that fits in memory_budget. The daemon's raise (ctw_max_allowed in
 * bounds.c), the audit's memory finding and every remedy use these, so the
 * audit never calls over budget a max the daemon chose, and the daemon never
 * chooses one the audit would flag. Pure, saturating. */
#ifndef CTW_BUDGET_H
#define CTW_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

struct ctw_config;
struct ctw_host;
struct ctw_memory;

/* Bucket counts are rounded up to a multiple of this by the kernel
 * (nf_ct_alloc_hashtable: a page of 8-byte heads). */
#define CTW_BUCKETS_GRANULE 512

/* Buckets the kernel will use for a request (rounded up to 512, at least 512). */
uint64_t ctw_buckets_round(uint64_t buckets);

/* Buckets wanted for a given max under the configured ratio. */
uint64_t ctw_buckets_for_max(const struct ctw_config *c, uint64_t max);

/* objsize x entries + 8 x buckets, saturated at UINT64_MAX. */
uint64_t ctw_table_bytes(uint64_t objsize, uint64_t entries, uint64_t buckets);

/* The buckets the hash has once max is in place: the kernel's now, or what a
 * resize for that max brings (ctw_buckets_for_max), whichever is larger. The
 * daemon and the remedies resize only upward and to exactly that count, so
 * the hash never has more. buckets_now 0 (unknown): the resize's count. */
uint64_t ctw_budget_buckets(const struct ctw_config *c, uint64_t max, uint64_t buckets_now);

/* THE arithmetic: bytes the table takes at max entries, with
 * ctw_budget_buckets(c, max, buckets_now) buckets. objsize 0: the estimate. */
uint64_t ctw_budget_bytes_at(const struct ctw_config *c, uint64_t objsize, uint64_t max, uint64_t buckets_now);

/* memory_budget of memtotal in bytes (rounded down); UINT64_MAX when
 * memtotal is 0 (unknown: no memory limit, only max_ceiling). */
uint64_t ctw_budget_limit(const struct ctw_config *c, uint64_t memtotal);

/* ctw_budget_bytes_at(...) <= ctw_budget_limit(c, memtotal): the one test both
 * the daemon's limit and the audit's memory_over_budget finding make. */
bool ctw_budget_fits(const struct ctw_config *c, uint64_t objsize, uint64_t memtotal, uint64_t buckets_now,
		     uint64_t max);

/* Fill bytes_now, bytes_at_max, percent_of_ram_at_max from object_size and
 * memtotal_bytes, with the hash as it is now (buckets): what the report
 * shows of the present table. */
void ctw_memory_compute(struct ctw_memory *m, uint64_t count, uint64_t max, uint64_t buckets);

/* The same for an audit's snapshot, from its count, max and buckets (0 where
 * unread); nothing when its memory facts were not read. The gathering
 * (kernel/host_gather.c) reads facts only: call this after it. */
void ctw_host_memory_compute(struct ctw_host *h);

#endif
