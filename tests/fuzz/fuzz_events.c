/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the conntrack event parser: a received datagram of ctnetlink messages
 * (seeds are real NEW and DESTROY events captured from this kernel). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	uint64_t calls;
};

static void on_new(const struct ctw_flow_key *key, void *ud)
{
	struct seen *s = ud;

	if (key->family != AF_INET && key->family != AF_INET6)
		abort();
	/* IPv4 keys leave the rest of the address zeroed. */
	if (key->family == AF_INET) {
		static const uint8_t zero[12];

		if (memcmp(key->src + 4, zero, 12) || memcmp(key->dst + 4, zero, 12))
			abort();
	}
	s->calls++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctw_event_counts c = { 0 };
	struct ctw_flow_key key;
	struct seen seen = { 0 };
	uint8_t *copy;
	unsigned n;

	/* An exact-size copy, so that any read past the datagram is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	n = ctw_events_parse(copy, size, &c, on_new, &seen);
	if (n != c.new + c.destroy || seen.calls > c.new)
		abort();
	if (ctw_flow_key_parse(copy, size, &key) == 0 && key.family != AF_INET && key.family != AF_INET6)
		abort();
	free(copy);
	return 0;
}
