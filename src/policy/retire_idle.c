/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy/retire_idle.h"

#include <errno.h>
#include <string.h>

static int known_add(uint32_t *out, unsigned *n, uint64_t v)
{
	if (v == 0 || v > UINT32_MAX)
		return 0;
	for (unsigned i = 0; i < *n; i++)
		if (out[i] == v)
			return 0;
	if (*n == CTW_RETIRE_KNOWN_MAX)
		return -ENOSPC;
	out[(*n)++] = (uint32_t)v;
	return 0;
}

int ctw_retire_known_values(uint32_t *out, unsigned *n, uint64_t now_s, uint64_t original_s, uint64_t floor_s,
			    const uint32_t *was, unsigned n_was)
{
	int r = 0;

	if (floor_s == 0)
		floor_s = 1;
	*n = 0;
	r |= known_add(out, n, now_s);
	r |= known_add(out, n, original_s);
	for (unsigned i = 0; i < n_was; i++)
		r |= known_add(out, n, was[i]);
	if (original_s) {
		for (uint64_t v = original_s / 2; v > floor_s; v /= 2)
			r |= known_add(out, n, v);
		r |= known_add(out, n, floor_s);
		for (uint64_t v = floor_s * 2; v < original_s; v *= 2)
			r |= known_add(out, n, v);
	}
	return r ? -ENOSPC : 0;
}

static uint64_t floor_of(const struct ctw_config *c, enum ctw_timeout t)
{
	uint64_t f = c->timeout_floor_s[t];

	return f ? f : ctw_timeout_info(t)->default_floor;
}

void ctw_table_idle_init(struct ctw_table_idle *ti, const bool have[CTW_TO__COUNT],
			 const uint64_t now_s[CTW_TO__COUNT], const struct ctw_config *c)
{
	uint64_t special = 0;

	memset(ti, 0, sizeof(*ti));
	/* The special TCP timeouts: the longest of those in force and the defaults. */
	for (int s = CTW_TO_TCP_MAX_RETRANS; s <= CTW_TO_TCP_UNACKNOWLEDGED; s++) {
		uint64_t d = ctw_timeout_info((enum ctw_timeout)s)->kernel_default;

		if (have[s] && now_s[s] > special)
			special = now_s[s];
		if (d > special)
			special = d;
	}
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		const struct ctw_timeout_info *info = ctw_timeout_info((enum ctw_timeout)t);
		uint64_t now = have[t] ? now_s[t] : info->kernel_default;
		uint64_t original = now != info->kernel_default ? info->kernel_default : 0;

		ti->floor_s[t] = (uint32_t)floor_of(c, (enum ctw_timeout)t);
		if (ctw_retire_known_values(ti->known_s[t], &ti->n_known[t], now, original, ti->floor_s[t], NULL, 0) < 0) {
			/* Too many to weigh: the histogram says "unknown" for its entries. */
			ti->n_known[t] = CTW_RETIRE_KNOWN_MAX + 1;
			continue;
		}
		if (ctw_retire_rule_init(&ti->rule[t], (enum ctw_timeout)t, ti->floor_s[t], ti->known_s[t], ti->n_known[t],
					 (uint32_t)special, c->retire_nat) == 0 &&
		    ctw_retire_rule_exclude(&ti->rule[t], c) == 0)
			ti->have_rule[t] = true;
	}
}

void ctw_table_idle_add(struct ctw_table_idle *ti, const struct ctw_ct_entry *e)
{
	struct ctw_retire_decision d;
	int t = ctw_retire_governing(e);

	ctw_idle_histogram_add(&ti->hist, ti->known_s, ti->n_known, e);
	if (t < 0 || !ti->have_rule[t])
		return;
	ctw_retire_decide(&ti->rule[t], e, &d);
	if (d.action == CTW_RETIRE_DELETE)
		ti->beyond_floor[t]++;
}
