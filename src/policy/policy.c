/* The policy engine: when to raise, lower or rehash the table, when to
 * shorten and restore timeouts, and what to tell the operator. Pure. */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "policy/bounds.h"
#include "kernel/memory.h"

#define U64_LIMIT_D 18446744073709551616.0  /* 2^64: casts at or above are undefined */
#define LOWER_MIN_GAIN 5                    /* lower only by at least 1/5 of max */

/* What one round knows, computed once from the snapshot. */
struct round {
	const struct ctw_config *c;
	const struct ctw_snapshot *s;
	const struct ctw_policy_state *st;
	struct ctw_decisions *out;
	double usage;          /* percent of max, 0 when max is unlimited */
	uint64_t allowed;      /* largest max the policy allows */
	bool high;             /* usage >= high_water */
	bool dropping;         /* drops or early drops since the last snapshot */
	bool filling;          /* full sooner than the horizon at the current growth */
	double secs_to_full;
	bool pressure;
	bool at_limit;         /* pressure, and max cannot be raised */
	uint64_t max_after;    /* max once this round's raise or lower is done */
	char cause[96];        /* the pressure, for reasons */
};

static uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static bool due(const struct ctw_said *said, uint64_t now, uint64_t interval)
{
	return !said->said || elapsed(now, said->at_us) >= interval;
}

static void note_said(struct ctw_said *said, uint64_t now)
{
	said->said = true;
	said->at_us = now;
}

/* ceil(d), saturated to [0, UINT64_MAX]. */
static uint64_t ceil_u64(double d)
{
	uint64_t u;

	if (!(d > 0.0))
		return 0;
	if (d >= U64_LIMIT_D)
		return UINT64_MAX;
	u = (uint64_t)d;
	return (double)u < d && u < UINT64_MAX ? u + 1 : u;
}

static double usage_pct(const struct ctw_snapshot *s)
{
	return s->max ? (double)s->count * 100.0 / (double)s->max : 0.0;
}

static uint64_t floor_of(const struct ctw_config *c, enum ctw_timeout t)
{
	return c->timeout_floor_s[t] ? c->timeout_floor_s[t] : 1;
}

static uint64_t timeout_step_us(const struct ctw_config *c)
{
	return c->poll_interval_us > CTW_POLICY_TIMEOUT_STEP_MIN_US ?
		c->poll_interval_us : CTW_POLICY_TIMEOUT_STEP_MIN_US;
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
static struct ctw_decision *add(struct round *r, enum ctw_decision_kind kind, int prio,
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
	r->allowed = ctw_max_allowed(c, s->objsize ? s->objsize : CTW_OBJSIZE_ESTIMATE, s->memtotal);
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
	add(r, CTW_DEC_ALERT_DROPS, s->drops ? LOG_ERR : LOG_WARNING, CTW_TARGET_NONE,
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
	add(r, level_kind[next], level_priority[next], CTW_TARGET_NONE, s->count, s->max,
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
	add(r, CTW_DEC_ALERT_LIMIT, LOG_WARNING, CTW_TARGET_NONE, s->count, s->max,
	    "%s: max %llu cannot be raised, the limit is %llu (max_ceiling %llu%s)", r->cause,
	    (unsigned long long)s->max, (unsigned long long)r->allowed, (unsigned long long)c->max_ceiling, budget);
}

/* ---- max and hash --------------------------------------------------------- */

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
	return ctw_max_target(c, ceil_u64(want), s->max, r->allowed);
}

static void decide_raise(struct round *r)
{
	uint64_t max = r->s->max, target = raise_target(r);

	if (target <= max) {
		r->at_limit = true;
		return;
	}
	add(r, CTW_DEC_RAISE_MAX, LOG_NOTICE, CTW_TARGET_MAX, max, target, "%s: raise max %llu -> %llu",
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
	add(r, CTW_DEC_LOWER_MAX, LOG_NOTICE, CTW_TARGET_MAX, max, target,
	    "usage %.1f%% < low_water %g%% for %s: lower max %llu -> %llu", r->usage, c->low_water_pct, hold,
	    (unsigned long long)max, (unsigned long long)target);
	r->max_after = target;
}

static void decide_max(struct round *r)
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
static void decide_resize(struct round *r)
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
	add(r, CTW_DEC_RESIZE_HASH, LOG_NOTICE, CTW_TARGET_BUCKETS, s->buckets, want,
	    "max %llu / %llu buckets = %.2f > buckets_ratio %g: resize hash %llu -> %llu",
	    (unsigned long long)basis, (unsigned long long)s->buckets, (double)basis / (double)s->buckets,
	    c->buckets_ratio, (unsigned long long)s->buckets, (unsigned long long)want);
}

/* ---- timeouts -------------------------------------------------------------- */

/* Halve the first shortenable timeout above its floor, in table order
 * (tcp_timeout_established first). */
static void shorten_one(struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;

	for (int t = 0; t < CTW_TO__COUNT; t++) {
		uint64_t cur = s->timeout_s[t], floor = floor_of(c, t), next;
		struct ctw_decision *d;

		if (!c->timeout_shorten[t] || !s->have_timeout[t] || cur <= floor)
			continue;
		next = cur / 2 > floor ? cur / 2 : floor;
		d = add(r, CTW_DEC_SHORTEN_TIMEOUT, LOG_NOTICE, CTW_TARGET_TIMEOUT, cur, next,
			"%s, max at its limit %llu: shorten %s %llus -> %llus (floor %llus)", r->cause,
			(unsigned long long)r->allowed, ctw_timeout_info(t)->name, (unsigned long long)cur,
			(unsigned long long)next, (unsigned long long)floor);
		if (d)
			d->timeout = t;
		return;
	}
}

/* Double back the last shortened timeout in table order, up to its original. */
static void restore_one(struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;
	char hold[32];

	ctw_format_duration(c->low_water_hold_us, hold, sizeof(hold));
	for (int t = CTW_TO__COUNT - 1; t >= 0; t--) {
		uint64_t cur = s->timeout_s[t], orig = r->st->original_s[t], next;
		struct ctw_decision *d;

		if (!r->st->shortened[t] || !s->have_timeout[t] || cur >= orig)
			continue;
		next = cur > orig / 2 ? orig : cur * 2;
		if (next < floor_of(c, t))
			next = floor_of(c, t) < orig ? floor_of(c, t) : orig;
		d = add(r, CTW_DEC_RESTORE_TIMEOUT, LOG_NOTICE, CTW_TARGET_TIMEOUT, cur, next,
			"usage under low_water %g%% for %s: restore %s %llus -> %llus (original %llus)",
			c->low_water_pct, hold, ctw_timeout_info(t)->name, (unsigned long long)cur,
			(unsigned long long)next, (unsigned long long)orig);
		if (d)
			d->timeout = t;
		return;
	}
}

static void decide_timeouts(struct round *r)
{
	const struct ctw_policy_state *st = r->st;
	uint64_t now = r->s->now_us;

	if (st->timeout_stepped && elapsed(now, st->last_timeout_step_us) < timeout_step_us(r->c))
		return;
	if (r->at_limit)
		shorten_one(r);
	else if (!r->pressure && st->under_low && elapsed(now, st->under_low_since_us) >= r->c->low_water_hold_us)
		restore_one(r);
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
	decide_max(&r);
	decide_resize(&r);
	decide_timeouts(&r);
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
