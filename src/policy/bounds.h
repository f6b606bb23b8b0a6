/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The limits both the audit's remedies and the daemon obey: one place computes
 * the largest max the operator's policy allows (the memory arithmetic under it
 * is budget.h). Pure. */
#ifndef CTW_BOUNDS_H
#define CTW_BOUNDS_H

#include <stdint.h>

#include "policy/budget.h"  /* the buckets a max wants, the memory it costs */

struct ctw_config;

/* Largest max allowed: min(max_ceiling, the largest max that fits in
 * memory_budget of memtotal: ctw_budget_fits() with objsize per entry and the
 * buckets the hash will have at that max, buckets_now or more when the max
 * wants a resize). memtotal 0 = unknown: only the ceiling applies.
 * buckets_now 0 = unknown: the hash is taken as sized by the ratio. */
uint64_t ctw_max_allowed(const struct ctw_config *c, uint64_t objsize, uint64_t memtotal_bytes,
			 uint64_t buckets_now);

/* A max that brings usage of count back to low_water, rounded up to a multiple
 * of 1024, clamped to [current, allowed]. Never below current. */
uint64_t ctw_max_target(const struct ctw_config *c, uint64_t count, uint64_t current_max, uint64_t allowed);

#endif
