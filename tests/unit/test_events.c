/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Events: the flow key of ctnetlink messages built by libnetfilter_conntrack,
 * counting NEW/DESTROY in a datagram, malformed input, buffer growth, and
 * (as root, in a private netns) the socket itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "skip_because.h"
#include "proc_self.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "kernel/events.h"

#define MSG_BYTES 1024

union msgbuf {
	struct nlmsghdr nlh;
	uint8_t bytes[MSG_BYTES];
};

/* A ctnetlink message of type msg for ct, as the kernel lays it out. */
static size_t build_msg(union msgbuf *b, uint8_t msg, uint8_t family, const struct nf_conntrack *ct)
{
	struct nfgenmsg *gen;

	memset(b, 0, sizeof(*b));
	b->nlh.nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*gen));
	b->nlh.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	gen = (struct nfgenmsg *)(b->bytes + NLMSG_HDRLEN);
	gen->nfgen_family = family;
	gen->version = NFNETLINK_V0;
	if (ct)
		assert_int_equal(nfct_nlmsg_build(&b->nlh, ct), 0);
	return b->nlh.nlmsg_len;
}

static struct nf_conntrack *udp4(const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	struct nf_conntrack *ct = nfct_new();
	struct in_addr a;

	assert_non_null(ct);
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	assert_int_equal(inet_pton(AF_INET, src, &a), 1);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, a.s_addr);
	assert_int_equal(inet_pton(AF_INET, dst, &a), 1);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, a.s_addr);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(sport));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(dport));
	/* What else a NEW event carries, so the tuple is not the only attribute. */
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, 30);
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_CONFIRMED);
	nfct_set_attr_u32(ct, ATTR_MARK, 7);
	return ct;
}

static void assert_addr(const uint8_t *got, int family, const char *want)
{
	uint8_t a[16] = { 0 };

	assert_int_equal(inet_pton(family, want, a), 1);
	assert_memory_equal(got, a, family == AF_INET ? 4 : 16);
}

static void ipv4_udp_key(void **state)
{
	struct nf_conntrack *ct = udp4("10.0.0.5", "192.168.1.20", 40000, 53);
	struct ctw_flow_key key;
	union msgbuf b;
	size_t len;

	(void)state;
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, ct);
	assert_int_equal(ctw_flow_key_parse(b.bytes, len, &key), 0);
	assert_int_equal(key.family, AF_INET);
	assert_int_equal(key.proto, IPPROTO_UDP);
	assert_int_equal(key.dport, 53);
	assert_int_equal(key.tcp_state, 0);
	assert_addr(key.src, AF_INET, "10.0.0.5");
	assert_addr(key.dst, AF_INET, "192.168.1.20");
	nfct_destroy(ct);
}

/* The reply tuple comes after the original: the key must be the original's. */
static void ipv6_tcp_key_ignores_reply(void **state)
{
	struct nf_conntrack *ct = nfct_new();
	struct in6_addr s, d, rs;
	struct ctw_flow_key key;
	union msgbuf b;
	size_t len;

	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", &s);
	inet_pton(AF_INET6, "2001:db8::2", &d);
	inet_pton(AF_INET6, "2001:db8::99", &rs);
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
	nfct_set_attr(ct, ATTR_IPV6_SRC, &s);
	nfct_set_attr(ct, ATTR_IPV6_DST, &d);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(51000));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(443));
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET6);
	nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, &rs);
	nfct_set_attr(ct, ATTR_REPL_IPV6_DST, &s);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(8443));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(51000));
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, 1);  /* SYN_SENT */

	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET6, ct);
	assert_int_equal(ctw_flow_key_parse(b.bytes, len, &key), 0);
	assert_int_equal(key.family, AF_INET6);
	assert_int_equal(key.proto, IPPROTO_TCP);
	assert_int_equal(key.dport, 443);
	assert_addr(key.src, AF_INET6, "2001:db8::1");
	assert_addr(key.dst, AF_INET6, "2001:db8::2");
	nfct_destroy(ct);
}

static void icmp_has_no_port(void **state)
{
	struct nf_conntrack *ct = nfct_new();
	struct ctw_flow_key key;
	union msgbuf b;
	size_t len;

	(void)state;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, htonl(0x0a000001));
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, htonl(0x0a000002));
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_ICMP);
	nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, 8);
	nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
	nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(77));
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, ct);
	assert_int_equal(ctw_flow_key_parse(b.bytes, len, &key), 0);
	assert_int_equal(key.proto, IPPROTO_ICMP);
	assert_int_equal(key.dport, 0);
	nfct_destroy(ct);
}

/* The header says IPv4, the tuple holds IPv6 addresses: no key. */
static void family_mismatch_is_rejected(void **state)
{
	struct nf_conntrack *ct = nfct_new();
	struct in6_addr a = IN6ADDR_LOOPBACK_INIT;
	struct ctw_flow_key key;
	union msgbuf b;
	size_t len;

	(void)state;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
	nfct_set_attr(ct, ATTR_IPV6_SRC, &a);
	nfct_set_attr(ct, ATTR_IPV6_DST, &a);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, ct);
	assert_true(ctw_flow_key_parse(b.bytes, len, &key) < 0);
	nfct_destroy(ct);
}

static void no_tuple_no_key(void **state)
{
	struct ctw_flow_key key;
	union msgbuf b;
	size_t len;

	(void)state;
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, NULL);
	assert_int_equal(ctw_flow_key_parse(b.bytes, len, &key), -ENOENT);
	assert_int_equal(ctw_flow_key_parse(b.bytes, 10, &key), -EINVAL);
}

/* Attribute lengths that point past the message are caught, at every cut. */
static void truncated_attributes_are_rejected(void **state)
{
	struct nf_conntrack *ct = udp4("10.1.1.1", "10.2.2.2", 1, 2);
	struct ctw_flow_key key;
	union msgbuf b;
	size_t len;

	(void)state;
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, ct);
	struct ctw_flow_key full;
	const struct nlattr *tuple = (const struct nlattr *)(b.bytes + NLMSG_HDRLEN + 4);
	size_t tuple_end = NLMSG_HDRLEN + 4 + tuple->nla_len;

	assert_int_equal(tuple->nla_type & NLA_TYPE_MASK, CTA_TUPLE_ORIG);
	assert_int_equal(ctw_flow_key_parse(b.bytes, len, &full), 0);
	for (size_t cut = NLMSG_HDRLEN + 4; cut < len; cut++) {
		union msgbuf c = b;
		bool boundary = false;
		int r;

		/* Is the cut where a top-level attribute ends? */
		for (size_t at = NLMSG_HDRLEN + 4; at < len;) {
			const struct nlattr *a = (const struct nlattr *)(b.bytes + at);

			at += NLA_ALIGN(a->nla_len);
			boundary |= at == cut;
		}
		c.nlh.nlmsg_len = (uint32_t)cut;
		r = ctw_flow_key_parse(c.bytes, cut, &key);
		/* Cut inside an attribute: malformed. At a boundary after the
		 * original tuple: a shorter but whole message, the same key. */
		if (cut >= tuple_end && boundary) {
			assert_int_equal(r, 0);
			assert_memory_equal(&key, &full, sizeof(key));
		} else {
			assert_true(r < 0);
		}
	}
	/* An attribute claiming more than the message holds. */
	{
		union msgbuf c = b;
		struct nlattr *first = (struct nlattr *)(c.bytes + NLMSG_HDRLEN + 4);

		first->nla_len = (uint16_t)(len + 100);
		assert_int_equal(ctw_flow_key_parse(c.bytes, len, &key), -EINVAL);
		first->nla_len = 2;
		assert_int_equal(ctw_flow_key_parse(c.bytes, len, &key), -EINVAL);
	}
	nfct_destroy(ct);
}

struct seen {
	unsigned calls;
	struct ctw_flow_key last;
};

static void on_new(const struct ctw_flow_key *key, void *ud)
{
	struct seen *s = ud;

	s->calls++;
	s->last = *key;
}

/* One datagram with NEW, DESTROY, an UPDATE-like message of another
 * subsystem and an error message: only NEW and DESTROY count. */
static void parse_counts_new_and_destroy(void **state)
{
	struct nf_conntrack *a = udp4("10.0.0.1", "10.0.0.9", 1000, 80);
	struct nf_conntrack *d = udp4("10.0.0.2", "10.0.0.9", 1001, 81);
	struct ctw_event_counts counts = { 0 };
	struct seen seen = { 0 };
	uint8_t dgram[4 * MSG_BYTES] __attribute__((aligned(4)));
	union msgbuf b;
	size_t off = 0, len;

	(void)state;
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, a);
	memcpy(dgram + off, b.bytes, len);
	off += NLMSG_ALIGN(len);
	len = build_msg(&b, IPCTNL_MSG_CT_DELETE, AF_INET, d);
	memcpy(dgram + off, b.bytes, len);
	off += NLMSG_ALIGN(len);
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, a);
	b.nlh.nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_CT_NEW;  /* an expectation */
	memcpy(dgram + off, b.bytes, len);
	off += NLMSG_ALIGN(len);
	len = build_msg(&b, 0, AF_INET, NULL);
	b.nlh.nlmsg_type = NLMSG_ERROR;
	memcpy(dgram + off, b.bytes, len);
	off += NLMSG_ALIGN(len);

	assert_int_equal(ctw_events_parse(dgram, off, &counts, on_new, &seen), 2);
	assert_int_equal(counts.new, 1);
	assert_int_equal(counts.destroy, 1);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.last.dport, 80);
	assert_addr(seen.last.src, AF_INET, "10.0.0.1");

	/* Counting works without a callback too. */
	assert_int_equal(ctw_events_parse(dgram, off, &counts, NULL, NULL), 2);
	assert_int_equal(counts.new, 2);
	assert_int_equal(counts.destroy, 2);
	nfct_destroy(a);
	nfct_destroy(d);
}

/* A datagram cut short (MSG_TRUNC): the event happened, the key is unknown. */
static void truncated_new_counts_without_key(void **state)
{
	struct nf_conntrack *ct = udp4("10.0.0.1", "10.0.0.9", 1000, 80);
	struct ctw_event_counts counts = { 0 };
	struct seen seen = { 0 };
	union msgbuf b;
	size_t len;

	(void)state;
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, ct);
	assert_int_equal(ctw_events_parse(b.bytes, len / 2, &counts, on_new, &seen), 1);
	assert_int_equal(counts.new, 1);
	assert_int_equal(seen.calls, 0);
	/* Less than a header: nothing. */
	assert_int_equal(ctw_events_parse(b.bytes, NLMSG_HDRLEN - 1, &counts, on_new, &seen), 0);
	assert_int_equal(counts.new, 1);
	nfct_destroy(ct);
}

static void rcvbuf_growth(void **state)
{
	(void)state;
	/* Doubling up to the limit, and not past it. */
	assert_int_equal(ctw_events_next_rcvbuf(65536, 1048576), 131072);
	assert_int_equal(ctw_events_next_rcvbuf(786432, 1048576), 1048576);
	assert_int_equal(ctw_events_next_rcvbuf(1048576, 1048576), 1048576);
	/* A tiny fixed buffer stays tiny. */
	assert_int_equal(ctw_events_next_rcvbuf(65536, 65536), 65536);
	/* A limit under the current size never shrinks the buffer. */
	assert_int_equal(ctw_events_next_rcvbuf(262144, 65536), 262144);
	/* setsockopt takes an int the kernel doubles: about 1 GiB at most. */
	assert_int_equal(ctw_events_next_rcvbuf(1ULL << 29, 1ULL << 40), 1073741823);
	assert_int_equal(ctw_events_next_rcvbuf(1073741823, 1ULL << 40), 1073741823);
}

/* ---- the socket, in a network namespace of its own ------------------------ */

/* The socket tests need a netns where nothing else makes connections. As
 * root, a new one; as another user, a user namespace first (this user as its
 * root), which holds CAP_NET_ADMIN over the netns it then makes. The group
 * state is NULL on success, else why there is none. */
static char no_netns_why[256];

static int become_root_of_user_namespace(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int r;

	if (unshare(CLONE_NEWUSER) < 0)
		return -errno;
	r = write_proc_self("setgroups", "deny");
	if (r == 0) {
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		r = write_proc_self("uid_map", map);
	}
	if (r == 0) {
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		r = write_proc_self("gid_map", map);
	}
	return r;
}

static int private_netns(void **state)
{
	int r;

	*state = NULL;
	if (geteuid() != 0) {
		r = become_root_of_user_namespace();
		if (r < 0) {
			snprintf(no_netns_why, sizeof(no_netns_why),
				 "not root, and no user namespace for this user: %s", strerror(-r));
			*state = no_netns_why;
			return 0;
		}
	}
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(no_netns_why, sizeof(no_netns_why), "no network namespace of its own: unshare: %s",
			 strerror(errno));
		*state = no_netns_why;
	}
	return 0;
}

/* The socket, or a skip when the machine lacks what it takes: ctnetlink
 * (EPROTONOSUPPORT: no nf_conntrack_netlink) or CAP_NET_ADMIN over the netns
 * (EPERM, in a container that took it away). Any other failure is the code's. */
static struct ctw_events *open_or_skip(void **state, uint64_t rcvbuf, uint64_t rcvbuf_max)
{
	struct ctw_events *ev = NULL;
	int r;

	if (*state)
		skip_because("%s", (const char *)*state);
	r = ctw_events_open(&ev, rcvbuf, rcvbuf_max);
	if (r == -EPROTONOSUPPORT)
		skip_because("no ctnetlink in this kernel (nf_conntrack_netlink): %s", strerror(-r));
	if (r == -EPERM)
		skip_because("no CAP_NET_ADMIN over this network namespace: %s", strerror(-r));
	assert_int_equal(r, 0);
	assert_non_null(ev);
	return ev;
}

static void socket_open_and_empty_drain(void **state)
{
	struct ctw_events *ev = open_or_skip(state, 65536, 262144);
	struct ctw_event_counts c;
	struct seen seen = { 0 };

	assert_true(ctw_events_fd(ev) >= 0);
	ctw_events_counts(ev, &c);
	/* root's SO_RCVBUFFORCE grants it; another user's SO_RCVBUF too, under rmem_max */
	assert_int_equal(c.rcvbuf, 65536);
	assert_int_equal(c.new + c.destroy + c.overruns, 0);
	/* Nothing happens in an empty netns: 0, not -EAGAIN, and no blocking. */
	assert_int_equal(ctw_events_drain(ev, 100, on_new, &seen), 0);
	assert_false(ctw_events_take_overrun(ev));
	ctw_events_close(ev);
}

/* Another process may send to our port: only the kernel's events count. */
static void forged_events_are_ignored(void **state)
{
	struct ctw_events *ev = open_or_skip(state, 0, 0);
	struct nf_conntrack *ct = udp4("10.0.0.1", "10.0.0.9", 1000, 80);
	struct ctw_event_counts c;
	struct sockaddr_nl me = { 0 }, to;
	socklen_t melen = sizeof(me);
	struct seen seen = { 0 };
	union msgbuf b;
	size_t len;
	int fd;

	assert_int_equal(getsockname(ctw_events_fd(ev), (struct sockaddr *)&me, &melen), 0);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	assert_true(fd >= 0);
	len = build_msg(&b, IPCTNL_MSG_CT_NEW, AF_INET, ct);
	to = (struct sockaddr_nl){ .nl_family = AF_NETLINK, .nl_pid = me.nl_pid };
	assert_int_equal(sendto(fd, b.bytes, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
	assert_int_equal(ctw_events_drain(ev, 100, on_new, &seen), 0);
	ctw_events_counts(ev, &c);
	assert_int_equal(c.new, 0);
	assert_int_equal(seen.calls, 0);
	close(fd);
	ctw_events_close(ev);
	nfct_destroy(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_udp_key),
		cmocka_unit_test(ipv6_tcp_key_ignores_reply),
		cmocka_unit_test(icmp_has_no_port),
		cmocka_unit_test(family_mismatch_is_rejected),
		cmocka_unit_test(no_tuple_no_key),
		cmocka_unit_test(truncated_attributes_are_rejected),
		cmocka_unit_test(parse_counts_new_and_destroy),
		cmocka_unit_test(truncated_new_counts_without_key),
		cmocka_unit_test(rcvbuf_growth),
		cmocka_unit_test(socket_open_and_empty_drain),
		cmocka_unit_test(forged_events_are_ignored),
	};
	return cmocka_run_group_tests_name("events", tests, private_netns, NULL);
}
