/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the ctnetlink statistics attribute parsers. The first byte picks the
 * parser (even: per-CPU, odd: global); the rest are the attribute bytes,
 * copied to an exact-size heap buffer (aligned, so ASan sees over-reads). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cpu(const void *attrs, size_t len)
{
	struct ctw_counters acc, before;

	memset(&acc, 0, sizeof(acc));
	acc.value[CTW_CTR_DROP] = 5;
	acc.ncpu = 1;
	before = acc;
	if (ctw_stats_parse_cpu_attrs(attrs, len, &acc) == 0) {
		if (acc.ncpu != 2 || acc.present & ~((1u << CTW_CTR__COUNT) - 1))
			abort();
		for (int c = 0; c < CTW_CTR__COUNT; c++)
			if (acc.value[c] - before.value[c] > UINT32_MAX)
				abort(); /* one message adds at most one u32 per counter */
	} else if (memcmp(&acc, &before, sizeof(acc)) != 0) {
		abort();
	}
}

static void check_global(const void *attrs, size_t len)
{
	struct ctw_stats st;

	memset(&st, 0, sizeof(st));
	if (ctw_stats_parse_global_attrs(attrs, len, &st) == 0) {
		if (st.entries > UINT32_MAX || st.max > UINT32_MAX)
			abort();
		if ((!st.have_entries && st.entries) || (!st.have_max && st.max))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *attrs;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	attrs = malloc(len ? len : 1);
	if (!attrs)
		return 0;
	memcpy(attrs, data + 1, len);
	if (data[0] & 1)
		check_global(attrs, len);
	else
		check_cpu(attrs, len);
	free(attrs);
	return 0;
}
