/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A flow key from one ctnetlink conntrack message: a NEW event or one entry
 * of a table dump have the same layout. Parsed in place with libnl (no
 * allocation), so it keeps up with event floods and million-entry dumps. */
#include "base/flow.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netlink/msg.h>

#include "kernel/flow_attrs.h"
#include "kernel/nlattr.h"

static const struct nla_policy ct_policy[CTA_MAX + 1] = {
	[CTA_TUPLE_ORIG] = { .type = NLA_NESTED },
	[CTA_PROTOINFO] = { .type = NLA_NESTED },
};
static const struct nla_policy tuple_policy[CTA_TUPLE_MAX + 1] = {
	[CTA_TUPLE_IP] = { .type = NLA_NESTED },
	[CTA_TUPLE_PROTO] = { .type = NLA_NESTED },
};
static const struct nla_policy ip_policy[CTA_IP_MAX + 1] = {
	[CTA_IP_V4_SRC] = { .type = NLA_U32 },
	[CTA_IP_V4_DST] = { .type = NLA_U32 },
	[CTA_IP_V6_SRC] = { .minlen = 16 },
	[CTA_IP_V6_DST] = { .minlen = 16 },
};
static const struct nla_policy proto_policy[CTA_PROTO_MAX + 1] = {
	[CTA_PROTO_NUM] = { .type = NLA_U8 },
	[CTA_PROTO_SRC_PORT] = { .type = NLA_U16 },
	[CTA_PROTO_DST_PORT] = { .type = NLA_U16 },
};
static const struct nla_policy protoinfo_policy[CTA_PROTOINFO_MAX + 1] = {
	[CTA_PROTOINFO_TCP] = { .type = NLA_NESTED },
};
static const struct nla_policy tcp_policy[CTA_PROTOINFO_TCP_MAX + 1] = {
	[CTA_PROTOINFO_TCP_STATE] = { .type = NLA_U8 },
};

static int parse_addresses(const struct nlattr *ip, uint8_t family, struct ctw_flow_key *key)
{
	struct nlattr *tb[CTA_IP_MAX + 1];
	int src = family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC;
	int dst = family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST;
	size_t size = family == AF_INET ? 4 : 16;
	int r = ctw_nla_parse_nested(tb, CTA_IP_MAX, ip, ip_policy);

	if (r < 0)
		return r;
	if (!tb[src] || !tb[dst])
		return -ENOENT;
	memcpy(key->src, nla_data(tb[src]), size);
	memcpy(key->dst, nla_data(tb[dst]), size);
	return 0;
}

static int parse_proto(const struct nlattr *proto, struct ctw_flow_key *key, uint16_t *sport)
{
	struct nlattr *tb[CTA_PROTO_MAX + 1];
	int r = ctw_nla_parse_nested(tb, CTA_PROTO_MAX, proto, proto_policy);

	if (r < 0)
		return r;
	if (!tb[CTA_PROTO_NUM])
		return -ENOENT;
	key->proto = nla_get_u8(tb[CTA_PROTO_NUM]);
	/* Protocols without ports (ICMP, GRE...) carry none. */
	if (tb[CTA_PROTO_DST_PORT])
		key->dport = ntohs(nla_get_u16(tb[CTA_PROTO_DST_PORT]));
	if (sport && tb[CTA_PROTO_SRC_PORT])
		*sport = ntohs(nla_get_u16(tb[CTA_PROTO_SRC_PORT]));
	return 0;
}

static void parse_tcp_state(const struct nlattr *protoinfo, struct ctw_flow_key *key)
{
	struct nlattr *tb[CTA_PROTOINFO_MAX + 1], *tcp[CTA_PROTOINFO_TCP_MAX + 1];

	if (key->proto != IPPROTO_TCP || ctw_nla_parse_nested(tb, CTA_PROTOINFO_MAX, protoinfo, protoinfo_policy) < 0 ||
	    !tb[CTA_PROTOINFO_TCP] ||
	    ctw_nla_parse_nested(tcp, CTA_PROTOINFO_TCP_MAX, tb[CTA_PROTOINFO_TCP], tcp_policy) < 0 ||
	    !tcp[CTA_PROTOINFO_TCP_STATE])
		return;
	key->tcp_state = nla_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
}

int ctw_flow_key_from_attrs(struct nlattr *const *tb, uint8_t family, struct ctw_flow_key *key, uint16_t *sport)
{
	struct nlattr *tuple[CTA_TUPLE_MAX + 1];
	int r;

	memset(key, 0, sizeof(*key));
	if (sport)
		*sport = 0;
	if (family != AF_INET && family != AF_INET6)
		return -ENOENT;
	if (!tb[CTA_TUPLE_ORIG])
		return -ENOENT;
	key->family = family;
	r = ctw_nla_parse_nested(tuple, CTA_TUPLE_MAX, tb[CTA_TUPLE_ORIG], tuple_policy);
	if (r == 0 && (!tuple[CTA_TUPLE_IP] || !tuple[CTA_TUPLE_PROTO]))
		r = -ENOENT;
	if (r == 0)
		r = parse_addresses(tuple[CTA_TUPLE_IP], key->family, key);
	if (r == 0)
		r = parse_proto(tuple[CTA_TUPLE_PROTO], key, sport);
	if (r < 0) {
		memset(key, 0, sizeof(*key));
		if (sport)
			*sport = 0;
		return r;
	}
	if (tb[CTA_PROTOINFO])
		parse_tcp_state(tb[CTA_PROTOINFO], key);
	return 0;
}

int ctw_ct_msg_attrs(const void *msg, size_t len, struct nlattr **tb, const struct nla_policy *policy,
		     uint8_t *family)
{
	const size_t hdr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const struct nlmsghdr *nlh = msg;
	const struct nfgenmsg *gen;
	size_t body;

	if (len < hdr || ((uintptr_t)msg % NLMSG_ALIGNTO) || nlh->nlmsg_len < hdr)
		return -EINVAL;
	/* The header may claim more than was received (a cut datagram). */
	body = (nlh->nlmsg_len < len ? nlh->nlmsg_len : len) - hdr;
	gen = nlmsg_data(nlh);
	*family = gen->nfgen_family;
	if (gen->nfgen_family != AF_INET && gen->nfgen_family != AF_INET6)
		return -ENOENT;
	return ctw_nla_parse(tb, CTA_MAX, (const uint8_t *)msg + hdr, body, policy);
}

int ctw_flow_key_parse(const void *msg, size_t len, struct ctw_flow_key *key)
{
	struct nlattr *tb[CTA_MAX + 1];
	uint8_t family = 0;
	int r;

	memset(key, 0, sizeof(*key));
	r = ctw_ct_msg_attrs(msg, len, tb, ct_policy, &family);
	if (r < 0)
		return r;
	return ctw_flow_key_from_attrs(tb, family, key, NULL);
}
