/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A full table that is mostly entries idle past the floors of their
 * timeouts: shortening the timeout frees none of them (the kernel sets an
 * idle entry's deadline only when a packet refreshes it); retiring them
 * does. Judged on the --top dump's idle ages (policy/retire_idle.h). Pure. */
#include "policy/findings_internal.h"

#include <inttypes.h>

#include "policy/retire_idle.h"

/* Remedies for the timeouts holding the most of them. */
#define STALE_REMEDIES_MAX 3

void judge_stale(struct eval *e)
{
	const struct ctw_table_idle *ti = e->h->idle;
	bool used[CTW_TO__COUNT] = { false };
	uint64_t stale = 0;
	struct ctw_finding *f;

	if (!ti || !e->have_usage || e->usage < e->c->warn_pct || !ti->hist.entries)
		return;
	for (int t = 0; t < CTW_TO__COUNT; t++)
		stale += ti->beyond_floor[t];
	/* Most of the table. */
	if (stale * 2 <= ti->hist.entries || !(f = finding_new(e, CTW_SEV_WARNING, "table_stale")))
		return;
	msg_add(f, "%" PRIu64 " of %" PRIu64 " entries (%.0f%%) are idle past their timeout's floor, in a table "
		"%.0f%% full.", stale, ti->hist.entries, 100.0 * (double)stale / (double)ti->hist.entries, e->usage);
	msg_add(f, "A shorter timeout frees none of them (an idle entry keeps its deadline until a packet "
		"comes): ctwarden retire deletes them now.");
	for (int k = 0; k < STALE_REMEDIES_MAX; k++) {
		int best = -1;

		for (int t = 0; t < CTW_TO__COUNT; t++)
			if (!used[t] && ti->beyond_floor[t] && (best < 0 || ti->beyond_floor[t] > ti->beyond_floor[best]))
				best = t;
		if (best < 0)
			break;
		used[best] = true;
		remedy_add(f, "ctwarden retire --timeout %s=%" PRIu32 "s --dry-run",
			   ctw_timeout_info((enum ctw_timeout)best)->name, ti->floor_s[best]);
		remedy_add(f, "ctwarden retire --timeout %s=%" PRIu32 "s --set",
			   ctw_timeout_info((enum ctw_timeout)best)->name, ti->floor_s[best]);
	}
}
