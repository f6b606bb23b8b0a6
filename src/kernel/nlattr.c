/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kernel/nlattr.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>

int ctw_nla_parse(struct nlattr **tb, int maxtype, const void *attrs, size_t len, const struct nla_policy *policy)
{
	struct nlattr *head = (struct nlattr *)attrs;
	struct nlattr *pos;
	int rem;

	if (len > INT32_MAX || (len && (!attrs || (uintptr_t)attrs % NLA_ALIGNTO)))
		return -EINVAL;
	if (nla_parse(tb, maxtype, head, (int)len, (struct nla_policy *)policy) < 0)
		return -EINVAL;
	nla_for_each_attr(pos, head, (int)len, rem)
		;
	return rem > 0 ? -EINVAL : 0;
}

int ctw_nla_parse_nested(struct nlattr **tb, int maxtype, const struct nlattr *nested,
			 const struct nla_policy *policy)
{
	return ctw_nla_parse(tb, maxtype, nla_data(nested), (size_t)nla_len(nested), policy);
}

int ctw_nlmsg_errno(const void *msg, size_t len)
{
	int err;

	if (len < NLMSG_LENGTH(sizeof(err)))
		return 0;
	memcpy(&err, (const uint8_t *)msg + NLMSG_HDRLEN, sizeof(err));
	return err < 0 && err > -4096 ? err : 0;
}
