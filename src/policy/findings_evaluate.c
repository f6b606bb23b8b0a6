/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit's findings on a host snapshot: ctw_findings_evaluate() runs every
 * judge (usage and drops, the kernel log, hash and memory, timeouts and
 * NOTRACK, what could not be read) and sorts them worst first. Every number a
 * remedy names is computed with bounds.h and budget.h, the same functions the
 * daemon obeys, so the audit never tells the operator to set what ctwarden
 * itself would refuse. Pure. */
#include "policy/findings_internal.h"

#include <string.h>

#include "policy/attribution.h"
#include "policy/bounds.h"

static void judge_visibility(struct eval *e)
{
	struct ctw_finding *f;

	if (!e->h->global_writable && (f = finding_new(e, CTW_SEV_INFO, "netns_readonly")))
		msg_add(f, "Not the initial network namespace: nf_conntrack_max and buckets are"
			" read-only here; their remedies must run on the host.");
	if (!e->h->have_stats && (f = finding_new(e, CTW_SEV_INFO, "stats_unavailable")))
		msg_add(f, "The conntrack statistics could not be read (neither ctnetlink nor"
			" /proc/net/stat/nf_conntrack): drops cannot be judged.");
	if (!e->h->have_kmsg && !e->h->kmsg_not_needed && (f = finding_new(e, CTW_SEV_INFO, "kmsg_unavailable")))
		msg_add(f, "The kernel log (/dev/kmsg) could not be read: table-full messages"
			" cannot be counted.");
}

static uint64_t counter(const struct ctw_host *h, enum ctw_counter id)
{
	if (!h->have_stats || !(h->stats.counters.present & (1u << id)))
		return 0;
	return h->stats.counters.value[id];
}

/* Worst first; equal severities keep the order they were judged in. */
static void sort_by_severity(struct ctw_findings *out)
{
	for (unsigned i = 1; i < out->n; i++) {
		struct ctw_finding tmp = out->item[i];
		unsigned j = i;

		while (j > 0 && ctw_severity_rank(out->item[j - 1].severity) < ctw_severity_rank(tmp.severity)) {
			out->item[j] = out->item[j - 1];
			j--;
		}
		out->item[j] = tmp;
	}
}

static enum ctw_status status_of(const struct ctw_findings *out)
{
	enum ctw_status s = CTW_STATUS_OK;
	int worst = 0;

	for (unsigned i = 0; i < out->n; i++) {
		int r = ctw_severity_rank(out->item[i].severity);

		if (r <= worst)
			continue;
		worst = r;
		switch (out->item[i].severity) {
		case CTW_SEV_WARNING: s = CTW_STATUS_WARNING; break;
		case CTW_SEV_CRITICAL: s = CTW_STATUS_CRITICAL; break;
		case CTW_SEV_UNKNOWN: s = CTW_STATUS_UNKNOWN; break;
		case CTW_SEV_INFO: break;
		}
	}
	return s;
}

void ctw_findings_evaluate(const struct ctw_host *h, const struct ctw_config *c, struct ctw_findings *out)
{
	struct eval e = { .h = h, .c = c, .out = out };
	struct ctw_finding *f;

	memset(out, 0, sizeof(*out));
	if (!h->loaded) {
		f = finding_new(&e, CTW_SEV_UNKNOWN, "not_loaded");
		msg_add(f, "nf_conntrack is not loaded here: there is no connection tracking to audit.");
		out->status = CTW_STATUS_UNKNOWN;
		return;
	}
	e.objsize = h->have_memory && h->memory.object_size ? h->memory.object_size : CTW_OBJSIZE_ESTIMATE;
	e.memtotal = h->have_memory ? h->memory.memtotal_bytes : 0;
	e.buckets_now = h->have_buckets ? h->buckets : 0;
	e.allowed = ctw_max_allowed(c, e.objsize, e.memtotal, e.buckets_now);
	e.have_usage = h->have_count && h->have_max && h->max > 0;
	e.usage = e.have_usage ? 100.0 * (double)h->count / (double)h->max : 0.0;
	e.drops = counter(h, CTW_CTR_DROP);
	e.early_drops = counter(h, CTW_CTR_EARLY_DROP);
	e.chaintoolong = counter(h, CTW_CTR_CHAIN_TOOLONG);
	if (h->have_kmsg) {
		struct ctw_attr_netns self;

		ctw_attr_netns_of_host(h, &self);
		e.earlier = ctw_table_full_earlier(&h->table_full, &self);
	}

	if (!h->have_count || !h->have_max) {
		f = finding_new(&e, CTW_SEV_UNKNOWN, "usage_unknown");
		msg_add(f, "nf_conntrack_%s could not be read: how full the table is is unknown.",
			!h->have_count && !h->have_max ? "count and nf_conntrack_max" :
			!h->have_count ? "count" : "max");
	} else {
		judge_usage(&e);
	}
	judge_drops(&e);
	judge_kmsg(&e);
	judge_hash(&e);
	judge_established(&e);
	judge_memory(&e);
	judge_notrack(&e);
	judge_stale(&e);
	judge_visibility(&e);

	sort_by_severity(out);
	out->status = status_of(out);
}
