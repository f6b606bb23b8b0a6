/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the /proc/net/stat/nf_conntrack parser: no crash, no read past len,
 * and what it accepts is consistent (sums bounded by rows, absent = zero). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctw_stats st, before;
	char *buf = malloc(size ? size : 1); /* exact size: ASan sees over-reads */

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&st, 0x33, sizeof(st));
	before = st;
	if (ctw_stats_parse_procfs(buf, size, &st) == 0) {
		if (st.source != CTW_STATS_PROCFS)
			abort();
		if (st.counters.present & ~((1u << CTW_CTR__COUNT) - 1))
			abort();
		for (int c = 0; c < CTW_CTR__COUNT; c++) {
			if (st.counters.value[c] > (uint64_t)st.counters.ncpu * UINT32_MAX)
				abort();
			if (!(st.counters.present & (1u << c)) && st.counters.value[c])
				abort();
		}
		if (st.have_entries && (st.counters.ncpu == 0 || st.entries > UINT32_MAX))
			abort();
	} else if (memcmp(&st, &before, sizeof(st)) != 0) {
		abort(); /* a failed parse must leave *out alone */
	}
	free(buf);
	return 0;
}
