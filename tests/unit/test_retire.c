/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The retirement rule: hand-worked cases, and a property test that simulates
 * the kernel's timeout bookkeeping (an entry's deadline is set from the value
 * in force at its last packet) over random histories of shortenings and
 * refreshes, and checks the rule against the simulated truth. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy/retire.h"

/* TCP_CONNTRACK_* by hand (linux/netfilter/nf_conntrack_tcp.h). */
enum { SYN_SENT = 1, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE, SYN_SENT2 };

static struct ctw_ct_entry tcp_entry(uint8_t state, uint32_t left)
{
	struct ctw_ct_entry e = { .has_timeout = true, .timeout_left_s = left, .status = CTW_IPS_ASSURED };

	e.key.family = AF_INET;
	e.key.proto = IPPROTO_TCP;
	e.key.tcp_state = state;
	return e;
}

static struct ctw_ct_entry other_entry(uint8_t family, uint8_t proto, uint32_t status)
{
	struct ctw_ct_entry e = { .has_timeout = true, .timeout_left_s = 100, .status = status };

	e.key.family = family;
	e.key.proto = proto;
	return e;
}

static void test_governing(void **state)
{
	static const struct { uint8_t state; int want; } tcp[] = {
		{ 0, -1 }, { SYN_SENT, CTW_TO_TCP_SYN_SENT }, { SYN_RECV, CTW_TO_TCP_SYN_RECV },
		{ ESTABLISHED, CTW_TO_TCP_ESTABLISHED }, { FIN_WAIT, CTW_TO_TCP_FIN_WAIT },
		{ CLOSE_WAIT, CTW_TO_TCP_CLOSE_WAIT }, { LAST_ACK, CTW_TO_TCP_LAST_ACK },
		{ TIME_WAIT, CTW_TO_TCP_TIME_WAIT }, { CLOSE, CTW_TO_TCP_CLOSE }, { SYN_SENT2, -1 },
	};
	struct ctw_ct_entry e;

	(void)state;
	for (size_t i = 0; i < sizeof(tcp) / sizeof(tcp[0]); i++) {
		e = tcp_entry(tcp[i].state, 10);
		assert_int_equal(ctw_retire_governing(&e), tcp[i].want);
	}
	e = other_entry(AF_INET, IPPROTO_UDP, CTW_IPS_ASSURED);
	assert_int_equal(ctw_retire_governing(&e), CTW_TO_UDP_STREAM);
	e = other_entry(AF_INET6, IPPROTO_UDP, 0);
	assert_int_equal(ctw_retire_governing(&e), CTW_TO_UDP);
	e = other_entry(AF_INET, 136 /* UDP-Lite */, CTW_IPS_ASSURED);
	assert_int_equal(ctw_retire_governing(&e), CTW_TO_UDP_STREAM);
	e = other_entry(AF_INET, IPPROTO_ICMP, 0);
	assert_int_equal(ctw_retire_governing(&e), CTW_TO_ICMP);
	e = other_entry(AF_INET6, IPPROTO_ICMPV6, 0);
	assert_int_equal(ctw_retire_governing(&e), CTW_TO_ICMPV6);
	e = other_entry(AF_INET, IPPROTO_ICMPV6, 0);
	assert_int_equal(ctw_retire_governing(&e), -1);
	e = other_entry(AF_INET, 132 /* SCTP */, 0);
	assert_int_equal(ctw_retire_governing(&e), -1);
	e = other_entry(AF_INET, 47 /* GRE */, 0);
	assert_int_equal(ctw_retire_governing(&e), -1);
	e = other_entry(AF_INET, 50 /* ESP: no tracker of its own */, 0);
	assert_int_equal(ctw_retire_governing(&e), CTW_TO_GENERIC);
}

static void test_names_and_protocols(void **state)
{
	(void)state;
	assert_int_equal(ctw_retire_l4proto(CTW_TO_TCP_ESTABLISHED), 6);
	assert_int_equal(ctw_retire_l4proto(CTW_TO_TCP_TIME_WAIT), 6);
	assert_int_equal(ctw_retire_l4proto(CTW_TO_UDP), 17);
	assert_int_equal(ctw_retire_l4proto(CTW_TO_UDP_STREAM), 17);
	assert_int_equal(ctw_retire_l4proto(CTW_TO_ICMP), 1);
	assert_int_equal(ctw_retire_l4proto(CTW_TO_ICMPV6), 58);
	assert_int_equal(ctw_retire_l4proto(CTW_TO_GENERIC), 0);
	assert_string_equal(ctw_retire_reason_name(CTW_RETIRE_WITHIN_NEW), "within_new");
	assert_string_equal(ctw_retire_reason_name(CTW_RETIRE_UNKNOWN_HISTORY), "unknown_history");
	assert_string_equal(ctw_retire_reason_name(CTW_RETIRE_ACTED), "?");
	for (int r = 0; r < CTW_RETIRE_REASON__COUNT; r++)
		assert_string_not_equal(ctw_retire_reason_name(r), "?");
}

static void test_rule_init(void **state)
{
	const uint32_t known[] = { 7200, 3600, 7200, 432000 };
	uint32_t many[CTW_RETIRE_KNOWN_MAX];
	struct ctw_retire_rule r;

	(void)state;
	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_TCP_ESTABLISHED, 3600, known, 4, 300, false), 0);
	/* Sorted, each once, the kernel default (432000) among them. */
	assert_int_equal(r.n_known, 3);
	assert_int_equal(r.known_s[0], 3600);
	assert_int_equal(r.known_s[1], 7200);
	assert_int_equal(r.known_s[2], 432000);
	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_UDP, 0, NULL, 0, 0, false), -EINVAL);
	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO__COUNT, 10, NULL, 0, 0, false), -EINVAL);
	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_UDP, 10, (const uint32_t[]){ 0 }, 1, 0, false), -EINVAL);
	for (unsigned i = 0; i < CTW_RETIRE_KNOWN_MAX; i++)
		many[i] = 100 + i;
	/* 16 values plus the new one and the default do not fit. */
	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_UDP, 10, many, CTW_RETIRE_KNOWN_MAX, 0, false), -EINVAL);
}

/* Established shortened from the kernel's 5 days to 1 h, special 300 s. */
static struct ctw_retire_rule five_days_to_hour(void)
{
	struct ctw_retire_rule r;

	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_TCP_ESTABLISHED, 3600, NULL, 0, 300, false), 0);
	return r;
}

static void expect(const struct ctw_retire_rule *r, const struct ctw_ct_entry *e, enum ctw_retire_action action,
		   enum ctw_retire_reason reason, uint32_t idle, uint32_t retime)
{
	struct ctw_retire_decision d;

	ctw_retire_decide(r, e, &d);
	assert_int_equal(d.action, action);
	assert_int_equal(d.reason, reason);
	assert_int_equal(d.idle_s, idle);
	assert_int_equal(d.retime_s, retime);
}

static void test_decide_cases(void **state)
{
	struct ctw_retire_rule r = five_days_to_hour();
	struct ctw_ct_entry e;

	(void)state;
	/* The dead client: 431989 s left of 432000 was refreshed 11 s
	 * ago at most (10 s at least: the time left is rounded down). */
	e = tcp_entry(ESTABLISHED, 431989);
	expect(&r, &e, CTW_RETIRE_RETIME, CTW_RETIRE_ACTED, 10, 3590);
	/* 2 days left of 5: idle 3 days (259199 s at least): delete. */
	e = tcp_entry(ESTABLISHED, 172800);
	expect(&r, &e, CTW_RETIRE_DELETE, CTW_RETIRE_ACTED, 259199, 0);
	/* Idle exactly 1 h (+ up to 1 s): 428399 left: 432000-428399-1 = 3600. */
	e = tcp_entry(ESTABLISHED, 428399);
	expect(&r, &e, CTW_RETIRE_DELETE, CTW_RETIRE_ACTED, 3600, 0);
	/* One second less idle: retimed to 1 s, not deleted. */
	e = tcp_entry(ESTABLISHED, 428400);
	expect(&r, &e, CTW_RETIRE_RETIME, CTW_RETIRE_ACTED, 3599, 1);
	/* Within the new value: it goes soon enough on its own. */
	e = tcp_entry(ESTABLISHED, 3000);
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_WITHIN_NEW, 0, 0);
	/* Within the special TCP window (unacknowledged / max_retrans). */
	e = tcp_entry(ESTABLISHED, 300);
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_SPECIAL_WINDOW, 0, 0);
	/* Unacknowledged data in the reply direction. */
	e = tcp_entry(ESTABLISHED, 100000);
	e.tcp_flags[1] = CTW_TCP_FLAG_DATA_UNACKNOWLEDGED;
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_UNACKED, 0, 0);
	/* Another state's timeout. */
	e = tcp_entry(TIME_WAIT, 100000);
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_OTHER_TIMEOUT, 0, 0);
	/* Offloaded: no timeout in the dump, or the flag. */
	e = tcp_entry(ESTABLISHED, 100000);
	e.has_timeout = false;
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_OFFLOADED, 0, 0);
	e = tcp_entry(ESTABLISHED, 100000);
	e.status |= CTW_IPS_HW_OFFLOAD;
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_OFFLOADED, 0, 0);
	e = tcp_entry(ESTABLISHED, 100000);
	e.status |= CTW_IPS_DYING;
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_DYING, 0, 0);
	/* NAT: kept unless retire_nat. */
	e = tcp_entry(ESTABLISHED, 100000);
	e.status |= CTW_IPS_DST_NAT;
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_NAT, 0, 0);
	r.retire_nat = true;
	expect(&r, &e, CTW_RETIRE_DELETE, CTW_RETIRE_ACTED, 331999, 0);
}

static void test_unknown_history(void **state)
{
	struct ctw_retire_rule r;
	struct ctw_ct_entry e;

	(void)state;
	/* Someone set 10 days by hand before the daemon knew: an entry with
	 * more time left than any known value is not guessed at. */
	r = five_days_to_hour();
	e = tcp_entry(ESTABLISHED, 800000);
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_UNKNOWN_HISTORY, 0, 0);
	/* Known history 432000 -> 7200 -> 3600: an entry refreshed under 7200
	 * with 5000 left is 2199 s idle at least, not 426999. */
	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_TCP_ESTABLISHED, 3600, (const uint32_t[]){ 7200 }, 1, 300,
					      false), 0);
	e = tcp_entry(ESTABLISHED, 5000);
	expect(&r, &e, CTW_RETIRE_RETIME, CTW_RETIRE_ACTED, 2199, 1401);
}

static void test_excludes(void **state)
{
	struct ctw_retire_rule r = five_days_to_hour();
	struct ctw_config cfg;
	struct ctw_ct_entry e;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.retire_exclude_mark[0].value = 0x100;
	cfg.retire_exclude_mark[0].mask = 0xf00;
	cfg.n_retire_exclude_mark = 1;
	cfg.retire_exclude_zone[0] = 7;
	cfg.n_retire_exclude_zone = 1;
	assert_int_equal(ctw_retire_rule_exclude(&r, &cfg), 0);
	e = tcp_entry(ESTABLISHED, 100000);
	e.mark = 0x1ff;   /* & 0xf00 == 0x100 */
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_EXCLUDED, 0, 0);
	e.mark = 0x2ff;
	expect(&r, &e, CTW_RETIRE_DELETE, CTW_RETIRE_ACTED, 331999, 0);
	e.zone = 7;
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_EXCLUDED, 0, 0);
	e.zone = 1;
	expect(&r, &e, CTW_RETIRE_DELETE, CTW_RETIRE_ACTED, 331999, 0);
}

/* A halving step after a pass that retimed: 40 -> 20, written 3 s ago
 * (new_age_s 3). An entry the 40 s pass retimed to 40 - 12 = 28 s, 25 s
 * ago, has 3 s left. Refreshed under 20 since the write it would have at least 20 - 3 - 1
 * = 16 left: it was refreshed under 40, idle 40 - 3 - 1 = 36 >= 20: delete.
 * Worked out by hand from the kernel's rule (deadline = refresh + timeout). */
static void test_new_age(void **state)
{
	uint32_t known[] = { 40 };
	struct ctw_retire_rule r;
	struct ctw_ct_entry e;

	(void)state;
	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_TCP_ESTABLISHED, 20, known, 1, 2, false), 0);
	e = tcp_entry(ESTABLISHED, 3);
	/* Without the age: within the new value, kept. */
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_WITHIN_NEW, 0, 0);
	r.new_age_s = 3;
	expect(&r, &e, CTW_RETIRE_DELETE, CTW_RETIRE_ACTED, 36, 0);
	/* 16 left: may have been refreshed under 20 just after the write. */
	e = tcp_entry(ESTABLISHED, 16);
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_WITHIN_NEW, 0, 0);
	/* 15 left: not under 20 (>= 16 then), so under 40: idle 24 >= 20. */
	e = tcp_entry(ESTABLISHED, 15);
	expect(&r, &e, CTW_RETIRE_DELETE, CTW_RETIRE_ACTED, 24, 0);
	/* With 21 known too (between): 15 left may be 21 - 15 = 6 s idle
	 * under it, and so is kept (it expires within 20 anyway); and with
	 * 17 known, below the new value, it may be 2 s idle under that. */
	known[0] = 21;
	assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_TCP_ESTABLISHED, 20, known, 1, 2, false), 0);
	r.new_age_s = 3;
	expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_WITHIN_NEW, 0, 0);
	{
		uint32_t two[] = { 40, 17 };

		assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_TCP_ESTABLISHED, 20, two, 2, 2, false), 0);
		r.new_age_s = 3;
		expect(&r, &e, CTW_RETIRE_KEEP, CTW_RETIRE_WITHIN_NEW, 0, 0);
	}
}

/* ---- the property test ---------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible, no libc state */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint32_t rnd_in(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rnd() % ((uint64_t)hi - lo + 1));
}

static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

#define HISTORY_MAX 6

/* A timeout's history: value[i] in force from at[i] (at[0] = 0) to at[i+1]. */
struct history {
	unsigned n;
	uint32_t value[HISTORY_MAX];
	double at[HISTORY_MAX];
};

static uint32_t value_at(const struct history *h, double t)
{
	unsigned i = 0;

	while (i + 1 < h->n && h->at[i + 1] <= t)
		i++;
	return h->value[i];
}

/* 1e5 random histories: the kernel default, then up to 5 changes (most of
 * them shortenings, some back up), and an entry last refreshed at a random
 * time with the value then in force, or, one time in ten, with the special
 * 300 s timeout of a stuck connection. Then the rule, told the values the
 * history held, must never retire an entry whose true idle time is below
 * the value in force now, never retime it shorter than that value leaves
 * it, and never leave one that value would have expired alive for more than
 * one more period of it (or of the special window). */
static void test_property(void **state)
{
	const uint32_t special = 300;
	unsigned deleted = 0, retimed = 0, kept = 0, exact_deletes = 0, aged = 0;

	(void)state;
	for (int round = 0; round < 100000; round++) {
		struct history h = { .n = 1, .value = { 432000 }, .at = { 0 } };
		uint32_t known[HISTORY_MAX], new_s, left, at_refresh;
		double now, refreshed, deadline, remaining, idle_true, after;
		bool stuck, unacked_flag;
		struct ctw_retire_rule r;
		struct ctw_retire_decision d;
		struct ctw_ct_entry e;
		unsigned changes = rnd_in(1, HISTORY_MAX - 1);

		now = 0;
		for (unsigned i = 0; i < changes; i++) {
			uint32_t prev = h.value[h.n - 1];
			uint32_t v = rnd_unit() < 0.8 ? rnd_in(1, prev) : rnd_in(prev, 2 * prev);

			now += rnd_unit() * 500000.0;
			h.value[h.n] = v;
			h.at[h.n] = now;
			h.n++;
		}
		now += rnd_unit() * 200000.0;
		new_s = h.value[h.n - 1];
		refreshed = rnd_unit() * now;
		stuck = rnd_unit() < 0.1;
		unacked_flag = stuck && rnd_unit() < 0.5;
		at_refresh = stuck ? special : value_at(&h, refreshed);
		deadline = refreshed + at_refresh;
		if (deadline <= now)
			continue;   /* expired: the kernel would not dump it */
		remaining = deadline - now;
		left = (uint32_t)remaining;   /* rounded down, as CTA_TIMEOUT is */
		idle_true = now - refreshed;

		for (unsigned i = 0; i < h.n; i++)
			known[i] = h.value[i];
		assert_int_equal(ctw_retire_rule_init(&r, CTW_TO_TCP_ESTABLISHED, new_s, known, h.n, special, false), 0);
		/* Half the time the daemon's case: new_s written for the first
		 * time, its age known (rounded up, maybe more). */
		if (rnd_unit() < 0.5) {
			bool before = false;

			for (unsigned i = 0; i + 1 < h.n; i++)
				before |= h.value[i] == new_s;
			if (!before) {
				r.new_age_s = (uint32_t)(now - h.at[h.n - 1]) + 1 + rnd_in(0, 3);
				aged++;
			}
		}
		e = tcp_entry(ESTABLISHED, left);
		if (unacked_flag)
			e.tcp_flags[0] = CTW_TCP_FLAG_DATA_UNACKNOWLEDGED;
		ctw_retire_decide(&r, &e, &d);

		switch (d.action) {
		case CTW_RETIRE_DELETE:
			deleted++;
			/* Never a live entry: the value in force now would have
			 * kept it, and a stuck one is never taken for dead. */
			assert_false(stuck);
			assert_true(idle_true >= (double)new_s);
			after = 0;
			if (at_refresh == value_at(&h, refreshed) && idle_true >= new_s + 1.0)
				exact_deletes++;
			break;
		case CTW_RETIRE_RETIME:
			retimed++;
			assert_false(stuck);
			/* Not shorter than the new value leaves it, and shorter
			 * than it had. */
			assert_true((double)d.retime_s + 1e-9 >= (double)new_s - idle_true);
			assert_true(d.retime_s < left);
			after = d.retime_s;
			break;
		default:
			kept++;
			after = remaining;
			break;
		}
		/* An entry the new value would have expired: gone, or gone within
		 * one more period of that value (or of the special window). */
		if (idle_true >= (double)new_s)
			assert_true(after <= (double)(new_s > special ? new_s : special) + 1.0);
	}
	/* The property must have had cases of each kind to bite on. */
	assert_true(deleted > 1000);
	assert_true(retimed > 100);
	assert_true(kept > 1000);
	assert_true(exact_deletes > 1000);
	assert_true(aged > 10000);
}

static void test_histogram(void **state)
{
	uint32_t known[CTW_TO__COUNT][CTW_RETIRE_KNOWN_MAX] = { { 0 } };
	unsigned n_known[CTW_TO__COUNT] = { 0 };
	struct ctw_idle_histogram h;
	struct ctw_ct_entry e;

	(void)state;
	memset(&h, 0, sizeof(h));
	known[CTW_TO_TCP_ESTABLISHED][0] = 432000;
	known[CTW_TO_TCP_ESTABLISHED][1] = 3600;
	n_known[CTW_TO_TCP_ESTABLISHED] = 2;
	known[CTW_TO_UDP][0] = 30;
	n_known[CTW_TO_UDP] = 1;
	e = tcp_entry(ESTABLISHED, 431990);   /* 9 s idle */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	e = tcp_entry(ESTABLISHED, 3000);     /* under 3600: 599 s */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	e = tcp_entry(ESTABLISHED, 400000);   /* 31999 s: under a day */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	e = tcp_entry(ESTABLISHED, 100);      /* 3499 s (under 3600) */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	e = tcp_entry(ESTABLISHED, 1000);     /* 2599 s */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	e = tcp_entry(ESTABLISHED, 200000);   /* 231999 s: days */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	e = tcp_entry(ESTABLISHED, 500000);   /* more than any known value */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	e = other_entry(AF_INET, IPPROTO_UDP, 0);   /* 100 left of 30: unknown */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	e = other_entry(AF_INET, 47, 0);             /* GRE: no timeout of ours */
	ctw_idle_histogram_add(&h, known, n_known, &e);
	assert_int_equal(h.entries, 9);
	assert_int_equal(h.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_MINUTE], 1);
	assert_int_equal(h.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_HOUR], 3);
	assert_int_equal(h.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_DAY], 1);
	assert_int_equal(h.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_OLDER], 1);
	assert_int_equal(h.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_UNKNOWN], 1);
	assert_int_equal(h.n[CTW_TO_UDP][CTW_IDLE_UNKNOWN], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_governing),
		cmocka_unit_test(test_names_and_protocols),
		cmocka_unit_test(test_rule_init),
		cmocka_unit_test(test_decide_cases),
		cmocka_unit_test(test_unknown_history),
		cmocka_unit_test(test_excludes),
		cmocka_unit_test(test_new_age),
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_histogram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
