/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The indexed heap against a plain array searched in full, on random
 * streams of pushes, removals and key changes (the top shrinking among
 * them); and the pressure order kept in it against the rule written out
 * here again: the namespace full soonest within the horizon, else the
 * fullest, else the one watched first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/heap.h"
#include "policy/pressure.h"

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* ---- timer order: key, then id ------------------------------------------ */

#define N_ITEMS 200

struct timer {
	struct ctw_heap_node node;
	uint64_t due;
	unsigned id;
	bool in;      /* the reference's own record of membership */
};

static bool timer_before(const struct ctw_heap_node *a, const struct ctw_heap_node *b)
{
	const struct timer *x = ctw_container_of(a, struct timer, node);
	const struct timer *y = ctw_container_of(b, struct timer, node);

	return x->due != y->due ? x->due < y->due : x->id < y->id;
}

/* The reference: the smallest (due, id) among the members, by a full search. */
static const struct timer *reference_first(const struct timer *t, unsigned n)
{
	const struct timer *best = NULL;

	for (unsigned i = 0; i < n; i++) {
		if (!t[i].in)
			continue;
		if (!best || t[i].due < best->due || (t[i].due == best->due && t[i].id < best->id))
			best = &t[i];
	}
	return best;
}

static void check_top(const struct ctw_heap *h, const struct timer *t, unsigned n)
{
	const struct timer *want = reference_first(t, n);
	const struct ctw_heap_node *top = ctw_heap_top(h);

	if (!want) {
		assert_null(top);
		return;
	}
	assert_non_null(top);
	assert_int_equal(ctw_container_of(top, struct timer, node)->id, want->id);
}

static void timers_match_reference(void **state)
{
	static struct timer t[N_ITEMS];
	struct ctw_heap h;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned members = 0;

	(void)state;
	memset(t, 0, sizeof(t));
	for (unsigned i = 0; i < N_ITEMS; i++)
		t[i].id = i;
	ctw_heap_init(&h, timer_before);
	for (int step = 0; step < 50000; step++) {
		struct timer *x = &t[rng_next(&seed) % N_ITEMS];
		unsigned op = (unsigned)(rng_next(&seed) % 10);
		/* Few distinct keys: ties are common and must go by id. */
		uint64_t key = rng_next(&seed) % 64;

		if (!x->in) {
			x->due = key;
			assert_int_equal(ctw_heap_push(&h, &x->node), 0);
			x->in = true;
			members++;
		} else if (op < 3) {
			ctw_heap_remove(&h, &x->node);
			x->in = false;
			members--;
		} else if (op < 5) {
			/* The top's key grows (a timer fired and was rescheduled). */
			struct timer *top = ctw_container_of(ctw_heap_top(&h), struct timer, node);

			top->due += 1 + key;
			ctw_heap_fix(&h, &top->node);
		} else {
			x->due = key;
			ctw_heap_fix(&h, &x->node);
		}
		assert_int_equal(h.n, members);
		assert_int_equal(ctw_heap_contains(&x->node), x->in);
		check_top(&h, t, N_ITEMS);
	}
	/* Every key changed at once, then the order restored in one pass. */
	for (unsigned i = 0; i < N_ITEMS; i++)
		t[i].due = rng_next(&seed) % 1000;
	ctw_heap_rebuild(&h);
	/* Taking the top out each time yields the reference's order. */
	while (members) {
		check_top(&h, t, N_ITEMS);
		struct timer *top = ctw_container_of(ctw_heap_top(&h), struct timer, node);

		ctw_heap_remove(&h, &top->node);
		top->in = false;
		members--;
	}
	assert_null(ctw_heap_top(&h));
	ctw_heap_free(&h);
}

static void remove_last_and_absent(void **state)
{
	struct timer a = { .due = 5, .id = 1 }, b = { .due = 3, .id = 2 }, c = { .due = 9, .id = 3 };
	struct ctw_heap h;

	(void)state;
	ctw_heap_init(&h, timer_before);
	assert_null(ctw_heap_top(&h));
	assert_int_equal(ctw_heap_push(&h, &a.node), 0);
	assert_int_equal(ctw_heap_push(&h, &b.node), 0);
	assert_int_equal(ctw_heap_push(&h, &c.node), 0);
	assert_ptr_equal(ctw_heap_top(&h), &b.node);
	ctw_heap_remove(&h, &c.node);            /* the last slot */
	ctw_heap_remove(&h, &c.node);            /* not in: nothing happens */
	ctw_heap_fix(&h, &c.node);
	assert_int_equal(h.n, 2);
	ctw_heap_remove(&h, &b.node);
	assert_ptr_equal(ctw_heap_top(&h), &a.node);
	ctw_heap_free(&h);
	assert_false(ctw_heap_contains(&a.node));
}

/* ---- pressure order ------------------------------------------------------ */

#define HORIZON_US (60ULL * 1000 * 1000)

struct ns {
	struct ctw_heap_node node;
	struct ctw_pressure_key key;
	/* What the namespace looks like, kept apart from the key under test. */
	bool have_ttf;
	double ttf_s;
	uint64_t count;
	unsigned seq;
	bool in;
};

static bool ns_before(const struct ctw_heap_node *a, const struct ctw_heap_node *b)
{
	return ctw_pressure_before(&ctw_container_of(a, struct ns, node)->key,
				   &ctw_container_of(b, struct ns, node)->key);
}

/* The rule, written out: full within the horizon beats not; among those the
 * sooner; otherwise the larger count; otherwise the one watched first. */
static bool reference_more_pressed(const struct ns *a, const struct ns *b)
{
	bool a_soon = a->have_ttf && a->ttf_s < 60.0;
	bool b_soon = b->have_ttf && b->ttf_s < 60.0;

	if (a_soon && !b_soon)
		return true;
	if (b_soon && !a_soon)
		return false;
	if (a_soon && a->ttf_s < b->ttf_s)
		return true;
	if (a_soon && a->ttf_s > b->ttf_s)
		return false;
	if (a->count > b->count)
		return true;
	if (a->count < b->count)
		return false;
	return a->seq < b->seq;
}

static void set_key(struct ns *x)
{
	ctw_pressure_key_set(&x->key, x->have_ttf, x->ttf_s, x->count, HORIZON_US, x->seq);
}

static void random_state(struct ns *x, uint64_t *seed)
{
	/* Coarse values: equal counts and equal times to full happen. */
	x->count = rng_next(seed) % 50;
	x->have_ttf = rng_next(seed) % 3 == 0;
	x->ttf_s = (double)(rng_next(seed) % 12) * 10.0;   /* 0..110 s: both sides of 60 */
}

static void fullest_stays_right(void **state)
{
	static struct ns v[N_ITEMS];
	struct ctw_heap h;
	uint64_t seed = 42;

	(void)state;
	memset(v, 0, sizeof(v));
	ctw_heap_init(&h, ns_before);
	for (unsigned i = 0; i < N_ITEMS; i++)
		v[i].seq = i;
	for (int step = 0; step < 50000; step++) {
		struct ns *x = &v[rng_next(&seed) % N_ITEMS];
		unsigned op = (unsigned)(rng_next(&seed) % 8);
		const struct ns *want = NULL;
		const struct ctw_heap_node *top;

		if (!x->in) {
			random_state(x, &seed);
			set_key(x);
			assert_int_equal(ctw_heap_push(&h, &x->node), 0);
			x->in = true;
		} else if (op == 0) {
			ctw_heap_remove(&h, &x->node);
			x->in = false;
		} else if (op < 4 && ctw_heap_top(&h)) {
			/* The most pressed one shrinks or stops growing: its place goes. */
			struct ns *t = ctw_container_of(ctw_heap_top(&h), struct ns, node);

			t->count = t->count / 2;
			t->have_ttf = false;
			set_key(t);
			ctw_heap_fix(&h, &t->node);
		} else {
			random_state(x, &seed);
			set_key(x);
			ctw_heap_fix(&h, &x->node);
		}
		for (unsigned i = 0; i < N_ITEMS; i++)
			if (v[i].in && (!want || reference_more_pressed(&v[i], want)))
				want = &v[i];
		top = ctw_heap_top(&h);
		if (!want) {
			assert_null(top);
			continue;
		}
		assert_non_null(top);
		assert_int_equal(ctw_container_of(top, struct ns, node)->seq, want->seq);
	}
	ctw_heap_free(&h);
}

static void pressure_examples(void **state)
{
	struct ctw_pressure_key full_soon, fuller, empty_own, empty_later, no_growth;

	(void)state;
	ctw_pressure_key_set(&full_soon, true, 10.0, 100, HORIZON_US, 5);
	ctw_pressure_key_set(&fuller, true, 600.0, 5000, HORIZON_US, 6);   /* beyond the horizon */
	ctw_pressure_key_set(&empty_own, false, 0, 0, HORIZON_US, 0);
	ctw_pressure_key_set(&empty_later, false, 0, 0, HORIZON_US, 3);
	ctw_pressure_key_set(&no_growth, true, 1.0 / 0.0, 7, HORIZON_US, 2);
	assert_true(ctw_pressure_before(&full_soon, &fuller));    /* 10 s < 60 s beats 5000 entries */
	assert_false(ctw_pressure_before(&fuller, &full_soon));
	assert_true(ctw_pressure_before(&fuller, &empty_own));    /* then the count */
	assert_true(ctw_pressure_before(&empty_own, &empty_later)); /* then the first watched */
	assert_false(ctw_pressure_before(&empty_own, &empty_own));
	assert_false(no_growth.soon);                              /* an infinite time is never soon */
	assert_true(ctw_pressure_before(&no_growth, &empty_own));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_match_reference),
		cmocka_unit_test(remove_last_and_absent),
		cmocka_unit_test(fullest_stays_right),
		cmocka_unit_test(pressure_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
