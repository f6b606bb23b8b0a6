/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden's metrics from the running daemon: rendered once per change into
 * one buffer, which the textfile ([metrics] textfile, for node_exporter's
 * textfile collector) and the HTTP endpoint's /metrics both serve. */
#include "daemon/daemon_metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "base/log.h"
#include "base/prom.h"
#include "base/prom_metrics.h"
#include "daemon/daemon_outside.h"
#include "kernel/netns_name.h"
#include "output/http.h"

#define SYSCTL_PREFIX "net.netfilter."

/* The kinds decisions_total always has, so rate() works from the first scrape. */
static const enum ctw_event counted[] = {
	CTW_EV_MAX_RAISED, CTW_EV_MAX_LOWERED, CTW_EV_HASH_RESIZED,
	CTW_EV_TIMEOUT_SHORTENED, CTW_EV_TIMEOUT_RESTORED, CTW_EV_OUTSIDE_CHANGE,
};

void ctw_daemon_metrics_count(struct ctw_daemon *d, enum ctw_event kind)
{
	if ((unsigned)kind < CTW_EV__COUNT)
		d->metrics_counts[kind]++;
	d->metrics_dirty = true;
}

struct ns_label {
	char inode[24];
	struct ctw_prom_label l[3];
};

static void label(struct ns_label *n, const struct ctw_watcher *w)
{
	snprintf(n->inode, sizeof(n->inode), "%" PRIu64, w->ref.inode);
	n->l[0] = (struct ctw_prom_label){ "netns", w->ref.name };
	n->l[1] = (struct ctw_prom_label){ "netns_inode", n->inode };
}

/* One family, one sample per watched namespace. */
enum ns_value { V_ENTRIES, V_LIMIT, V_USAGE, V_TTF, V_NEW, V_DESTROY, V_DROPS, V_EARLY, V_OVERRUNS };

static void per_namespace(struct ctw_prom *p, const struct ctw_daemon *d, uint64_t max, enum ctw_metric m,
			  enum ns_value v)
{
	ctw_prom_metric_family(p, m);
	for (unsigned i = 0; i < d->poller.n_watch; i++) {
		const struct ctw_watcher *w = d->poller.watch[i];
		struct ctw_watcher_summary s;
		struct ns_label n;

		ctw_watcher_summary(w, max, &s);
		label(&n, w);
		switch (v) {
		case V_ENTRIES: ctw_prom_sample_u64(p, n.l, 2, s.count); break;
		case V_LIMIT: ctw_prom_sample_u64(p, n.l, 2, max); break;
		case V_USAGE:
			if (max)
				ctw_prom_sample(p, n.l, 2, (double)s.count / (double)max);
			break;
		case V_TTF: ctw_prom_sample(p, n.l, 2, s.have_time_to_full ? s.time_to_full_s : INFINITY); break;
		case V_NEW:
			if (s.have_rates)
				ctw_prom_sample(p, n.l, 2, s.new_per_s);
			break;
		case V_DESTROY:
			if (s.have_rates)
				ctw_prom_sample(p, n.l, 2, s.destroy_per_s);
			break;
		case V_DROPS: ctw_prom_sample_u64(p, n.l, 2, s.drops); break;
		case V_EARLY: ctw_prom_sample_u64(p, n.l, 2, s.early_drops); break;
		case V_OVERRUNS:
			if (s.have_events)
				ctw_prom_sample_u64(p, n.l, 2, s.events.overruns);
			break;
		}
	}
}

static void events_total(struct ctw_prom *p, const struct ctw_daemon *d)
{
	ctw_prom_metric_family(p, CTW_M_EVENTS);
	for (unsigned i = 0; i < d->poller.n_watch; i++) {
		const struct ctw_watcher *w = d->poller.watch[i];
		struct ctw_watcher_summary s;
		struct ns_label n;

		ctw_watcher_summary(w, 0, &s);
		if (!s.have_events)
			continue;
		label(&n, w);
		n.l[2] = (struct ctw_prom_label){ "type", "new" };
		ctw_prom_sample_u64(p, n.l, 3, s.events.new);
		n.l[2] = (struct ctw_prom_label){ "type", "destroy" };
		ctw_prom_sample_u64(p, n.l, 3, s.events.destroy);
	}
}

/* Knobs of our own namespace: the values now, and the originals recorded
 * before ctwarden first changed them. */
static void knobs(struct ctw_prom *p, const struct ctw_daemon *d, const struct ctw_poll *poll)
{
	const char *own = ctw_poller_own(&d->poller)->ref.name;
	struct ctw_prom_label l[2] = { { "knob", NULL }, { "netns", own } };

	ctw_prom_metric_family(p, CTW_M_KNOB_VALUE);
	l[0].value = ctw_knob_sysctl_name(CTW_KNOB_MAX) + strlen(SYSCTL_PREFIX);
	ctw_prom_sample_u64(p, l, 2, poll->max);
	if (poll->have_buckets) {
		l[0].value = ctw_knob_sysctl_name(CTW_KNOB_BUCKETS) + strlen(SYSCTL_PREFIX);
		ctw_prom_sample_u64(p, l, 2, poll->buckets);
	}
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		if (!poll->have_timeout[t])
			continue;
		l[0].value = ctw_knob_sysctl_name(CTW_KNOB_TIMEOUT(t)) + strlen(SYSCTL_PREFIX);
		ctw_prom_sample_u64(p, l, 2, poll->timeout_s[t]);
	}
	ctw_prom_metric_family(p, CTW_M_KNOB_ORIGINAL);
	for (int k = 0; k < CTW_KNOB__COUNT; k++) {
		const char *name = ctw_knob_sysctl_name((enum ctw_knob)k);
		uint64_t original;

		if (name && ctw_state_get_original(&d->actuator.state, name, &original) == 0) {
			l[0].value = name + strlen(SYSCTL_PREFIX);
			ctw_prom_sample_u64(p, l, 2, original);
		}
	}
}

/* The pod behind each namespace that is one: an info metric, so the other
 * series keep one label set and a query adds the pod with
 * "* on(netns_inode) group_left(pod_namespace, pod)". */
static void pods(struct ctw_prom *p, const struct ctw_daemon *d)
{
	ctw_prom_metric_family(p, CTW_M_NETNS_POD);
	for (unsigned i = 0; i < d->poller.n_watch; i++) {
		const struct ctw_watcher *w = d->poller.watch[i];
		char ns[CTW_NETNS_NAME_MAX], pod[CTW_NETNS_NAME_MAX];
		struct ns_label n;
		struct ctw_prom_label l[4];

		if (!ctw_netns_name_pod(w->ref.name, ns, sizeof(ns), pod, sizeof(pod)))
			continue;
		label(&n, w);
		l[0] = n.l[0];
		l[1] = n.l[1];
		l[2] = (struct ctw_prom_label){ "pod_namespace", ns };
		l[3] = (struct ctw_prom_label){ "pod", pod };
		ctw_prom_sample_u64(p, l, 4, 1);
	}
}

/* What the retirement passes did, per namespace that had one. */
static void retired(struct ctw_prom *p, const struct ctw_daemon *d)
{
	ctw_prom_metric_family(p, CTW_M_ENTRIES_RETIRED);
	for (unsigned i = 0; i < d->poller.n_watch; i++) {
		const struct ctw_watcher *w = d->poller.watch[i];
		struct ns_label n;
		struct ctw_prom_label l[4];

		label(&n, w);
		l[0] = n.l[0];
		l[1] = n.l[1];
		for (int t = 0; t < CTW_TO__COUNT; t++) {
			if (!w->retire_touched[t])
				continue;
			l[2] = (struct ctw_prom_label){ "timeout", ctw_timeout_info(t)->name };
			l[3] = (struct ctw_prom_label){ "action", "deleted" };
			ctw_prom_sample_u64(p, l, 4, w->retired_deleted[t]);
			l[3] = (struct ctw_prom_label){ "action", "retimed" };
			ctw_prom_sample_u64(p, l, 4, w->retired_retimed[t]);
		}
	}
	ctw_prom_metric_family(p, CTW_M_RETIRE_DURATION);
	for (unsigned i = 0; i < d->poller.n_watch; i++) {
		const struct ctw_watcher *w = d->poller.watch[i];
		struct ns_label n;

		if (!w->have_retire_duration)
			continue;
		label(&n, w);
		ctw_prom_sample(p, n.l, 2, w->retire_last_duration_s);
	}
}

static void build(struct ctw_prom *p, struct ctw_daemon *d, const struct ctw_poll *poll)
{
	const struct ctw_prom_label version = { "version", d->version ? d->version : "unknown" };

	ctw_prom_metric_family(p, CTW_M_UP);
	ctw_prom_sample_u64(p, NULL, 0, 1);
	ctw_prom_metric_family(p, CTW_M_BUILD_INFO);
	ctw_prom_sample_u64(p, &version, 1, 1);
	per_namespace(p, d, poll->max, CTW_M_ENTRIES, V_ENTRIES);
	per_namespace(p, d, poll->max, CTW_M_LIMIT, V_LIMIT);
	if (poll->max)
		per_namespace(p, d, poll->max, CTW_M_USAGE_RATIO, V_USAGE);
	per_namespace(p, d, poll->max, CTW_M_TIME_TO_FULL, V_TTF);
	per_namespace(p, d, poll->max, CTW_M_NEW_RATE, V_NEW);
	per_namespace(p, d, poll->max, CTW_M_DESTROY_RATE, V_DESTROY);
	per_namespace(p, d, poll->max, CTW_M_DROPS, V_DROPS);
	per_namespace(p, d, poll->max, CTW_M_EARLY_DROPS, V_EARLY);
	events_total(p, d);
	per_namespace(p, d, poll->max, CTW_M_EVENT_OVERRUNS, V_OVERRUNS);
	if (poll->have_buckets) {
		ctw_prom_metric_family(p, CTW_M_BUCKETS);
		ctw_prom_sample_u64(p, NULL, 0, poll->buckets);
	}
	knobs(p, d, poll);
	ctw_prom_metric_family(p, CTW_M_DECISIONS);
	for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
		const struct ctw_prom_label kind = { "kind", ctw_event_name(counted[i]) };

		ctw_prom_sample_u64(p, &kind, 1, d->metrics_counts[counted[i]]);
	}
	ctw_prom_metric_family(p, CTW_M_LIMIT_REACHED);
	ctw_prom_sample_u64(p, NULL, 0, d->limit_reached);
	ctw_prom_metric_family(p, CTW_M_YIELDED_KNOBS);
	ctw_prom_sample_u64(p, NULL, 0, ctw_daemon_outside_yielded(d));
	ctw_prom_metric_family(p, CTW_M_NETNS_WATCHED);
	ctw_prom_sample_u64(p, NULL, 0, poll->n_netns);
	ctw_prom_metric_family(p, CTW_M_NETNS_UNWATCHABLE);
	ctw_prom_sample_u64(p, NULL, 0, poll->n_unwatchable);
	pods(p, d);
	ctw_prom_metric_family(p, CTW_M_LAST_POLL);
	ctw_prom_sample(p, NULL, 0, d->last_poll_wall_s);
	ctw_prom_metric_family(p, CTW_M_POLL_DURATION);
	ctw_prom_sample(p, NULL, 0, d->last_poll_duration_s);
	retired(p, d);
	if (d->http)
		ctw_http_metrics(d->http, p);
}

/* The endpoint's counters: a scrape is a change the next render shows. */
static uint64_t http_fingerprint(const struct ctw_daemon *d)
{
	const struct ctw_http_counts *c;
	uint64_t h = 0;

	if (!d->http)
		return 0;
	c = ctw_http_counts(d->http);
	for (int i = 0; i < CTW_HTTP_PATH__COUNT; i++)
		for (int k = 0; k < CTW_HTTP_CODE__COUNT; k++)
			h = h * 31 + c->requests[i][k];
	for (int e = 0; e < CTW_HTTP_ERR__COUNT; e++)
		h = h * 31 + c->errors[e];
	return h * 31 + c->connections;
}

/* Something a scrape would show differently: counts, drops, knobs. */
static uint64_t fingerprint(const struct ctw_daemon *d, const struct ctw_poll *p)
{
	/* The poller counts changes of counts and drops: no walk over the namespaces. */
	uint64_t h = p->max * 31 + p->buckets + p->n_netns * 7 + p->n_unwatchable * 13;

	h = h * 1099511628211ULL + d->poller.count_changes;
	/* A namespace renamed after its pod shows at the next interval's rewrite. */
	for (int t = 0; t < CTW_TO__COUNT; t++)
		h = h * 31 + p->timeout_s[t];
	return h * 1099511628211ULL + http_fingerprint(d);
}

void ctw_daemon_metrics_publish(struct ctw_daemon *d, const struct ctw_poll *poll, uint64_t now_us)
{
	const char *step = NULL;
	uint64_t fp;
	int r;

	if (!d->cfg.metrics_textfile[0] && !d->http)
		return;
	fp = fingerprint(d, poll);
	if (!d->metrics_dirty && fp == d->metrics_fingerprint && d->metrics_written_us &&
	    now_us - d->metrics_written_us < d->cfg.metrics_interval_us)
		return;
	if (!d->metrics_ready) {
		ctw_prom_init(&d->metrics);
		d->metrics_ready = true;
	}
	ctw_prom_reset(&d->metrics);
	build(&d->metrics, d, poll);
	r = ctw_prom_error(&d->metrics);
	d->metrics_good = r == 0;
	if (r == 0 && d->cfg.metrics_textfile[0]) {
		const char *text = ctw_prom_text(&d->metrics);

		r = ctw_prom_write_file(d->cfg.metrics_textfile, text, strlen(text), &step);
	}
	if (r < 0 && !d->metrics_failing) {
		if (d->cfg.metrics_textfile[0])
			ctw_log(LOG_WARNING, "cannot write the metrics file %s (%s): %s; trying again next round",
				d->cfg.metrics_textfile, step ? step : "building it", strerror(-r));
		else
			ctw_log(LOG_WARNING, "cannot build the metrics for /metrics: %s; trying again next round",
				strerror(-r));
	}
	d->metrics_failing = r < 0;
	d->metrics_dirty = false;
	d->metrics_fingerprint = fp;
	d->metrics_written_us = now_us;
}

void ctw_daemon_metrics_fini(struct ctw_daemon *d)
{
	if (d->metrics_ready)
		ctw_prom_free(&d->metrics);
	d->metrics_ready = false;
	d->metrics_good = false;
}
