/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Findings on the table's cost: the hash's entries per bucket, chains too
 * long, and the memory the table takes at its max against the budget. Pure. */
#include "policy/findings_internal.h"

#include <inttypes.h>
#include <stdio.h>

#include "policy/bounds.h"

/* Above this many entries per bucket a full table walks long chains whatever
 * the configured ratio says: that is worth a warning, not just a note. */
#define RATIO_WARN_MIN 8.0

void judge_hash(struct eval *e)
{
	const struct ctw_host *h = e->h;
	const struct ctw_config *c = e->c;
	double ratio, warn_at;
	uint64_t for_max, want;
	struct ctw_finding *f;

	if (!h->have_max || !h->have_buckets || h->max == 0 || h->buckets == 0)
		return;
	/* A max above the allowed one is its own finding: size for what stays. */
	for_max = h->max > e->allowed ? e->allowed : h->max;
	want = ctw_buckets_for_max(c, for_max);
	ratio = (double)h->max / (double)h->buckets;
	warn_at = c->buckets_ratio > RATIO_WARN_MIN ? c->buckets_ratio : RATIO_WARN_MIN;
	if (ratio_exceeded(e, h->max, h->buckets) && want > h->buckets) {
		f = finding_new(e, ratio > warn_at ? CTW_SEV_WARNING : CTW_SEV_INFO, "hash_ratio_high");
		if (f) {
			msg_add(f, "max %" PRIu64 " over %" PRIu64 " buckets is %.1f entries per bucket"
				" (configured ratio %g): when the table fills, every lookup walks"
				" chains of %.1f entries on average. Grow the hash to %" PRIu64 " buckets.",
				h->max, h->buckets, ratio, c->buckets_ratio, ratio, want);
			remedy_set_buckets(e, f, want);
		}
	}
	if (e->chaintoolong > 0 && (f = finding_new(e, CTW_SEV_WARNING, "chain_too_long"))) {
		msg_add(f, "%" PRIu64 " packets were dropped because their hash chain was too long:"
			" too few buckets for the entries, or crafted traffic hitting one bucket.",
			e->chaintoolong);
		if (want > h->buckets) {
			msg_add(f, " Grow the hash to %" PRIu64 " buckets.", want);
			remedy_set_buckets(e, f, want);
		}
	}
}

/* "6.4%", small shares with two digits that mean something ("0.056%"). */
static void format_share(double pct, char *buf, size_t len)
{
	snprintf(buf, len, pct >= 0.1 ? "%.1f%%" : "%.2g%%", pct);
}

/* Over budget is exactly what the daemon's limit refuses: ctw_budget_fits()
 * with the buckets the hash has, or the more a resize for this max brings. */
void judge_memory(struct eval *e)
{
	const struct ctw_host *h = e->h;
	const struct ctw_memory *m = &h->memory;
	char at_max[32], share[32];
	uint64_t bytes, buckets;
	struct ctw_finding *f;

	if (!h->have_memory || !h->have_max || h->max == 0 || e->memtotal == 0)
		return;
	if (ctw_budget_fits(e->c, e->objsize, e->memtotal, e->buckets_now, h->max))
		return;
	f = finding_new(e, CTW_SEV_WARNING, "memory_over_budget");
	if (!f)
		return;
	bytes = ctw_budget_bytes_at(e->c, e->objsize, h->max, e->buckets_now);
	buckets = ctw_budget_buckets(e->c, h->max, e->buckets_now);
	ctw_format_bytes(bytes, at_max, sizeof(at_max));
	format_share(100.0 * (double)bytes / (double)e->memtotal, share, sizeof(share));
	msg_add(f, "At its max the table would take %s (%s of RAM), above the budget %g%%.",
		at_max, share, e->c->memory_budget_pct);
	if (buckets > e->buckets_now && e->buckets_now > 0)
		msg_add(f, " That counts the %" PRIu64 " buckets its max calls for (%" PRIu64 " now).",
			buckets, e->buckets_now);
	if (m->object_size_estimated)
		msg_add(f, " These are estimates: the entry size (%" PRIu64 " B) was not readable.",
			e->objsize);
	if (e->allowed == 0 || e->allowed >= h->max)
		return;
	msg_add(f, " The budget allows max %" PRIu64 ".", e->allowed);
	if (h->have_count && h->count > e->allowed)
		msg_add(f, " That is below the %" PRIu64 " entries now: new connections are dropped"
			" until old ones expire.", h->count);
	remedy_set_max(e, f, e->allowed);
}
