/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Findings on how full the table is and was: usage above warn/crit, an
 * unlimited max, drops and early drops. The one finding that carries the
 * "raise max" remedy, or says which limit holds max where it is. Pure. */
#include "policy/findings_internal.h"

#include <inttypes.h>

#include "policy/bounds.h"

/* max cannot grow: say which limit holds it, point at what else frees room. */
static void limit_reached(const struct eval *e, struct ctw_finding *f)
{
	struct ctw_config budget_only = *e->c;
	uint64_t budget_max;

	budget_only.max_ceiling = UINT64_MAX;
	if (e->memtotal) {
		budget_max = ctw_max_allowed(&budget_only, e->objsize, e->memtotal, e->buckets_now);
		msg_add(f, " Its max is already at the limit ctwarden may set: ceiling %" PRIu64
			", memory budget %g%% = %" PRIu64 " entries.",
			e->c->max_ceiling, e->c->memory_budget_pct, budget_max);
	} else {
		msg_add(f, " Its max is already at the limit ctwarden may set: ceiling %" PRIu64
			", memory budget %g%% (RAM size unknown).", e->c->max_ceiling, e->c->memory_budget_pct);
	}
	if (established_too_long(e)) {
		msg_add(f, " Shorter established timeouts free room.");
		remedy_sysctl(f, CTW_KNOB_TIMEOUT(CTW_TO_TCP_ESTABLISHED), established_suggested(e));
	}
	if (notrack_applies(e)) {
		msg_add(f, " NOTRACK keeps the dominant service out.");
		remedy_notrack(f, e->h->ports.top_proto, e->h->ports.top_port);
	}
}

/* Raise max to target, or explain why it cannot grow. Only one finding carries
 * this remedy; the others point at it. */
static void raise_or_relieve(struct eval *e, struct ctw_finding *f, uint64_t target)
{
	if (e->raise_code) {
		msg_add(f, " The fix is under %s.", e->raise_code);
		return;
	}
	e->raise_code = f->code;
	if (target > e->h->max) {
		msg_add(f, " Raise max to %" PRIu64 ".", target);
		remedy_set_max(e, f, target);
	} else {
		limit_reached(e, f);
	}
}

/* For a table that was full in the past but is not now: size it so that a
 * full table (count = max) would come back to the low-water mark, which is
 * what the daemon does when it sees the table full; with the usual low water
 * of 50% that is twice the max, never above the allowed max. */
void raise_for_past_full(struct eval *e, struct ctw_finding *f)
{
	const struct ctw_host *h = e->h;

	if (!h->have_max || h->max == 0)
		return;
	raise_or_relieve(e, f, ctw_max_target(e->c, h->max, h->max, e->allowed));
}

void judge_usage(struct eval *e)
{
	const struct ctw_host *h = e->h;
	const struct ctw_config *c = e->c;
	struct ctw_finding *f;

	if (h->max == 0) {
		f = finding_new(e, CTW_SEV_WARNING, "max_unlimited");
		if (!f)
			return;
		msg_add(f, "nf_conntrack_max is 0: the table may grow without limit (%" PRIu64
			" entries now) until memory runs out. Set a max the memory budget allows: %" PRIu64 ".",
			h->count, e->allowed);
		if (e->allowed > 0)
			remedy_set_max(e, f, e->allowed);
		return;
	}
	if (e->usage >= c->crit_pct)
		f = finding_new(e, CTW_SEV_CRITICAL, "usage_critical");
	else if (e->usage >= c->warn_pct)
		f = finding_new(e, CTW_SEV_WARNING, "usage_warning");
	else
		return;
	if (!f)
		return;
	msg_add(f, "The table holds %" PRIu64 " of %" PRIu64 " entries (%.1f%%, %s at %g%%):"
		" when it is full, new connections are dropped.",
		h->count, h->max, e->usage, f->severity == CTW_SEV_CRITICAL ? "critical" : "warning",
		f->severity == CTW_SEV_CRITICAL ? c->crit_pct : c->warn_pct);
	raise_or_relieve(e, f, ctw_max_target(c, h->count, h->max, e->allowed));
}

void judge_drops(struct eval *e)
{
	struct ctw_finding *f;

	if (e->drops > 0) {
		f = finding_new(e, CTW_SEV_CRITICAL, "drops_seen");
		if (f) {
			msg_add(f, "%" PRIu64 " packets were dropped because the table was full"
				" (kernel counter, since boot).", e->drops);
			raise_for_past_full(e, f);
		}
	}
	if (e->early_drops > 0) {
		f = finding_new(e, CTW_SEV_WARNING, "early_drops_seen");
		if (f) {
			msg_add(f, "%" PRIu64 " entries of not yet established flows were evicted early"
				" to make room: the table was full (kernel counter, since boot).",
				e->early_drops);
			raise_for_past_full(e, f);
		}
	}
}
