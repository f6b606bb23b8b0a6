/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which namespace the policy acts on: one that will be full within the
 * horizon, the soonest first; else the fullest. As a key, so the daemon can
 * keep its namespaces in a heap by it (base/heap.h) and know the most
 * pressed one without looking at all of them. Pure. */
#ifndef CTW_PRESSURE_H
#define CTW_PRESSURE_H

#include <stdbool.h>
#include <stdint.h>

struct ctw_pressure_key {
	bool soon;             /* full within the horizon */
	double time_to_full_s; /* meaningful when soon */
	uint64_t count;
	uint64_t seq;          /* ties: the one watched first (our own netns is 0) */
};

/* The key of a namespace with count entries that (when have_time_to_full)
 * will be full in time_to_full_s. */
void ctw_pressure_key_set(struct ctw_pressure_key *k, bool have_time_to_full, double time_to_full_s,
			  uint64_t count, uint64_t horizon_us, uint64_t seq);
/* Whether a is more pressed than b (a strict total order by seq). */
bool ctw_pressure_before(const struct ctw_pressure_key *a, const struct ctw_pressure_key *b);

#endif
