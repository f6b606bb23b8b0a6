/* The memory budget arithmetic: what the conntrack table costs in kernel
 * memory at a number of entries and buckets. Pure, saturating. */
#ifndef CTW_BUDGET_H
#define CTW_BUDGET_H

#include <stdint.h>

struct ctw_memory;

/* objsize x entries + 8 x buckets, saturated at UINT64_MAX. */
uint64_t ctw_table_bytes(uint64_t objsize, uint64_t entries, uint64_t buckets);

/* Fill bytes_now, bytes_at_max, percent_of_ram_at_max from object_size and
 * memtotal_bytes, with the hash as it is (buckets). */
void ctw_memory_compute(struct ctw_memory *m, uint64_t count, uint64_t max, uint64_t buckets);

#endif
