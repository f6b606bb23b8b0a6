/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Attribute a table-full kernel-log record to a namespace (attribution.h). */
#include "policy/attribution.h"

#include <stddef.h>

#include "kernel/host.h"
#include "kernel/kmsg.h"

/* a is before b by more than the clocks' slack. */
static bool clearly_before(uint64_t a, uint64_t b)
{
	return b > CTW_ATTR_CLOCK_SLACK_USEC && a < b - CTW_ATTR_CLOCK_SLACK_USEC;
}

enum ctw_attribution ctw_attribute_record(const struct ctw_attr_record *rec, const struct ctw_attr_netns *ns)
{
	if (!rec || !ns || rec->inode == 0 || ns->inode == 0)
		return CTW_ATTR_UNKNOWN;
	if (rec->inode != ns->inode)
		return CTW_ATTR_OTHER;
	if (ns->have_born_after && clearly_before(rec->usec, ns->born_after_usec))
		return CTW_ATTR_EARLIER;
	if (ns->have_drop && ns->drop == 0)
		return CTW_ATTR_EARLIER;
	/* The counters wrap (u32 per CPU): "moved" is "differs". */
	if (ns->have_drop && ns->have_drop_then && ns->drop == ns->drop_then &&
	    clearly_before(ns->then_usec, rec->usec))
		return CTW_ATTR_EARLIER;
	return ns->have_drop ? CTW_ATTR_THIS : CTW_ATTR_UNKNOWN;
}

void ctw_attr_netns_of_host(const struct ctw_host *h, struct ctw_attr_netns *ns)
{
	*ns = (struct ctw_attr_netns){ .inode = h->self_netns_inode };
	if (h->have_stats && (h->stats.counters.present & (1u << CTW_CTR_DROP))) {
		ns->have_drop = true;
		ns->drop = h->stats.counters.value[CTW_CTR_DROP];
	}
}

uint64_t ctw_table_full_earlier(const struct ctw_table_full *t, const struct ctw_attr_netns *ns)
{
	for (unsigned i = 0; t && ns && i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		const struct ctw_table_full_netns *n = &t->netns[i];
		struct ctw_attr_record oldest = { n->inode, n->first_usec }, newest = { n->inode, n->last_usec };

		if (n->inode == 0 || n->inode != ns->inode)
			continue;
		if (ctw_attribute_record(&oldest, ns) == CTW_ATTR_EARLIER &&
		    ctw_attribute_record(&newest, ns) == CTW_ATTR_EARLIER)
			return n->records;
		return 0;
	}
	return 0;
}

void ctw_table_full_span_without(const struct ctw_table_full *t, uint64_t inode, uint64_t *first, uint64_t *last)
{
	uint64_t kept = 0, lo = UINT64_MAX, hi = 0, without = 0;

	for (unsigned i = 0; t && i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		const struct ctw_table_full_netns *n = &t->netns[i];

		kept += n->records;
		if (n->inode == inode)
			continue;
		without += n->records;
		if (n->first_usec < lo)
			lo = n->first_usec;
		if (n->last_usec > hi)
			hi = n->last_usec;
	}
	if (!t || kept < t->records || without == 0)
		return;
	*first = lo;
	*last = hi;
}

const char *ctw_attribution_name(enum ctw_attribution a)
{
	switch (a) {
	case CTW_ATTR_OTHER: return "other";
	case CTW_ATTR_THIS: return "this";
	case CTW_ATTR_EARLIER: return "earlier";
	case CTW_ATTR_UNKNOWN: break;
	}
	return "unknown";
}
