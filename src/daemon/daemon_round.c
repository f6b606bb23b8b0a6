/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One poll round of the daemon. The round calls its stages side by side:
 * read the namespaces, decide (global, then per-namespace timeouts), and for
 * each decision carry it out, commit it to the policy, record it in the
 * status and the counters; then the retirement passes the timeout steps
 * made due; then publish. No stage calls the next. */
#include "daemon/daemon_round.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "daemon/daemon_carry.h"
#include "daemon/daemon_metrics.h"
#include "daemon/daemon_outside.h"
#include "daemon/daemon_retire.h"
#include "daemon/daemon_status.h"
#include "daemon/daemon_timeouts.h"

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
	/* No timeouts: they are per namespace, decided for each namespace with
	 * its own values (daemon_timeouts.c), never the host's for another's
	 * full table. */
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

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "At its limit" for the metrics: from a limit-reached alert until max moves
 * again or usage is back to normal. */
static void note_limit(struct ctw_daemon *d, const struct ctw_decision *dec, bool applied)
{
	if (dec->kind == CTW_DEC_ALERT_LIMIT)
		d->limit_reached = true;
	else if (dec->kind == CTW_DEC_ALERT_NORMAL || (applied && dec->kind == CTW_DEC_RAISE_MAX))
		d->limit_reached = false;
}

/* What follows a decision, whoever made it: the policy learns whether it
 * took, and the status and the counters say it. */
static void record(struct ctw_daemon *d, struct ctw_policy_state *st, const struct ctw_decision *dec,
		   const struct ctw_snapshot *snap, bool applied)
{
	ctw_policy_commit(st, dec, snap, applied);
	note_limit(d, dec, applied);
	ctw_daemon_status_decision(d, dec, applied);
	if (applied)
		ctw_daemon_metrics_count(d, ctw_decision_event(dec->kind));
}

static void global_decisions(struct ctw_daemon *d, const struct ctw_poll *poll, struct ctw_snapshot *snap)
{
	struct ctw_decisions decisions;

	ctw_policy_observe(&d->policy, &d->cfg, snap);
	ctw_policy_decide(&d->cfg, snap, &d->policy, &decisions);
	for (size_t i = 0; i < decisions.n; i++) {
		const struct ctw_decision *dec = &decisions.d[i];
		bool applied = ctw_daemon_carry_out(d, dec, snap, poll->fullest, NULL);

		record(d, &d->policy, dec, snap, applied);
		/* Later decisions of the round (a resize after a raise) see the new max. */
		if (applied && dec->target == CTW_TARGET_MAX)
			snap->max = dec->new_value;
		else if (applied && dec->target == CTW_TARGET_BUCKETS)
			snap->buckets = dec->new_value;
	}
}

static void timeout_decisions(struct ctw_daemon *d, const struct ctw_poll *poll, const struct ctw_snapshot *snap)
{
	struct ctw_ns_decisions decisions;

	ctw_daemon_timeouts_decide(d, snap, poll, &decisions);
	for (size_t i = 0; i < decisions.n; i++) {
		struct ctw_ns_decision *nd = &decisions.d[i];
		struct ctw_watcher *in = nd->w->opts.own ? NULL : nd->w;
		bool applied = ctw_daemon_carry_out(d, &nd->dec, &nd->snap, nd->w, in);

		record(d, &nd->w->tpol, &nd->dec, &nd->snap, applied);
		/* What retirement needs to know: the value written, a step
		 * carried out (or only advised) whose pass is due. */
		if (applied)
			ctw_daemon_retire_note(nd->w, nd->dec.timeout, nd->dec.new_value, snap->now_us);
		if (applied || !nd->dec.apply)
			ctw_daemon_retire_due(nd->w, &nd->dec, !applied);
		ctw_daemon_timeouts_note(d, nd->w);
	}
}

int ctw_daemon_poll_round(struct ctw_daemon *d, uint64_t now_us)
{
	double started = clock_s(CLOCK_MONOTONIC);
	struct ctw_snapshot snap;
	struct ctw_poll poll;
	int r;

	r = ctw_poller_read(&d->poller, now_us, false, &poll);
	if (r < 0) {
		if (!d->poll_failing)
			ctw_log(LOG_ERR, "cannot read the conntrack count or max: %s; retrying", strerror(-r));
		d->poll_failing = true;
		d->poll_error = r;
		return r;
	}
	d->poll_failing = false;
	d->poll_error = 0;
	d->drops_total += poll.drops;
	ctw_daemon_outside_observe(d, &poll);
	fill_snapshot(d, &poll, now_us, &snap);

	global_decisions(d, &poll, &snap);
	timeout_decisions(d, &poll, &snap);
	ctw_daemon_retire_round(d, now_us);

	update_status(d, &poll);
	ctw_daemon_status_publish(d, &poll, now_us);
	d->last_poll_wall_s = clock_s(CLOCK_REALTIME);
	d->last_poll_duration_s = clock_s(CLOCK_MONOTONIC) - started;
	d->last_good_poll_us = now_us;
	ctw_daemon_metrics_publish(d, &poll, now_us);
	if (!d->ready) {
		d->ready = true;
		sd_notify(0, "READY=1");
	}
	return 0;
}
