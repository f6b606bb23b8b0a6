/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One conntrack dump entry as a retirement pass sees it: the flow key (parsed
 * by flow_parse.c's pieces, in place with libnl, no allocation) plus what the
 * rule and the requests need: zone, id, status, mark, time left, TCP flags. */
#include "kernel/ct_entry_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "kernel/flow_attrs.h"
#include "kernel/nlattr.h"

static const struct nla_policy entry_policy[CTA_MAX + 1] = {
	[CTA_TUPLE_ORIG] = { .type = NLA_NESTED },
	[CTA_PROTOINFO] = { .type = NLA_NESTED },
	[CTA_STATUS] = { .type = NLA_U32 },
	[CTA_TIMEOUT] = { .type = NLA_U32 },
	[CTA_MARK] = { .type = NLA_U32 },
	[CTA_ID] = { .type = NLA_U32 },
	[CTA_ZONE] = { .type = NLA_U16 },
};
static const struct nla_policy protoinfo_policy[CTA_PROTOINFO_MAX + 1] = {
	[CTA_PROTOINFO_TCP] = { .type = NLA_NESTED },
};
static const struct nla_policy tcp_policy[CTA_PROTOINFO_TCP_MAX + 1] = {
	[CTA_PROTOINFO_TCP_STATE] = { .type = NLA_U8 },
	[CTA_PROTOINFO_TCP_FLAGS_ORIGINAL] = { .minlen = sizeof(struct nf_ct_tcp_flags) },
	[CTA_PROTOINFO_TCP_FLAGS_REPLY] = { .minlen = sizeof(struct nf_ct_tcp_flags) },
};

static uint32_t be32_attr(const struct nlattr *a)
{
	return a ? ntohl(nla_get_u32((struct nlattr *)a)) : 0;
}

/* The TCP state, and each direction's flags, which the kernel dumps as
 * {flags, mask}: the flags are what the rule reads (DATA_UNACKNOWLEDGED).
 * One walk of the nest for both. Malformed: -EINVAL. */
static int parse_tcp_protoinfo(const struct nlattr *protoinfo, struct ctw_ct_entry *e)
{
	struct nlattr *tb[CTA_PROTOINFO_MAX + 1], *tcp[CTA_PROTOINFO_TCP_MAX + 1];
	struct nf_ct_tcp_flags f;
	int r = ctw_nla_parse_nested(tb, CTA_PROTOINFO_MAX, protoinfo, protoinfo_policy);

	if (r < 0 || !tb[CTA_PROTOINFO_TCP])
		return r;
	r = ctw_nla_parse_nested(tcp, CTA_PROTOINFO_TCP_MAX, tb[CTA_PROTOINFO_TCP], tcp_policy);
	if (r < 0)
		return r;
	if (tcp[CTA_PROTOINFO_TCP_STATE])
		e->key.tcp_state = nla_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
	if (tcp[CTA_PROTOINFO_TCP_FLAGS_ORIGINAL]) {
		memcpy(&f, nla_data(tcp[CTA_PROTOINFO_TCP_FLAGS_ORIGINAL]), sizeof(f));
		e->tcp_flags[0] = f.flags;
	}
	if (tcp[CTA_PROTOINFO_TCP_FLAGS_REPLY]) {
		memcpy(&f, nla_data(tcp[CTA_PROTOINFO_TCP_FLAGS_REPLY]), sizeof(f));
		e->tcp_flags[1] = f.flags;
	}
	return 0;
}

int ctw_ct_entry_parse_msg(const void *msg, size_t len, struct ctw_ct_entry *e, const struct nlattr **tuple)
{
	struct nlattr *tb[CTA_MAX + 1];
	uint8_t family = 0;
	int r;

	memset(e, 0, sizeof(*e));
	*tuple = NULL;
	r = ctw_ct_msg_attrs(msg, len, tb, entry_policy, &family);
	if (r == 0) {
		/* The protoinfo nest is walked once, below, for state and flags. */
		struct nlattr *protoinfo = tb[CTA_PROTOINFO];

		tb[CTA_PROTOINFO] = NULL;
		r = ctw_flow_key_from_attrs(tb, family, &e->key, &e->sport);
		if (r == 0 && e->key.proto == IPPROTO_TCP && protoinfo)
			r = parse_tcp_protoinfo(protoinfo, e);
	}
	if (r < 0) {
		memset(e, 0, sizeof(*e));
		return r;
	}
	if (tb[CTA_ZONE])
		e->zone = ntohs(nla_get_u16(tb[CTA_ZONE]));
	e->id = be32_attr(tb[CTA_ID]);
	e->status = be32_attr(tb[CTA_STATUS]);
	e->mark = be32_attr(tb[CTA_MARK]);
	e->has_timeout = tb[CTA_TIMEOUT] != NULL;
	e->timeout_left_s = be32_attr(tb[CTA_TIMEOUT]);
	*tuple = tb[CTA_TUPLE_ORIG];
	return 0;
}

int ctw_ct_entry_parse(const void *msg, size_t len, struct ctw_ct_entry *e)
{
	const struct nlattr *tuple;

	return ctw_ct_entry_parse_msg(msg, len, e, &tuple);
}
