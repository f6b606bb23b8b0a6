/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The retirement pass's dump entry parser (ctw_ct_entry_parse) on messages
 * built by libnetfilter_conntrack (nfct_nlmsg_build lays attributes out as
 * the kernel does), plus the CTA_ID it never writes, appended by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "skip_because.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netlink.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "kernel/ct_retire.h"

#define MSG_BYTES 1024

union msgbuf {
	struct nlmsghdr nlh;
	uint8_t bytes[MSG_BYTES];
};

static size_t build_msg(union msgbuf *b, uint8_t family, const struct nf_conntrack *ct)
{
	struct nfgenmsg *gen;

	memset(b, 0, sizeof(*b));
	b->nlh.nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*gen));
	b->nlh.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	gen = (struct nfgenmsg *)(b->bytes + NLMSG_HDRLEN);
	gen->nfgen_family = family;
	gen->version = NFNETLINK_V0;
	if (ct)
		assert_int_equal(nfct_nlmsg_build(&b->nlh, ct), 0);
	return b->nlh.nlmsg_len;
}

/* Append one attribute with a 4-byte big-endian value (CTA_ID). */
static size_t append_be32(union msgbuf *b, uint16_t type, uint32_t value)
{
	struct nlattr *a = (struct nlattr *)(b->bytes + NLMSG_ALIGN(b->nlh.nlmsg_len));
	uint32_t be = htonl(value);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + 4;
	memcpy((uint8_t *)a + NLA_HDRLEN, &be, 4);
	b->nlh.nlmsg_len = NLMSG_ALIGN(b->nlh.nlmsg_len) + NLA_HDRLEN + 4;
	return b->nlh.nlmsg_len;
}

static struct nf_conntrack *tcp4_established(void)
{
	struct nf_conntrack *ct = nfct_new();
	struct in_addr a;

	assert_non_null(ct);
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	assert_int_equal(inet_pton(AF_INET, "10.1.2.3", &a), 1);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, a.s_addr);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.80", &a), 1);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, a.s_addr);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(40123));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(443));
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_ORIG, IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED | IP_CT_TCP_FLAG_SACK_PERM);
	nfct_set_attr_u8(ct, ATTR_TCP_MASK_ORIG, 0xff);
	nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_REPL, IP_CT_TCP_FLAG_WINDOW_SCALE);
	nfct_set_attr_u8(ct, ATTR_TCP_MASK_REPL, 0xff);
	nfct_set_attr_u16(ct, ATTR_ZONE, 7);
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_ASSURED | IPS_CONFIRMED | IPS_SRC_NAT);
	nfct_set_attr_u32(ct, ATTR_MARK, 0x2a);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, 431000);
	return ct;
}

static void test_tcp4_full(void **state)
{
	struct nf_conntrack *ct = tcp4_established();
	struct ctw_ct_entry e;
	union msgbuf b;
	size_t len;

	(void)state;
	build_msg(&b, AF_INET, ct);
	len = append_be32(&b, CTA_ID, 0xdeadbeefu);
	assert_int_equal(ctw_ct_entry_parse(b.bytes, len, &e), 0);
	assert_int_equal(e.key.family, AF_INET);
	assert_int_equal(e.key.proto, IPPROTO_TCP);
	assert_int_equal(e.key.dport, 443);
	assert_int_equal(e.sport, 40123);
	assert_int_equal(e.key.tcp_state, TCP_CONNTRACK_ESTABLISHED);
	assert_memory_equal(e.key.src, "\x0a\x01\x02\x03", 4);
	assert_memory_equal(e.key.dst, "\xc0\x00\x02\x50", 4);
	assert_int_equal(e.zone, 7);
	assert_int_equal(e.id, 0xdeadbeefu);
	/* IPS_ASSURED 4 | IPS_CONFIRMED 8 | IPS_SRC_NAT 16 */
	assert_int_equal(e.status, 4 | 8 | 16);
	assert_int_equal(e.mark, 0x2a);
	assert_true(e.has_timeout);
	assert_int_equal(e.timeout_left_s, 431000);
	/* DATA_UNACKNOWLEDGED 0x10 | SACK_PERM 0x02; WINDOW_SCALE 0x01 */
	assert_int_equal(e.tcp_flags[0], 0x12);
	assert_int_equal(e.tcp_flags[1], 0x01);
	nfct_destroy(ct);
}

/* An offloaded entry carries no CTA_TIMEOUT; absent zone, id, mark read 0. */
static void test_udp6_no_timeout(void **state)
{
	struct nf_conntrack *ct = nfct_new();
	struct in6_addr a;
	struct ctw_ct_entry e;
	union msgbuf b;
	size_t len;

	(void)state;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &a), 1);
	nfct_set_attr(ct, ATTR_IPV6_SRC, &a);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::53", &a), 1);
	nfct_set_attr(ct, ATTR_IPV6_DST, &a);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(5353));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(53));
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_OFFLOAD | IPS_CONFIRMED);
	len = build_msg(&b, AF_INET6, ct);
	assert_int_equal(ctw_ct_entry_parse(b.bytes, len, &e), 0);
	assert_int_equal(e.key.family, AF_INET6);
	assert_int_equal(e.key.proto, IPPROTO_UDP);
	assert_int_equal(e.sport, 5353);
	assert_int_equal(e.key.dport, 53);
	assert_memory_equal(e.key.dst, a.s6_addr, 16);
	assert_false(e.has_timeout);
	assert_int_equal(e.timeout_left_s, 0);
	assert_int_equal(e.zone, 0);
	assert_int_equal(e.id, 0);
	assert_int_equal(e.mark, 0);
	assert_int_equal(e.status, (1u << 14) | 8);
	assert_int_equal(e.tcp_flags[0], 0);
	nfct_destroy(ct);
}

static void test_not_ip(void **state)
{
	struct nf_conntrack *ct = tcp4_established();
	struct ctw_ct_entry e;
	union msgbuf b;
	size_t len;

	(void)state;
	build_msg(&b, AF_INET, ct);
	((struct nfgenmsg *)(b.bytes + NLMSG_HDRLEN))->nfgen_family = AF_BRIDGE;
	len = b.nlh.nlmsg_len;
	assert_int_equal(ctw_ct_entry_parse(b.bytes, len, &e), -ENOENT);
	/* No original tuple at all. */
	len = build_msg(&b, AF_INET, NULL);
	assert_int_equal(ctw_ct_entry_parse(b.bytes, len, &e), -ENOENT);
	nfct_destroy(ct);
}

static void test_malformed(void **state)
{
	struct nf_conntrack *ct = tcp4_established();
	struct ctw_ct_entry e;
	union msgbuf b;
	size_t len;

	(void)state;
	len = build_msg(&b, AF_INET, ct);
	/* Shorter than the two headers. */
	assert_int_equal(ctw_ct_entry_parse(b.bytes, 10, &e), -EINVAL);
	/* Cut in the middle of an attribute. */
	assert_int_equal(ctw_ct_entry_parse(b.bytes, len - 3, &e), -EINVAL);
	/* Misaligned. */
	memmove(b.bytes + 1, b.bytes, len);
	assert_int_equal(ctw_ct_entry_parse(b.bytes + 1, len, &e), -EINVAL);
	/* A zero-length CTA_TIMEOUT (NLA_U32 wants 4 bytes). */
	len = build_msg(&b, AF_INET, ct);
	{
		struct nlattr *a = (struct nlattr *)(b.bytes + NLMSG_ALIGN(len));

		a->nla_type = CTA_TIMEOUT;
		a->nla_len = NLA_HDRLEN;
		b.nlh.nlmsg_len = NLMSG_ALIGN(len) + NLA_HDRLEN;
	}
	assert_int_equal(ctw_ct_entry_parse(b.bytes, b.nlh.nlmsg_len, &e), -EINVAL);
	assert_int_equal(e.key.family, 0);   /* zeroed on error */
	nfct_destroy(ct);
}

/* ---- the pass on the real kernel (root, in a private netns) ---------------- */

static int private_netns(void **state)
{
	static bool ok;

	ok = geteuid() == 0 && unshare(CLONE_NEWNET) == 0;
	*state = &ok;
	return 0;
}

static struct nf_conntrack *tcp_entry(uint8_t last_octet, uint32_t timeout)
{
	struct nf_conntrack *ct = nfct_new();

	assert_non_null(ct);
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, htonl(0x0a090000u | last_octet));
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, htonl(0x0a0900feu));
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(1000));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(80));
	nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_ASSURED | IPS_SEEN_REPLY);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
	return ct;
}

static int ct_do(enum nf_conntrack_query q, uint8_t last_octet, uint32_t timeout)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct nf_conntrack *ct = tcp_entry(last_octet, timeout);
	int r;

	assert_non_null(h);
	r = nfct_query(h, q, ct);
	nfct_destroy(ct);
	nfct_close(h);
	return r;
}

static uint32_t got_timeout;

static int get_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	(void)type;
	(void)data;
	got_timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	return NFCT_CB_STOP;
}

/* The entry's time left, or -1 when it is not in the table. */
static long timeout_of(uint8_t last_octet)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct nf_conntrack *ct = tcp_entry(last_octet, 1);
	int r;

	assert_non_null(h);
	nfct_callback_register(h, NFCT_T_ALL, get_cb, NULL);
	r = nfct_query(h, NFCT_Q_GET, ct);
	nfct_destroy(ct);
	nfct_close(h);
	return r == 0 ? (long)got_timeout : -1;
}

/* .1: replaced by a newer flow on the same tuple between the dump and its
 * delete (done from the callback, before the request is sent): the delete
 * carries the old id, so the new flow stays and it counts as gone. .2:
 * deleted. .3: retimed to 7 s. .4: kept. */
static void decide_live(void *ud, const struct ctw_ct_entry *e, struct ctw_retire_decision *d)
{
	uint8_t last = e->key.src[3];

	(void)ud;
	memset(d, 0, sizeof(*d));
	d->reason = CTW_RETIRE_ACTED;
	d->idle_s = 50;
	if (last == 1) {
		/* The kernel's id hashes the entry's address with its tuple:
		 * a new entry in the freed one's memory would get the same id.
		 * A filler (.9, kept) takes that memory first. */
		assert_int_equal(ct_do(NFCT_Q_DESTROY, 1, 0), 0);
		static uint8_t filler = 9;

		assert_int_equal(ct_do(NFCT_Q_CREATE, filler++, 100), 0);
		assert_int_equal(ct_do(NFCT_Q_CREATE, 1, 5000), 0);
		d->action = CTW_RETIRE_DELETE;
	} else if (last == 2) {
		d->action = CTW_RETIRE_DELETE;
	} else if (last == 3) {
		d->action = CTW_RETIRE_RETIME;
		d->retime_s = 7;
	} else {
		d->action = CTW_RETIRE_KEEP;
		d->reason = last >= 9 ? CTW_RETIRE_OTHER_TIMEOUT : CTW_RETIRE_WITHIN_NEW;
	}
}

static void run_pass(bool dry_run, const struct ctw_retire_report *out_check)
{
	struct ctw_ct_retire_opts opts = { .l4proto = IPPROTO_TCP, .dry_run = dry_run };
	struct ctw_ct_retire *p;
	int r;

	assert_int_equal(ctw_ct_retire_open(&p, &opts, decide_live, NULL), 0);
	do
		r = ctw_ct_retire_step(p, 1000);
	while (r == 0);
	assert_int_equal(r, 1);
	{
		const struct ctw_retire_report *rep = ctw_ct_retire_report(p);

		/* Fillers made during the dump may or may not be in it. */
		assert_int_equal(rep->seen - rep->kept[CTW_RETIRE_OTHER_TIMEOUT], out_check->seen);
		assert_int_equal(rep->deleted, out_check->deleted);
		assert_int_equal(rep->retimed, out_check->retimed);
		assert_int_equal(rep->gone, out_check->gone);
		assert_int_equal(rep->failed, 0);
		assert_int_equal(rep->kept[CTW_RETIRE_WITHIN_NEW], 1);
	}
	ctw_ct_retire_close(p);
}

static void test_pass_live(void **state)
{
	if (!*(bool *)*state)
		skip_because("needs root, for a network namespace of its own");
	for (uint8_t i = 1; i <= 4; i++) {
		int r = ct_do(NFCT_Q_CREATE, i, 3000);

		/* Only a kernel without ctnetlink is a reason; any other failure is one. */
		if (r < 0 && i == 1 && (errno == EPROTONOSUPPORT || errno == EOPNOTSUPP))
			skip_because("no ctnetlink to create entries with: %s", strerror(errno));
		assert_int_equal(r, 0);
	}
	/* Dry run: the same decisions counted, nothing changed (.1's
	 * replacement in the callback is the test's own doing). */
	{
		struct ctw_retire_report want = { .seen = 4, .deleted = 2, .retimed = 1 };

		run_pass(true, &want);
	}
	assert_true(timeout_of(2) > 2900);
	assert_true(timeout_of(3) > 2900);
	/* The real pass. */
	{
		struct ctw_retire_report want = { .seen = 4, .deleted = 1, .retimed = 1, .gone = 1 };

		run_pass(false, &want);
	}
	assert_true(timeout_of(1) > 4900);   /* the newer flow on .1's tuple stays */
	assert_int_equal(timeout_of(2), -1);
	assert_true(timeout_of(3) >= 6 && timeout_of(3) <= 7);
	assert_true(timeout_of(4) > 2900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_full),
		cmocka_unit_test(test_udp6_no_timeout),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test_setup(test_pass_live, private_netns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
