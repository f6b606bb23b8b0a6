/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nf_conntrack knobs ctwarden knows, by identity: the enum every folder
 * names them with, their sysctl names and their scope. Pure data; the paths
 * under a root and the reads and writes are kernel/knobs.h. */
#ifndef CTW_KNOB_NAMES_H
#define CTW_KNOB_NAMES_H

#include "base/timeouts.h"

enum ctw_knob {
	CTW_KNOB_MAX,
	CTW_KNOB_BUCKETS,      /* nf_conntrack_buckets, or the hashsize module parameter */
	CTW_KNOB_COUNT,        /* read-only */
	CTW_KNOB_EXPECT_MAX,
	CTW_KNOB_TIMEOUT_FIRST,
	CTW_KNOB__COUNT = CTW_KNOB_TIMEOUT_FIRST + CTW_TO__COUNT
};

#define CTW_KNOB_TIMEOUT(t) ((enum ctw_knob)(CTW_KNOB_TIMEOUT_FIRST + (t)))

enum ctw_knob_scope {
	CTW_SCOPE_GLOBAL,  /* one value for the host, writable only in the initial netns */
	CTW_SCOPE_NETNS,   /* each network namespace has its own */
};

/* X(id, leaf, scope) for every knob: leaf is its file under net/netfilter/
 * (sysctl "net.netfilter.<leaf>", path "proc/sys/net/netfilter/<leaf>").
 * The timeout leaves repeat timeouts.c's names because they must be constant
 * strings; test_knobs checks that both tables agree. */
#define CTW_KNOB_LEAVES(X) \
	X(CTW_KNOB_MAX, "nf_conntrack_max", CTW_SCOPE_GLOBAL) \
	X(CTW_KNOB_BUCKETS, "nf_conntrack_buckets", CTW_SCOPE_GLOBAL) \
	X(CTW_KNOB_COUNT, "nf_conntrack_count", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_EXPECT_MAX, "nf_conntrack_expect_max", CTW_SCOPE_GLOBAL) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_ESTABLISHED), "nf_conntrack_tcp_timeout_established", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_SYN_SENT), "nf_conntrack_tcp_timeout_syn_sent", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_SYN_RECV), "nf_conntrack_tcp_timeout_syn_recv", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_FIN_WAIT), "nf_conntrack_tcp_timeout_fin_wait", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_CLOSE_WAIT), "nf_conntrack_tcp_timeout_close_wait", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_LAST_ACK), "nf_conntrack_tcp_timeout_last_ack", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_TIME_WAIT), "nf_conntrack_tcp_timeout_time_wait", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_CLOSE), "nf_conntrack_tcp_timeout_close", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_MAX_RETRANS), "nf_conntrack_tcp_timeout_max_retrans", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_TCP_UNACKNOWLEDGED), "nf_conntrack_tcp_timeout_unacknowledged", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_UDP), "nf_conntrack_udp_timeout", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_UDP_STREAM), "nf_conntrack_udp_timeout_stream", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_ICMP), "nf_conntrack_icmp_timeout", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_ICMPV6), "nf_conntrack_icmpv6_timeout", CTW_SCOPE_NETNS) \
	X(CTW_KNOB_TIMEOUT(CTW_TO_GENERIC), "nf_conntrack_generic_timeout", CTW_SCOPE_NETNS)

/* "net.netfilter.nf_conntrack_max" (for sysctl -w / sysctl.d); "" for an unknown id. */
const char *ctw_knob_sysctl_name(enum ctw_knob id);
/* CTW_SCOPE_NETNS for an unknown id. */
enum ctw_knob_scope ctw_knob_scope(enum ctw_knob id);

#endif
