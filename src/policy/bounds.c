/* The policy's limits on max and buckets. Pure arithmetic, saturating. */
#include "policy/bounds.h"

#include "base/conf.h"
#include "kernel/memory.h"
#include "policy/budget.h"

/* 2^64 as a double: casts of values at or above it are undefined. */
#define U64_LIMIT_D 18446744073709551616.0

#define MAX_TARGET_GRANULE 1024

static uint64_t round_up(uint64_t v, uint64_t granule)
{
	uint64_t rem = v % granule;

	if (rem == 0)
		return v;
	if (v > UINT64_MAX - (granule - rem))
		return UINT64_MAX - UINT64_MAX % granule;  /* largest multiple */
	return v + (granule - rem);
}

/* floor(d), saturated to [0, UINT64_MAX]; no libm needed. */
static uint64_t floor_u64(double d)
{
	if (!(d > 0.0))  /* also NaN */
		return 0;
	if (d >= U64_LIMIT_D)
		return UINT64_MAX;
	return (uint64_t)d;
}

static uint64_t ceil_u64(double d)
{
	uint64_t u = floor_u64(d);

	return u < UINT64_MAX && (double)u < d ? u + 1 : u;
}

uint64_t ctw_buckets_round(uint64_t buckets)
{
	if (buckets < CTW_BUCKETS_GRANULE)
		return CTW_BUCKETS_GRANULE;
	return round_up(buckets, CTW_BUCKETS_GRANULE);
}

uint64_t ctw_buckets_for_max(const struct ctw_config *c, uint64_t max)
{
	/* The config refuses ratios <= 0; fall back to one bucket per entry anyway. */
	double ratio = c->buckets_ratio > 0.0 ? c->buckets_ratio : 1.0;

	return ctw_buckets_round(floor_u64((double)max / ratio + 0.5));
}

static bool fits(const struct ctw_config *c, uint64_t objsize, uint64_t max, uint64_t budget)
{
	return ctw_table_bytes(objsize, max, ctw_buckets_for_max(c, max)) <= budget;
}

uint64_t ctw_max_allowed(const struct ctw_config *c, uint64_t objsize, uint64_t memtotal_bytes)
{
	uint64_t budget, lo, hi;

	if (memtotal_bytes == 0)
		return c->max_ceiling;
	budget = floor_u64((double)memtotal_bytes * c->memory_budget_pct / 100.0);
	if (!fits(c, objsize, 0, budget))
		return 0;
	/* The cost grows with max: binary search the largest max that fits. */
	lo = 0;
	hi = c->max_ceiling;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2 + (hi - lo) % 2;

		if (fits(c, objsize, mid, budget))
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
		target = ceil_u64((double)count * 100.0 / c->low_water_pct);
	target = round_up(target, MAX_TARGET_GRANULE);
	if (target > allowed)
		target = allowed;
	return target > current_max ? target : current_max;
}
