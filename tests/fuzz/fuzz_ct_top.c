/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Local harness (not in the tree): the dump parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include "kernel/ct_top.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctw_ct_top t;
	static int ready;
	struct ctw_flow_key k;

	if (!ready) {
		if (ctw_ct_top_init(&t, 8) < 0)
			return 0;
		ready = 1;
	}
	ctw_ct_top_feed(&t, data, size);
	ctw_flow_key_parse(data, size, &k);
	return 0;
}
