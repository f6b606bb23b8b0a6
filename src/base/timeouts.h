/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The conntrack timeout sysctls ctwarden knows: names, kernel defaults, default floors.
 * One table shared by the config (floors), the knob layer (paths) and the findings. */
#ifndef CTW_TIMEOUTS_H
#define CTW_TIMEOUTS_H

#include <stdint.h>

enum ctw_timeout {
	CTW_TO_TCP_ESTABLISHED,
	CTW_TO_TCP_SYN_SENT,
	CTW_TO_TCP_SYN_RECV,
	CTW_TO_TCP_FIN_WAIT,
	CTW_TO_TCP_CLOSE_WAIT,
	CTW_TO_TCP_LAST_ACK,
	CTW_TO_TCP_TIME_WAIT,
	CTW_TO_TCP_CLOSE,
	CTW_TO_TCP_MAX_RETRANS,
	CTW_TO_TCP_UNACKNOWLEDGED,
	CTW_TO_UDP,
	CTW_TO_UDP_STREAM,
	CTW_TO_ICMP,
	CTW_TO_ICMPV6,
	CTW_TO_GENERIC,
	CTW_TO__COUNT
};

struct ctw_timeout_info {
	const char *name;         /* config key and sysctl suffix: "tcp_timeout_established" */
	uint32_t kernel_default;  /* seconds, compiled-in default of current kernels */
	uint32_t default_floor;   /* seconds, lowest value ctwarden may set unless configured */
};

const struct ctw_timeout_info *ctw_timeout_info(enum ctw_timeout t);
/* Returns the index for a config key / sysctl suffix, or -1. */
int ctw_timeout_by_name(const char *name);

#endif
