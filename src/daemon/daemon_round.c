/* One poll round of the daemon: snapshot -> policy -> actuator -> journal. */
#include "daemon/daemon_round.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "daemon/daemon_outside.h"
#include "daemon/daemon_status.h"

static enum ctw_knob decision_knob(const struct ctw_decision *dec)
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

static enum ctw_event decision_event(enum ctw_decision_kind kind)
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

static void fill_snapshot(const struct ctw_daemon *d, const struct ctw_poll *p, uint64_t now_us,
			  struct ctw_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->now_us = now_us;
	s->count = p->count;
	s->max = p->max;
	s->buckets = p->have_buckets ? p->buckets : 0;
	s->drops = p->drops;
	s->early_drops = p->early_drops;
	s->objsize = d->objsize;
	s->memtotal = d->memtotal;
	/* Growth is known once two polls have seen the same netns; for our own
	 * netns the events give it sooner and sharper. */
	s->have_growth = true;
	s->growth_per_s = p->growth_per_s;
	/* Timeouts are per namespace, and the ones read (and written) are our
	 * own: shortening them cannot help another namespace that is full, so
	 * the policy sees them only when the pressure is in ours. */
	if (p->fullest == ctw_poller_own(&d->poller)) {
		memcpy(s->have_timeout, p->have_timeout, sizeof(s->have_timeout));
		memcpy(s->timeout_s, p->timeout_s, sizeof(s->timeout_s));
	}
}

static void journal_decision(struct ctw_daemon *d, const struct ctw_decision *dec,
			     const struct ctw_snapshot *s, const struct ctw_watcher *fullest, bool applied)
{
	struct ctw_journal_entry e;
	bool action = ctw_decision_is_action(dec->kind);
	const char *knob = action ? ctw_knob_sysctl_name(decision_knob(dec)) : "";

	if (action && !dec->apply)
		ctw_journal_entry_init(&e, decision_event(dec->kind), "advise: would set %s %" PRIu64 " -> %" PRIu64 ": %s",
				       knob, dec->old_value, dec->new_value, dec->reason);
	else if (action)
		ctw_journal_entry_init(&e, decision_event(dec->kind), "%s %" PRIu64 " -> %" PRIu64 ": %s",
				       knob, dec->old_value, dec->new_value, dec->reason);
	else if (fullest && fullest != ctw_poller_own(&d->poller))
		ctw_journal_entry_init(&e, decision_event(dec->kind), "%s (netns %s, inode %" PRIu64 ")",
				       dec->reason, fullest->ref.name, fullest->ref.inode);
	else
		ctw_journal_entry_init(&e, decision_event(dec->kind), "%s", dec->reason);
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
	const char *knob = ctw_knob_sysctl_name(decision_knob(dec));

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

/* Carry out one decision; returns whether the kernel now has the new value. */
static bool carry_out(struct ctw_daemon *d, const struct ctw_decision *dec, const struct ctw_snapshot *s,
		      const struct ctw_watcher *fullest)
{
	char err[512] = "";
	bool first_report;
	int errnum;

	if (!ctw_decision_is_action(dec->kind) || !dec->apply) {
		journal_decision(d, dec, s, fullest, false);
		return false;
	}
	/* A knob set outside ctwarden is the operator's. */
	if (!ctw_daemon_outside_allows(d, dec, decision_knob(dec)))
		return false;
	switch (ctw_actuator_apply(&d->actuator, decision_knob(dec), dec->old_value, dec->new_value,
				   s->now_us, &errnum, &first_report, err, sizeof(err))) {
	case CTW_APPLY_DONE:
		ctw_daemon_outside_wrote(d, decision_knob(dec), dec->new_value);
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

static void update_status(struct ctw_daemon *d, const struct ctw_poll *p)
{
	char status[sizeof(d->status)];
	unsigned pct = p->max ? (unsigned)(100 * p->count / p->max) : 0;

	snprintf(status, sizeof(status), "count %" PRIu64 "/%" PRIu64 " (%u%%%s%s), %" PRIu64 " drops%s",
		 p->count, p->max, pct, p->n_netns > 1 ? " in " : "", p->n_netns > 1 ? p->fullest->ref.name : "",
		 d->drops_total, d->cfg.mode == CTW_MODE_ADVISE ? ", advise mode" : "");
	if (strcmp(status, d->status) != 0) {
		memcpy(d->status, status, sizeof(status));
		sd_notifyf(0, "STATUS=%s", status);
	}
}

int ctw_daemon_poll_round(struct ctw_daemon *d, uint64_t now_us)
{
	struct ctw_decisions decisions;
	struct ctw_snapshot snap;
	struct ctw_poll poll;
	int r;

	r = ctw_poller_read(&d->poller, now_us, false, &poll);
	if (r < 0) {
		if (!d->poll_failing)
			ctw_log(LOG_ERR, "cannot read the conntrack count or max: %s; retrying", strerror(-r));
		d->poll_failing = true;
		return r;
	}
	d->poll_failing = false;
	d->drops_total += poll.drops;
	ctw_daemon_outside_observe(d, &poll);
	fill_snapshot(d, &poll, now_us, &snap);

	ctw_policy_observe(&d->policy, &d->cfg, &snap);
	ctw_policy_decide(&d->cfg, &snap, &d->policy, &decisions);
	for (size_t i = 0; i < decisions.n; i++) {
		const struct ctw_decision *dec = &decisions.d[i];
		bool applied = carry_out(d, dec, &snap, poll.fullest);

		ctw_policy_commit(&d->policy, dec, &snap, applied);
		ctw_daemon_status_decision(d, dec, applied);
		/* Later decisions of the round (a resize after a raise) see the new max. */
		if (applied && dec->target == CTW_TARGET_MAX)
			snap.max = dec->new_value;
		else if (applied && dec->target == CTW_TARGET_BUCKETS)
			snap.buckets = dec->new_value;
	}
	update_status(d, &poll);
	ctw_daemon_status_publish(d, &poll, now_us);
	if (!d->ready) {
		d->ready = true;
		sd_notify(0, "READY=1");
	}
	return 0;
}
