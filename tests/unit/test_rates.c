/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rates: smoothed new/destroy/growth per second from cumulative counters at
 * irregular times, time to full, and the re-anchored derived count. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "policy/rates.h"

#define SEC 1000000ULL
#define E_INV 0.36787944117144233  /* e^-1, without libm */

static void assert_near(double got, double want, double tol)
{
	if (!(got - want <= tol && want - got <= tol))
		fail_msg("got %.6f, want %.6f (+-%g)", got, want, tol);
}

/* Feed a stream with constant rates sampled every step_us until end_us. */
static void feed_constant(struct ctw_rates *r, uint64_t from_us, uint64_t end_us, uint64_t step_us,
			  double new_per_s, double destroy_per_s)
{
	for (uint64_t t = from_us; t <= end_us; t += step_us)
		ctw_rates_update(r, t, (uint64_t)(new_per_s * (double)t / 1e6 + 0.5),
				 (uint64_t)(destroy_per_s * (double)t / 1e6 + 0.5));
}

static void no_rate_before_two_samples(void **state)
{
	struct ctw_rates r;

	(void)state;
	ctw_rates_init(&r, 0);
	assert_false(ctw_rates_have_rate(&r));
	assert_near(ctw_rates_new_per_s(&r), 0, 0);
	ctw_rates_update(&r, 5 * SEC, 1000, 10);
	assert_false(ctw_rates_have_rate(&r));
	assert_near(ctw_rates_growth_per_s(&r), 0, 0);
	assert_true(isinf(ctw_rates_time_to_full_s(&r, 10, 100)));
}

static void constant_rates_are_exact(void **state)
{
	struct ctw_rates r;

	(void)state;
	ctw_rates_init(&r, SEC);
	feed_constant(&r, 0, 10 * SEC, 100000, 5000, 1000);
	assert_true(ctw_rates_have_rate(&r));
	assert_near(ctw_rates_new_per_s(&r), 5000, 0.5);
	assert_near(ctw_rates_destroy_per_s(&r), 1000, 0.5);
	assert_near(ctw_rates_growth_per_s(&r), 4000, 1);
}

/* The same stream sampled at 1 ms and at 250 ms, irregular or not, must give
 * the same rate: the smoothing is per unit of time, not per sample. */
static void sampling_does_not_change_the_rate(void **state)
{
	struct ctw_rates fine, coarse, jitter;
	uint64_t t = 0, n = 0;
	const uint64_t steps[] = { 3000, 170000, 41000, 9000, 600000, 1000, 77000 };

	(void)state;
	ctw_rates_init(&fine, SEC);
	ctw_rates_init(&coarse, SEC);
	ctw_rates_init(&jitter, SEC);
	/* 2 s at 10000/s, then 1 s at 2000/s. */
	for (uint64_t u = 0; u <= 3 * SEC; u += 1000) {
		uint64_t total = u <= 2 * SEC ? u / 100 : 20000 + (u - 2 * SEC) / 500;

		ctw_rates_update(&fine, u, total, 0);
		if (u % 250000 == 0)
			ctw_rates_update(&coarse, u, total, 0);
	}
	for (unsigned i = 0; t < 3 * SEC; i++) {
		t += steps[i % 7];
		if (t > 3 * SEC)
			t = 3 * SEC;
		n = t <= 2 * SEC ? t / 100 : 20000 + (t - 2 * SEC) / 500;
		ctw_rates_update(&jitter, t, n, 0);
	}
	/* After 1 s at the new rate, e^-1 of the old remains:
	 * 2000 + 8000/e ~= 4943; coarse steps discretize a little. */
	assert_near(ctw_rates_new_per_s(&fine), 2000 + 8000 * E_INV, 30);
	assert_near(ctw_rates_new_per_s(&coarse), ctw_rates_new_per_s(&fine), 300);
	assert_near(ctw_rates_new_per_s(&jitter), ctw_rates_new_per_s(&fine), 400);
}

/* A burst raises the rate at once, then it decays with tau. */
static void burst_then_silence_decays(void **state)
{
	struct ctw_rates r;
	double peak, later;

	(void)state;
	ctw_rates_init(&r, SEC);
	feed_constant(&r, 0, 2 * SEC, 100000, 100, 0);        /* 200 entries */
	ctw_rates_update(&r, 2 * SEC + 10000, 200 + 50000, 0); /* 50000 in 10 ms */
	peak = ctw_rates_new_per_s(&r);
	assert_true(peak > 40000);     /* seen within the same batch */
	assert_true(peak < 5000000);   /* but smoothed: not the raw 5M/s */
	ctw_rates_update(&r, 3 * SEC + 10000, 200 + 50000, 0); /* 1 s of silence */
	later = ctw_rates_new_per_s(&r);
	assert_near(later, peak * E_INV, peak * 0.01);
	ctw_rates_update(&r, 13 * SEC, 200 + 50000, 0);
	assert_true(ctw_rates_new_per_s(&r) < 1);
}

static void shrinking_table_never_fills(void **state)
{
	struct ctw_rates r;

	(void)state;
	ctw_rates_init(&r, SEC);
	feed_constant(&r, 0, 5 * SEC, 50000, 300, 800);
	assert_near(ctw_rates_growth_per_s(&r), -500, 1);
	assert_true(isinf(ctw_rates_time_to_full_s(&r, 900, 1000)));
	assert_true(ctw_rates_time_to_full_s(&r, 900, 1000) > 0);

	ctw_rates_init(&r, SEC);
	feed_constant(&r, 0, 5 * SEC, 50000, 700, 700);      /* steady state */
	assert_true(isinf(ctw_rates_time_to_full_s(&r, 900, 1000)));
}

static void time_to_full(void **state)
{
	struct ctw_rates r;

	(void)state;
	ctw_rates_init(&r, SEC);
	feed_constant(&r, 0, 5 * SEC, 100000, 12000, 2000);  /* +10000/s */
	assert_near(ctw_rates_time_to_full_s(&r, 62144, 262144), 20.0, 0.01);
	assert_near(ctw_rates_time_to_full_s(&r, 262143, 262144), 0.0001, 1e-5);
	assert_near(ctw_rates_time_to_full_s(&r, 262144, 262144), 0, 0);
	assert_near(ctw_rates_time_to_full_s(&r, 300000, 262144), 0, 0);  /* over max: full now */
	assert_true(isinf(ctw_rates_time_to_full_s(&r, 5, 0)));          /* max 0: unlimited */
}

/* The derived count follows events from the anchor; a re-anchor takes the
 * kernel's word, which includes what events never reported. */
static void derived_count_and_reanchor(void **state)
{
	struct ctw_rates r;

	(void)state;
	ctw_rates_init(&r, SEC);
	assert_int_equal(ctw_rates_derived_count(&r, 10, 0), 0);   /* not anchored yet */
	/* 5000 entries existed before the subscription: no events for them. */
	ctw_rates_anchor(&r, 5000, 0, 0);
	assert_int_equal(ctw_rates_derived_count(&r, 0, 0), 5000);
	assert_int_equal(ctw_rates_derived_count(&r, 300, 100), 5200);
	/* 2000 old entries expired silently; the poll says 3200. */
	ctw_rates_anchor(&r, 3200, 300, 100);
	assert_int_equal(ctw_rates_derived_count(&r, 300, 100), 3200);
	assert_int_equal(ctw_rates_derived_count(&r, 1300, 150), 4150);
	/* An overrun lost events: the re-anchor puts the kernel's count back. */
	ctw_rates_anchor(&r, 9000, 1400, 150);
	assert_int_equal(ctw_rates_derived_count(&r, 1400, 150), 9000);
}

static void derived_count_never_negative(void **state)
{
	struct ctw_rates r;

	(void)state;
	ctw_rates_init(&r, SEC);
	ctw_rates_anchor(&r, 10, 100, 100);
	assert_int_equal(ctw_rates_derived_count(&r, 100, 150), 0);
	/* Counters behind the anchor (a reopened socket) add nothing. */
	assert_int_equal(ctw_rates_derived_count(&r, 0, 0), 10);
}

/* A reopened event socket starts its counters at 0 again: the next interval
 * must not be read as a huge negative or wrapped rate. */
static void counter_reset_keeps_the_rate(void **state)
{
	struct ctw_rates r;

	(void)state;
	ctw_rates_init(&r, SEC);
	feed_constant(&r, 0, 3 * SEC, 100000, 1000, 0);
	ctw_rates_update(&r, 3 * SEC + 100000, 0, 0);       /* reset */
	assert_near(ctw_rates_new_per_s(&r), 1000, 1);
	ctw_rates_update(&r, 3 * SEC + 200000, 100, 0);     /* 1000/s again */
	assert_near(ctw_rates_new_per_s(&r), 1000, 1);
}

/* Two batches at the same microsecond: the events wait for the next interval. */
static void same_time_samples_are_not_lost(void **state)
{
	struct ctw_rates r;

	(void)state;
	ctw_rates_init(&r, SEC);
	ctw_rates_update(&r, SEC, 0, 0);
	ctw_rates_update(&r, SEC, 500, 0);
	ctw_rates_update(&r, SEC, 1000, 0);
	ctw_rates_update(&r, 2 * SEC, 1000, 0);
	assert_near(ctw_rates_new_per_s(&r), 1000, 0.001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_rate_before_two_samples),
		cmocka_unit_test(constant_rates_are_exact),
		cmocka_unit_test(sampling_does_not_change_the_rate),
		cmocka_unit_test(burst_then_silence_decays),
		cmocka_unit_test(shrinking_table_never_fills),
		cmocka_unit_test(time_to_full),
		cmocka_unit_test(derived_count_and_reanchor),
		cmocka_unit_test(derived_count_never_negative),
		cmocka_unit_test(counter_reset_keeps_the_rate),
		cmocka_unit_test(same_time_samples_are_not_lost),
	};
	return cmocka_run_group_tests_name("rates", tests, NULL, NULL);
}
