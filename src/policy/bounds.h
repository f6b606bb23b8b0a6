/* The limits both the audit's remedies and the daemon obey: one place computes
 * the largest max and the bucket count the operator's policy allows. Pure. */
#ifndef CTW_BOUNDS_H
#define CTW_BOUNDS_H

#include <stdint.h>

struct ctw_config;

/* Bucket counts are rounded up to a multiple of this by the kernel. */
#define CTW_BUCKETS_GRANULE 512

/* Buckets the kernel will use for a request (rounded up to 512, at least 512). */
uint64_t ctw_buckets_round(uint64_t buckets);

/* Buckets wanted for a given max under the configured ratio. */
uint64_t ctw_buckets_for_max(const struct ctw_config *c, uint64_t max);

/* Largest max allowed: min(max_ceiling, what fits in memory_budget of memtotal
 * with objsize per entry plus the buckets that max would want). memtotal 0 =
 * unknown: only the ceiling applies. */
uint64_t ctw_max_allowed(const struct ctw_config *c, uint64_t objsize, uint64_t memtotal_bytes);

/* A max that brings usage of count back to low_water, rounded up to a multiple
 * of 1024, clamped to [current, allowed]. Never below current. */
uint64_t ctw_max_target(const struct ctw_config *c, uint64_t count, uint64_t current_max, uint64_t allowed);

#endif
