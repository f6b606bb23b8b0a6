/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy's limits on max: the largest max the ceiling and the memory
 * budget allow, and the max a count calls for. Pure arithmetic, saturating. */
#include "policy/bounds.h"

#include "base/conf.h"
#include "policy/u64_math.h"

#define MAX_TARGET_GRANULE 1024

uint64_t ctw_max_allowed(const struct ctw_config *c, uint64_t objsize, uint64_t memtotal_bytes,
			 uint64_t buckets_now)
{
	uint64_t lo, hi;

	if (memtotal_bytes == 0)
		return c->max_ceiling;
	if (!ctw_budget_fits(c, objsize, memtotal_bytes, buckets_now, 0))
		return 0;
	/* The cost grows with max: binary search the largest max that fits. */
	lo = 0;
	hi = c->max_ceiling;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2 + (hi - lo) % 2;

		if (ctw_budget_fits(c, objsize, memtotal_bytes, buckets_now, mid))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

uint64_t ctw_max_target(const struct ctw_config *c, uint64_t count, uint64_t current_max, uint64_t allowed)
{
	uint64_t target = UINT64_MAX;

	/* count must come to at most low_water percent of the new max. */
	if (c->low_water_pct > 0.0)
		target = ctw_ceil_u64((double)count * 100.0 / c->low_water_pct);
	target = ctw_round_up(target, MAX_TARGET_GRANULE);
	if (target > allowed)
		target = allowed;
	return target > current_max ? target : current_max;
}
