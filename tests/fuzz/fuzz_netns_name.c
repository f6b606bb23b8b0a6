/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz container naming from /proc/PID/cgroup text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/netns_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[64], small[8];

	if (ctw_netns_name_from_cgroup((const char *)data, size, name, sizeof(name)) &&
	    (strlen(name) >= sizeof(name) || name[0] == '\0'))
		abort();
	if (ctw_netns_name_from_cgroup((const char *)data, size, small, sizeof(small)) && strlen(small) >= sizeof(small))
		abort();
	return 0;
}
