/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory budget arithmetic: the hash's bucket count for a max, the
 * table's bytes, the budget, and the one test whether a max fits. Pure. */
#include "policy/budget.h"

#include "base/conf.h"
#include "kernel/host.h"
#include "kernel/memory.h"
#include "policy/u64_math.h"

uint64_t ctw_buckets_round(uint64_t buckets)
{
	if (buckets < CTW_BUCKETS_GRANULE)
		return CTW_BUCKETS_GRANULE;
	return ctw_round_up(buckets, CTW_BUCKETS_GRANULE);
}

uint64_t ctw_buckets_for_max(const struct ctw_config *c, uint64_t max)
{
	/* The config refuses ratios <= 0; fall back to one bucket per entry anyway. */
	double ratio = c->buckets_ratio > 0.0 ? c->buckets_ratio : 1.0;

	return ctw_buckets_round(ctw_floor_u64((double)max / ratio + 0.5));
}

uint64_t ctw_table_bytes(uint64_t objsize, uint64_t entries, uint64_t buckets)
{
	return ctw_sat_add(ctw_sat_mul(objsize, entries), ctw_sat_mul(CTW_BUCKET_BYTES, buckets));
}

uint64_t ctw_budget_buckets(const struct ctw_config *c, uint64_t max, uint64_t buckets_now)
{
	uint64_t resized = ctw_buckets_for_max(c, max);

	return buckets_now > resized ? buckets_now : resized;
}

uint64_t ctw_budget_bytes_at(const struct ctw_config *c, uint64_t objsize, uint64_t max, uint64_t buckets_now)
{
	return ctw_table_bytes(objsize ? objsize : CTW_OBJSIZE_ESTIMATE, max,
			       ctw_budget_buckets(c, max, buckets_now));
}

uint64_t ctw_budget_limit(const struct ctw_config *c, uint64_t memtotal)
{
	if (memtotal == 0)
		return UINT64_MAX;
	return ctw_floor_u64((double)memtotal * c->memory_budget_pct / 100.0);
}

bool ctw_budget_fits(const struct ctw_config *c, uint64_t objsize, uint64_t memtotal, uint64_t buckets_now,
		     uint64_t max)
{
	return ctw_budget_bytes_at(c, objsize, max, buckets_now) <= ctw_budget_limit(c, memtotal);
}

void ctw_memory_compute(struct ctw_memory *m, uint64_t count, uint64_t max, uint64_t buckets)
{
	m->bytes_now = ctw_table_bytes(m->object_size, count, buckets);
	m->bytes_at_max = ctw_table_bytes(m->object_size, max, buckets);
	m->percent_of_ram_at_max = m->memtotal_bytes ?
		100.0 * (double)m->bytes_at_max / (double)m->memtotal_bytes : 0.0;
}

void ctw_host_memory_compute(struct ctw_host *h)
{
	if (h->have_memory)
		ctw_memory_compute(&h->memory, h->have_count ? h->count : 0, h->have_max ? h->max : 0,
				   h->have_buckets ? h->buckets : 0);
}
