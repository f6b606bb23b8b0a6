/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bounded sample of the table: the first entries of a ctnetlink dump.
 * The kernel fills the dump one socket buffer at a time, so stopping after
 * `limit` entries costs the same whether the table holds 10k or 10M entries;
 * the dump runs in hash order, which makes the head a fair sample. */
#include "kernel/ct_sample.h"

#include <string.h>

#include "kernel/ct_top.h"

int ctw_ct_sample_ports(struct ctw_port_sample *out, unsigned limit)
{
	struct ctw_ct_top top;
	int r;

	memset(out, 0, sizeof(*out));
	r = ctw_ct_top_init(&top, 256);
	if (r < 0)
		return r;
	top.limit = limit ? limit : 1;
	r = ctw_ct_top_dump(&top);
	if (r == 0) {
		out->taken = true;
		out->sampled = top.entries;
		ctw_top_dport_first(&top.top, &out->top_proto, &out->top_port, &out->top_count);
	}
	ctw_ct_top_free(&top);
	return r;
}
