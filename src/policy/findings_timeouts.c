/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Findings on what keeps entries in the table: the kernel's 5-day default
 * for established TCP, and a stateless service that NOTRACK would keep out
 * (one port dominating the sample of a table under pressure). Pure. */
#include "policy/findings_internal.h"

#include "policy/attribution.h"

#include <inttypes.h>
#include <netinet/in.h>

/* Shortest established timeout the audit suggests: a day keeps idle but
 * legitimate sessions (ssh without keepalives, database pools) alive. */
#define ESTABLISHED_SUGGESTED_S 86400

/* The NOTRACK suggestion needs a sample big enough and one port dominating it. */
#define NOTRACK_MIN_SAMPLE 512
#define NOTRACK_MIN_SHARE_PCT 50.0

uint64_t established_suggested(const struct eval *e)
{
	uint64_t floor_s = e->c->timeout_floor_s[CTW_TO_TCP_ESTABLISHED];

	return floor_s > ESTABLISHED_SUGGESTED_S ? floor_s : ESTABLISHED_SUGGESTED_S;
}

bool established_too_long(const struct eval *e)
{
	const struct ctw_host *h = e->h;

	return h->have_timeout[CTW_TO_TCP_ESTABLISHED] &&
	       h->timeout[CTW_TO_TCP_ESTABLISHED] > established_suggested(e);
}

/* Table-full records that may be this namespace's own, for when its drop
 * counter is unknown (the counter decides otherwise: a drop comes with every
 * record it logs, policy/attribution.h): those naming its inode, those naming
 * none in the initial netns (the kernel names no other), and those not kept
 * by name. */
static bool own_records_possible(const struct ctw_host *h)
{
	const struct ctw_table_full *t = &h->table_full;
	uint64_t named = 0;

	if (!h->have_kmsg || t->records == 0)
		return false;
	for (unsigned i = 0; i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		const struct ctw_table_full_netns *n = &t->netns[i];

		if ((n->inode && n->inode == h->self_netns_inode) || (n->inode == 0 && h->global_writable))
			return true;
		named += n->records;
	}
	return named < t->records;
}

/* This namespace's own table is under pressure: usage at or above warn, or
 * its own drops. Another namespace's table-full records are no pressure
 * here: they neither fill this table nor make a port of it worth a rule. */
static bool own_pressure(const struct ctw_host *h, const struct ctw_config *c)
{
	struct ctw_attr_netns self;

	/* The usage as findings_evaluate.c computes it: the sample and the
	 * usage_warning finding agree at the edge. */
	if (h->have_count && h->have_max && h->max > 0 && 100.0 * (double)h->count / (double)h->max >= c->warn_pct)
		return true;
	ctw_attr_netns_of_host(h, &self);   /* its drop counter, when known */
	return self.have_drop ? self.drop > 0 : own_records_possible(h);
}

bool ctw_findings_want_sample(const struct ctw_host *h, const struct ctw_config *c)
{
	return h->loaded && h->have_count && h->count >= NOTRACK_MIN_SAMPLE && own_pressure(h, c);
}

static bool pressure_seen(const struct eval *e)
{
	return own_pressure(e->h, e->c);
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP: return "udp";
	case IPPROTO_TCP: return "tcp";
	}
	return NULL;
}

/* Only when the sample shows one port dominating a table under pressure. */
bool notrack_applies(const struct eval *e)
{
	const struct ctw_port_sample *p = &e->h->ports;

	return p->taken && p->sampled >= NOTRACK_MIN_SAMPLE && proto_name(p->top_proto) &&
	       100.0 * (double)p->top_count >= NOTRACK_MIN_SHARE_PCT * (double)p->sampled &&
	       pressure_seen(e);
}

void remedy_notrack(struct ctw_finding *f, uint8_t proto, uint16_t port)
{
	const char *pn = proto_name(proto);

	remedy_add(f, "nft add table inet ctwarden_notrack");
	remedy_add(f, "nft add chain inet ctwarden_notrack pre "
		      "'{ type filter hook prerouting priority raw; }'");
	remedy_add(f, "nft add chain inet ctwarden_notrack out "
		      "'{ type filter hook output priority raw; }'");
	remedy_add(f, "nft add rule inet ctwarden_notrack pre %s dport %u notrack", pn, port);
	remedy_add(f, "nft add rule inet ctwarden_notrack out %s sport %u notrack", pn, port);
}

void judge_established(struct eval *e)
{
	const struct ctw_host *h = e->h;
	const struct ctw_timeout_info *ti = ctw_timeout_info(CTW_TO_TCP_ESTABLISHED);
	uint64_t v = established_suggested(e);
	struct ctw_finding *f;

	if (!h->have_timeout[CTW_TO_TCP_ESTABLISHED] || h->timeout[CTW_TO_TCP_ESTABLISHED] != ti->kernel_default)
		return;
	f = finding_new(e, pressure_seen(e) ? CTW_SEV_WARNING : CTW_SEV_INFO, "tcp_established_default");
	if (!f)
		return;
	msg_add(f, "%s is the kernel default %" PRIu32 " s (5 days): a TCP flow that vanished"
		" without FIN or RST keeps its entry that long. %" PRIu64 " s is enough for live sessions.",
		ti->name, ti->kernel_default, v);
	if (v < ti->kernel_default)
		remedy_sysctl(f, CTW_KNOB_TIMEOUT(CTW_TO_TCP_ESTABLISHED), v);
}

void judge_notrack(struct eval *e)
{
	const struct ctw_port_sample *p = &e->h->ports;
	struct ctw_finding *f;

	if (!notrack_applies(e) || !(f = finding_new(e, CTW_SEV_WARNING, "notrack_port")))
		return;
	/* With --top the whole table was counted, else a bounded sample. */
	msg_add(f, "%.0f%% of %" PRIu64 " %s are %s to port %u: a stateless service"
		" filling the table. NOTRACK keeps it out; stateful rules and NAT no longer see"
		" that traffic.", 100.0 * (double)p->top_count / (double)p->sampled, p->sampled,
		e->h->top ? "entries" : "sampled entries", proto_name(p->top_proto), p->top_port);
	remedy_notrack(f, p->top_proto, p->top_port);
}
