/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/timeouts.h"

#include <string.h>

/* Floors: the shortest value that still keeps normal traffic working.
 * Established 1h: idle TCP sessions without keepalives longer than that lose
 * their entry, which is the trade an operator accepts when the table is full. */
static const struct ctw_timeout_info timeout_table[CTW_TO__COUNT] = {
	[CTW_TO_TCP_ESTABLISHED]   = { "tcp_timeout_established", 432000, 3600 },
	[CTW_TO_TCP_SYN_SENT]      = { "tcp_timeout_syn_sent", 120, 30 },
	[CTW_TO_TCP_SYN_RECV]      = { "tcp_timeout_syn_recv", 60, 30 },
	[CTW_TO_TCP_FIN_WAIT]      = { "tcp_timeout_fin_wait", 120, 30 },
	[CTW_TO_TCP_CLOSE_WAIT]    = { "tcp_timeout_close_wait", 60, 30 },
	[CTW_TO_TCP_LAST_ACK]      = { "tcp_timeout_last_ack", 30, 10 },
	[CTW_TO_TCP_TIME_WAIT]     = { "tcp_timeout_time_wait", 120, 30 },
	[CTW_TO_TCP_CLOSE]         = { "tcp_timeout_close", 10, 5 },
	[CTW_TO_TCP_MAX_RETRANS]   = { "tcp_timeout_max_retrans", 300, 60 },
	[CTW_TO_TCP_UNACKNOWLEDGED]= { "tcp_timeout_unacknowledged", 300, 60 },
	[CTW_TO_UDP]               = { "udp_timeout", 30, 10 },
	[CTW_TO_UDP_STREAM]        = { "udp_timeout_stream", 120, 30 },
	[CTW_TO_ICMP]              = { "icmp_timeout", 30, 10 },
	[CTW_TO_ICMPV6]            = { "icmpv6_timeout", 30, 10 },
	[CTW_TO_GENERIC]           = { "generic_timeout", 600, 60 },
};

const struct ctw_timeout_info *ctw_timeout_info(enum ctw_timeout t)
{
	if ((unsigned)t >= CTW_TO__COUNT)
		return NULL;
	return &timeout_table[t];
}

int ctw_timeout_by_name(const char *name)
{
	for (int i = 0; i < CTW_TO__COUNT; i++)
		if (strcmp(timeout_table[i].name, name) == 0)
			return i;
	return -1;
}
