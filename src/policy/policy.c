/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy engine's state: what it remembers between rounds (observe a
 * snapshot, commit what was done), and the decisions' names. The decide step
 * is policy_decide.c. Pure. */
#include "policy/policy.h"

#include <string.h>

static uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
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
