/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy engine: each rule triggering and not, cooldowns, hysteresis,
 * advise mode, a simulated ramp against a model kernel, and invariants over
 * many random snapshots and configs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "base/conf.h"
#include "policy/bounds.h"
#include "kernel/memory.h"
#include "policy/budget.h"
#include "policy/policy.h"
#include "base/timeouts.h"

#define SEC 1000000ULL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* ---- fixtures ------------------------------------------------------------ */

/* Every field the engine reads is set here, whatever the built-in defaults are. */
static void base_config(struct ctw_config *c)
{
	ctw_config_defaults(c);
	c->mode = CTW_MODE_ENFORCE;
	c->poll_interval_us = 1 * SEC;
	c->alert_reminder_us = 1 * HOUR;
	c->warn_pct = 70;
	c->crit_pct = 90;
	c->high_water_pct = 80;
	c->low_water_pct = 50;
	c->low_water_hold_us = 10 * MIN;
	c->max_ceiling = 1048576;
	c->memory_budget_pct = 25;
	c->buckets_ratio = 1.0;
	c->resize_cooldown_us = 10 * MIN;
	c->allow_lower_max = false;
	c->horizon_us = 5 * MIN;
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		c->timeout_floor_s[t] = ctw_timeout_info(t)->default_floor;
		c->timeout_shorten[t] = false;
	}
	c->timeout_shorten[CTW_TO_TCP_ESTABLISHED] = true;
	c->timeout_shorten[CTW_TO_UDP_STREAM] = true;
	c->timeout_shorten[CTW_TO_GENERIC] = true;
}

static struct ctw_snapshot snap(uint64_t now, uint64_t count, uint64_t max, uint64_t buckets)
{
	struct ctw_snapshot s;

	memset(&s, 0, sizeof(s));
	s.now_us = now;
	s.count = count;
	s.max = max;
	s.buckets = buckets;
	s.objsize = 256;
	s.memtotal = 0;
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		s.have_timeout[t] = true;
		s.timeout_s[t] = ctw_timeout_info(t)->kernel_default;
	}
	return s;
}

static void round_of(const struct ctw_config *c, const struct ctw_snapshot *s,
		     struct ctw_policy_state *st, struct ctw_decisions *out)
{
	ctw_policy_observe(st, c, s);
	ctw_policy_decide(c, s, st, out);
}

/* A round whose decisions are all committed as applied (or not). */
static void round_commit(const struct ctw_config *c, const struct ctw_snapshot *s,
			 struct ctw_policy_state *st, struct ctw_decisions *out, bool applied)
{
	round_of(c, s, st, out);
	for (size_t i = 0; i < out->n; i++)
		ctw_policy_commit(st, &out->d[i], s, applied && out->d[i].apply);
}

static const struct ctw_decision *find(const struct ctw_decisions *out, enum ctw_decision_kind kind)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->d[i].kind == kind)
			return &out->d[i];
	return NULL;
}

static void print_decisions(const struct ctw_decisions *out)
{
	for (size_t i = 0; i < out->n; i++)
		print_message("  %s %s: %s\n", ctw_decision_kind_name(out->d[i].kind),
			      ctw_decision_target_name(&out->d[i]), out->d[i].reason);
}

/* find(), failing the test when the decision is missing. */
static const struct ctw_decision *must_find(const struct ctw_decisions *out, enum ctw_decision_kind kind)
{
	const struct ctw_decision *d = find(out, kind);

	if (!d) {
		print_decisions(out);
		fail_msg("no %s decision", ctw_decision_kind_name(kind));
		abort();  /* not reached */
	}
	return d;
}

static int index_of(const struct ctw_decisions *out, enum ctw_decision_kind kind)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->d[i].kind == kind)
			return (int)i;
	return -1;
}


/* ---- raise ----------------------------------------------------------------- */

struct raise_case {
	const char *name;
	uint64_t count, max, drops, early_drops;
	bool have_growth;
	double growth;
	bool want_raise;
	double min_factor;      /* new max >= this x old when raised */
};

static void test_raise_triggers(void **state)
{
	static const struct raise_case cases[] = {
		{ "usage just under high_water", 52428, 65536, 0, 0, false, 0, false, 0 },
		{ "usage at high_water", 52429, 65536, 0, 0, false, 0, true, 1.25 },
		{ "usage above crit: urgent step", 60000, 65536, 0, 0, false, 0, true, 2.0 },
		{ "drops at low usage", 20000, 65536, 5, 0, false, 0, true, 2.0 },
		{ "early drops only", 20000, 65536, 0, 3, false, 0, true, 2.0 },
		{ "full within horizon", 34000, 65536, 0, 0, true, 200.0, true, 1.25 },   /* 158 s < 5 min */
		{ "full beyond horizon", 34000, 65536, 0, 0, true, 100.0, false, 0 },    /* 315 s > 5 min */
		{ "fast growth under low_water", 30000, 65536, 0, 0, true, 1000.0, false, 0 },
		{ "shrinking", 50000, 65536, 0, 0, true, -500.0, false, 0 },
		{ "unlimited max", 5000000, 0, 0, 0, false, 0, false, 0 },
	};
	struct ctw_config c;

	(void)state;
	base_config(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct raise_case *k = &cases[i];
		struct ctw_snapshot s = snap(100 * SEC, k->count, k->max, k->max);
		struct ctw_policy_state st;
		struct ctw_decisions out;
		const struct ctw_decision *d;

		s.drops = k->drops;
		s.early_drops = k->early_drops;
		s.have_growth = k->have_growth;
		s.growth_per_s = k->growth;
		ctw_policy_state_init(&st);
		round_of(&c, &s, &st, &out);
		d = find(&out, CTW_DEC_RAISE_MAX);
		print_message("%s:\n", k->name);
		print_decisions(&out);
		if (!k->want_raise) {
			assert_null(d);
			continue;
		}
		assert_non_null(d);
		assert_int_equal(d->target, CTW_TARGET_MAX);
		assert_int_equal(d->old_value, k->max);
		assert_true((double)d->new_value >= k->min_factor * (double)k->max);
		assert_true(d->new_value <= 4 * k->max + 1024);
		/* headroom restored: the count sits at or under low_water */
		assert_true((double)k->count * 100.0 / (double)d->new_value <= c.low_water_pct);
		assert_int_equal(d->new_value % 1024, 0);
		assert_non_null(strstr(d->reason, "raise max 65536 -> "));
		assert_true(d->apply);
	}
}

/* count 53000 of 65536 (80.9%): a max that puts it at 50% is 106000, 106496 in steps of 1024. */
static void test_raise_lands_at_low_water(void **state)
{
	struct ctw_config c;
	struct ctw_snapshot s = snap(0, 53000, 65536, 65536);
	struct ctw_policy_state st;
	struct ctw_decisions out;
	const struct ctw_decision *d;

	(void)state;
	base_config(&c);
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	d = find(&out, CTW_DEC_RAISE_MAX);
	assert_non_null(d);
	assert_int_equal(d->new_value, 106496);
	assert_string_equal(d->reason, "usage 80.9% >= high_water 80%: raise max 65536 -> 106496");
}

/* The growth over the horizon counts, but one step is at most about x4. */
static void test_raise_with_growth_is_capped(void **state)
{
	struct ctw_config c;
	struct ctw_snapshot s = snap(0, 34000, 65536, 65536);
	struct ctw_policy_state st;
	struct ctw_decisions out;
	const struct ctw_decision *d;

	(void)state;
	base_config(&c);
	ctw_policy_state_init(&st);
	s.have_growth = true;
	s.growth_per_s = 300;  /* 90000 more in 5 min: 124000 at 50% -> 248000 */
	round_of(&c, &s, &st, &out);
	d = find(&out, CTW_DEC_RAISE_MAX);
	assert_non_null(d);
	assert_int_equal(d->new_value, 248832);

	s.growth_per_s = 100000;  /* wants millions: capped at 4 x 65536 */
	round_of(&c, &s, &st, &out);
	d = find(&out, CTW_DEC_RAISE_MAX);
	assert_non_null(d);
	assert_int_equal(d->new_value, 262144);
}

/* ---- limits: ceiling and memory budget ---------------------------------------- */

static void test_raise_stops_at_ceiling(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	const struct ctw_decision *d;
	struct ctw_snapshot s;

	(void)state;
	base_config(&c);
	c.max_ceiling = 100000;

	/* clipped to the ceiling */
	s = snap(0, 60000, 65536, 65536);
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	d = find(&out, CTW_DEC_RAISE_MAX);
	assert_non_null(d);
	assert_int_equal(d->new_value, 100000);
	assert_null(find(&out, CTW_DEC_ALERT_LIMIT));

	/* at the ceiling: no raise, the limit is said */
	s = snap(0, 95000, 100000, 100352);
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	assert_null(find(&out, CTW_DEC_RAISE_MAX));
	d = find(&out, CTW_DEC_ALERT_LIMIT);
	assert_non_null(d);
	assert_int_equal(d->priority, LOG_WARNING);
	assert_non_null(strstr(d->reason, "max 100000 cannot be raised"));
	assert_false(d->apply);

	/* above the ceiling (set by someone else): never raised further, never lowered by default */
	s = snap(0, 190000, 200000, 200192);
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	assert_null(find(&out, CTW_DEC_RAISE_MAX));
	assert_null(find(&out, CTW_DEC_LOWER_MAX));
	assert_non_null(find(&out, CTW_DEC_ALERT_LIMIT));

	/* at the ceiling with no pressure: nothing to say */
	s = snap(0, 10000, 100000, 100352);
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	assert_int_equal(out.n, 0);
}

static void test_raise_within_memory_budget(void **state)
{
	struct ctw_config c;
	struct ctw_snapshot s = snap(0, 60000, 65536, 65536);
	struct ctw_policy_state st;
	struct ctw_decisions out;
	const struct ctw_decision *d;
	uint64_t budget, bytes;

	(void)state;
	base_config(&c);
	s.memtotal = 128 * MIB;  /* 25% = 32 MiB: about 124k entries at 256+8 bytes */
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	d = find(&out, CTW_DEC_RAISE_MAX);
	assert_non_null(d);
	budget = s.memtotal / 4;
	bytes = d->new_value * 256 + 8 * ctw_buckets_for_max(&c, d->new_value);
	assert_true(bytes <= budget);
	assert_true(d->new_value > 120000);  /* but it did use the budget */

	/* the budget is used up: limit reached */
	s = snap(0, 120000, d->new_value, ctw_buckets_for_max(&c, d->new_value));
	s.memtotal = 128 * MIB;
	round_of(&c, &s, &st, &out);
	assert_null(find(&out, CTW_DEC_RAISE_MAX));
	d = must_find(&out, CTW_DEC_ALERT_LIMIT);
	assert_non_null(strstr(d->reason, "memory_budget 25% of 128 MiB"));
}

/* ---- lower ------------------------------------------------------------------------- */

struct lower_case {
	const char *name;
	bool allow;
	uint64_t quiet_for;        /* usage under low_water this long */
	uint64_t since_raise;      /* 0: never raised */
	bool shortened;            /* a timeout is still short */
	uint64_t count;
	bool want_lower;
};

static void test_lower_rules(void **state)
{
	static const struct lower_case cases[] = {
		{ "not allowed", false, 1 * HOUR, 0, false, 10000, false },
		{ "allowed, quiet long enough", true, 10 * MIN, 0, false, 10000, true },
		{ "allowed, quiet not long enough", true, 10 * MIN - 1, 0, false, 10000, false },
		{ "allowed, raised recently", true, 1 * HOUR, 5 * MIN, false, 10000, false },
		{ "allowed, raised long ago", true, 1 * HOUR, 20 * MIN, false, 10000, true },
		{ "allowed, timeouts still short", true, 1 * HOUR, 0, true, 10000, false },
		{ "allowed, gain too small", true, 1 * HOUR, 0, false, 115000, false },
	};
	struct ctw_config c;

	(void)state;
	base_config(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lower_case *k = &cases[i];
		uint64_t t0 = 10 * HOUR, now = t0 + k->quiet_for;
		struct ctw_snapshot s = snap(t0, k->count, 262144, 262144);
		struct ctw_policy_state st;
		struct ctw_decisions out;
		const struct ctw_decision *d;

		print_message("%s\n", k->name);
		c.allow_lower_max = k->allow;
		ctw_policy_state_init(&st);
		ctw_policy_observe(&st, &c, &s);  /* quiet from t0 */
		if (k->since_raise) {
			st.max_changed = true;
			st.last_max_change_us = now - k->since_raise;
		}
		if (k->shortened) {
			st.shortened[CTW_TO_UDP_STREAM] = true;
			st.original_s[CTW_TO_UDP_STREAM] = 240;
		}
		s.now_us = now;
		round_of(&c, &s, &st, &out);
		print_decisions(&out);
		d = find(&out, CTW_DEC_LOWER_MAX);
		if (!k->want_lower) {
			assert_null(d);
			continue;
		}
		assert_non_null(d);
		assert_int_equal(d->old_value, 262144);
		assert_true(d->new_value >= 262144 / 2);     /* halves at most */
		assert_true(d->new_value <= 262144 * 4 / 5); /* worth a write */
		assert_true(d->new_value > k->count);
		/* after lowering, usage is still under low_water: no raise follows */
		assert_true((double)k->count * 100 / (double)d->new_value <= c.low_water_pct);
	}
}

/* ---- resize --------------------------------------------------------------------------- */

static void test_resize_rules(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	const struct ctw_decision *d;
	struct ctw_snapshot s;

	(void)state;
	base_config(&c);

	/* ratio 1 wanted, max 65536 over 16384 buckets: resized, no raise needed */
	s = snap(1 * HOUR, 1000, 65536, 16384);
	ctw_policy_state_init(&st);
	round_commit(&c, &s, &st, &out, true);
	d = find(&out, CTW_DEC_RESIZE_HASH);
	assert_non_null(d);
	assert_int_equal(d->old_value, 16384);
	assert_int_equal(d->new_value, 65536);
	assert_int_equal(d->target, CTW_TARGET_BUCKETS);

	/* ratio met: nothing */
	s = snap(1 * HOUR, 1000, 65536, 65536);
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	assert_null(find(&out, CTW_DEC_RESIZE_HASH));

	/* ratio 4 is fine with 4 entries per bucket */
	c.buckets_ratio = 4;
	s = snap(1 * HOUR, 1000, 65536, 16384);
	round_of(&c, &s, &st, &out);
	assert_null(find(&out, CTW_DEC_RESIZE_HASH));
	c.buckets_ratio = 1;

	/* a raise and its resize in one round: raise first, buckets for the new max */
	s = snap(1 * HOUR, 53000, 65536, 65536);
	ctw_policy_state_init(&st);
	round_commit(&c, &s, &st, &out, true);
	assert_int_equal(index_of(&out, CTW_DEC_RAISE_MAX) + 1, index_of(&out, CTW_DEC_RESIZE_HASH));
	assert_int_equal(find(&out, CTW_DEC_RESIZE_HASH)->new_value, 106496);

	/* cooldown: the next resize waits resize_cooldown after the last one */
	s = snap(1 * HOUR + 10 * MIN - 1, 110000, 131072, 106496);
	round_of(&c, &s, &st, &out);
	assert_non_null(find(&out, CTW_DEC_RAISE_MAX));
	assert_null(find(&out, CTW_DEC_RESIZE_HASH));
	s.now_us = 1 * HOUR + 10 * MIN;
	round_of(&c, &s, &st, &out);
	assert_non_null(find(&out, CTW_DEC_RESIZE_HASH));

	/* no buckets known: no resize */
	s = snap(1 * HOUR, 1000, 65536, 0);
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	assert_null(find(&out, CTW_DEC_RESIZE_HASH));
}

/* ---- timeouts ------------------------------------------------------------------------ */

/* max at the ceiling, usage 95%: pressure that raising cannot relieve. */
static struct ctw_snapshot at_limit(uint64_t now)
{
	return snap(now, 95000, 100000, 100352);
}

static void test_timeouts_shorten_stepwise(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	const struct ctw_decision *d;
	struct ctw_snapshot s = at_limit(0);

	(void)state;
	base_config(&c);
	c.max_ceiling = 100000;
	ctw_policy_state_init(&st);

	/* established first, halved */
	round_commit(&c, &s, &st, &out, true);
	d = find(&out, CTW_DEC_SHORTEN_TIMEOUT);
	assert_non_null(d);
	assert_int_equal(d->timeout, CTW_TO_TCP_ESTABLISHED);
	assert_string_equal(ctw_decision_target_name(d), "tcp_timeout_established");
	assert_int_equal(d->old_value, 432000);
	assert_int_equal(d->new_value, 216000);
	s.timeout_s[CTW_TO_TCP_ESTABLISHED] = 216000;

	/* not again within 5 s (poll is 1 s) */
	s.now_us = 5 * SEC - 1;
	round_commit(&c, &s, &st, &out, true);
	assert_null(find(&out, CTW_DEC_SHORTEN_TIMEOUT));
	s.now_us = 5 * SEC;
	round_commit(&c, &s, &st, &out, true);
	d = find(&out, CTW_DEC_SHORTEN_TIMEOUT);
	assert_non_null(d);
	assert_int_equal(d->new_value, 108000);

	/* near the floor: lands on the floor, not under */
	s.timeout_s[CTW_TO_TCP_ESTABLISHED] = 5000;
	s.now_us = 10 * SEC;
	round_commit(&c, &s, &st, &out, true);
	d = find(&out, CTW_DEC_SHORTEN_TIMEOUT);
	assert_non_null(d);
	assert_int_equal(d->new_value, 3600);

	/* at the floor: the next allowed one in table order (udp_timeout_stream), not udp_timeout */
	s.timeout_s[CTW_TO_TCP_ESTABLISHED] = 3600;
	s.now_us = 15 * SEC;
	round_commit(&c, &s, &st, &out, true);
	d = find(&out, CTW_DEC_SHORTEN_TIMEOUT);
	assert_non_null(d);
	assert_int_equal(d->timeout, CTW_TO_UDP_STREAM);
	assert_int_equal(d->new_value, 60);

	/* everything at its floor: nothing more to shorten */
	s.timeout_s[CTW_TO_UDP_STREAM] = 30;
	s.timeout_s[CTW_TO_GENERIC] = 60;
	s.now_us = 20 * SEC;
	round_commit(&c, &s, &st, &out, true);
	assert_null(find(&out, CTW_DEC_SHORTEN_TIMEOUT));

	/* a slower poll spaces the steps by the poll interval */
	c.poll_interval_us = 30 * SEC;
	s = at_limit(100 * SEC);
	ctw_policy_state_init(&st);
	round_commit(&c, &s, &st, &out, true);
	s.timeout_s[CTW_TO_TCP_ESTABLISHED] = 216000;
	s.now_us = 129 * SEC;
	round_commit(&c, &s, &st, &out, true);
	assert_null(find(&out, CTW_DEC_SHORTEN_TIMEOUT));
	s.now_us = 130 * SEC;
	round_commit(&c, &s, &st, &out, true);
	assert_non_null(find(&out, CTW_DEC_SHORTEN_TIMEOUT));
}

static void test_timeouts_not_shortened_when_raise_possible(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	struct ctw_snapshot s = snap(0, 95000, 100000, 100352);

	(void)state;
	base_config(&c);  /* ceiling 1048576: raising is possible */
	ctw_policy_state_init(&st);
	round_of(&c, &s, &st, &out);
	assert_non_null(find(&out, CTW_DEC_RAISE_MAX));
	assert_null(find(&out, CTW_DEC_SHORTEN_TIMEOUT));

	/* at the limit but no timeout may be shortened */
	c.max_ceiling = 100000;
	for (int t = 0; t < CTW_TO__COUNT; t++)
		c.timeout_shorten[t] = false;
	round_of(&c, &s, &st, &out);
	assert_null(find(&out, CTW_DEC_SHORTEN_TIMEOUT));
	assert_non_null(find(&out, CTW_DEC_ALERT_LIMIT));
}

static void test_timeouts_restore_after_hold(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	const struct ctw_decision *d;
	struct ctw_snapshot s = at_limit(0);
	uint64_t quiet;

	(void)state;
	base_config(&c);
	c.max_ceiling = 100000;
	ctw_policy_state_init(&st);

	/* shortened: established 432000 -> 216000, then udp_timeout_stream 120 -> 60 */
	round_commit(&c, &s, &st, &out, true);
	s.timeout_s[CTW_TO_TCP_ESTABLISHED] = 3600;  /* as if stepped down to the floor */
	st.original_s[CTW_TO_TCP_ESTABLISHED] = 432000;
	s.now_us = 10 * SEC;
	round_commit(&c, &s, &st, &out, true);
	assert_int_equal(find(&out, CTW_DEC_SHORTEN_TIMEOUT)->timeout, CTW_TO_UDP_STREAM);
	s.timeout_s[CTW_TO_UDP_STREAM] = 60;

	/* quiet (usage 40%), but not yet for low_water_hold */
	s.count = 40000;
	quiet = 20 * SEC;
	s.now_us = quiet;
	round_commit(&c, &s, &st, &out, true);
	assert_null(find(&out, CTW_DEC_RESTORE_TIMEOUT));
	s.now_us = quiet + 10 * MIN - 1;
	round_commit(&c, &s, &st, &out, true);
	assert_null(find(&out, CTW_DEC_RESTORE_TIMEOUT));

	/* hold done: the last one shortened is restored first, doubled, never above the original */
	s.now_us = quiet + 10 * MIN;
	round_commit(&c, &s, &st, &out, true);
	d = find(&out, CTW_DEC_RESTORE_TIMEOUT);
	assert_non_null(d);
	assert_int_equal(d->timeout, CTW_TO_UDP_STREAM);
	assert_int_equal(d->new_value, 120);
	s.timeout_s[CTW_TO_UDP_STREAM] = 120;

	uint64_t est = 3600, steps = 0;

	while (est < 432000 && steps < 20) {
		s.now_us += 5 * SEC;
		round_commit(&c, &s, &st, &out, true);
		d = find(&out, CTW_DEC_RESTORE_TIMEOUT);
		assert_non_null(d);
		assert_int_equal(d->timeout, CTW_TO_TCP_ESTABLISHED);
		assert_int_equal(d->old_value, est);
		assert_true(d->new_value == 2 * est || d->new_value == 432000);
		assert_true(d->new_value <= 432000);
		est = d->new_value;
		s.timeout_s[CTW_TO_TCP_ESTABLISHED] = est;
		steps++;
	}
	assert_int_equal(est, 432000);
	assert_int_equal(steps, 7);  /* 3600 x 2^6 = 230400, then 432000 */
	s.now_us += 5 * SEC;
	round_commit(&c, &s, &st, &out, true);
	assert_int_equal(out.n, 0);
}

/* Pressure back during the hold restarts it. */
static void test_restore_hold_restarts(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	struct ctw_snapshot s = snap(0, 40000, 100000, 100352);

	(void)state;
	base_config(&c);
	ctw_policy_state_init(&st);
	st.shortened[CTW_TO_TCP_ESTABLISHED] = true;
	st.original_s[CTW_TO_TCP_ESTABLISHED] = 432000;
	s.timeout_s[CTW_TO_TCP_ESTABLISHED] = 3600;
	round_commit(&c, &s, &st, &out, true);
	s.now_us = 9 * MIN;
	s.count = 60000;  /* between low and high water */
	round_commit(&c, &s, &st, &out, true);
	s.count = 40000;
	s.now_us = 10 * MIN;
	round_commit(&c, &s, &st, &out, true);
	assert_null(find(&out, CTW_DEC_RESTORE_TIMEOUT));
	s.now_us = 20 * MIN;
	round_commit(&c, &s, &st, &out, true);
	assert_non_null(find(&out, CTW_DEC_RESTORE_TIMEOUT));

	/* someone put it back by hand: nothing left to restore */
	s.timeout_s[CTW_TO_TCP_ESTABLISHED] = 432000;
	s.now_us = 21 * MIN;
	round_commit(&c, &s, &st, &out, true);
	assert_false(st.shortened[CTW_TO_TCP_ESTABLISHED]);
	assert_null(find(&out, CTW_DEC_RESTORE_TIMEOUT));
}

/* ---- alerts ----------------------------------------------------------------------------- */

struct level_step {
	uint64_t count;     /* of max 100000 */
	int alert;          /* kind said this round, or -1 */
};

/* warn 70, crit 90, left 5 points under. Ceiling = max so nothing is raised. */
static void test_level_alerts_hysteresis(void **state)
{
	static const struct level_step steps[] = {
		{ 50000, -1 },
		{ 69999, -1 },
		{ 70000, CTW_DEC_ALERT_WARN },
		{ 69000, -1 },                  /* in the band: still warning */
		{ 71000, -1 },                  /* no repeat */
		{ 65001, -1 },
		{ 65000, -1 },                  /* 65.0 is not < 65 */
		{ 64999, CTW_DEC_ALERT_NORMAL },
		{ 70000, CTW_DEC_ALERT_WARN },
		{ 90000, CTW_DEC_ALERT_CRIT },
		{ 86000, -1 },
		{ 84000, CTW_DEC_ALERT_WARN },  /* down one level */
		{ 95000, CTW_DEC_ALERT_CRIT },
		{ 10000, CTW_DEC_ALERT_NORMAL },/* straight back to normal */
		{ 10000, -1 },
	};
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;

	(void)state;
	base_config(&c);
	c.max_ceiling = 100000;
	c.high_water_pct = 99;
	ctw_policy_state_init(&st);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct ctw_snapshot s = snap(i * SEC, steps[i].count, 100000, 100352);
		int said = -1;

		round_commit(&c, &s, &st, &out, true);
		for (size_t j = 0; j < out.n; j++)
			if (out.d[j].kind >= CTW_DEC_ALERT_WARN && out.d[j].kind <= CTW_DEC_ALERT_NORMAL)
				said = (int)out.d[j].kind;
		print_message("count %llu -> %s\n", (unsigned long long)steps[i].count,
			      said < 0 ? "-" : ctw_decision_kind_name(said));
		assert_int_equal(said, steps[i].alert);
	}
}

static void test_level_reminder(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	struct ctw_snapshot s = snap(0, 75000, 100000, 100352);
	const struct ctw_decision *d;

	(void)state;
	base_config(&c);
	c.max_ceiling = 100000;
	ctw_policy_state_init(&st);
	round_commit(&c, &s, &st, &out, true);
	assert_non_null(find(&out, CTW_DEC_ALERT_WARN));
	for (uint64_t t = 1 * SEC; t < 1 * HOUR; t += 37 * SEC) {
		s.now_us = t;
		round_commit(&c, &s, &st, &out, true);
		assert_null(find(&out, CTW_DEC_ALERT_WARN));
	}
	s.now_us = 1 * HOUR;
	round_commit(&c, &s, &st, &out, true);
	d = must_find(&out, CTW_DEC_ALERT_WARN);
	assert_non_null(strstr(d->reason, "reminder"));
	assert_int_equal(d->priority, LOG_WARNING);

	/* normal is said once, never reminded */
	s.count = 1000;
	s.now_us = 2 * HOUR;
	round_commit(&c, &s, &st, &out, true);
	assert_non_null(find(&out, CTW_DEC_ALERT_NORMAL));
	s.now_us = 5 * HOUR;
	round_commit(&c, &s, &st, &out, true);
	assert_int_equal(out.n, 0);
}

static void test_drops_and_limit_alerts(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	struct ctw_snapshot s = snap(0, 100000, 100000, 100352);
	const struct ctw_decision *d;

	(void)state;
	base_config(&c);
	c.max_ceiling = 100000;
	for (int t = 0; t < CTW_TO__COUNT; t++)
		c.timeout_shorten[t] = false;
	ctw_policy_state_init(&st);
	s.drops = 42;
	round_commit(&c, &s, &st, &out, true);
	d = find(&out, CTW_DEC_ALERT_DROPS);
	assert_non_null(d);
	assert_int_equal(d->priority, LOG_ERR);
	assert_non_null(strstr(d->reason, "42 packets dropped"));
	assert_non_null(find(&out, CTW_DEC_ALERT_LIMIT));

	/* drops go on: said again only after the reminder interval */
	s.now_us = 1 * HOUR - 1;
	round_commit(&c, &s, &st, &out, true);
	assert_null(find(&out, CTW_DEC_ALERT_DROPS));
	assert_null(find(&out, CTW_DEC_ALERT_LIMIT));
	s.now_us = 1 * HOUR;
	round_commit(&c, &s, &st, &out, true);
	assert_non_null(find(&out, CTW_DEC_ALERT_DROPS));
	assert_non_null(find(&out, CTW_DEC_ALERT_LIMIT));

	/* early drops only are a warning */
	ctw_policy_state_init(&st);
	s.drops = 0;
	s.early_drops = 7;
	round_commit(&c, &s, &st, &out, true);
	d = find(&out, CTW_DEC_ALERT_DROPS);
	assert_non_null(d);
	assert_int_equal(d->priority, LOG_WARNING);

	/* no drops: no drops alert */
	ctw_policy_state_init(&st);
	s.early_drops = 0;
	round_commit(&c, &s, &st, &out, true);
	assert_null(find(&out, CTW_DEC_ALERT_DROPS));
}

/* ---- advise ----------------------------------------------------------------------------- */

static bool same_decisions(const struct ctw_decisions *a, const struct ctw_decisions *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct ctw_decision *x = &a->d[i], *y = &b->d[i];

		if (x->kind != y->kind || x->target != y->target || x->old_value != y->old_value ||
		    x->new_value != y->new_value || strcmp(x->reason, y->reason) != 0)
			return false;
	}
	return true;
}

static void test_advise_decides_the_same(void **state)
{
	struct ctw_config enforce, advise;
	struct ctw_policy_state st;
	struct ctw_decisions a, b;
	struct ctw_snapshot s = snap(0, 64000, 65536, 16384);

	(void)state;
	base_config(&enforce);
	advise = enforce;
	advise.mode = CTW_MODE_ADVISE;
	s.drops = 3;
	ctw_policy_state_init(&st);
	round_of(&enforce, &s, &st, &a);
	round_of(&advise, &s, &st, &b);
	assert_true(a.n >= 4);  /* drops, critical, raise, resize */
	assert_true(same_decisions(&a, &b));
	for (size_t i = 0; i < a.n; i++) {
		assert_int_equal(a.d[i].apply, ctw_decision_is_action(a.d[i].kind));
		assert_false(b.d[i].apply);
	}
}

/* Advice not applied is not repeated every poll, but again after the reminder,
 * or at once when it grew by a step. */
static void test_advise_does_not_repeat(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	struct ctw_snapshot s = snap(0, 53000, 65536, 65536);
	const struct ctw_decision *d;

	(void)state;
	base_config(&c);
	c.mode = CTW_MODE_ADVISE;
	ctw_policy_state_init(&st);
	round_commit(&c, &s, &st, &out, false);
	assert_non_null(find(&out, CTW_DEC_RAISE_MAX));
	assert_non_null(find(&out, CTW_DEC_RESIZE_HASH));
	for (uint64_t t = 1 * SEC; t < 1 * HOUR; t += 1 * MIN) {
		s.now_us = t;
		s.count = 53000 + t / MIN;  /* creeping up changes the target a little */
		round_commit(&c, &s, &st, &out, false);
		assert_null(find(&out, CTW_DEC_RAISE_MAX));
		assert_null(find(&out, CTW_DEC_RESIZE_HASH));
	}
	s.now_us = 1 * HOUR;
	round_commit(&c, &s, &st, &out, false);
	assert_non_null(find(&out, CTW_DEC_RAISE_MAX));

	/* now drops and fast growth: the advice grew by more than a step, said at once */
	s.now_us = 1 * HOUR + 1 * SEC;
	s.count = 65536;
	s.drops = 100;
	s.have_growth = true;
	s.growth_per_s = 500;
	round_commit(&c, &s, &st, &out, false);
	d = find(&out, CTW_DEC_RAISE_MAX);
	assert_non_null(d);
	assert_int_equal(d->new_value, 262144);
	assert_false(d->apply);

	/* nothing was applied: no resize cooldown bypass, nothing believed shortened */
	for (int t = 0; t < CTW_TO__COUNT; t++)
		assert_false(st.shortened[t]);
}

/* In enforce mode a failed write is not believed: it is decided again (the
 * actuator paces retries), and nothing counts as raised or shortened. */
static void test_failed_write_not_believed(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct ctw_decisions out;
	struct ctw_snapshot s = at_limit(0);

	(void)state;
	base_config(&c);
	c.max_ceiling = 100000;
	ctw_policy_state_init(&st);
	round_commit(&c, &s, &st, &out, false);
	assert_true(must_find(&out, CTW_DEC_SHORTEN_TIMEOUT)->apply);
	assert_false(st.shortened[CTW_TO_TCP_ESTABLISHED]);
	s.now_us = 5 * SEC;
	round_commit(&c, &s, &st, &out, false);
	assert_int_equal(must_find(&out, CTW_DEC_SHORTEN_TIMEOUT)->new_value, 216000);

	s = snap(1 * MIN, 53000, 65536, 65536);
	ctw_policy_state_init(&st);
	round_commit(&c, &s, &st, &out, false);
	assert_true(must_find(&out, CTW_DEC_RAISE_MAX)->apply);
	s.now_us += 1 * SEC;
	round_commit(&c, &s, &st, &out, false);
	must_find(&out, CTW_DEC_RAISE_MAX);
	assert_false(st.max_changed);
}

/* ---- a model kernel ------------------------------------------------------------------------ */

struct sim {
	struct ctw_snapshot s;
	uint64_t initial_timeout[CTW_TO__COUNT];
	uint64_t total_drops;
	unsigned raises, lowers, resizes, shortens, restores;
	int last_max_move;   /* +1 raised, -1 lowered */
	unsigned reversals;  /* lowered after a raise or raised after a lower */
};

static void sim_init(struct sim *m, uint64_t max, uint64_t buckets)
{
	memset(m, 0, sizeof(*m));
	m->s = snap(0, 0, max, buckets);
	for (int t = 0; t < CTW_TO__COUNT; t++)
		m->initial_timeout[t] = m->s.timeout_s[t];
}

static void sim_apply(struct sim *m, const struct ctw_decision *d)
{
	int move = 0;

	switch (d->kind) {
	case CTW_DEC_RAISE_MAX:
		m->s.max = d->new_value;
		m->raises++;
		move = 1;
		break;
	case CTW_DEC_LOWER_MAX:
		m->s.max = d->new_value;
		m->lowers++;
		move = -1;
		break;
	case CTW_DEC_RESIZE_HASH:
		m->s.buckets = ctw_buckets_round(d->new_value);
		m->resizes++;
		break;
	case CTW_DEC_SHORTEN_TIMEOUT:
		m->s.timeout_s[d->timeout] = d->new_value;
		m->shortens++;
		break;
	case CTW_DEC_RESTORE_TIMEOUT:
		m->s.timeout_s[d->timeout] = d->new_value;
		m->restores++;
		break;
	default:
		break;
	}
	if (move) {
		if (m->last_max_move && move != m->last_max_move)
			m->reversals++;
		m->last_max_move = move;
	}
}

/* Demand: active flows plus idle established ones, which live as long as the
 * established timeout lets them. The table holds what fits; the rest drops. */
static void sim_load(struct sim *m, uint64_t now, double active, double idle_at_default)
{
	double est = (double)m->s.timeout_s[CTW_TO_TCP_ESTABLISHED] / 432000.0;
	uint64_t demand = (uint64_t)(active + idle_at_default * est);
	uint64_t prev = m->s.count, prev_now = m->s.now_us;

	m->s.now_us = now;
	m->s.count = demand < m->s.max ? demand : m->s.max;
	m->s.drops = demand > m->s.max ? demand - m->s.max : 0;
	m->s.early_drops = 0;
	m->s.have_growth = true;
	m->s.growth_per_s = now > prev_now ? ((double)m->s.count - (double)prev) * SEC / (double)(now - prev_now) : 0;
	m->total_drops += m->s.drops;
}

static void sim_round(struct sim *m, const struct ctw_config *c, struct ctw_policy_state *st)
{
	struct ctw_decisions out;

	round_of(c, &m->s, st, &out);
	if (getenv("CTW_POLICY_TRACE") && out.n) {
		print_message("t=%llus count %llu max %llu:\n", (unsigned long long)(m->s.now_us / SEC),
			      (unsigned long long)m->s.count, (unsigned long long)m->s.max);
		print_decisions(&out);
	}
	for (size_t i = 0; i < out.n; i++) {
		if (out.d[i].apply)
			sim_apply(m, &out.d[i]);
		ctw_policy_commit(st, &out.d[i], &m->s, out.d[i].apply);
	}
}

/* Load ramps past the ceiling, then falls back. The daemon raises to the
 * ceiling, shortens timeouts until drops stop, and restores them after. */
static void test_scenario_ramp(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct sim m;
	uint64_t t, peak_drops_after = 0, drops_late = 0;

	(void)state;
	base_config(&c);
	c.max_ceiling = 262144;
	sim_init(&m, 65536, 65536);
	ctw_policy_state_init(&st);

	for (t = 0; t <= 60 * MIN; t += c.poll_interval_us) {
		double secs = (double)t / SEC, active;

		double idle;

		if (secs < 10) {                          /* a burst: 32000 new entries/s */
			active = 220000.0 * secs / 10;
			idle = 100000.0 * secs / 10;
		} else if (secs < 1200) {                 /* plateau, over the ceiling */
			active = 220000;
			idle = 100000;
		} else {                                  /* quiet */
			active = 10000;
			idle = 100000;
		}
		sim_load(&m, t, active, idle);
		if (secs >= 120 && secs < 1200)
			peak_drops_after += m.s.drops;
		if (secs >= 1200)
			drops_late += m.s.drops;
		sim_round(&m, &c, &st);
		assert_true(m.s.max <= c.max_ceiling);
		for (int k = 0; k < CTW_TO__COUNT; k++) {
			assert_true(m.s.timeout_s[k] >= ctw_timeout_info(k)->default_floor);
			assert_true(m.s.timeout_s[k] <= m.initial_timeout[k]);
		}
	}
	print_message("raises %u resizes %u shortens %u restores %u, drops %llu\n", m.raises, m.resizes,
		      m.shortens, m.restores, (unsigned long long)m.total_drops);
	assert_true(m.total_drops > 0);              /* the ramp did outrun the table */
	assert_int_equal(m.s.max, 262144);           /* raised up to the ceiling */
	assert_true(m.resizes >= 1);
	assert_true(m.shortens >= 1);
	assert_int_equal(peak_drops_after, 0);       /* drops stopped while the load stayed high */
	assert_int_equal(drops_late, 0);
	assert_int_equal(m.lowers, 0);               /* allow_lower_max is off */
	for (int k = 0; k < CTW_TO__COUNT; k++)      /* timeouts back up after the hold */
		assert_int_equal(m.s.timeout_s[k], m.initial_timeout[k]);
	assert_true(m.s.buckets >= ctw_buckets_for_max(&c, m.s.max));  /* hash caught up */
}

/* With lowering allowed: max comes down after the quiet spell, once per hold
 * at most, and never flaps under a steady load. */
static void test_scenario_lower_no_flap(void **state)
{
	struct ctw_config c;
	struct ctw_policy_state st;
	struct sim m;

	(void)state;
	base_config(&c);
	c.allow_lower_max = true;
	sim_init(&m, 65536, 65536);
	ctw_policy_state_init(&st);
	for (uint64_t t = 0; t <= 4 * HOUR; t += 10 * SEC) {
		double secs = (double)t / SEC, active;

		if (secs < 600)
			active = 200000.0 * secs / 600;
		else if (secs < 3600)
			active = 200000;
		else
			active = 30000 + 5000 * ((t / (10 * SEC)) % 7);  /* steady, noisy */
		sim_load(&m, t, active, 0);
		sim_round(&m, &c, &st);
		assert_true(m.s.max >= m.s.count);
	}
	print_message("raises %u lowers %u reversals %u, max %llu\n", m.raises, m.lowers, m.reversals,
		      (unsigned long long)m.s.max);
	assert_true(m.raises >= 1);
	assert_true(m.lowers >= 1);
	assert_int_equal(m.reversals, 1);          /* up, then down: never back up */
	/* the quiet load's peak (60000) ends near low_water: memory given back */
	assert_true(60000.0 * 100 / (double)m.s.max >= 0.8 * c.low_water_pct);
	assert_true(60000.0 * 100 / (double)m.s.max < c.high_water_pct);
}

/* ---- randomized invariants ----------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static double rnd_pct(double lo, double hi)
{
	return lo + (hi - lo) * (double)(rnd() % 1000001) / 1000000.0;
}

static void random_config(struct ctw_config *c)
{
	base_config(c);
	c->mode = rnd() % 3 == 0 ? CTW_MODE_ADVISE : CTW_MODE_ENFORCE;
	c->poll_interval_us = rnd_range(100000, 60 * SEC);
	c->alert_reminder_us = rnd_range(0, 2 * HOUR);
	c->warn_pct = rnd_pct(30, 95);
	c->crit_pct = rnd_pct(c->warn_pct, 100);
	c->low_water_pct = rnd_pct(5, 70);
	c->high_water_pct = rnd_pct(c->low_water_pct + 1, 100);
	c->low_water_hold_us = rnd_range(0, 1 * HOUR);
	c->max_ceiling = rnd_range(1, 1ULL << 24);
	c->memory_budget_pct = rnd_pct(0.5, 50);
	c->buckets_ratio = rnd_pct(0.25, 8);
	c->resize_cooldown_us = rnd_range(0, 1 * HOUR);
	c->allow_lower_max = rnd() % 2;
	c->horizon_us = rnd_range(0, 1 * HOUR);
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		c->timeout_floor_s[t] = rnd_range(0, 600);
		c->timeout_shorten[t] = rnd() % 2;
	}
}

static void random_snapshot(struct ctw_snapshot *s)
{
	s->objsize = rnd() % 5 == 0 ? 0 : rnd_range(128, 512);
	s->memtotal = rnd() % 4 == 0 ? 0 : rnd_range(16 * MIB, 64 * GIB);
	s->max = rnd() % 50 == 0 ? 0 : rnd_range(1, 1ULL << 22);
	s->buckets = rnd() % 50 == 0 ? 0 : ctw_buckets_round(rnd_range(1, 1ULL << 21));
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		s->have_timeout[t] = rnd() % 20 != 0;
		s->timeout_s[t] = rnd_range(1, 500000);
	}
}

/* What the checker remembers of one episode. */
struct watch {
	bool resized;
	uint64_t last_resize_us;
	bool said[CTW_DEC__COUNT];
	uint64_t said_us[CTW_DEC__COUNT];
	int last_level_kind;
	bool touched[CTW_TO__COUNT];
	uint64_t original[CTW_TO__COUNT];   /* the timeout before the engine first changed it */
};

static void check_decision(const struct ctw_config *c, const struct ctw_snapshot *s,
			   const struct ctw_decision *d, struct watch *w)
{
	uint64_t objsize = s->objsize ? s->objsize : CTW_OBJSIZE_ESTIMATE;
	uint64_t now = s->now_us;

	assert_true(d->reason[0] != '\0');
	assert_non_null(memchr(d->reason, '\0', sizeof(d->reason)));
	assert_int_equal(d->apply, ctw_decision_is_action(d->kind) && c->mode == CTW_MODE_ENFORCE);
	switch (d->kind) {
	case CTW_DEC_RAISE_MAX:
		assert_int_equal(d->old_value, s->max);
		assert_true(d->new_value > s->max);
		assert_true(d->new_value <= c->max_ceiling);
		if (s->memtotal) {
			double budget = (double)s->memtotal * c->memory_budget_pct / 100.0;

			assert_true((double)ctw_table_bytes(objsize, d->new_value,
							    ctw_buckets_for_max(c, d->new_value)) <= budget);
			/* ... also with the hash the kernel has, when it is bigger (test_budget). */
			assert_true((double)ctw_table_bytes(objsize, d->new_value, s->buckets) <= budget);
		}
		break;
	case CTW_DEC_LOWER_MAX:
		assert_true(c->allow_lower_max);
		assert_true(d->new_value < s->max);
		assert_true(d->new_value > s->count);
		break;
	case CTW_DEC_RESIZE_HASH:
		assert_true(d->new_value > s->buckets);
		if (w->resized)
			assert_true(now - w->last_resize_us >= c->resize_cooldown_us);
		w->resized = true;
		w->last_resize_us = now;
		break;
	case CTW_DEC_SHORTEN_TIMEOUT:
		assert_true(c->timeout_shorten[d->timeout]);
		assert_true(d->new_value < d->old_value);
		assert_true(d->new_value >= c->timeout_floor_s[d->timeout]);
		assert_true(d->new_value >= 1);
		break;
	case CTW_DEC_RESTORE_TIMEOUT:
		assert_true(w->touched[d->timeout]);
		assert_true(d->new_value > d->old_value);
		assert_true(d->new_value <= w->original[d->timeout]);
		break;
	case CTW_DEC_ALERT_DROPS:
	case CTW_DEC_ALERT_LIMIT:
		if (w->said[d->kind])
			assert_true(now - w->said_us[d->kind] >= c->alert_reminder_us);
		break;
	case CTW_DEC_ALERT_WARN:
	case CTW_DEC_ALERT_CRIT:
	case CTW_DEC_ALERT_NORMAL:
		/* the same level again only as a reminder; normal is never reminded */
		if (w->last_level_kind == (int)d->kind) {
			assert_int_not_equal(d->kind, CTW_DEC_ALERT_NORMAL);
			assert_true(now - w->said_us[d->kind] >= c->alert_reminder_us);
		}
		w->last_level_kind = (int)d->kind;
		break;
	default:
		fail_msg("unknown decision kind %d", d->kind);
	}
	w->said[d->kind] = true;
	w->said_us[d->kind] = now;
}

/* One poll's worth of change: drift, jumps, drops, growth, failed writes. */
static void random_step(struct ctw_snapshot *s, const struct ctw_config *c)
{
	uint64_t cap = s->max ? s->max + s->max / 50 : 1ULL << 22;

	s->now_us += rnd() % 10 == 0 ? rnd_range(0, 2 * HOUR) : c->poll_interval_us;
	switch (rnd() % 4) {
	case 0: s->count = rnd_range(0, cap); break;                       /* jump */
	case 1: s->count = s->count / 2; break;                             /* drain */
	default: s->count += rnd_range(0, cap / 10 + 1); break;             /* grow */
	}
	if (s->count > cap)
		s->count = cap;
	s->drops = rnd() % 4 == 0 ? rnd_range(0, 1000) : 0;
	s->early_drops = rnd() % 6 == 0 ? rnd_range(0, 1000) : 0;
	s->have_growth = rnd() % 2;
	s->growth_per_s = rnd_pct(-10000, 100000);
	if (rnd() % 40 == 0)
		s->max = rnd_range(0, 1ULL << 22);  /* someone else wrote max */
}

static void test_property_invariants(void **state)
{
	const char *env = getenv("CTW_POLICY_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed2025ULL;
	unsigned episodes = 1000, steps = 100, decisions = 0, seen[CTW_DEC__COUNT] = { 0 };

	(void)state;
	printf("policy property test: seed 0x%llx (set CTW_POLICY_SEED to replay), %u snapshots\n",
	       (unsigned long long)seed, episodes * steps);
	rng_state = seed ? seed : 1;
	for (unsigned e = 0; e < episodes; e++) {
		struct ctw_config c;
		struct ctw_snapshot s;
		struct ctw_policy_state st;
		struct watch w;

		random_config(&c);
		memset(&s, 0, sizeof(s));
		random_snapshot(&s);
		s.now_us = rnd_range(0, 1000 * HOUR);
		ctw_policy_state_init(&st);
		memset(&w, 0, sizeof(w));
		w.last_level_kind = CTW_DEC_ALERT_NORMAL;
		for (unsigned i = 0; i < steps; i++) {
			struct ctw_decisions out;

			random_step(&s, &c);
			round_of(&c, &s, &st, &out);
			assert_true(out.n <= CTW_DECISIONS_MAX);
			for (size_t k = 0; k < out.n; k++) {
				const struct ctw_decision *d = &out.d[k];
				bool applied = d->apply && rnd() % 8 != 0;  /* some writes fail */

				check_decision(&c, &s, d, &w);
				decisions++;
				seen[d->kind]++;
				if (applied && d->target == CTW_TARGET_TIMEOUT && !w.touched[d->timeout]) {
					w.touched[d->timeout] = true;
					w.original[d->timeout] = d->old_value;
				}
				ctw_policy_commit(&st, d, &s, applied);
				if (!applied)
					continue;
				if (d->target == CTW_TARGET_MAX)
					s.max = d->new_value;
				else if (d->target == CTW_TARGET_BUCKETS)
					s.buckets = ctw_buckets_round(d->new_value);
				else if (d->target == CTW_TARGET_TIMEOUT)
					s.timeout_s[d->timeout] = d->new_value;
			}
		}
	}
	printf("policy property test: %u decisions checked:", decisions);
	for (int k = 0; k < CTW_DEC__COUNT; k++)
		printf(" %s %u", ctw_decision_kind_name(k), seen[k]);
	printf("\n");
	for (int k = 0; k < CTW_DEC__COUNT; k++)  /* every rule was exercised */
		assert_true(seen[k] >= 50);
}

/* ---- names ------------------------------------------------------------------------------------ */

static void test_names(void **state)
{
	struct ctw_decision d = { .target = CTW_TARGET_TIMEOUT, .timeout = CTW_TO_UDP };

	(void)state;
	assert_string_equal(ctw_decision_kind_name(CTW_DEC_RAISE_MAX), "raise_max");
	assert_string_equal(ctw_decision_kind_name(CTW_DEC_ALERT_LIMIT), "limit_reached");
	assert_string_equal(ctw_decision_kind_name(CTW_DEC__COUNT), "unknown");
	for (int k = 0; k < CTW_DEC__COUNT; k++) {
		assert_non_null(ctw_decision_kind_name(k));
		for (int j = 0; j < k; j++)
			assert_string_not_equal(ctw_decision_kind_name(k), ctw_decision_kind_name(j));
	}
	assert_string_equal(ctw_level_name(CTW_LEVEL_CRIT), "critical");
	assert_string_equal(ctw_decision_target_name(&d), "udp_timeout");
	d.target = CTW_TARGET_BUCKETS;
	assert_string_equal(ctw_decision_target_name(&d), "nf_conntrack_buckets");
	d.target = CTW_TARGET_NONE;
	assert_string_equal(ctw_decision_target_name(&d), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raise_triggers),
		cmocka_unit_test(test_raise_lands_at_low_water),
		cmocka_unit_test(test_raise_with_growth_is_capped),
		cmocka_unit_test(test_raise_stops_at_ceiling),
		cmocka_unit_test(test_raise_within_memory_budget),
		cmocka_unit_test(test_lower_rules),
		cmocka_unit_test(test_resize_rules),
		cmocka_unit_test(test_timeouts_shorten_stepwise),
		cmocka_unit_test(test_timeouts_not_shortened_when_raise_possible),
		cmocka_unit_test(test_timeouts_restore_after_hold),
		cmocka_unit_test(test_restore_hold_restarts),
		cmocka_unit_test(test_level_alerts_hysteresis),
		cmocka_unit_test(test_level_reminder),
		cmocka_unit_test(test_drops_and_limit_alerts),
		cmocka_unit_test(test_advise_decides_the_same),
		cmocka_unit_test(test_advise_does_not_repeat),
		cmocka_unit_test(test_failed_write_not_believed),
		cmocka_unit_test(test_scenario_ramp),
		cmocka_unit_test(test_scenario_lower_no_flap),
		cmocka_unit_test(test_property_invariants),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
