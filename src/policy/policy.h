/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's policy engine: from a snapshot of the table and what it
 * remembers, decide what to change (max, hash size, timeouts) and what to say.
 * Pure: no I/O, no clock, no globals; the caller owns the state.
 *
 * One round of the daemon loop:
 *
 *	ctw_policy_observe(&st, cfg, &snap);
 *	ctw_policy_decide(cfg, &snap, &st, &out);
 *	for (size_t i = 0; i < out.n; i++) {
 *		bool applied = out.d[i].apply && write_the_knob(&out.d[i]) == 0;
 *		log_or_journal(&out.d[i], applied);
 *		ctw_policy_commit(&st, &out.d[i], &snap, applied);
 *	}
 *
 * Every decision must be committed, applied or not (alerts too): the state
 * remembers what was advised and said so that nothing repeats every poll.
 * In advise mode the decisions are the same but none has .apply set.
 *
 * Rules. Pressure = usage >= high_water, or drops/early drops since the last
 * snapshot, or (usage >= low_water and a growth rate) full sooner than horizon.
 * - Pressure: raise max (ctw_max_target of the count plus the growth over the
 *   horizon, x1.25 at least, x2 when urgent, about x4 at most, never above
 *   ctw_max_allowed). If max cannot go higher: "limit reached" (again after
 *   alert_reminder) and shorten one timeout per step (halved, floors kept,
 *   tcp_timeout_established first, then table order).
 * - max/buckets above buckets_ratio: resize to ctw_buckets_for_max (upward
 *   only), once per resize_cooldown, sized for the max after a raise.
 * - Usage under low_water for low_water_hold: restore timeouts one step at a
 *   time (doubled, up to the original, last shortened first), then, with
 *   allow_lower_max, lower max (at most halved, the recent peak at low_water,
 *   at least a fifth less) at most once per hold.
 * - Level alerts (warning, critical, normal) on a change of level, left 5
 *   points under a threshold; reminders every alert_reminder_us. */
#ifndef CTW_POLICY_H
#define CTW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/timeouts.h"

/* Alert levels are left only this many points under their threshold. */
#define CTW_POLICY_LEVEL_HYSTERESIS_PCT 5.0
/* Timeout steps are at least max(poll interval, this) apart. */
#define CTW_POLICY_TIMEOUT_STEP_MIN_US (5ULL * 1000000)
/* Raise steps: at least x1.25, x2 when urgent (drops, critical usage), at most x4. */
#define CTW_POLICY_RAISE_MIN 1.25
#define CTW_POLICY_RAISE_URGENT 2.0
#define CTW_POLICY_RAISE_MAX 4.0

struct ctw_snapshot {
	uint64_t now_us;        /* monotonic */
	uint64_t count;
	uint64_t max;           /* 0 = unlimited (kernels up to 6.18) */
	uint64_t buckets;       /* 0 = unknown */
	uint64_t drops;         /* since the previous snapshot */
	uint64_t early_drops;   /* since the previous snapshot */
	uint64_t objsize;       /* bytes per entry; 0 = unknown, CTW_OBJSIZE_ESTIMATE is used */
	uint64_t memtotal;      /* bytes; 0 = unknown, only max_ceiling limits max */
	bool have_timeout[CTW_TO__COUNT];
	uint64_t timeout_s[CTW_TO__COUNT];
	bool have_growth;
	double growth_per_s;    /* net entries per second, from events */
};

enum ctw_level { CTW_LEVEL_NORMAL, CTW_LEVEL_WARN, CTW_LEVEL_CRIT };

enum ctw_decision_kind {
	CTW_DEC_RAISE_MAX,
	CTW_DEC_LOWER_MAX,
	CTW_DEC_RESIZE_HASH,
	CTW_DEC_SHORTEN_TIMEOUT,
	CTW_DEC_RESTORE_TIMEOUT,
	CTW_DEC__ACTIONS,       /* kinds below this change a knob */
	CTW_DEC_ALERT_DROPS = CTW_DEC__ACTIONS,
	CTW_DEC_ALERT_WARN,
	CTW_DEC_ALERT_CRIT,
	CTW_DEC_ALERT_NORMAL,
	CTW_DEC_ALERT_LIMIT,    /* pressure, and max cannot be raised further */
	CTW_DEC__COUNT
};

enum ctw_target { CTW_TARGET_NONE, CTW_TARGET_MAX, CTW_TARGET_BUCKETS, CTW_TARGET_TIMEOUT };

#define CTW_REASON_MAX 200

struct ctw_decision {
	enum ctw_decision_kind kind;
	int priority;              /* syslog level (LOG_NOTICE ...), as the journal's */
	enum ctw_target target;
	enum ctw_timeout timeout;  /* when target is CTW_TARGET_TIMEOUT */
	/* Actions: the knob's value now and the one to write. Alerts: the
	 * snapshot's count (old) and max (new), for the record. */
	uint64_t old_value;
	uint64_t new_value;
	bool apply;                /* an action in enforce mode: write it */
	char reason[CTW_REASON_MAX];
};

/* Raise/lower, resize, one timeout step, drops, level, limit. */
#define CTW_DECISIONS_MAX 8

struct ctw_decisions {
	size_t n;
	struct ctw_decision d[CTW_DECISIONS_MAX];
};

/* "Said at" memory for an alert. */
struct ctw_said {
	bool said;
	uint64_t at_us;
};

/* The last action that was decided but not applied (advise mode or a failed
 * write). In advise mode the same advice is not repeated within
 * alert_reminder_us; in enforce mode a failed write is decided again each
 * round and the actuator paces the retries. */
struct ctw_advice {
	bool pending;
	uint64_t at_us;
	enum ctw_target target;
	enum ctw_timeout timeout;
	uint64_t value;
};

struct ctw_policy_state {
	bool resized;               /* a resize was decided (applied or not) ... */
	uint64_t last_resize_us;    /* ... at this time */
	bool max_changed;           /* max was raised or lowered ... */
	uint64_t last_max_change_us;
	bool under_low;             /* usage under low_water ... */
	uint64_t under_low_since_us;
	/* The highest count of the quiet spell, over the last one to two
	 * low_water_hold windows (two windows: no history needed). */
	uint64_t quiet_peak, quiet_peak_prev, quiet_window_us;
	bool timeout_stepped;
	uint64_t last_timeout_step_us;
	bool shortened[CTW_TO__COUNT];       /* shortened by us, to restore ... */
	uint64_t original_s[CTW_TO__COUNT];  /* ... up to this value */
	enum ctw_level level;
	struct ctw_said level_said;
	struct ctw_said drops_said;
	struct ctw_said limit_said;
	struct ctw_advice advice[CTW_DEC__ACTIONS];
};

void ctw_policy_state_init(struct ctw_policy_state *st);

/* Take note of a new snapshot (how long usage has been under low_water,
 * timeouts someone else put back). Call before ctw_policy_decide(). */
void ctw_policy_observe(struct ctw_policy_state *st, const struct ctw_config *c,
			const struct ctw_snapshot *s);

/* Decide this round's actions and alerts, in the order they should be
 * carried out (a raise before its resize). */
void ctw_policy_decide(const struct ctw_config *c, const struct ctw_snapshot *s,
		       const struct ctw_policy_state *st, struct ctw_decisions *out);

/* Remember a decision once the daemon tried it; applied is false when the
 * write failed, in advise mode, and for alerts it does not matter. */
void ctw_policy_commit(struct ctw_policy_state *st, const struct ctw_decision *d,
		       const struct ctw_snapshot *s, bool applied);

/* Stable names, used as journal field values. */
/* Alerts are named as the journal's events ("drops_seen", "usage_warning"),
 * actions by what they do ("raise_max"). */
const char *ctw_decision_kind_name(enum ctw_decision_kind kind);
const char *ctw_level_name(enum ctw_level level);                  /* "normal", "warning", "critical" */
/* The knob a decision is about: "nf_conntrack_max", "nf_conntrack_buckets",
 * the timeout's sysctl name, or "" for alerts. */
const char *ctw_decision_target_name(const struct ctw_decision *d);
bool ctw_decision_is_action(enum ctw_decision_kind kind);

#endif
