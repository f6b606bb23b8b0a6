/* Findings from the kernel log: 'table full, dropping packet' records (by
 * network namespace: this one, a neighbour, unnamed) and 'expectation table
 * full'. Pure. */
#include "policy/findings_internal.h"

#include <inttypes.h>

#include "kernel/kmsg.h"

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
