/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Carrying out one decision: the write (in our namespace, or a timeout in
 * another one), and the journal entry that says what, why, before and after. */
#include "daemon/daemon_carry.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon_outside.h"

enum ctw_knob ctw_decision_knob(const struct ctw_decision *dec)
{
	switch (dec->target) {
	case CTW_TARGET_MAX:
		return CTW_KNOB_MAX;
	case CTW_TARGET_BUCKETS:
		return CTW_KNOB_BUCKETS;
	case CTW_TARGET_TIMEOUT:
		return CTW_KNOB_TIMEOUT(dec->timeout);
	default:
		return CTW_KNOB__COUNT;
	}
}

enum ctw_event ctw_decision_event(enum ctw_decision_kind kind)
{
	switch (kind) {
	case CTW_DEC_RAISE_MAX: return CTW_EV_MAX_RAISED;
	case CTW_DEC_LOWER_MAX: return CTW_EV_MAX_LOWERED;
	case CTW_DEC_RESIZE_HASH: return CTW_EV_HASH_RESIZED;
	case CTW_DEC_SHORTEN_TIMEOUT: return CTW_EV_TIMEOUT_SHORTENED;
	case CTW_DEC_RESTORE_TIMEOUT: return CTW_EV_TIMEOUT_RESTORED;
	case CTW_DEC_ALERT_DROPS: return CTW_EV_DROPS_SEEN;
	case CTW_DEC_ALERT_WARN: return CTW_EV_USAGE_WARNING;
	case CTW_DEC_ALERT_CRIT: return CTW_EV_USAGE_CRITICAL;
	case CTW_DEC_ALERT_NORMAL: return CTW_EV_USAGE_NORMAL;
	case CTW_DEC_ALERT_LIMIT: return CTW_EV_LIMIT_REACHED;
	default: return CTW_EV__COUNT;
	}
}

static void journal_decision(struct ctw_daemon *d, const struct ctw_decision *dec,
			     const struct ctw_snapshot *s, const struct ctw_watcher *fullest, bool applied)
{
	struct ctw_journal_entry e;
	bool action = ctw_decision_is_action(dec->kind);
	const char *knob = action ? ctw_knob_sysctl_name(ctw_decision_knob(dec)) : "";

	if (action && !dec->apply)
		ctw_journal_entry_init(&e, ctw_decision_event(dec->kind), "advise: would set %s %" PRIu64 " -> %" PRIu64 ": %s",
				       knob, dec->old_value, dec->new_value, dec->reason);
	else if (action && fullest && fullest != ctw_poller_own(&d->poller))
		ctw_journal_entry_init(&e, ctw_decision_event(dec->kind), "%s %" PRIu64 " -> %" PRIu64
				       " in netns %s (inode %" PRIu64 "): %s", knob, dec->old_value, dec->new_value,
				       fullest->ref.name, fullest->ref.inode, dec->reason);
	else if (action)
		ctw_journal_entry_init(&e, ctw_decision_event(dec->kind), "%s %" PRIu64 " -> %" PRIu64 ": %s",
				       knob, dec->old_value, dec->new_value, dec->reason);
	else if (fullest && fullest != ctw_poller_own(&d->poller))
		ctw_journal_entry_init(&e, ctw_decision_event(dec->kind), "%s (netns %s, inode %" PRIu64 ")",
				       dec->reason, fullest->ref.name, fullest->ref.inode);
	else
		ctw_journal_entry_init(&e, ctw_decision_event(dec->kind), "%s", dec->reason);
	if (dec->kind == CTW_DEC_ALERT_CRIT || dec->kind == CTW_DEC_ALERT_DROPS) {
		char top[256];

		ctw_watcher_top_line(fullest ? fullest : ctw_poller_own(&d->poller), top, sizeof(top));
		if (top[0] && strlen(e.message) + strlen(top) + 3 < sizeof(e.message))
			strcat(strcat(e.message, "; "), top);
	}
	ctw_journal_entry_set_usage(&e, s->count, s->max);
	if (s->buckets)
		ctw_journal_entry_set_buckets(&e, s->buckets);
	ctw_journal_entry_set_reason(&e, "%s", dec->reason);
	ctw_journal_entry_set_mode(&e, d->cfg.mode);
	if (action) {
		ctw_journal_entry_set_knob(&e, knob);
		ctw_journal_entry_set_old_new(&e, dec->old_value, dec->new_value);
	}
	if (dec->kind == CTW_DEC_ALERT_DROPS)
		ctw_journal_entry_set_drops(&e, s->drops + s->early_drops);
	if (fullest && fullest->ref.inode)
		ctw_journal_entry_set_netns(&e, fullest->ref.inode);
	(void)applied;
	ctw_journal_emit(&d->journal, &e);
}

static void journal_failure(struct ctw_daemon *d, const struct ctw_decision *dec,
			    const struct ctw_snapshot *s, int errnum, const char *err)
{
	struct ctw_journal_entry e;
	const char *knob = ctw_knob_sysctl_name(ctw_decision_knob(dec));

	ctw_journal_entry_init(&e, CTW_EV_ACTION_FAILED, "cannot set %s to %" PRIu64 ": %s; keeping %" PRIu64
			       ", retrying with backoff", knob, dec->new_value, err, dec->old_value);
	ctw_journal_entry_set_usage(&e, s->count, s->max);
	ctw_journal_entry_set_knob(&e, knob);
	ctw_journal_entry_set_old_new(&e, dec->old_value, dec->new_value);
	ctw_journal_entry_set_errno(&e, errnum);
	ctw_journal_entry_set_reason(&e, "%s", dec->reason);
	ctw_journal_entry_set_mode(&e, d->cfg.mode);
	ctw_journal_emit(&d->journal, &e);
}

bool ctw_daemon_carry_out(struct ctw_daemon *d, const struct ctw_decision *dec, const struct ctw_snapshot *s,
			  const struct ctw_watcher *fullest, struct ctw_watcher *in)
{
	enum ctw_apply_result result;
	char err[512] = "";
	bool first_report;
	int errnum;

	if (!ctw_decision_is_action(dec->kind) || !dec->apply) {
		journal_decision(d, dec, s, fullest, false);
		return false;
	}
	if (in) {
		/* A timeout inside another namespace. */
		result = ctw_actuator_apply_netns(&d->actuator, &in->ref, ctw_decision_knob(dec), dec->old_value,
						  dec->new_value, s->now_us, &in->timeout_backoff[dec->timeout],
						  &errnum, &first_report, err, sizeof(err));
	} else {
		/* A knob set outside ctwarden is the operator's. */
		if (!ctw_daemon_outside_allows(d, dec, ctw_decision_knob(dec)))
			return false;
		result = ctw_actuator_apply(&d->actuator, ctw_decision_knob(dec), dec->old_value, dec->new_value,
					    s->now_us, &errnum, &first_report, err, sizeof(err));
	}
	switch (result) {
	case CTW_APPLY_DONE:
		if (!in)
			ctw_daemon_outside_wrote(d, ctw_decision_knob(dec), dec->new_value);
		journal_decision(d, dec, s, fullest, true);
		return true;
	case CTW_APPLY_FAILED:
		if (first_report)
			journal_failure(d, dec, s, errnum, err);
		return false;
	case CTW_APPLY_BACKOFF:
	default:
		return false;
	}
}

