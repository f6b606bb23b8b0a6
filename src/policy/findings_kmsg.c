/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Findings from the kernel log: 'table full, dropping packet' records (by
 * network namespace: this one, a neighbour, unnamed, or an earlier one that
 * had this one's inode: policy/attribution.h) and 'expectation table full'.
 * Pure. */
#include "policy/findings_internal.h"

#include <inttypes.h>

#include "kernel/kmsg.h"
#include "policy/attribution.h"

static void describe_netns(const struct eval *e, struct ctw_finding *f)
{
	const struct ctw_table_full *t = &e->h->table_full;
	uint64_t listed = 0;

	msg_add(f, " In:");
	for (unsigned i = 0; i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		const struct ctw_table_full_netns *n = &t->netns[i];
		const char *sep = listed ? "," : "";

		/* An earlier netns with this inode has its own info finding. */
		if (n->inode == e->h->self_netns_inode && e->earlier)
			continue;
		if (n->inode == 0)
			msg_add(f, "%s no netns named (initial netns or older kernel) x%" PRIu64, sep, n->records);
		else if (n->inode == e->h->self_netns_inode)
			msg_add(f, "%s this netns (%" PRIu64 ") x%" PRIu64, sep, n->inode, n->records);
		else
			msg_add(f, "%s netns %" PRIu64 " x%" PRIu64, sep, n->inode, n->records);
		listed += n->records;
	}
	/* Only CTW_KMSG_MAX_NETNS distinct netns are kept by name (the most recent). */
	if (listed < t->records - e->earlier)
		msg_add(f, ", others x%" PRIu64, t->records - e->earlier - listed);
	msg_add(f, ".");
}

/* Could any of the records be this netns? Unnamed ones may be the initial
 * netns. Not when its drop counter is known and 0: a namespace logs a
 * table-full record only with a drop (policy/attribution.h), so none is its
 * own, named, unnamed or past the inodes kept by name. */
static bool netns_self_listed(const struct eval *e)
{
	const struct ctw_table_full *t = &e->h->table_full;
	uint64_t listed = 0;

	if (e->h->have_stats && (e->h->stats.counters.present & (1u << CTW_CTR_DROP)) && e->drops == 0)
		return false;
	if (!e->h->self_netns_inode)
		return true;
	for (unsigned i = 0; i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		if ((t->netns[i].inode == e->h->self_netns_inode && !e->earlier) ||
		    (t->netns[i].inode == 0 && e->h->global_writable))
			return true;
		listed += t->netns[i].records;
	}
	return listed < t->records;  /* some were not kept by name */
}

/* Records naming this netns's inode that it did not log (policy/attribution.h):
 * said, never counted against it. */
static void judge_earlier_netns(struct eval *e)
{
	struct ctw_finding *f;

	if (!e->earlier || !(f = finding_new(e, CTW_SEV_INFO, "table_full_earlier_netns")))
		return;
	msg_add(f, "%" PRIu64 " 'table full' messages name netns %" PRIu64 ", this namespace's inode, but"
		" its drop counter is 0: it never dropped a packet. They were logged by an earlier"
		" namespace with inode %" PRIu64 ", since deleted (the kernel reuses inodes).",
		e->earlier, e->h->self_netns_inode, e->h->self_netns_inode);
}

bool ctw_findings_want_kernel_log(const struct ctw_host *h)
{
	struct ctw_attr_netns self;

	if (!h->loaded)
		return false;
	ctw_attr_netns_of_host(h, &self);   /* its drop counter, when known */
	return h->global_writable || !self.have_drop || self.drop > 0;
}

void judge_kmsg(struct eval *e)
{
	const struct ctw_table_full *t = &e->h->table_full;
	char first[40], last[40];
	struct ctw_finding *f;

	if (!e->h->have_kmsg)
		return;
	/* Critical where it concerns this audit: on the host (its max is the one
	 * every netns is held to) or when this netns itself dropped. Seen from
	 * inside another netns, a neighbour's full table is a warning. */
	judge_earlier_netns(e);
	if (t->records > e->earlier &&
	    (f = finding_new(e, e->h->global_writable || netns_self_listed(e) ? CTW_SEV_CRITICAL : CTW_SEV_WARNING,
			     "table_full_logged"))) {
		uint64_t from = t->first_usec, to = t->last_usec;

		msg_add(f, "The kernel logged %" PRIu64 " 'table full, dropping packet' messages", t->records - e->earlier);
		if (e->earlier)
			ctw_table_full_span_without(t, e->h->self_netns_inode, &from, &to);
		if (ctw_format_kmsg_time(&e->h->kmsg_clock, from, false, first, sizeof(first)) &&
		    ctw_format_kmsg_time(&e->h->kmsg_clock, to, false, last, sizeof(last)))
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
