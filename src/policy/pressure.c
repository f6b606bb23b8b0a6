/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The order of namespaces by pressure. */
#include "policy/pressure.h"

#include <math.h>

void ctw_pressure_key_set(struct ctw_pressure_key *k, bool have_time_to_full, double time_to_full_s,
			  uint64_t count, uint64_t horizon_us, uint64_t seq)
{
	/* Not finite (no growth): never "soon", so the order stays total. */
	k->soon = have_time_to_full && isfinite(time_to_full_s) && time_to_full_s * 1e6 < (double)horizon_us;
	k->time_to_full_s = k->soon ? time_to_full_s : 0;
	k->count = count;
	k->seq = seq;
}

bool ctw_pressure_before(const struct ctw_pressure_key *a, const struct ctw_pressure_key *b)
{
	if (a->soon != b->soon)
		return a->soon;
	if (a->soon && a->time_to_full_s != b->time_to_full_s)
		return a->time_to_full_s < b->time_to_full_s;
	if (a->count != b->count)
		return a->count > b->count;
	return a->seq < b->seq;
}
