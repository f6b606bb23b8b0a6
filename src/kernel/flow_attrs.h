/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pieces of flow_parse.c a fuller parser of the same messages reuses
 * (kernel/ct_entry.c): the top-level attributes of one ctnetlink conntrack
 * message, and the flow key from them, so each message is walked once. */
#ifndef CTW_FLOW_ATTRS_H
#define CTW_FLOW_ATTRS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netlink/attr.h>

#include "base/flow.h"

/* tb (CTA_MAX + 1 slots) from msg under policy, *family from its nfgenmsg.
 * 0; -ENOENT when not IPv4/IPv6; -EINVAL when malformed or misaligned. */
int ctw_ct_msg_attrs(const void *msg, size_t len, struct nlattr **tb, const struct nla_policy *policy,
		     uint8_t *family);

/* The flow key of the original tuple in tb (policy: CTA_TUPLE_ORIG and
 * CTA_PROTOINFO nested), and its source port when sport is given.
 * 0, -ENOENT, -EINVAL; *key (and *sport) zeroed on error. */
int ctw_flow_key_from_attrs(struct nlattr *const *tb, uint8_t family, struct ctw_flow_key *key, uint16_t *sport);

#endif
