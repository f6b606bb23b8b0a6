/* The memory budget arithmetic: the table's cost in bytes. Pure. */
#include "policy/budget.h"

#include "kernel/memory.h"

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

uint64_t ctw_table_bytes(uint64_t objsize, uint64_t entries, uint64_t buckets)
{
	return sat_add(sat_mul(objsize, entries), sat_mul(CTW_BUCKET_BYTES, buckets));
}

void ctw_memory_compute(struct ctw_memory *m, uint64_t count, uint64_t max, uint64_t buckets)
{
	m->bytes_now = ctw_table_bytes(m->object_size, count, buckets);
	m->bytes_at_max = ctw_table_bytes(m->object_size, max, buckets);
	m->percent_of_ram_at_max = m->memtotal_bytes ?
		100.0 * (double)m->bytes_at_max / (double)m->memtotal_bytes : 0.0;
}
