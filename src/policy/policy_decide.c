/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy engine's decide step: one round's view of the snapshot (usage,
 * pressure, the allowed max), the alerts (drops, levels, limit reached), then
 * max and hash (policy_raise.c) and timeouts (policy_timeouts.c), and the
 * advice not to repeat. Pure. */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "policy/bounds.h"
#include "policy/policy_round.h"

static bool due(const struct ctw_said *said, uint64_t now, uint64_t interval)
{
	return !said->said || elapsed(now, said->at_us) >= interval;
}

static double usage_pct(const struct ctw_snapshot *s)
{
	return s->max ? (double)s->count * 100.0 / (double)s->max : 0.0;
}

__attribute__((format(printf, 3, 4)))
static void format_into(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
}

static void round_init(struct round *r, const struct ctw_config *c, const struct ctw_snapshot *s,
		       const struct ctw_policy_state *st, struct ctw_decisions *out)
{
	char horizon[32];

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->s = s;
	r->st = st;
	r->out = out;
	r->max_after = s->max;
	r->usage = usage_pct(s);
	/* With the buckets the kernel has: a hash bigger than the ratio wants costs too. */
	r->allowed = ctw_max_allowed(c, s->objsize, s->memtotal, s->buckets);
	r->dropping = s->drops > 0 || s->early_drops > 0;
	if (s->max == 0)
		return;  /* unlimited: nothing fills up */
	r->high = r->usage >= c->high_water_pct;
	/* A projection counts once usage is past low_water: under it the
	 * headroom is fine by definition and short-term rates are noisy. */
	if (s->have_growth && s->growth_per_s > 0.0 && s->count < s->max && r->usage >= c->low_water_pct) {
		r->secs_to_full = (double)(s->max - s->count) / s->growth_per_s;
		r->filling = r->secs_to_full * 1e6 < (double)c->horizon_us;
	}
	r->pressure = r->high || r->dropping || r->filling;

	ctw_format_duration(c->horizon_us, horizon, sizeof(horizon));
	if (r->dropping)
		format_into(r->cause, sizeof(r->cause), "%llu drops, %llu early drops since last poll, usage %.1f%%",
			 (unsigned long long)s->drops, (unsigned long long)s->early_drops, r->usage);
	else if (r->high)
		format_into(r->cause, sizeof(r->cause), "usage %.1f%% >= high_water %g%%",
			 r->usage, c->high_water_pct);
	else if (r->filling)
		format_into(r->cause, sizeof(r->cause), "usage %.1f%%, full in %.0fs at +%.0f/s < horizon %s",
			 r->usage, r->secs_to_full, s->growth_per_s, horizon);
}

/* ---- alerts ------------------------------------------------------------- */

static void decide_drops_alert(struct round *r)
{
	const struct ctw_snapshot *s = r->s;

	if (!r->dropping || !due(&r->st->drops_said, s->now_us, r->c->alert_reminder_us))
		return;
	policy_add(r, CTW_DEC_ALERT_DROPS, s->drops ? LOG_ERR : LOG_WARNING, CTW_TARGET_NONE,
	    s->count, s->max, "table full: %llu packets dropped, %llu entries early-dropped since last poll (count %llu, max %llu)",
	    (unsigned long long)s->drops, (unsigned long long)s->early_drops,
	    (unsigned long long)s->count, (unsigned long long)s->max);
}

static double level_threshold(const struct ctw_config *c, enum ctw_level level)
{
	return level == CTW_LEVEL_CRIT ? c->crit_pct : c->warn_pct;
}

/* A level is left only once usage is some points under its threshold. */
static double level_exit(const struct ctw_config *c, enum ctw_level level)
{
	double thr = level_threshold(c, level);
	double band = thr / 2 < CTW_POLICY_LEVEL_HYSTERESIS_PCT ? thr / 2 : CTW_POLICY_LEVEL_HYSTERESIS_PCT;

	return thr - band;
}

static enum ctw_level level_after(const struct ctw_config *c, double usage, enum ctw_level now)
{
	enum ctw_level raw = usage >= c->crit_pct ? CTW_LEVEL_CRIT :
			     usage >= c->warn_pct ? CTW_LEVEL_WARN : CTW_LEVEL_NORMAL;

	while (now > raw && usage < level_exit(c, now))
		now--;
	return raw > now ? raw : now;
}

static const enum ctw_decision_kind level_kind[] = {
	[CTW_LEVEL_NORMAL] = CTW_DEC_ALERT_NORMAL,
	[CTW_LEVEL_WARN] = CTW_DEC_ALERT_WARN,
	[CTW_LEVEL_CRIT] = CTW_DEC_ALERT_CRIT,
};

static const int level_priority[] = {
	[CTW_LEVEL_NORMAL] = LOG_NOTICE,
	[CTW_LEVEL_WARN] = LOG_WARNING,
	[CTW_LEVEL_CRIT] = LOG_CRIT,
};

static void decide_level_alert(struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;
	enum ctw_level was = r->st->level, next = level_after(c, r->usage, was);
	char what[64];

	if (next > was)
		format_into(what, sizeof(what), ">= %s %g%%", next == CTW_LEVEL_CRIT ? "crit" : "warn",
			 level_threshold(c, next));
	else if (next < was)  /* named by the threshold it fell under */
		format_into(what, sizeof(what), "< %s %g%% - %g: back to %s", next == CTW_LEVEL_WARN ? "crit" : "warn",
			 level_threshold(c, next + 1), level_threshold(c, next + 1) - level_exit(c, next + 1),
			 ctw_level_name(next));
	else if (next != CTW_LEVEL_NORMAL && due(&r->st->level_said, s->now_us, c->alert_reminder_us))
		format_into(what, sizeof(what), "still %s (reminder)", ctw_level_name(next));
	else
		return;
	policy_add(r, level_kind[next], level_priority[next], CTW_TARGET_NONE, s->count, s->max,
	    "usage %.1f%% (%llu/%llu) %s", r->usage, (unsigned long long)s->count,
	    (unsigned long long)s->max, what);
}

static void decide_limit_alert(struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;

	char budget[64] = "";

	if (!r->at_limit || !due(&r->st->limit_said, s->now_us, c->alert_reminder_us))
		return;
	if (s->memtotal)
		format_into(budget, sizeof(budget), ", memory_budget %g%% of %llu MiB", c->memory_budget_pct,
			    (unsigned long long)(s->memtotal >> 20));
	policy_add(r, CTW_DEC_ALERT_LIMIT, LOG_WARNING, CTW_TARGET_NONE, s->count, s->max,
	    "%s: max %llu cannot be raised, the limit is %llu (max_ceiling %llu%s)", r->cause,
	    (unsigned long long)s->max, (unsigned long long)r->allowed, (unsigned long long)c->max_ceiling, budget);
}

/* ---- the round --------------------------------------------------------------- */

/* Advice (advise mode) is not repeated within the reminder interval, unless
 * a raise grew by a step since. Failed writes in enforce mode are decided
 * again: retrying them is the actuator's business (its backoff). */
static bool repeats_advice(const struct round *r, const struct ctw_decision *d)
{
	const struct ctw_advice *a = &r->st->advice[d->kind];

	if (r->c->mode == CTW_MODE_ENFORCE || !a->pending || elapsed(r->s->now_us, a->at_us) >= r->c->alert_reminder_us)
		return false;
	if (a->target != d->target || (d->target == CTW_TARGET_TIMEOUT && a->timeout != d->timeout))
		return false;
	if (d->kind == CTW_DEC_RAISE_MAX && d->new_value >= a->value + a->value / 4)
		return false;
	return true;
}

static void finish(struct round *r)
{
	struct ctw_decisions *out = r->out;
	size_t kept = 0;

	for (size_t i = 0; i < out->n; i++) {
		struct ctw_decision *d = &out->d[i];
		bool action = ctw_decision_is_action(d->kind);

		if (action && repeats_advice(r, d))
			continue;
		d->apply = action && r->c->mode == CTW_MODE_ENFORCE;
		if (kept != i)
			out->d[kept] = *d;
		kept++;
	}
	out->n = kept;
}

void ctw_policy_decide(const struct ctw_config *c, const struct ctw_snapshot *s,
		       const struct ctw_policy_state *st, struct ctw_decisions *out)
{
	struct round r;

	out->n = 0;
	round_init(&r, c, s, st, out);
	decide_drops_alert(&r);
	decide_level_alert(&r);
	policy_decide_max(&r);
	policy_decide_resize(&r);
	policy_decide_timeouts(&r);
	decide_limit_alert(&r);
	finish(&r);
}
