/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Local harness (not in the tree): the retirement pass's entry parser on
 * arbitrary bytes (aligned copy, as a receive buffer would be). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/ct_retire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t buf[8192];
	struct ctw_ct_entry e;

	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	ctw_ct_entry_parse(buf, size, &e);
	ctw_ct_entry_parse(data, size, &e);
	return 0;
}
