/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy's decisions on the table's size: raise max under pressure,
 * lower it after a long quiet spell, and resize the hash for the max that
 * follows. Pure; called by ctw_policy_decide() (policy_decide.c). */
#include "policy/policy_round.h"

#include <syslog.h>

#include "policy/bounds.h"
#include "policy/u64_math.h"

#define LOWER_MIN_GAIN 5                    /* lower only by at least 1/5 of max */

/* Headroom for the count plus the growth expected over the horizon, at least
 * x1.25 (x2 when urgent), at most about x4, within the allowed limit. */
static uint64_t raise_target(const struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;
	bool urgent = r->dropping || r->usage >= c->crit_pct;
	double factor = urgent ? CTW_POLICY_RAISE_URGENT : CTW_POLICY_RAISE_MIN;
	double per_max = (double)s->max * c->low_water_pct / 100.0;  /* count at low_water */
	double want = (double)s->count;

	if (s->have_growth && s->growth_per_s > 0.0)
		want += s->growth_per_s * (double)c->horizon_us / 1e6;
	if (want < per_max * factor)
		want = per_max * factor;
	if (want > per_max * CTW_POLICY_RAISE_MAX)
		want = per_max * CTW_POLICY_RAISE_MAX;
	return ctw_max_target(c, ctw_ceil_u64(want), s->max, r->allowed);
}

static void decide_raise(struct round *r)
{
	uint64_t max = r->s->max, target = raise_target(r);

	if (target <= max) {
		r->at_limit = true;
		return;
	}
	policy_add(r, CTW_DEC_RAISE_MAX, LOG_NOTICE, CTW_TARGET_MAX, max, target, "%s: raise max %llu -> %llu",
	    r->cause, (unsigned long long)max, (unsigned long long)target);
	r->max_after = target;
}

/* Give back memory after a long quiet spell: halve at most, bring the recent
 * peak count to low_water (so the same load does not raise it again), never
 * below the count, not while timeouts are still short. */
static void decide_lower(struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;
	const struct ctw_policy_state *st = r->st;
	uint64_t target, peak, max = s->max;
	char hold[32];

	if (!c->allow_lower_max || !st->under_low || elapsed(s->now_us, st->under_low_since_us) < c->low_water_hold_us)
		return;
	if (st->max_changed && elapsed(s->now_us, st->last_max_change_us) < c->low_water_hold_us)
		return;
	for (int t = 0; t < CTW_TO__COUNT; t++)
		if (st->shortened[t])
			return;
	peak = st->quiet_peak > st->quiet_peak_prev ? st->quiet_peak : st->quiet_peak_prev;
	target = ctw_max_target(c, peak > s->count ? peak : s->count, 0, r->allowed);
	if (target < max - max / 2)
		target = max - max / 2;
	if (target <= s->count || target >= max)
		return;
	if (max <= r->allowed && target > max - max / LOWER_MIN_GAIN)
		return;  /* not worth a write */
	ctw_format_duration(c->low_water_hold_us, hold, sizeof(hold));
	policy_add(r, CTW_DEC_LOWER_MAX, LOG_NOTICE, CTW_TARGET_MAX, max, target,
	    "usage %.1f%% < low_water %g%% for %s: lower max %llu -> %llu", r->usage, c->low_water_pct, hold,
	    (unsigned long long)max, (unsigned long long)target);
	r->max_after = target;
}

void policy_decide_max(struct round *r)
{
	if (r->s->max == 0)
		return;
	if (r->pressure)
		decide_raise(r);
	else
		decide_lower(r);
}

/* Rehash (stop-the-world) only when the ratio is exceeded, only upward, and
 * at most once per cooldown. Sized for the max after this round's raise. */
void policy_decide_resize(struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;
	uint64_t basis = r->max_after < r->allowed ? r->max_after : r->allowed;
	uint64_t want;

	if (s->buckets == 0 || basis == 0 || (double)basis / (double)s->buckets <= c->buckets_ratio)
		return;
	want = ctw_buckets_for_max(c, basis);
	if (want <= s->buckets)
		return;
	if (r->st->resized && elapsed(s->now_us, r->st->last_resize_us) < c->resize_cooldown_us)
		return;
	policy_add(r, CTW_DEC_RESIZE_HASH, LOG_NOTICE, CTW_TARGET_BUCKETS, s->buckets, want,
	    "max %llu / %llu buckets = %.2f > buckets_ratio %g: resize hash %llu -> %llu",
	    (unsigned long long)basis, (unsigned long long)s->buckets, (double)basis / (double)s->buckets,
	    c->buckets_ratio, (unsigned long long)s->buckets, (unsigned long long)want);
}
