/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the memory parsers (/proc/slabinfo, /proc/meminfo) and the knob value
 * parser on the same bytes. The input is copied to an exact-size buffer with
 * no NUL so that any read past len is caught. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/knobs.h"
#include "kernel/memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	uint64_t v = 0;
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);

	r = ctw_slabinfo_object_size(buf, size, &v);
	if (r != 0 && r != -ENOENT && r != -EINVAL)
		abort();
	if (r == 0 && (v == 0 || size < strlen("slabinfo - version: 2.")))
		abort();

	r = ctw_meminfo_total_bytes(buf, size, &v);
	if (r != 0 && r != -ENOENT && r != -EINVAL)
		abort();
	if (r == 0 && v % 1024 != 0)
		abort();

	r = ctw_knob_parse_value(buf, size, &v);
	if (r != 0 && r != -EINVAL && r != -ERANGE)
		abort();

	free(buf);
	return 0;
}
