/* The identity of a flow as "who fills the table" counts it: from a NEW event
 * or one entry of a table dump. Plain data, shared by events, top-K and dumps. */
#ifndef CTW_FLOW_H
#define CTW_FLOW_H

#include <stdint.h>

struct ctw_flow_key {
	uint8_t family;      /* AF_INET or AF_INET6 */
	uint8_t proto;       /* IPPROTO_TCP, IPPROTO_UDP, ... */
	uint16_t dport;      /* host byte order; 0 when the protocol has none */
	uint8_t tcp_state;   /* TCP_CONNTRACK_* from a dump; 0 otherwise */
	uint8_t src[16];     /* original direction source; IPv4 in the first 4 bytes */
	uint8_t dst[16];     /* original direction destination */
};

#endif
