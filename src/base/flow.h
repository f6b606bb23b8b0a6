/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The identity of a flow as "who fills the table" counts it: from a NEW event
 * or one entry of a table dump. Plain data, shared by events, top-K and dumps. */
#ifndef CTW_FLOW_H
#define CTW_FLOW_H

#include <stddef.h>
#include <stdint.h>

struct ctw_flow_key {
	uint8_t family;      /* AF_INET or AF_INET6 */
	uint8_t proto;       /* IPPROTO_TCP, IPPROTO_UDP, ... */
	uint16_t dport;      /* host byte order; 0 when the protocol has none */
	uint8_t tcp_state;   /* TCP_CONNTRACK_* from a dump; 0 otherwise */
	uint8_t src[16];     /* original direction source; IPv4 in the first 4 bytes */
	uint8_t dst[16];     /* original direction destination */
};

/* The original-direction flow of one ctnetlink conntrack message (a NEW event
 * or a dump entry; len may be less than the header claims when a datagram was
 * cut). 0; -ENOENT when it is not an IPv4/IPv6 entry with an original tuple;
 * -EINVAL when malformed or misaligned. *key is zeroed on error. */
int ctw_flow_key_parse(const void *msg, size_t len, struct ctw_flow_key *key);

#endif
