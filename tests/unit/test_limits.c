/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Limits: hand-computed tables, then properties over a few thousand random
 * policies checked against an independent exact (128-bit) cost model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/conf.h"
#include "policy/bounds.h"

#define GIB (1024ULL * 1024 * 1024)

static struct ctw_config policy(uint64_t ceiling, double budget_pct, double ratio, double low_water)
{
	struct ctw_config c;

	memset(&c, 0, sizeof(c));
	c.max_ceiling = ceiling;
	c.memory_budget_pct = budget_pct;
	c.buckets_ratio = ratio;
	c.low_water_pct = low_water;
	return c;
}

static void test_buckets_round(void **state)
{
	static const uint64_t cases[][2] = {
		{ 0, 512 }, { 1, 512 }, { 511, 512 }, { 512, 512 }, { 513, 1024 },
		{ 1000, 1024 }, { 65536, 65536 }, { 262144, 262144 }, { 262145, 262656 },
		{ UINT64_MAX, UINT64_MAX - 511 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_true(ctw_buckets_round(cases[i][0]) == cases[i][1]);
}

static void test_buckets_for_max(void **state)
{
	struct ctw_config one = policy(1 << 30, 5, 1.0, 70);
	struct ctw_config four = policy(1 << 30, 5, 4.0, 70);
	struct ctw_config half = policy(1 << 30, 5, 0.5, 70);
	struct ctw_config three = policy(1 << 30, 5, 3.0, 70);

	assert_int_equal(ctw_buckets_for_max(&one, 262144), 262144);
	assert_int_equal(ctw_buckets_for_max(&one, 1000), 1024);     /* rounded up like the kernel */
	assert_int_equal(ctw_buckets_for_max(&one, 0), 512);
	assert_int_equal(ctw_buckets_for_max(&four, 65536), 16384);  /* the pre-5.15 shape */
	assert_int_equal(ctw_buckets_for_max(&half, 1000), 2048);
	assert_int_equal(ctw_buckets_for_max(&three, 1000), 512);    /* 333 */
	assert_int_equal(ctw_buckets_for_max(&three, 3 * 1537), 2048); /* 1537 -> 2048 */
	assert_int_equal(ctw_buckets_for_max(&three, 4610), 2048);     /* 1536.67 rounds to 1537 */
	assert_int_equal(ctw_buckets_for_max(&three, 4609), 1536);     /* 1536.33 rounds to 1536 */
	assert_true(ctw_buckets_for_max(&half, UINT64_MAX) == UINT64_MAX - 511);
}

static void test_max_allowed_table(void **state)
{
	/* 24 GiB, 5%: budget 1288490188 B. 264 B per entry at ratio 1 gives
	 * 4880384 (a multiple of 512); above it buckets are 4880896 (39047168 B),
	 * leaving 1249443020 B for 256-byte entries: 4880636. */
	struct ctw_config c = policy(1ULL << 32, 5, 1.0, 70);

	assert_int_equal(ctw_max_allowed(&c, 256, 24 * GIB, 0), 4880636);
	/* memtotal unknown: the ceiling alone */
	assert_true(ctw_max_allowed(&c, 256, 0, 0) == 1ULL << 32);
	/* the ceiling binds */
	c.max_ceiling = 1000000;
	assert_int_equal(ctw_max_allowed(&c, 256, 24 * GIB, 0), 1000000);
	/* 100% of 4096 B: the 512 minimum buckets alone fill it */
	c = policy(1000000, 100, 1.0, 70);
	assert_int_equal(ctw_max_allowed(&c, 256, 4096, 0), 0);
	/* 100% of 4096+255 B: still no entry fits; +256: one does */
	assert_int_equal(ctw_max_allowed(&c, 256, 4096 + 255, 0), 0);
	assert_int_equal(ctw_max_allowed(&c, 256, 4096 + 256, 0), 1);
	/* not even the buckets fit */
	assert_int_equal(ctw_max_allowed(&c, 256, 1000, 0), 0);
	/* ratio 4 (quarter the buckets) admits more entries in the same budget */
	c = policy(1ULL << 40, 5, 4.0, 70);
	assert_true(ctw_max_allowed(&c, 256, 24 * GIB, 0) > 4880636);
}

static void test_max_target_table(void **state)
{
	struct ctw_config c = policy(1ULL << 32, 5, 1.0, 50);

	/* 1000 at 50% wants 2000, rounded to 2048 */
	assert_int_equal(ctw_max_target(&c, 1000, 1024, 1000000), 2048);
	/* exact multiple stays */
	assert_int_equal(ctw_max_target(&c, 512, 0, 1000000), 1024);
	/* never below current */
	assert_int_equal(ctw_max_target(&c, 1000, 65536, 1000000), 65536);
	assert_int_equal(ctw_max_target(&c, 0, 65536, 1000000), 65536);
	/* capped at allowed, which need not be a multiple of 1024 */
	assert_int_equal(ctw_max_target(&c, 60000, 65536, 100000), 100000);
	/* current above allowed: keep current */
	assert_int_equal(ctw_max_target(&c, 60000, 262144, 100000), 262144);
	/* full table at 65536 with 70% low water: 93623 -> 94208 */
	c.low_water_pct = 70;
	assert_int_equal(ctw_max_target(&c, 65536, 65536, 4880636), 94208);
}

/* ---- properties -------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64*: fixed seed, reproducible failures */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static double rnd_double(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rnd() >> 11) / 9007199254740992.0);
}

/* The buckets a max wants, from the documented rule (ctwarden.conf(5),
 * buckets_ratio) and the kernel's (nf_ct_alloc_hashtable allocates whole
 * pages of 8-byte heads: a multiple of 512, at least one page), written
 * out here rather than calling ctw_buckets_for_max(): max / ratio to the
 * nearest bucket, then up to the next multiple of 512. */
static uint64_t model_buckets(const struct ctw_config *c, uint64_t max)
{
	uint64_t wanted = (uint64_t)((double)max / c->buckets_ratio + 0.5);
	uint64_t pages = (wanted + 511) / 512;

	return (pages ? pages : 1) * 512;
}

/* Independent cost model, exact in 128 bits: an entry is objsize bytes of
 * slab, a bucket an 8-byte hlist head. */
static unsigned __int128 model_cost(const struct ctw_config *c, uint64_t objsize, uint64_t max)
{
	uint64_t buckets = model_buckets(c, max);

	return (unsigned __int128)objsize * max + (unsigned __int128)8 * buckets;
}

static uint64_t model_budget(const struct ctw_config *c, uint64_t memtotal)
{
	return (uint64_t)((double)memtotal * c->memory_budget_pct / 100.0);
}

static struct ctw_config random_policy(void)
{
	uint64_t ceiling = rnd() % 4 == 0 ? rnd() : rnd_range(0, 1ULL << 33);

	return policy(ceiling, rnd_double(0.1, 60), rnd_double(0.25, 8), rnd_double(5, 100));
}

static void test_buckets_properties(void **state)
{
	for (int i = 0; i < 5000; i++) {
		struct ctw_config c = random_policy();
		uint64_t max = rnd_range(0, 1ULL << 34), b = ctw_buckets_round(rnd() >> (rnd() % 64));
		uint64_t want = ctw_buckets_for_max(&c, max);

		assert_int_equal(want, model_buckets(&c, max));
		assert_int_equal(b % 512, 0);
		assert_true(b >= 512);
		assert_int_equal(want % 512, 0);
		/* within one granule of max/ratio */
		assert_true((double)want >= (double)max / c.buckets_ratio - 1.0);
		assert_true((double)want <= (double)max / c.buckets_ratio + 512.0 || want == 512);
		assert_true(ctw_buckets_for_max(&c, max + 1000) >= want);
	}
}

static void test_max_allowed_properties(void **state)
{
	for (int i = 0; i < 3000; i++) {
		struct ctw_config c = random_policy();
		uint64_t objsize = rnd_range(64, 1024);
		uint64_t memtotal = rnd() % 8 == 0 ? 0 : rnd_range(1ULL << 20, 1ULL << 42);
		uint64_t allowed = ctw_max_allowed(&c, objsize, memtotal, 0);
		uint64_t budget = model_budget(&c, memtotal);

		assert_true(allowed <= c.max_ceiling);
		if (memtotal == 0) {
			assert_true(allowed == c.max_ceiling);
			continue;
		}
		/* fits in the budget ... */
		if (allowed > 0)
			assert_true(model_cost(&c, objsize, allowed) <= budget);
		/* ... and is the largest that does */
		if (allowed < c.max_ceiling)
			assert_true(model_cost(&c, objsize, allowed + 1) > budget);
		/* more RAM never allows less */
		assert_true(ctw_max_allowed(&c, objsize, memtotal * 2, 0) >= allowed);
	}
}

static void test_max_target_properties(void **state)
{
	for (int i = 0; i < 3000; i++) {
		struct ctw_config c = random_policy();
		uint64_t allowed = ctw_max_allowed(&c, rnd_range(64, 1024), rnd_range(1ULL << 24, 1ULL << 40), 0);
		uint64_t current = rnd_range(0, 1ULL << 24);
		uint64_t prev = 0, count = 0;

		for (int step = 0; step < 20; step++) {
			uint64_t t = ctw_max_target(&c, count, current, allowed);

			assert_true(t >= current);                           /* never below current */
			assert_true(t <= (allowed > current ? allowed : current)); /* never above allowed */
			assert_true(t >= prev);                              /* monotone in count */
			if (t > current && t < allowed) {
				/* an uncapped target: a 1024 multiple that brings count to low water */
				assert_int_equal(t % 1024, 0);
				assert_true((double)count * 100.0 <= c.low_water_pct * (double)t * (1 + 1e-12));
				/* and not a granule more than needed */
				assert_true((double)count * 100.0 > c.low_water_pct * (double)(t - 1024));
			}
			prev = t;
			count += rnd_range(0, 1ULL << 22);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_round),
		cmocka_unit_test(test_buckets_for_max),
		cmocka_unit_test(test_max_allowed_table),
		cmocka_unit_test(test_max_target_table),
		cmocka_unit_test(test_buckets_properties),
		cmocka_unit_test(test_max_allowed_properties),
		cmocka_unit_test(test_max_target_properties),
	};
	return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
