/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Statistics: procfs parser on real-shaped samples, ctnetlink attribute
 * parsers on hand-built attributes, counter deltas, source selection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "kernel/knobs.h"
#include "kernel/stats.h"

#define STATS_FIXTURES CTW_FIXTURES "/stats"

static char *read_fixture(const char *name, size_t *len)
{
	char path[512];
	char *buf;
	FILE *f;

	snprintf(path, sizeof(path), STATS_FIXTURES "/%s", name);
	f = fopen(path, "r");
	assert_non_null(f);
	buf = calloc(1, 65536);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

static int parse_fixture(const char *name, struct ctw_stats *st)
{
	size_t len;
	char *buf = read_fixture(name, &len);
	int r = ctw_stats_parse_procfs(buf, len, st);

	free(buf);
	return r;
}

static int parse_text(const char *text, struct ctw_stats *st)
{
	return ctw_stats_parse_procfs(text, strlen(text), st);
}

#define BIT(c) (1u << (c))
#define ALL_COUNTERS ((1u << CTW_CTR__COUNT) - 1)

/* ---- procfs ------------------------------------------------------------ */

static void procfs_new_header_sums_cpus(void **state)
{
	struct ctw_stats st;

	(void)state;
	assert_int_equal(parse_fixture("new-6.18-2cpu.txt", &st), 0);
	assert_int_equal(st.source, CTW_STATS_PROCFS);
	assert_int_equal(st.counters.ncpu, 2);
	assert_int_equal(st.counters.present, ALL_COUNTERS);
	assert_int_equal(st.counters.value[CTW_CTR_FOUND], 0x10 + 0x20);
	assert_int_equal(st.counters.value[CTW_CTR_INVALID], 5 + 6);
	assert_int_equal(st.counters.value[CTW_CTR_INSERT], 7);
	assert_int_equal(st.counters.value[CTW_CTR_INSERT_FAILED], 1);
	assert_int_equal(st.counters.value[CTW_CTR_DROP], 0x7a1 + 0x100);
	assert_int_equal(st.counters.value[CTW_CTR_EARLY_DROP], 0x78 + 8);
	assert_int_equal(st.counters.value[CTW_CTR_ERROR], 3);          /* icmp_error */
	assert_int_equal(st.counters.value[CTW_CTR_SEARCH_RESTART], 4);
	assert_int_equal(st.counters.value[CTW_CTR_CLASH_RESOLVE], 2 + 1); /* clashres */
	assert_int_equal(st.counters.value[CTW_CTR_CHAIN_TOOLONG], 1);  /* chainlength */
	/* entries is the netns count, repeated per row: not summed. */
	assert_true(st.have_entries);
	assert_int_equal(st.entries, 1000);
	assert_false(st.have_max);
	assert_string_equal(st.note, "");
}

/* Captured on 6.18 in a netns flooded past nf_conntrack_max=1000 (the same
 * reading gave drop=3992 early_drop=233 in `conntrack -S`). */
static void procfs_real_table_full_sample(void **state)
{
	struct ctw_stats st;

	(void)state;
	assert_int_equal(parse_fixture("real-6.18-netns-full.txt", &st), 0);
	assert_int_equal(st.counters.ncpu, 2);
	assert_int_equal(st.counters.value[CTW_CTR_DROP], 3992);
	assert_int_equal(st.counters.value[CTW_CTR_EARLY_DROP], 233);
	assert_int_equal(st.counters.value[CTW_CTR_FOUND], 0);
	assert_int_equal(st.entries, 1000);
}

static void procfs_old_header_does_not_map_renamed_columns(void **state)
{
	struct ctw_stats st;

	(void)state;
	assert_int_equal(parse_fixture("old-4.19-4cpu.txt", &st), 0);
	assert_int_equal(st.counters.ncpu, 4);
	/* searched and delete_list meant other things: no clash_resolve/chaintoolong. */
	assert_false(st.counters.present & BIT(CTW_CTR_CLASH_RESOLVE));
	assert_false(st.counters.present & BIT(CTW_CTR_CHAIN_TOOLONG));
	assert_int_equal(st.counters.value[CTW_CTR_CLASH_RESOLVE], 0);
	assert_int_equal(st.counters.value[CTW_CTR_CHAIN_TOOLONG], 0);
	assert_int_equal(st.counters.present,
			 ALL_COUNTERS & ~(BIT(CTW_CTR_CLASH_RESOLVE) | BIT(CTW_CTR_CHAIN_TOOLONG)));
	assert_int_equal(st.counters.value[CTW_CTR_FOUND], 0x11 + 0x22 + 0x33 + 0x44);
	assert_int_equal(st.counters.value[CTW_CTR_INVALID], 2 + 3 + 4 + 5);
	assert_int_equal(st.counters.value[CTW_CTR_DROP], 9 + 1);
	assert_int_equal(st.counters.value[CTW_CTR_SEARCH_RESTART], 5);
	assert_int_equal(st.entries, 42);
}

static void procfs_reordered_and_unknown_columns(void **state)
{
	struct ctw_stats st;

	(void)state;
	assert_int_equal(parse_fixture("reordered.txt", &st), 0);
	assert_int_equal(st.counters.ncpu, 2);
	assert_int_equal(st.counters.present,
			 BIT(CTW_CTR_DROP) | BIT(CTW_CTR_EARLY_DROP) | BIT(CTW_CTR_FOUND));
	assert_int_equal(st.counters.value[CTW_CTR_DROP], 0xa + 0xb);
	assert_int_equal(st.counters.value[CTW_CTR_EARLY_DROP], 1 + 2);
	assert_int_equal(st.counters.value[CTW_CTR_FOUND], 0x100 + 0x200);
	assert_int_equal(st.entries, 100);
	for (int c = 0; c < CTW_CTR__COUNT; c++)
		if (!(st.counters.present & BIT(c)))
			assert_int_equal(st.counters.value[c], 0);
}

static void procfs_sum_exceeds_u32(void **state)
{
	struct ctw_stats st;

	(void)state;
	assert_int_equal(parse_fixture("wrap-2cpu.txt", &st), 0);
	assert_int_equal(st.counters.value[CTW_CTR_DROP], 0x1fffffffeULL);
	assert_int_equal(st.counters.value[CTW_CTR_EARLY_DROP], 0x80000000ULL);
}

static void procfs_header_only_is_valid_without_cpus(void **state)
{
	struct ctw_stats st;

	(void)state;
	assert_int_equal(parse_fixture("header-only.txt", &st), 0);
	assert_int_equal(st.counters.ncpu, 0);
	assert_int_equal(st.counters.present, ALL_COUNTERS);
	assert_false(st.have_entries);
	for (int c = 0; c < CTW_CTR__COUNT; c++)
		assert_int_equal(st.counters.value[c], 0);
}

static void procfs_no_trailing_newline_and_uppercase_hex(void **state)
{
	struct ctw_stats st;

	(void)state;
	assert_int_equal(parse_text("entries\tdrop\n0000000A\t0000FFFF", &st), 0);
	assert_int_equal(st.counters.ncpu, 1);
	assert_int_equal(st.entries, 10);
	assert_int_equal(st.counters.value[CTW_CTR_DROP], 0xffff);
}

static void procfs_malformed_is_rejected(void **state)
{
	static const char *const bad[] = {
		"",                                   /* no header */
		"\n",                                 /* empty header */
		"   \t \n00000001\n",                 /* blank header */
		"drop found\n00000001\n",             /* row too short */
		"drop found\n00000001 00000002 00000003\n", /* row too long */
		"drop\n0000000g\n",                   /* not hex */
		"drop\n000000001\n",                  /* more than a u32 */
		"drop\n0x000001\n",
		"drop\n-0000001\n",
		"drop\n00000001\n\n00000002\n",       /* empty row */
		"drop\n00000001\n\n",                 /* trailing empty row */
		"drop early_drop drop\n00000001 00000002 00000003\n", /* ambiguous */
		"entries entries\n00000001 00000002\n",
		"drop\n00000001\r\n",                 /* CRLF is not the kernel's */
	};
	struct ctw_stats st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&st, 0x5a, sizeof(st));
		st.note[0] = 'x';
		if (parse_text(bad[i], &st) != -EINVAL)
			fail_msg("accepted malformed input #%zu: \"%s\"", i, bad[i]);
		/* A failed parse must not leave half-summed counters behind. */
		assert_int_equal(st.note[0], 'x');
		assert_int_equal(st.counters.ncpu, 0x5a5a5a5a);
	}
}

static void procfs_nul_inside_row_is_rejected(void **state)
{
	static const char text[] = "drop\n0000\0001\n";
	struct ctw_stats st;

	(void)state;
	assert_int_equal(ctw_stats_parse_procfs(text, sizeof(text) - 1, &st), -EINVAL);
}

static void procfs_parse_honours_length(void **state)
{
	/* Only the first len bytes count: the row after them must not be read. */
	static const char text[] = "drop\n00000001\n00000002\n";
	struct ctw_stats st;

	(void)state;
	assert_int_equal(ctw_stats_parse_procfs(text, strlen("drop\n00000001\n"), &st), 0);
	assert_int_equal(st.counters.ncpu, 1);
	assert_int_equal(st.counters.value[CTW_CTR_DROP], 1);
}

/* ---- ctnetlink attributes ------------------------------------------------ */

struct attrbuf {
	uint32_t words[64]; /* aligned like a netlink message */
	size_t len;
};

static void put_attr(struct attrbuf *b, uint16_t type, const void *payload, uint16_t plen)
{
	struct nlattr nla = { .nla_len = (uint16_t)(NLA_HDRLEN + plen), .nla_type = type };
	unsigned char *p = (unsigned char *)b->words + b->len;

	assert_true(b->len + NLA_ALIGN(nla.nla_len) <= sizeof(b->words));
	memcpy(p, &nla, sizeof(nla));
	memcpy(p + NLA_HDRLEN, payload, plen);
	memset(p + NLA_HDRLEN + plen, 0, NLA_ALIGN(nla.nla_len) - nla.nla_len);
	b->len += NLA_ALIGN(nla.nla_len);
}

static void put_be32(struct attrbuf *b, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	put_attr(b, type, &be, sizeof(be));
}

/* What the kernel sends for one CPU (ctnetlink_ct_stat_cpu_fill_info). */
static void put_cpu_message(struct attrbuf *b, uint32_t base)
{
	static const uint16_t types[] = {
		CTA_STATS_FOUND, CTA_STATS_INVALID, CTA_STATS_INSERT, CTA_STATS_INSERT_FAILED,
		CTA_STATS_DROP, CTA_STATS_EARLY_DROP, CTA_STATS_ERROR, CTA_STATS_SEARCH_RESTART,
		CTA_STATS_CLASH_RESOLVE, CTA_STATS_CHAIN_TOOLONG,
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		put_be32(b, types[i], base + (uint32_t)i);
}

static void netlink_cpu_messages_sum(void **state)
{
	struct ctw_counters acc = { 0 };
	struct attrbuf cpu0 = { 0 }, cpu1 = { 0 };

	(void)state;
	put_cpu_message(&cpu0, 100);
	put_cpu_message(&cpu1, 1000);
	assert_int_equal(ctw_stats_parse_cpu_attrs(cpu0.words, cpu0.len, &acc), 0);
	assert_int_equal(ctw_stats_parse_cpu_attrs(cpu1.words, cpu1.len, &acc), 0);
	assert_int_equal(acc.ncpu, 2);
	assert_int_equal(acc.present, ALL_COUNTERS);
	assert_int_equal(acc.value[CTW_CTR_FOUND], 100 + 1000);
	assert_int_equal(acc.value[CTW_CTR_INVALID], 101 + 1001);
	assert_int_equal(acc.value[CTW_CTR_INSERT], 102 + 1002);
	assert_int_equal(acc.value[CTW_CTR_INSERT_FAILED], 103 + 1003);
	assert_int_equal(acc.value[CTW_CTR_DROP], 104 + 1004);
	assert_int_equal(acc.value[CTW_CTR_EARLY_DROP], 105 + 1005);
	assert_int_equal(acc.value[CTW_CTR_ERROR], 106 + 1006);
	assert_int_equal(acc.value[CTW_CTR_SEARCH_RESTART], 107 + 1007);
	assert_int_equal(acc.value[CTW_CTR_CLASH_RESOLVE], 108 + 1008);
	assert_int_equal(acc.value[CTW_CTR_CHAIN_TOOLONG], 109 + 1009);
}

static void netlink_values_are_big_endian_and_sum_past_u32(void **state)
{
	struct ctw_counters acc = { 0 };
	struct attrbuf b = { 0 };

	(void)state;
	put_be32(&b, CTA_STATS_DROP, 0xffffffffu);
	put_be32(&b, CTA_STATS_FOUND, 0x01020304u);
	assert_int_equal(ctw_stats_parse_cpu_attrs(b.words, b.len, &acc), 0);
	assert_int_equal(ctw_stats_parse_cpu_attrs(b.words, b.len, &acc), 0);
	assert_int_equal(acc.value[CTW_CTR_DROP], 0x1fffffffeULL);
	assert_int_equal(acc.value[CTW_CTR_FOUND], 2 * 0x01020304ULL);
}

static void netlink_missing_and_retired_attributes(void **state)
{
	struct ctw_counters acc = { 0 };
	struct attrbuf b = { 0 };

	(void)state;
	/* An old kernel: searched/new/delete_list exist, clash/chain do not. */
	put_be32(&b, CTA_STATS_SEARCHED, 77);
	put_be32(&b, CTA_STATS_FOUND, 5);
	put_be32(&b, CTA_STATS_NEW, 66);
	put_be32(&b, CTA_STATS_DELETE_LIST, 55);
	put_be32(&b, CTA_STATS_DROP, 3);
	put_be32(&b, 40, 99); /* from a future kernel */
	assert_int_equal(ctw_stats_parse_cpu_attrs(b.words, b.len, &acc), 0);
	assert_int_equal(acc.present, BIT(CTW_CTR_FOUND) | BIT(CTW_CTR_DROP));
	assert_int_equal(acc.value[CTW_CTR_FOUND], 5);
	assert_int_equal(acc.value[CTW_CTR_DROP], 3);
	for (int c = 0; c < CTW_CTR__COUNT; c++)
		if (c != CTW_CTR_FOUND && c != CTW_CTR_DROP)
			assert_int_equal(acc.value[c], 0);
}

static void netlink_empty_message_counts_a_cpu(void **state)
{
	struct ctw_counters acc = { 0 };

	(void)state;
	assert_int_equal(ctw_stats_parse_cpu_attrs(NULL, 0, &acc), 0);
	assert_int_equal(acc.ncpu, 1);
	assert_int_equal(acc.present, 0);
}

static void assert_cpu_rejected(const struct attrbuf *b, size_t len)
{
	struct ctw_counters acc = { .value = { [CTW_CTR_DROP] = 7 }, .ncpu = 3 };

	assert_int_equal(ctw_stats_parse_cpu_attrs(b->words, len, &acc), -EINVAL);
	assert_int_equal(acc.ncpu, 3);
	assert_int_equal(acc.value[CTW_CTR_DROP], 7);
	assert_int_equal(acc.present, 0);
}

static void netlink_short_and_garbage_buffers(void **state)
{
	struct attrbuf b = { 0 };
	uint16_t half = 1;

	(void)state;
	/* A 16-bit drop counter would be read past its end. */
	put_attr(&b, CTA_STATS_DROP, &half, sizeof(half));
	assert_cpu_rejected(&b, b.len);

	/* A good attribute cut short. */
	memset(&b, 0, sizeof(b));
	put_be32(&b, CTA_STATS_FOUND, 1);
	put_be32(&b, CTA_STATS_DROP, 2);
	assert_cpu_rejected(&b, b.len - 2);

	/* Three bytes: not even an attribute header. */
	assert_cpu_rejected(&b, 3);

	/* Trailing bytes after the last attribute. */
	memset(&b, 0, sizeof(b));
	put_be32(&b, CTA_STATS_DROP, 2);
	b.len += 4;
	assert_cpu_rejected(&b, b.len);

	/* An attribute claiming more than the buffer holds. */
	memset(&b, 0, sizeof(b));
	put_be32(&b, CTA_STATS_DROP, 2);
	{
		uint16_t too_long = 200;

		memcpy(b.words, &too_long, sizeof(too_long)); /* nla_len comes first */
	}
	assert_cpu_rejected(&b, b.len);

	/* Garbage. */
	memset(&b, 0xff, sizeof(b));
	assert_cpu_rejected(&b, 64);
}

static void netlink_misaligned_buffer_rejected(void **state)
{
	struct attrbuf b = { 0 };
	unsigned char copy[sizeof(b.words) + 1];
	struct ctw_counters acc = { 0 };

	(void)state;
	put_be32(&b, CTA_STATS_DROP, 2);
	memcpy(copy + 1, b.words, b.len);
	assert_int_equal(ctw_stats_parse_cpu_attrs(copy + 1, b.len, &acc), -EINVAL);
}

static void netlink_global_entries_and_max(void **state)
{
	struct ctw_stats st = { 0 };
	struct attrbuf b = { 0 };

	(void)state;
	put_be32(&b, CTA_STATS_GLOBAL_ENTRIES, 1234);
	put_be32(&b, CTA_STATS_GLOBAL_MAX_ENTRIES, 262144);
	assert_int_equal(ctw_stats_parse_global_attrs(b.words, b.len, &st), 0);
	assert_true(st.have_entries);
	assert_int_equal(st.entries, 1234);
	assert_true(st.have_max);
	assert_int_equal(st.max, 262144);
}

static void netlink_global_missing_max(void **state)
{
	struct ctw_stats st = { 0 };
	struct attrbuf b = { 0 };

	(void)state;
	put_be32(&b, CTA_STATS_GLOBAL_ENTRIES, 0);
	assert_int_equal(ctw_stats_parse_global_attrs(b.words, b.len, &st), 0);
	assert_true(st.have_entries);
	assert_int_equal(st.entries, 0);
	assert_false(st.have_max);
}

static void netlink_global_malformed(void **state)
{
	struct ctw_stats st = { 0 };
	struct attrbuf b = { 0 };
	uint8_t one = 1;

	(void)state;
	put_attr(&b, CTA_STATS_GLOBAL_MAX_ENTRIES, &one, sizeof(one));
	assert_int_equal(ctw_stats_parse_global_attrs(b.words, b.len, &st), -EINVAL);
	assert_false(st.have_max);
	assert_int_equal(ctw_stats_parse_global_attrs(b.words, 2, &st), -EINVAL);
}

/* ---- delta and names --------------------------------------------------- */

static void delta_plain_increase(void **state)
{
	(void)state;
	assert_int_equal(ctw_counter_delta(100, 250), 150);
	assert_int_equal(ctw_counter_delta(7, 7), 0);
	assert_int_equal(ctw_counter_delta(0x1fffffffeULL, 0x200000010ULL), 0x12);
}

static void delta_across_a_per_cpu_wrap(void **state)
{
	(void)state;
	/* One CPU went 0xfffffff0 -> 0x10: 32 events, the sum dropped by 2^32 - 32. */
	assert_int_equal(ctw_counter_delta(0xfffffff0ULL, 0x10ULL), 0x20);
	/* Two CPUs summed: cpu0 0xfffffff0 -> 0x10, cpu1 0xffffffff -> 0xffffffff. */
	assert_int_equal(ctw_counter_delta(0x1ffffffefULL, 0x10000000fULL), 0x20);
	/* Two CPUs both wrapped: the fewest wraps that explain it. */
	assert_int_equal(ctw_counter_delta(0x1fffffffeULL, 0x4ULL), 6);
	assert_int_equal(ctw_counter_delta(UINT64_MAX, 0), 1);
}

static void counter_and_source_names(void **state)
{
	static const char *const expected[CTW_CTR__COUNT] = {
		"found", "invalid", "insert", "insert_failed", "drop", "early_drop",
		"error", "search_restart", "clash_resolve", "chaintoolong",
	};

	(void)state;
	for (int c = 0; c < CTW_CTR__COUNT; c++)
		assert_string_equal(ctw_counter_name((enum ctw_counter)c), expected[c]);
	assert_string_equal(ctw_counter_name(CTW_CTR__COUNT), "unknown");
	assert_string_equal(ctw_stats_source_name(CTW_STATS_NETLINK), "netlink");
	assert_string_equal(ctw_stats_source_name(CTW_STATS_PROCFS), "procfs");
	assert_string_equal(ctw_stats_source_name(CTW_STATS_NONE), "none");
}

/* ---- reading through a fixture root ------------------------------------- */

static int open_root(const char *dir, struct ctw_knobs *k)
{
	int r = ctw_knobs_open(k, dir);

	assert_int_equal(r, 0);
	return r;
}

static void read_procfs_through_root(void **state)
{
	struct ctw_knobs k;
	struct ctw_stats st;

	(void)state;
	open_root(STATS_FIXTURES "/root", &k);
	assert_int_equal(ctw_stats_read(&k, false, &st), 0);
	ctw_knobs_close(&k);
	assert_int_equal(st.source, CTW_STATS_PROCFS);
	assert_int_equal(st.counters.value[CTW_CTR_DROP], 0x7a1 + 0x100);
	assert_int_equal(st.entries, 1000);
	assert_true(st.have_max);
	assert_int_equal(st.max, 262144);
	assert_non_null(strstr(st.note, "/proc/net/stat/nf_conntrack"));
}

static void read_without_procfs_file_fails_with_reason(void **state)
{
	struct ctw_knobs k;
	struct ctw_stats st;

	(void)state;
	open_root(STATS_FIXTURES "/root-noprocfs", &k);
	assert_int_equal(ctw_stats_read(&k, false, &st), -ENOENT);
	ctw_knobs_close(&k);
	assert_int_equal(st.source, CTW_STATS_NONE);
	assert_non_null(strstr(st.note, "/proc/net/stat/nf_conntrack: No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(procfs_new_header_sums_cpus),
		cmocka_unit_test(procfs_real_table_full_sample),
		cmocka_unit_test(procfs_old_header_does_not_map_renamed_columns),
		cmocka_unit_test(procfs_reordered_and_unknown_columns),
		cmocka_unit_test(procfs_sum_exceeds_u32),
		cmocka_unit_test(procfs_header_only_is_valid_without_cpus),
		cmocka_unit_test(procfs_no_trailing_newline_and_uppercase_hex),
		cmocka_unit_test(procfs_malformed_is_rejected),
		cmocka_unit_test(procfs_nul_inside_row_is_rejected),
		cmocka_unit_test(procfs_parse_honours_length),
		cmocka_unit_test(netlink_cpu_messages_sum),
		cmocka_unit_test(netlink_values_are_big_endian_and_sum_past_u32),
		cmocka_unit_test(netlink_missing_and_retired_attributes),
		cmocka_unit_test(netlink_empty_message_counts_a_cpu),
		cmocka_unit_test(netlink_short_and_garbage_buffers),
		cmocka_unit_test(netlink_misaligned_buffer_rejected),
		cmocka_unit_test(netlink_global_entries_and_max),
		cmocka_unit_test(netlink_global_missing_max),
		cmocka_unit_test(netlink_global_malformed),
		cmocka_unit_test(delta_plain_increase),
		cmocka_unit_test(delta_across_a_per_cpu_wrap),
		cmocka_unit_test(counter_and_source_names),
		cmocka_unit_test(read_procfs_through_root),
		cmocka_unit_test(read_without_procfs_file_fails_with_reason),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
