/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Outside changes: noticed once, yielded or adopted, never lowered; and a
 * property test over random rounds with random outside writes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "policy/outside.h"

static void operator_value_is_yielded(void **state)
{
	struct ctw_knob_claim c = { 0 };

	(void)state;
	assert_int_equal(ctw_claim_observe(&c, 4096, CTW_OUTSIDE_YIELD), CTW_OUTSIDE_NONE);
	assert_true(ctw_claim_allows(&c, 65536));
	ctw_claim_wrote(&c, 65536);
	assert_int_equal(ctw_claim_observe(&c, 65536, CTW_OUTSIDE_YIELD), CTW_OUTSIDE_NONE);
	/* The operator sets 200000 by hand: said once, yielded. */
	assert_int_equal(ctw_claim_observe(&c, 200000, CTW_OUTSIDE_YIELD), CTW_OUTSIDE_CHANGED);
	assert_int_equal(ctw_claim_observe(&c, 200000, CTW_OUTSIDE_YIELD), CTW_OUTSIDE_NONE);
	assert_false(ctw_claim_allows(&c, 100000));   /* the lowering of the report */
	assert_false(ctw_claim_allows(&c, 400000));   /* yielded: not even a raise */
	/* A reload forgives the yield, the operator's floor stays. */
	ctw_claim_forgive(&c);
	assert_true(ctw_claim_allows(&c, 400000));
	assert_false(ctw_claim_allows(&c, 100000));
}

static void put_back_manages_again(void **state)
{
	struct ctw_knob_claim c = { 0 };

	(void)state;
	ctw_claim_observe(&c, 4096, CTW_OUTSIDE_YIELD);
	ctw_claim_wrote(&c, 8192);
	assert_int_equal(ctw_claim_observe(&c, 5000, CTW_OUTSIDE_YIELD), CTW_OUTSIDE_CHANGED);
	assert_false(ctw_claim_allows(&c, 16384));
	assert_int_equal(ctw_claim_observe(&c, 8192, CTW_OUTSIDE_YIELD), CTW_OUTSIDE_RETURNED);
	assert_true(ctw_claim_allows(&c, 16384));
	assert_true(ctw_claim_allows(&c, 4096));
}

static void adopt_keeps_managing_upward(void **state)
{
	struct ctw_knob_claim c = { 0 };

	(void)state;
	ctw_claim_observe(&c, 4096, CTW_OUTSIDE_ADOPT);
	assert_int_equal(ctw_claim_observe(&c, 30000, CTW_OUTSIDE_ADOPT), CTW_OUTSIDE_CHANGED);
	assert_true(ctw_claim_allows(&c, 60000));
	assert_false(ctw_claim_allows(&c, 20000));
}

/* Random rounds: the kernel's value, the daemon's claim, outside writes at
 * random, the policy asking for random values. Whatever happens, the daemon
 * never writes a knob it yields and never goes below an outside value that
 * is still in force. The reference below follows the rules' words, not the
 * module's code. */
static void never_fights_the_operator(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dULL;

	(void)state;
	for (int run = 0; run < 1000; run++) {
		enum ctw_outside_mode mode = run % 2 ? CTW_OUTSIDE_ADOPT : CTW_OUTSIDE_YIELD;
		struct ctw_knob_claim c = { 0 };
		uint64_t kernel = 4096, ours = 0, floor = 0;
		int wrote_any = 0, yield_active = 0, have_floor = 0, writes = 0;

		for (int round = 0; round < 100; round++) {
			uint64_t want;

			/* The daemon's round: read, decide, maybe write. */
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			ctw_claim_observe(&c, kernel, mode);
			want = 1 + (seed >> 24) % 600000;
			if (ctw_claim_allows(&c, want)) {
				assert_false(yield_active);
				assert_true(!have_floor || want >= floor);
				kernel = want;
				ours = want;
				wrote_any = 1;
				writes++;
				ctw_claim_wrote(&c, want);
			}
			/* Between rounds, an operator may write: sometimes back to the daemon's value. */
			if (seed % 10 == 0) {
				uint64_t v = (seed >> 8) % 4 == 0 && wrote_any ? ours : 1 + (seed >> 16) % 500000;

				if (v != kernel) {
					if (yield_active && wrote_any && v == ours) {
						yield_active = 0;
						have_floor = 0;
					} else {
						have_floor = 1;
						floor = v;
						yield_active = mode == CTW_OUTSIDE_YIELD;
					}
				}
				kernel = v;
			}
		}
		assert_true(writes > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(operator_value_is_yielded),
		cmocka_unit_test(put_back_manages_again),
		cmocka_unit_test(adopt_keeps_managing_upward),
		cmocka_unit_test(never_fights_the_operator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
