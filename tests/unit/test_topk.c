/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Top-K: exact counts while the keys fit, the Space-Saving guarantee on
 * random streams when they do not, no allocation after init, the order and
 * text users see; and the dump parser fed with messages built by
 * libnetfilter_conntrack's own encoder. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <json-c/json.h>

#include "base/conf.h"
#include "kernel/ct_top.h"
#include "policy/findings.h"
#include "base/flow.h"
#include "kernel/host.h"
#include "cli/report.h"
#include "base/topk.h"

/* xorshift64*: a fixed, reproducible stream. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void key_of(uint32_t id, uint8_t key[4])
{
	key[0] = (uint8_t)(id >> 24);
	key[1] = (uint8_t)(id >> 16);
	key[2] = (uint8_t)(id >> 8);
	key[3] = (uint8_t)id;
}

static uint32_t id_of(const struct ctw_topk_item *it)
{
	return (uint32_t)it->key[0] << 24 | (uint32_t)it->key[1] << 16 | (uint32_t)it->key[2] << 8 | it->key[3];
}

/* ---- Space-Saving ------------------------------------------------------- */

static void exact_when_keys_fit(void **state)
{
	enum { KEYS = 50, CAP = 64 };
	uint64_t truth[KEYS] = { 0 }, total = 0, s = 42;
	struct ctw_topk_item out[CAP];
	struct ctw_topk t;
	uint8_t key[4];
	unsigned n;

	(void)state;
	assert_int_equal(ctw_topk_init(&t, CAP, 7), 0);
	for (int i = 0; i < 20000; i++) {
		/* skewed: small ids far more often */
		uint32_t id = (uint32_t)(rng_next(&s) % KEYS);
		id = (uint32_t)(rng_next(&s) % (id + 1));
		key_of(id, key);
		assert_int_equal(ctw_topk_add(&t, key, sizeof(key)), 0);
		truth[id]++;
		total++;
	}
	assert_int_equal(t.total, total);
	assert_int_equal(t.evictions, 0);
	n = ctw_topk_query(&t, out, CAP);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(out[i].len, 4);
		assert_int_equal(out[i].error, 0);
		assert_int_equal(out[i].count, truth[id_of(&out[i])]);
		if (i)
			assert_true(out[i - 1].count >= out[i].count);
	}
	/* every key seen is listed, none twice */
	for (uint32_t id = 0; id < KEYS; id++) {
		unsigned seen = 0;

		for (unsigned i = 0; i < n; i++)
			seen += id_of(&out[i]) == id;
		assert_int_equal(seen, truth[id] ? 1 : 0);
	}
	ctw_topk_free(&t);
}

/* One random stream: heavy hitters hidden in many rare keys. */
static void check_guarantee(unsigned cap, uint32_t distinct, unsigned adds, uint64_t seed)
{
	uint64_t *truth = calloc(distinct, sizeof(*truth)), sum = 0, s = seed;
	struct ctw_topk_item *out = calloc(cap, sizeof(*out));
	struct ctw_topk t;
	uint8_t key[4];
	unsigned n;

	assert_non_null(truth);
	assert_non_null(out);
	assert_int_equal(ctw_topk_init(&t, cap, (uint32_t)seed), 0);
	for (unsigned i = 0; i < adds; i++) {
		uint64_t r = rng_next(&s);
		/* 30% to 5 heavy keys, 10% to 20 medium ones, the rest uniform */
		uint32_t id = r % 10 < 3 ? (uint32_t)(r >> 8) % 5 :
			      r % 10 < 4 ? 5 + (uint32_t)(r >> 8) % 20 : (uint32_t)(r >> 8) % distinct;
		key_of(id, key);
		ctw_topk_add(&t, key, sizeof(key));
		truth[id]++;
	}
	assert_true(t.evictions > 0);
	n = ctw_topk_query(&t, out, cap);
	assert_int_equal(n, cap);
	for (unsigned i = 0; i < n; i++) {
		uint64_t real = truth[id_of(&out[i])];

		assert_true(out[i].count >= real);
		assert_true(out[i].count - out[i].error <= real);
		if (i)
			assert_true(out[i - 1].count >= out[i].count);
		sum += out[i].count;
	}
	/* Space-Saving keeps the counts summing to the stream length */
	assert_int_equal(sum, adds);
	/* every key more frequent than adds / cap is listed */
	for (uint32_t id = 0; id < distinct; id++) {
		bool listed = false;

		if (truth[id] * cap <= adds)
			continue;
		for (unsigned i = 0; i < n; i++)
			listed |= id_of(&out[i]) == id;
		assert_true(listed);
	}
	/* the five heavy keys (about 6% each) lead the list */
	for (unsigned i = 0; i < 5; i++)
		assert_true(id_of(&out[i]) < 5);
	ctw_topk_free(&t);
	free(out);
	free(truth);
}

static void guarantee_on_random_streams(void **state)
{
	(void)state;
	check_guarantee(64, 5000, 200000, 1);
	check_guarantee(64, 100000, 200000, 2);
	check_guarantee(256, 20000, 300000, 3);
	check_guarantee(32, 1000, 50000, 4);
}

static void no_allocation_after_init(void **state)
{
	struct ctw_topk t;
	struct mallinfo2 before, after;
	uint8_t key[4];

	(void)state;
	assert_int_equal(ctw_topk_init(&t, 256, 1), 0);
	before = mallinfo2();
	for (uint32_t id = 0; id < 1000000; id++) {
		key_of(id * 2654435761u, key);
		ctw_topk_add(&t, key, sizeof(key));
	}
	after = mallinfo2();
	assert_int_equal(after.uordblks, before.uordblks);
	assert_int_equal(t.used, 256);
	assert_int_equal(t.total, 1000000);
	ctw_topk_free(&t);
}

static void order_and_ties(void **state)
{
	struct ctw_topk_item out[4];
	struct ctw_topk t;

	(void)state;
	assert_int_equal(ctw_topk_init(&t, 4, 0), 0);
	ctw_topk_add(&t, "b", 1);
	ctw_topk_add(&t, "a", 1);
	ctw_topk_add(&t, "c", 1);
	ctw_topk_add(&t, "c", 1);
	assert_int_equal(ctw_topk_query(&t, out, 4), 3);
	assert_memory_equal(out[0].key, "c", 1);
	assert_int_equal(out[0].count, 2);
	/* equal counts: by key, so the output does not depend on the hash seed */
	assert_memory_equal(out[1].key, "a", 1);
	assert_memory_equal(out[2].key, "b", 1);
	/* asking for fewer gives the head */
	assert_int_equal(ctw_topk_query(&t, out, 1), 1);
	assert_memory_equal(out[0].key, "c", 1);
	ctw_topk_free(&t);
}

static void eviction_inherits_the_minimum(void **state)
{
	struct ctw_topk_item out[2];
	struct ctw_topk t;

	(void)state;
	assert_int_equal(ctw_topk_init(&t, 2, 0), 0);
	for (int i = 0; i < 5; i++)
		ctw_topk_add(&t, "x", 1);
	ctw_topk_add(&t, "y", 1);
	ctw_topk_add(&t, "y", 1);
	ctw_topk_add(&t, "z", 1);   /* replaces y (2): count 3, error 2 */
	assert_int_equal(ctw_topk_query(&t, out, 2), 2);
	assert_memory_equal(out[0].key, "x", 1);
	assert_int_equal(out[0].count, 5);
	assert_int_equal(out[0].error, 0);
	assert_memory_equal(out[1].key, "z", 1);
	assert_int_equal(out[1].count, 3);
	assert_int_equal(out[1].error, 2);
	assert_int_equal(t.evictions, 1);
	ctw_topk_free(&t);
}

static void bad_arguments(void **state)
{
	struct ctw_topk t;
	uint8_t big[CTW_TOPK_KEY_MAX + 1] = { 0 };

	(void)state;
	assert_int_equal(ctw_topk_init(&t, 0, 0), -EINVAL);
	assert_int_equal(ctw_topk_init(&t, 4, 0), 0);
	assert_int_equal(ctw_topk_add(&t, big, 0), -EINVAL);
	assert_int_equal(ctw_topk_add(&t, big, sizeof(big)), -EINVAL);
	assert_int_equal(ctw_topk_add(&t, big, CTW_TOPK_KEY_MAX), 0);
	assert_int_equal(t.total, 1);
	ctw_topk_free(&t);
}

static void halve_and_reset(void **state)
{
	struct ctw_topk_item out[8];
	struct ctw_topk t;

	(void)state;
	assert_int_equal(ctw_topk_init(&t, 8, 3), 0);
	for (int i = 0; i < 9; i++)
		ctw_topk_add(&t, "old", 3);
	ctw_topk_add(&t, "one", 3);
	ctw_topk_halve(&t);
	assert_int_equal(ctw_topk_query(&t, out, 8), 1);   /* "one" fell to 0 */
	assert_memory_equal(out[0].key, "old", 3);
	assert_int_equal(out[0].count, 4);
	assert_int_equal(t.total, 5);
	/* still a working summary: a newcomer overtakes the decayed key */
	for (int i = 0; i < 6; i++)
		ctw_topk_add(&t, "new", 3);
	assert_int_equal(ctw_topk_query(&t, out, 8), 2);
	assert_memory_equal(out[0].key, "new", 3);
	assert_int_equal(out[0].count, 6);
	ctw_topk_reset(&t);
	assert_int_equal(ctw_topk_query(&t, out, 8), 0);
	assert_int_equal(t.total, 0);
	ctw_topk_add(&t, "old", 3);
	assert_int_equal(ctw_topk_query(&t, out, 8), 1);
	assert_int_equal(out[0].count, 1);
	ctw_topk_free(&t);
}

/* ---- flows and the alert line ------------------------------------------ */

static struct ctw_flow_key flow4(const char *src, const char *dst, uint8_t proto, uint16_t dport)
{
	struct ctw_flow_key k = { .family = AF_INET, .proto = proto, .dport = dport };

	assert_int_equal(inet_pton(AF_INET, src, k.src), 1);
	assert_int_equal(inet_pton(AF_INET, dst, k.dst), 1);
	return k;
}

static void add_n(struct ctw_top *t, struct ctw_flow_key k, int n)
{
	for (int i = 0; i < n; i++)
		ctw_top_add(t, &k);
}

static void alert_line(void **state)
{
	struct ctw_top t;
	char line[512], small[20];
	size_t need;

	(void)state;
	assert_int_equal(ctw_top_init(&t, 64, 9), 0);
	need = ctw_top_format_alert(&t, 2, line, sizeof(line));
	assert_string_equal(line, "no new flows");
	assert_int_equal(need, strlen(line));
	add_n(&t, flow4("10.0.0.5", "192.0.2.53", IPPROTO_UDP, 53), 41);
	add_n(&t, flow4("10.0.0.7", "192.0.2.53", IPPROTO_UDP, 53), 12);
	add_n(&t, flow4("10.0.0.9", "192.0.2.53", IPPROTO_UDP, 53), 27);
	add_n(&t, flow4("10.0.0.8", "198.51.100.1", IPPROTO_TCP, 443), 19);
	add_n(&t, flow4("10.0.0.6", "198.51.100.2", IPPROTO_ICMP, 0), 1);
	need = ctw_top_format_alert(&t, 2, line, sizeof(line));
	assert_string_equal(line, "top sources: 10.0.0.5 41%, 10.0.0.9 27%; "
				  "top destinations: 192.0.2.53 80%, 198.51.100.1 19%; "
				  "top ports: udp/53 80%, tcp/443 19%");
	assert_int_equal(need, strlen(line));
	/* truncated, still terminated, and it says what it needed */
	assert_int_equal(ctw_top_format_alert(&t, 2, small, sizeof(small)), need);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, line, sizeof(small) - 1);
	/* below 1% is not rounded to 0% */
	ctw_top_reset(&t);
	add_n(&t, flow4("10.0.0.1", "10.1.1.1", IPPROTO_UDP, 53), 300);
	add_n(&t, flow4("10.0.0.2", "10.1.1.1", IPPROTO_UDP, 53), 1);
	ctw_top_format_alert(&t, 2, line, sizeof(line));
	assert_non_null(strstr(line, "10.0.0.2 <1%"));
	ctw_top_free(&t);
}

static void ipv6_and_exact_views(void **state)
{
	struct ctw_flow_key k6 = { .family = AF_INET6, .proto = IPPROTO_TCP, .dport = 22,
				   .tcp_state = TCP_CONNTRACK_ESTABLISHED };
	struct ctw_top_row rows[4];
	struct ctw_top t;

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", k6.src), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::ff", k6.dst), 1);
	assert_int_equal(ctw_top_init(&t, 16, 1), 0);
	add_n(&t, k6, 3);
	k6.tcp_state = TCP_CONNTRACK_TIME_WAIT;
	add_n(&t, k6, 1);
	add_n(&t, flow4("10.0.0.1", "10.0.0.2", IPPROTO_GRE, 0), 2);
	add_n(&t, flow4("10.0.0.1", "10.0.0.2", 200, 0), 1);

	assert_int_equal(ctw_top_list(&t, CTW_TOP_SOURCE, rows, 4), 2);
	assert_string_equal(rows[0].key, "2001:db8::1");
	assert_int_equal(rows[0].count, 4);
	assert_string_equal(rows[1].key, "10.0.0.1");
	assert_int_equal(ctw_top_list(&t, CTW_TOP_DPORT, rows, 4), 1);   /* GRE has no ports */
	assert_string_equal(rows[0].key, "tcp/22");
	assert_true(rows[0].percent > 57.1 && rows[0].percent < 57.2);  /* 4 of 7 */
	assert_int_equal(ctw_top_list(&t, CTW_TOP_PROTOCOL, rows, 4), 3);
	assert_string_equal(rows[0].key, "tcp");
	assert_int_equal(rows[0].count, 4);
	assert_string_equal(rows[1].key, "gre");
	assert_string_equal(rows[2].key, "200");
	assert_int_equal(ctw_top_list(&t, CTW_TOP_TCP_STATE, rows, 4), 2);
	assert_string_equal(rows[0].key, "ESTABLISHED");
	assert_int_equal(rows[0].count, 3);
	assert_string_equal(rows[1].key, "TIME_WAIT");
	assert_true(ctw_top_exact(&t, CTW_TOP_SOURCE));
	ctw_top_free(&t);
}

/* ---- the dump parser ---------------------------------------------------- */

struct msgbuf {
	uint8_t data[8192] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *msg_start(struct msgbuf *b, uint16_t type, uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->data + b->len);
	struct nfgenmsg *gen = (struct nfgenmsg *)((uint8_t *)nlh + NLMSG_HDRLEN);

	memset(nlh, 0, NLMSG_SPACE(sizeof(*gen)));
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*gen));
	gen->nfgen_family = family;
	gen->version = NFNETLINK_V0;
	return nlh;
}

static void msg_end(struct msgbuf *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* One dump entry, encoded by libnetfilter_conntrack (not by this parser's code). */
static void put_entry(struct msgbuf *b, int family, const char *src, const char *dst,
		      uint8_t proto, uint16_t dport, int tcp_state)
{
	struct nf_conntrack *ct = nfct_new();
	struct nlmsghdr *nlh = msg_start(b, NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW,
					 NLM_F_MULTI, (uint8_t)family);
	uint8_t a[16], d[16];

	assert_non_null(ct);
	assert_int_equal(inet_pton(family, src, a), 1);
	assert_int_equal(inet_pton(family, dst, d), 1);
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, (uint8_t)family);
	if (family == AF_INET) {
		nfct_set_attr(ct, ATTR_ORIG_IPV4_SRC, a);
		nfct_set_attr(ct, ATTR_ORIG_IPV4_DST, d);
		nfct_set_attr(ct, ATTR_REPL_IPV4_SRC, d);
		nfct_set_attr(ct, ATTR_REPL_IPV4_DST, a);
	} else {
		nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, a);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, d);
		nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, d);
		nfct_set_attr(ct, ATTR_REPL_IPV6_DST, a);
	}
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, (uint8_t)family);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, proto);
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(40000));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(40000));
	}
	if (tcp_state >= 0)
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, (uint8_t)tcp_state);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, 30);
	assert_int_equal(nfct_nlmsg_build(nlh, ct), 0);
	assert_true(b->len + NLMSG_ALIGN(nlh->nlmsg_len) <= sizeof(b->data));
	msg_end(b, nlh);
	nfct_destroy(ct);
}

static void put_status(struct msgbuf *b, uint16_t type, int err)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->data + b->len);

	memset(nlh, 0, NLMSG_SPACE(sizeof(struct nlmsgerr)));
	nlh->nlmsg_type = type;
	nlh->nlmsg_len = NLMSG_LENGTH(type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : sizeof(int));
	memcpy((uint8_t *)nlh + NLMSG_HDRLEN, &err, sizeof(err));
	msg_end(b, nlh);
}

static void parses_what_the_library_encodes(void **state)
{
	static struct msgbuf b;
	struct ctw_flow_key k;
	uint8_t want[16];
	size_t first;

	(void)state;
	b.len = 0;
	put_entry(&b, AF_INET, "10.0.0.5", "192.0.2.53", IPPROTO_UDP, 53, -1);
	first = b.len;
	assert_int_equal(ctw_flow_key_parse(b.data, first, &k), 0);
	assert_int_equal(k.family, AF_INET);
	assert_int_equal(k.proto, IPPROTO_UDP);
	assert_int_equal(k.dport, 53);
	inet_pton(AF_INET, "10.0.0.5", want);
	assert_memory_equal(k.src, want, 4);
	inet_pton(AF_INET, "192.0.2.53", want);
	assert_memory_equal(k.dst, want, 4);

	b.len = 0;
	put_entry(&b, AF_INET6, "2001:db8::1", "2001:db8::2", IPPROTO_TCP, 443, TCP_CONNTRACK_ESTABLISHED);
	assert_int_equal(ctw_flow_key_parse(b.data, b.len, &k), 0);
	assert_int_equal(k.family, AF_INET6);
	assert_int_equal(k.proto, IPPROTO_TCP);
	assert_int_equal(k.dport, 443);
	assert_int_equal(k.tcp_state, TCP_CONNTRACK_ESTABLISHED);
	inet_pton(AF_INET6, "2001:db8::2", want);
	assert_memory_equal(k.dst, want, 16);

	/* cut inside the attributes: no usable tuple */
	assert_true(ctw_flow_key_parse(b.data, 24, &k) < 0);
}

static void feeds_a_dump(void **state)
{
	static struct msgbuf b;
	struct ctw_top_row rows[4];
	struct ctw_ct_top t;
	struct nlmsghdr *bad;

	(void)state;
	b.len = 0;
	assert_int_equal(ctw_ct_top_init(&t, 64), 0);
	for (int i = 0; i < 5; i++)
		put_entry(&b, AF_INET, "10.0.0.5", "192.0.2.53", IPPROTO_UDP, 5353, -1);
	put_entry(&b, AF_INET6, "2001:db8::1", "2001:db8::2", IPPROTO_TCP, 443, TCP_CONNTRACK_SYN_SENT);
	put_entry(&b, AF_INET, "10.0.0.6", "192.0.2.1", IPPROTO_ICMP, 0, -1);
	/* an entry message with no attributes at all: skipped, not counted */
	bad = msg_start(&b, NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW, NLM_F_MULTI, AF_INET);
	msg_end(&b, bad);
	/* the first buffer of a dump: more to come */
	assert_int_equal(ctw_ct_top_feed(&t, b.data, b.len), 0);
	assert_int_equal(t.entries, 7);
	assert_int_equal(t.unparsed, 1);
	assert_false(t.done);

	b.len = 0;
	put_entry(&b, AF_INET, "10.0.0.7", "192.0.2.53", IPPROTO_UDP, 5353, -1);
	put_status(&b, NLMSG_DONE, 0);
	put_entry(&b, AF_INET, "10.0.0.8", "192.0.2.53", IPPROTO_UDP, 5353, -1);  /* after DONE: ignored */
	assert_int_equal(ctw_ct_top_feed(&t, b.data, b.len), 1);
	assert_true(t.done);
	assert_int_equal(t.entries, 8);
	assert_int_equal(ctw_top_list(&t.top, CTW_TOP_DPORT, rows, 4), 2);
	assert_string_equal(rows[0].key, "udp/5353");
	assert_int_equal(rows[0].count, 6);
	assert_float_equal(rows[0].percent, 75.0, 1e-9);
	assert_string_equal(rows[1].key, "tcp/443");
	assert_int_equal(ctw_top_list(&t.top, CTW_TOP_TCP_STATE, rows, 4), 1);
	assert_string_equal(rows[0].key, "SYN_SENT");
	assert_int_equal(ctw_top_list(&t.top, CTW_TOP_PROTOCOL, rows, 4), 3);
	/* equal counts: lower protocol number first */
	assert_string_equal(rows[1].key, "icmp");
	assert_string_equal(rows[2].key, "tcp");
	ctw_ct_top_free(&t);

	/* the kernel refusing the dump (no CAP_NET_ADMIN) */
	assert_int_equal(ctw_ct_top_init(&t, 64), 0);
	b.len = 0;
	put_status(&b, NLMSG_ERROR, -EPERM);
	assert_int_equal(ctw_ct_top_feed(&t, b.data, b.len), -EPERM);
	assert_int_equal(t.entries, 0);
	/* garbage framing: nothing counted, no crash */
	memset(b.data, 0xff, 64);
	assert_int_equal(ctw_ct_top_feed(&t, b.data, 64), 0);
	assert_int_equal(ctw_ct_top_feed(&t, b.data, 3), 0);
	assert_int_equal(t.entries, 0);
	ctw_ct_top_free(&t);
}

/* ---- the audit report with --top ------------------------------------ */

static char *render(bool json, const struct ctw_host *h)
{
	struct ctw_findings f;
	struct ctw_config c;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	ctw_config_defaults(&c);
	ctw_findings_evaluate(h, &c, &f);
	if (json)
		assert_int_equal(ctw_report_json(m, h, &c, &f), 0);
	else
		ctw_report_text(m, h, &c, &f);
	fclose(m);
	return buf;
}

/* A table of 1000 entries: 700 udp/5353 from one source to many
 * destinations (more than the summary keeps), the rest TCP to 443. */
static void fill_table(struct ctw_ct_top *t, struct ctw_host *h)
{
	struct ctw_flow_key k;
	char dst[32];

	assert_int_equal(ctw_ct_top_init(t, 64), 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(dst, sizeof(dst), "10.9.%d.%d", i / 250, i % 250 + 1);
		if (i < 700) {
			k = flow4("10.0.0.5", dst, IPPROTO_UDP, 5353);
		} else {
			k = flow4("2.0.0.1", "198.51.100.7", IPPROTO_TCP, 443);
			k.tcp_state = i < 900 ? TCP_CONNTRACK_ESTABLISHED : TCP_CONNTRACK_TIME_WAIT;
		}
		ctw_top_add(&t->top, &k);
		t->entries++;
	}
	memset(h, 0, sizeof(*h));
	h->loaded = true;
	h->have_count = h->have_max = true;
	h->count = 1000;
	h->max = 262144;
	h->top = t;
	h->top_n = 3;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void report_json_top(void **state)
{
	struct ctw_ct_top t;
	struct ctw_host h;
	json_object *root, *top, *a, *row;
	char *out;

	(void)state;
	fill_table(&t, &h);
	out = render(true, &h);
	root = json_tokener_parse(out);
	assert_non_null(root);
	top = member(root, "top");
	assert_int_equal(json_object_get_uint64(member(top, "entries")), 1000);
	assert_int_equal(json_object_get_uint64(member(top, "capacity")), 64);
	a = member(top, "by_dport");
	assert_int_equal(json_object_array_length(a), 2);
	row = json_object_array_get_idx(a, 0);
	assert_string_equal(json_object_get_string(member(row, "key")), "udp/5353");
	assert_int_equal(json_object_get_uint64(member(row, "count")), 700);
	assert_float_equal(json_object_get_double(member(row, "percent")), 70.0, 1e-9);
	assert_int_equal(json_object_get_uint64(member(row, "error")), 0);
	a = member(top, "by_destination");
	assert_int_equal(json_object_array_length(a), 3);   /* top_n */
	row = json_object_array_get_idx(a, 0);
	assert_string_equal(json_object_get_string(member(row, "key")), "198.51.100.7");
	/* it came after 700 one-off destinations: an upper bound, with its error */
	assert_true(json_object_get_uint64(member(row, "count")) >= 300);
	assert_true(json_object_get_uint64(member(row, "count")) -
		    json_object_get_uint64(member(row, "error")) <= 300);
	assert_true(json_object_get_uint64(member(row, "error")) > 0);
	assert_false(json_object_get_boolean(member(member(top, "exact"), "by_destination")));
	assert_true(json_object_get_boolean(member(member(top, "exact"), "by_source")));
	a = member(top, "by_tcp_state");
	row = json_object_array_get_idx(a, 1);
	assert_string_equal(json_object_get_string(member(row, "key")), "TIME_WAIT");
	assert_int_equal(json_object_get_uint64(member(row, "count")), 100);
	a = member(top, "by_protocol");
	row = json_object_array_get_idx(a, 0);
	assert_string_equal(json_object_get_string(member(row, "key")), "udp");
	json_object_put(root);
	free(out);

	/* without --top: null, so a script can tell "not asked" from "none" */
	h.top = NULL;
	out = render(true, &h);
	root = json_tokener_parse(out);
	assert_non_null(root);
	assert_null(member(root, "top"));
	json_object_put(root);
	free(out);
	ctw_ct_top_free(&t);
}

static void report_text_top(void **state)
{
	struct ctw_ct_top t;
	struct ctw_host h;
	char *out, *line, *save = NULL;

	(void)state;
	fill_table(&t, &h);
	out = render(false, &h);
	assert_non_null(strstr(out, "Who fills the table (one dump: 1000 entries)"));
	assert_non_null(strstr(out, "udp/5353"));
	assert_non_null(strstr(out, "70.0%"));
	/* the approximate destination list is marked and explained */
	assert_non_null(strstr(out, "~"));
	assert_non_null(strstr(out, "upper bound"));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_true(strlen(line) <= 80);
	free(out);
	h.top = NULL;
	out = render(false, &h);
	assert_null(strstr(out, "Who fills the table"));
	free(out);
	ctw_ct_top_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_when_keys_fit),
		cmocka_unit_test(guarantee_on_random_streams),
		cmocka_unit_test(no_allocation_after_init),
		cmocka_unit_test(order_and_ties),
		cmocka_unit_test(eviction_inherits_the_minimum),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(halve_and_reset),
		cmocka_unit_test(alert_line),
		cmocka_unit_test(ipv6_and_exact_views),
		cmocka_unit_test(parses_what_the_library_encodes),
		cmocka_unit_test(feeds_a_dump),
		cmocka_unit_test(report_json_top),
		cmocka_unit_test(report_text_top),
	};
	return cmocka_run_group_tests_name("topk", tests, NULL, NULL);
}
