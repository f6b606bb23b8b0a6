/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inode-reuse rule: which namespace logged a table-full record. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "kernel/host.h"
#include "kernel/kmsg.h"
#include "policy/attribution.h"

#define INO 4026532177ULL
#define OTHER_INO 4026532300ULL
#define S 1000000ULL   /* one second in usec */


struct attr_case {
	const char *what;
	struct ctw_attr_record rec;
	struct ctw_attr_netns ns;
	enum ctw_attribution want;
};

static const struct attr_case cases[] = {
	{ "the record names no netns", { 0, 50 * S }, { .inode = INO, .have_drop = true, .drop = 7 }, CTW_ATTR_UNKNOWN },
	{ "the namespace's inode is unknown", { INO, 50 * S }, { .inode = 0, .have_drop = true, .drop = 7 }, CTW_ATTR_UNKNOWN },
	{ "another inode", { OTHER_INO, 50 * S }, { .inode = INO, .have_drop = true, .drop = 0 }, CTW_ATTR_OTHER },
	{ "drop counter unknown", { INO, 50 * S }, { .inode = INO, .have_drop = false, .drop = 0 }, CTW_ATTR_UNKNOWN },
	{ "drop 0: never dropped, never logged", { INO, 50 * S }, { .inode = INO, .have_drop = true, .drop = 0 }, CTW_ATTR_EARLIER },
	{ "drop > 0, nothing else known", { INO, 50 * S }, { .inode = INO, .have_drop = true, .drop = 7 }, CTW_ATTR_THIS },
	{ "older than the namespace", { INO, 50 * S },
	  { .inode = INO, .have_drop = true, .drop = 7, .have_born_after = true, .born_after_usec = 100 * S }, CTW_ATTR_EARLIER },
	{ "older than the namespace, drop unknown", { INO, 50 * S },
	  { .inode = INO, .have_drop = false, .drop = 0, .have_born_after = true, .born_after_usec = 100 * S }, CTW_ATTR_EARLIER },
	{ "within the clock slack before its birth", { INO, 100 * S - S / 2 },
	  { .inode = INO, .have_drop = true, .drop = 7, .have_born_after = true, .born_after_usec = 100 * S }, CTW_ATTR_THIS },
	{ "after its birth, it dropped", { INO, 150 * S },
	  { .inode = INO, .have_drop = true, .drop = 7, .have_born_after = true, .born_after_usec = 100 * S }, CTW_ATTR_THIS },
	{ "after its birth, drop 0", { INO, 150 * S },
	  { .inode = INO, .have_drop = true, .drop = 0, .have_born_after = true, .born_after_usec = 100 * S }, CTW_ATTR_EARLIER },
	{ "born in the first second: no underflow", { INO, S / 10 },
	  { .inode = INO, .have_drop = true, .drop = 7, .have_born_after = true, .born_after_usec = S / 2 }, CTW_ATTR_THIS },
	{ "counter unchanged since before the record", { INO, 150 * S },
	  { .inode = INO, .have_drop = true, .drop = 7, .have_drop_then = true, .drop_then = 7, .then_usec = 100 * S }, CTW_ATTR_EARLIER },
	{ "counter moved since before the record", { INO, 150 * S },
	  { .inode = INO, .have_drop = true, .drop = 8, .have_drop_then = true, .drop_then = 7, .then_usec = 100 * S }, CTW_ATTR_THIS },
	{ "counter read after the record: says nothing", { INO, 50 * S },
	  { .inode = INO, .have_drop = true, .drop = 7, .have_drop_then = true, .drop_then = 7, .then_usec = 100 * S }, CTW_ATTR_THIS },
	{ "counter read within the slack of the record", { INO, 100 * S + S / 2 },
	  { .inode = INO, .have_drop = true, .drop = 7, .have_drop_then = true, .drop_then = 7, .then_usec = 100 * S }, CTW_ATTR_THIS },
	{ "counter wrapped (u32 per CPU): moved", { INO, 150 * S },
	  { .inode = INO, .have_drop = true, .drop = 3, .have_drop_then = true, .drop_then = 4294967295ULL, .then_usec = 100 * S }, CTW_ATTR_THIS },
	{ "an earlier reading but no current one", { INO, 150 * S },
	  { .inode = INO, .have_drop = false, .drop = 0, .have_drop_then = true, .drop_then = 7, .then_usec = 100 * S }, CTW_ATTR_UNKNOWN },
};

static void rule_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ctw_attribution got = ctw_attribute_record(&cases[i].rec, &cases[i].ns);

		if (got != cases[i].want)
			fail_msg("case %zu (%s): got %s, want %s", i, cases[i].what,
				 ctw_attribution_name(got), ctw_attribution_name(cases[i].want));
	}
	assert_int_equal(ctw_attribute_record(NULL, &cases[0].ns), CTW_ATTR_UNKNOWN);
	assert_int_equal(ctw_attribute_record(&cases[0].rec, NULL), CTW_ATTR_UNKNOWN);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(ctw_attribution_name(CTW_ATTR_UNKNOWN), "unknown");
	assert_string_equal(ctw_attribution_name(CTW_ATTR_OTHER), "other");
	assert_string_equal(ctw_attribution_name(CTW_ATTR_THIS), "this");
	assert_string_equal(ctw_attribution_name(CTW_ATTR_EARLIER), "earlier");
	assert_string_equal(ctw_attribution_name((enum ctw_attribution)42), "unknown");
}

/* A host snapshot: this netns INO, with or without its drop counter. */
static void host_with(struct ctw_host *h, bool stats, bool drop_present, uint64_t drop)
{
	memset(h, 0, sizeof(*h));
	h->loaded = true;
	h->self_netns_inode = INO;
	h->have_stats = stats;
	if (drop_present)
		h->stats.counters.present |= 1u << CTW_CTR_DROP;
	h->stats.counters.value[CTW_CTR_DROP] = drop;
}

static void netns_of_host(void **state)
{
	struct ctw_host h;
	struct ctw_attr_netns ns;

	(void)state;
	host_with(&h, true, true, 0);
	ctw_attr_netns_of_host(&h, &ns);
	assert_int_equal(ns.inode, INO);
	assert_true(ns.have_drop);
	assert_int_equal(ns.drop, 0);
	assert_false(ns.have_drop_then);
	assert_false(ns.have_born_after);

	host_with(&h, true, true, 12);
	ctw_attr_netns_of_host(&h, &ns);
	assert_true(ns.have_drop);
	assert_int_equal(ns.drop, 12);
	/* statistics read, but without a drop counter; or not read at all */
	host_with(&h, true, false, 0);
	ctw_attr_netns_of_host(&h, &ns);
	assert_false(ns.have_drop);
	host_with(&h, false, true, 0);
	ctw_attr_netns_of_host(&h, &ns);
	assert_false(ns.have_drop);
}

static void add_records(struct ctw_table_full *t, uint64_t inode, uint64_t n, uint64_t first, uint64_t last)
{
	struct ctw_table_full_netns *e = &t->netns[t->n_netns++];

	e->inode = inode;
	e->records = n;
	e->first_usec = first;
	e->last_usec = last;
	t->records += n;
}

static void earlier_records_of_a_snapshot(void **state)
{
	struct ctw_table_full t;
	struct ctw_attr_netns ns = { .inode = INO, .have_drop = true, .drop = 0 };

	(void)state;
	memset(&t, 0, sizeof(t));
	add_records(&t, 0, 3, 10 * S, 20 * S);
	add_records(&t, OTHER_INO, 5, 10 * S, 20 * S);
	assert_int_equal(ctw_table_full_earlier(&t, &ns), 0);     /* none names it */
	add_records(&t, INO, 200, 30 * S, 40 * S);
	assert_int_equal(ctw_table_full_earlier(&t, &ns), 200);   /* fresh: drop 0 */
	ns.drop = 9;
	assert_int_equal(ctw_table_full_earlier(&t, &ns), 0);     /* it dropped */
	ns.have_drop = false;
	assert_int_equal(ctw_table_full_earlier(&t, &ns), 0);     /* cannot tell */
	/* born at 35 s: the newest record is its own, so not all are earlier */
	ns = (struct ctw_attr_netns){ .inode = INO, .have_drop = true, .drop = 9,
				      .have_born_after = true, .born_after_usec = 35 * S };
	assert_int_equal(ctw_table_full_earlier(&t, &ns), 0);
	ns.born_after_usec = 60 * S;
	assert_int_equal(ctw_table_full_earlier(&t, &ns), 200);
	/* counter unchanged since 35 s: the oldest record predates that reading */
	ns = (struct ctw_attr_netns){ .inode = INO, .have_drop = true, .drop = 9,
				      .have_drop_then = true, .drop_then = 9, .then_usec = 35 * S };
	assert_int_equal(ctw_table_full_earlier(&t, &ns), 0);
	ns.then_usec = 25 * S;
	assert_int_equal(ctw_table_full_earlier(&t, &ns), 200);
	assert_int_equal(ctw_table_full_earlier(NULL, &ns), 0);
	assert_int_equal(ctw_table_full_earlier(&t, NULL), 0);
}

static void span_without_an_inode(void **state)
{
	struct ctw_table_full t;
	uint64_t first = 1, last = 2;

	(void)state;
	memset(&t, 0, sizeof(t));
	add_records(&t, INO, 200, 10 * S, 20 * S);
	/* nothing else kept: left as it was */
	ctw_table_full_span_without(&t, INO, &first, &last);
	assert_int_equal(first, 1);
	assert_int_equal(last, 2);
	add_records(&t, OTHER_INO, 5, 30 * S, 40 * S);
	add_records(&t, 0, 3, 25 * S, 35 * S);
	ctw_table_full_span_without(&t, INO, &first, &last);
	assert_int_equal(first, 25 * S);
	assert_int_equal(last, 40 * S);
	/* records not kept by name could be anywhere: left as it was */
	first = 1;
	last = 2;
	t.records += 7;
	ctw_table_full_span_without(&t, INO, &first, &last);
	assert_int_equal(first, 1);
	assert_int_equal(last, 2);
	ctw_table_full_span_without(NULL, INO, &first, &last);
	assert_int_equal(first, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule_table),
		cmocka_unit_test(names),
		cmocka_unit_test(netns_of_host),
		cmocka_unit_test(earlier_records_of_a_snapshot),
		cmocka_unit_test(span_without_an_inode),
	};
	return cmocka_run_group_tests_name("attribution", tests, NULL, NULL);
}
