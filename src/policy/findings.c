/* Findings: pure decisions on a host snapshot. ctw_findings_evaluate() runs
 * every judge (usage and drops in findings_usage.c, hash and memory in
 * findings_memory.c, timeouts and NOTRACK in findings_timeouts.c), then sorts
 * them worst first. The kernel-log findings and what could not be read are
 * judged here. Every number a remedy names is computed with bounds.h, the
 * same functions the daemon obeys, so the audit never tells the operator to
 * set what ctwarden itself would refuse. */
#include "policy/findings_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kernel/kmsg.h"
#include "policy/bounds.h"

bool ctw_format_kmsg_time(const struct ctw_kmsg_clock *clk, uint64_t usec, bool iso, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (len)
		buf[0] = '\0';
	if (!clk->known)
		return false;
	if (usec > clk->uptime_us)
		usec = clk->uptime_us;
	t = (time_t)((clk->boot_wall_us + (int64_t)usec) / 1000000);
	if (t <= 0 || !gmtime_r(&t, &tm))
		return false;
	return strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm) > 0;
}

static void describe_netns(const struct eval *e, struct ctw_finding *f)
{
	const struct ctw_table_full *t = &e->h->table_full;
	uint64_t listed = 0;

	msg_add(f, " In:");
	for (unsigned i = 0; i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		const struct ctw_table_full_netns *n = &t->netns[i];
		const char *sep = i ? "," : "";

		if (n->inode == 0)
			msg_add(f, "%s no netns named (initial netns or older kernel) x%" PRIu64, sep, n->records);
		else if (n->inode == e->h->self_netns_inode)
			msg_add(f, "%s this netns (%" PRIu64 ") x%" PRIu64, sep, n->inode, n->records);
		else
			msg_add(f, "%s netns %" PRIu64 " x%" PRIu64, sep, n->inode, n->records);
		listed += n->records;
	}
	/* Only the first CTW_KMSG_MAX_NETNS distinct netns are kept by name. */
	if (listed < t->records)
		msg_add(f, ", others x%" PRIu64, t->records - listed);
	msg_add(f, ".");
}

/* Could any of the records be this netns? Unnamed ones may be the initial netns. */
static bool netns_self_listed(const struct eval *e)
{
	const struct ctw_table_full *t = &e->h->table_full;
	uint64_t listed = 0;

	if (!e->h->self_netns_inode)
		return true;
	for (unsigned i = 0; i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		if (t->netns[i].inode == e->h->self_netns_inode || (t->netns[i].inode == 0 && e->h->global_writable))
			return true;
		listed += t->netns[i].records;
	}
	return listed < t->records;  /* some were not kept by name */
}

static void judge_kmsg(struct eval *e)
{
	const struct ctw_table_full *t = &e->h->table_full;
	char first[40], last[40];
	struct ctw_finding *f;

	if (!e->h->have_kmsg)
		return;
	/* Critical where it concerns this audit: on the host (its max is the one
	 * every netns is held to) or when this netns itself dropped. Seen from
	 * inside another netns, a neighbour's full table is a warning. */
	if (t->records > 0 &&
	    (f = finding_new(e, e->h->global_writable || netns_self_listed(e) ? CTW_SEV_CRITICAL : CTW_SEV_WARNING,
			     "table_full_logged"))) {
		msg_add(f, "The kernel logged %" PRIu64 " 'table full, dropping packet' messages", t->records);
		if (ctw_format_kmsg_time(&e->h->kmsg_clock, t->first_usec, false, first, sizeof(first)) &&
		    ctw_format_kmsg_time(&e->h->kmsg_clock, t->last_usec, false, last, sizeof(last)))
			msg_add(f, " (%s to %s)", first, last);
		msg_add(f, ".");
		if (t->n_netns)
			describe_netns(e, f);
		msg_add(f, " The max applies to each netns separately.");
		if (!netns_self_listed(e))
			msg_add(f, " None was this netns: its own count says nothing about theirs.");
		raise_for_past_full(e, f);
	}
	if (t->expect_records > 0 && (f = finding_new(e, CTW_SEV_WARNING, "expect_table_full"))) {
		const char *name = ctw_knob_sysctl_name(CTW_KNOB_EXPECT_MAX);

		msg_add(f, "The kernel logged %" PRIu64 " 'expectation table full' messages: helper"
			" protocols (FTP, SIP...) could not open their related connections.",
			t->expect_records);
		remedy_global_prefix(e, f);
		remedy_add(f, "sysctl -w %s=$(( $(sysctl -n %s) * 2 ))", name, name);
		remedy_add(f, "echo \"%s = $(sysctl -n %s)\" >> " SYSCTL_D_FILE, name, name);
	}
}

static void judge_visibility(struct eval *e)
{
	struct ctw_finding *f;

	if (!e->h->global_writable && (f = finding_new(e, CTW_SEV_INFO, "netns_readonly")))
		msg_add(f, "Not the initial network namespace: nf_conntrack_max and buckets are"
			" read-only here; their remedies must run on the host.");
	if (!e->h->have_stats && (f = finding_new(e, CTW_SEV_INFO, "stats_unavailable")))
		msg_add(f, "The conntrack statistics could not be read (neither ctnetlink nor"
			" /proc/net/stat/nf_conntrack): drops cannot be judged.");
	if (!e->h->have_kmsg && (f = finding_new(e, CTW_SEV_INFO, "kmsg_unavailable")))
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
	judge_visibility(&e);

	sort_by_severity(out);
	out->status = status_of(out);
}
