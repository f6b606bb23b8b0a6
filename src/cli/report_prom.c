/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit as Prometheus metrics: the audit's subset of the names the daemon
 * writes (base/prom_metrics.h, contrib/prometheus/metrics.txt), for cron + node_exporter's textfile
 * collector on hosts without the daemon. A value that could not be read has
 * no sample (absent, never a made-up 0); the findings are counted per
 * severity, every severity always present so an alert can compare with 0. */
#include "cli/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "base/prom.h"
#include "base/prom_metrics.h"
#include "base/timeouts.h"
#include "kernel/host.h"
#include "kernel/knobs.h"
#include "kernel/stats.h"
#include "policy/findings.h"

#define SYSCTL_PREFIX "net.netfilter."

/* The per-namespace label pair, filled once. */
struct ns_labels {
	char inode[24];
	struct ctw_prom_label l[2];
};

static void ns_labels_init(struct ns_labels *ns, const char *netns, uint64_t inode)
{
	snprintf(ns->inode, sizeof(ns->inode), "%" PRIu64, inode);
	ns->l[0] = (struct ctw_prom_label){ "netns", netns };
	ns->l[1] = (struct ctw_prom_label){ "netns_inode", ns->inode };
}

/* A family with one per-namespace sample, or nothing when unknown. */
static void ns_u64(struct ctw_prom *p, const struct ns_labels *ns, enum ctw_metric m, bool known, uint64_t v)
{
	if (!known)
		return;
	ctw_prom_metric_family(p, m);
	ctw_prom_sample_u64(p, ns->l, 2, v);
}

static bool counter_known(const struct ctw_host *h, enum ctw_counter c)
{
	return h->have_stats && (h->stats.counters.present & (1u << c));
}

static void table(struct ctw_prom *p, const struct ctw_host *h, const struct ns_labels *ns)
{
	bool usage = h->have_count && h->have_max && h->max > 0;

	ns_u64(p, ns, CTW_M_ENTRIES, h->have_count, h->count);
	ns_u64(p, ns, CTW_M_LIMIT, h->have_max, h->max);
	if (usage) {
		ctw_prom_metric_family(p, CTW_M_USAGE_RATIO);
		ctw_prom_sample(p, ns->l, 2, (double)h->count / (double)h->max);
	}
	ns_u64(p, ns, CTW_M_DROPS, counter_known(h, CTW_CTR_DROP), h->stats.counters.value[CTW_CTR_DROP]);
	ns_u64(p, ns, CTW_M_EARLY_DROPS, counter_known(h, CTW_CTR_EARLY_DROP),
	       h->stats.counters.value[CTW_CTR_EARLY_DROP]);
	if (h->have_buckets) {
		ctw_prom_metric_family(p, CTW_M_BUCKETS);
		ctw_prom_sample_u64(p, NULL, 0, h->buckets);
	}
}

static void knob_sample(struct ctw_prom *p, enum ctw_knob id, const char *netns, uint64_t v)
{
	const char *name = ctw_knob_sysctl_name(id);
	struct ctw_prom_label l[2];

	if (strncmp(name, SYSCTL_PREFIX, strlen(SYSCTL_PREFIX)) == 0)
		name += strlen(SYSCTL_PREFIX);
	l[0] = (struct ctw_prom_label){ "knob", name };
	l[1] = (struct ctw_prom_label){ "netns", netns };
	ctw_prom_sample_u64(p, l, 2, v);
}

/* The knobs ctwarden manages: max, buckets and the timeouts the policy may shorten. */
static void knobs(struct ctw_prom *p, const struct ctw_host *h, const struct ctw_config *c, const char *netns)
{
	bool any = h->have_max || h->have_buckets;

	for (int t = 0; t < CTW_TO__COUNT; t++)
		any = any || (c->timeout_shorten[t] && h->have_timeout[t]);
	if (!any)
		return;
	ctw_prom_metric_family(p, CTW_M_KNOB_VALUE);
	if (h->have_max)
		knob_sample(p, CTW_KNOB_MAX, netns, h->max);
	if (h->have_buckets)
		knob_sample(p, CTW_KNOB_BUCKETS, netns, h->buckets);
	for (int t = 0; t < CTW_TO__COUNT; t++)
		if (c->timeout_shorten[t] && h->have_timeout[t])
			knob_sample(p, CTW_KNOB_TIMEOUT(t), netns, h->timeout[t]);
}

static void verdict(struct ctw_prom *p, const struct ctw_findings *f)
{
	static const enum ctw_severity sev[] = { CTW_SEV_INFO, CTW_SEV_WARNING, CTW_SEV_CRITICAL, CTW_SEV_UNKNOWN };

	ctw_prom_metric_family(p, CTW_M_AUDIT_STATUS);
	ctw_prom_sample_u64(p, NULL, 0, (uint64_t)f->status);
	ctw_prom_metric_family(p, CTW_M_AUDIT_FINDINGS);
	for (size_t s = 0; s < sizeof(sev) / sizeof(sev[0]); s++) {
		const struct ctw_prom_label l = { "severity", ctw_severity_name(sev[s]) };
		uint64_t n = 0;

		for (unsigned i = 0; i < f->n && i < CTW_MAX_FINDINGS; i++)
			n += f->item[i].severity == sev[s];
		ctw_prom_sample_u64(p, &l, 1, n);
	}
}

int ctw_report_prom_build(struct ctw_prom *p, const struct ctw_host *h, const struct ctw_config *c,
			  const struct ctw_findings *f, const struct ctw_report_prom_meta *m)
{
	const struct ctw_prom_label version = { "version", m->version };
	struct ns_labels ns;

	ns_labels_init(&ns, m->netns, h->self_netns_inode);
	/* Up: the audit ran and wrote this; its verdict is ctwarden_audit_status. */
	ctw_prom_metric_family(p, CTW_M_UP);
	ctw_prom_sample_u64(p, NULL, 0, 1);
	ctw_prom_metric_family(p, CTW_M_BUILD_INFO);
	ctw_prom_sample_u64(p, &version, 1, 1);
	if (h->loaded) {
		table(p, h, &ns);
		knobs(p, h, c, m->netns);
	}
	ctw_prom_metric_family(p, CTW_M_LAST_POLL);
	ctw_prom_sample(p, NULL, 0, m->poll_time);
	ctw_prom_metric_family(p, CTW_M_POLL_DURATION);
	ctw_prom_sample(p, NULL, 0, m->poll_duration);
	verdict(p, f);
	return ctw_prom_error(p);
}

int ctw_report_prometheus(FILE *out, const struct ctw_host *h, const struct ctw_config *c,
			  const struct ctw_findings *f, const struct ctw_report_prom_meta *m)
{
	struct ctw_prom p;
	int r;

	ctw_prom_init(&p);
	r = ctw_report_prom_build(&p, h, c, f, m);
	if (r == 0 && (fwrite(ctw_prom_text(&p), 1, p.len, out) != p.len || fflush(out) == EOF))
		r = -EIO;
	ctw_prom_free(&p);
	return r;
}
