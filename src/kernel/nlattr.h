/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict netlink attribute parsing over libnl's nla_parse(): what nla_parse
 * tolerates but a kernel message never has is refused too (a misaligned
 * block, bytes left over that do not form an attribute). */
#ifndef CTW_NLATTR_H
#define CTW_NLATTR_H

#include <stddef.h>

#include <netlink/attr.h>

/* 0 or -EINVAL. tb has maxtype + 1 slots. */
int ctw_nla_parse(struct nlattr **tb, int maxtype, const void *attrs, size_t len, const struct nla_policy *policy);
/* The same for the payload of a nested attribute. */
int ctw_nla_parse_nested(struct nlattr **tb, int maxtype, const struct nlattr *nested,
			 const struct nla_policy *policy);

/* The error code an NLMSG_ERROR or NLMSG_DONE message of len bytes carries
 * (a negative errno), 0 when none. */
int ctw_nlmsg_errno(const void *msg, size_t len);

#endif
