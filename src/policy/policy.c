/* The policy engine's round: observe a snapshot, decide (the alerts here; max
 * and hash in policy_raise.c, timeouts in policy_timeouts.c), commit what was
 * done, and the decisions' names. Pure. */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "policy/bounds.h"
#include "policy/policy_internal.h"

static bool due(const struct ctw_said *said, uint64_t now, uint64_t interval)
{
	return !said->said || elapsed(now, said->at_us) >= interval;
}

static void note_said(struct ctw_said *said, uint64_t now)
{
	said->said = true;
	said->at_us = now;
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

__attribute__((format(printf, 7, 8)))
struct ctw_decision *policy_add(struct round *r, enum ctw_decision_kind kind, int prio,
				enum ctw_target target, uint64_t old_value, uint64_t new_value,
				const char *fmt, ...)
{
	struct ctw_decision *d;
	va_list ap;

	if (r->out->n >= CTW_DECISIONS_MAX)
		return NULL;
	d = &r->out->d[r->out->n++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->priority = prio;
	d->target = target;
	d->old_value = old_value;
	d->new_value = new_value;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	return d;
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

/* ---- state -------------------------------------------------------------------- */

void ctw_policy_state_init(struct ctw_policy_state *st)
{
	memset(st, 0, sizeof(*st));
	st->level = CTW_LEVEL_NORMAL;
}

void ctw_policy_observe(struct ctw_policy_state *st, const struct ctw_config *c,
			const struct ctw_snapshot *s)
{
	bool under = s->max > 0 && usage_pct(s) < c->low_water_pct && s->drops == 0 && s->early_drops == 0;

	if (!under) {
		st->under_low = false;
	} else if (!st->under_low) {
		st->under_low = true;
		st->under_low_since_us = s->now_us;
		st->quiet_peak = s->count;
		st->quiet_peak_prev = 0;
		st->quiet_window_us = s->now_us;
	} else if (elapsed(s->now_us, st->quiet_window_us) >= c->low_water_hold_us) {
		st->quiet_peak_prev = st->quiet_peak;
		st->quiet_peak = s->count;
		st->quiet_window_us = s->now_us;
	} else if (s->count > st->quiet_peak) {
		st->quiet_peak = s->count;
	}
	/* Someone put a timeout back (or higher): nothing left to restore. */
	for (int t = 0; t < CTW_TO__COUNT; t++)
		if (st->shortened[t] && s->have_timeout[t] && s->timeout_s[t] >= st->original_s[t])
			st->shortened[t] = false;
}

static void commit_advice(struct ctw_policy_state *st, const struct ctw_decision *d, uint64_t now, bool applied)
{
	struct ctw_advice *a = &st->advice[d->kind];

	if (applied) {
		a->pending = false;
		return;
	}
	a->pending = true;
	a->at_us = now;
	a->target = d->target;
	a->timeout = d->timeout;
	a->value = d->new_value;
}

void ctw_policy_commit(struct ctw_policy_state *st, const struct ctw_decision *d,
		       const struct ctw_snapshot *s, bool applied)
{
	uint64_t now = s->now_us;
	enum ctw_timeout t = d->timeout;

	if (ctw_decision_is_action(d->kind))
		commit_advice(st, d, now, applied);
	switch (d->kind) {
	case CTW_DEC_RAISE_MAX:
	case CTW_DEC_LOWER_MAX:
		if (applied) {
			st->max_changed = true;
			st->last_max_change_us = now;
		}
		break;
	case CTW_DEC_RESIZE_HASH:  /* even a failed or advised rehash waits a cooldown */
		st->resized = true;
		st->last_resize_us = now;
		break;
	case CTW_DEC_SHORTEN_TIMEOUT:
		st->timeout_stepped = true;
		st->last_timeout_step_us = now;
		if (applied && !st->shortened[t]) {
			st->shortened[t] = true;
			st->original_s[t] = d->old_value;
		}
		break;
	case CTW_DEC_RESTORE_TIMEOUT:
		st->timeout_stepped = true;
		st->last_timeout_step_us = now;
		if (applied && d->new_value >= st->original_s[t])
			st->shortened[t] = false;
		break;
	case CTW_DEC_ALERT_DROPS:
		note_said(&st->drops_said, now);
		break;
	case CTW_DEC_ALERT_NORMAL:
	case CTW_DEC_ALERT_WARN:
	case CTW_DEC_ALERT_CRIT:
		st->level = d->kind == CTW_DEC_ALERT_CRIT ? CTW_LEVEL_CRIT :
			    d->kind == CTW_DEC_ALERT_WARN ? CTW_LEVEL_WARN : CTW_LEVEL_NORMAL;
		note_said(&st->level_said, now);
		break;
	case CTW_DEC_ALERT_LIMIT:
		note_said(&st->limit_said, now);
		break;
	case CTW_DEC__COUNT:
		break;
	}
}

/* ---- names --------------------------------------------------------------------- */

static const char *const kind_names[CTW_DEC__COUNT] = {
	[CTW_DEC_RAISE_MAX] = "raise_max",
	[CTW_DEC_LOWER_MAX] = "lower_max",
	[CTW_DEC_RESIZE_HASH] = "resize_hash",
	[CTW_DEC_SHORTEN_TIMEOUT] = "shorten_timeout",
	[CTW_DEC_RESTORE_TIMEOUT] = "restore_timeout",
	[CTW_DEC_ALERT_DROPS] = "drops_seen",
	[CTW_DEC_ALERT_WARN] = "usage_warning",
	[CTW_DEC_ALERT_CRIT] = "usage_critical",
	[CTW_DEC_ALERT_NORMAL] = "usage_normal",
	[CTW_DEC_ALERT_LIMIT] = "limit_reached",
};

const char *ctw_decision_kind_name(enum ctw_decision_kind kind)
{
	return (unsigned)kind < CTW_DEC__COUNT ? kind_names[kind] : "unknown";
}


const char *ctw_level_name(enum ctw_level level)
{
	switch (level) {
	case CTW_LEVEL_NORMAL: return "normal";
	case CTW_LEVEL_WARN: return "warning";
	case CTW_LEVEL_CRIT: return "critical";
	}
	return "unknown";
}

const char *ctw_decision_target_name(const struct ctw_decision *d)
{
	switch (d->target) {
	case CTW_TARGET_MAX: return "nf_conntrack_max";
	case CTW_TARGET_BUCKETS: return "nf_conntrack_buckets";
	case CTW_TARGET_TIMEOUT: return ctw_timeout_info(d->timeout) ? ctw_timeout_info(d->timeout)->name : "";
	case CTW_TARGET_NONE: break;
	}
	return "";
}

bool ctw_decision_is_action(enum ctw_decision_kind kind)
{
	return (unsigned)kind < CTW_DEC__ACTIONS;
}
