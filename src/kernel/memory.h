/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Memory the conntrack table costs: slab object size x entries + 8 bytes per
 * bucket. The facts (object size, RAM) are read here; the arithmetic on them
 * is policy/budget.h (ctw_memory_compute fills the derived fields). */
#ifndef CTW_MEMORY_H
#define CTW_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctw_knobs;

/* Used when /proc/slabinfo is unreadable (it needs root): the upper end seen on
 * current kernels, so budgets computed from it err on the safe side. */
#define CTW_OBJSIZE_ESTIMATE 320
#define CTW_BUCKET_BYTES 8

struct ctw_memory {
	uint64_t object_size;
	bool object_size_estimated;
	uint64_t memtotal_bytes;     /* 0 when unknown */
	uint64_t bytes_now;          /* count x objsize + buckets x 8 */
	uint64_t bytes_at_max;       /* max x objsize + buckets x 8 */
	double percent_of_ram_at_max;
};

/* Pure parsers (fuzzed): -ENOENT when the row is missing, -EINVAL when malformed. */
int ctw_slabinfo_object_size(const char *buf, size_t len, uint64_t *objsize);
int ctw_meminfo_total_bytes(const char *buf, size_t len, uint64_t *bytes);

/* Read slabinfo and meminfo under the root. note says what was estimated or unreadable. */
int ctw_memory_read(const struct ctw_knobs *k, struct ctw_memory *m, char *note, size_t notelen);

#endif
