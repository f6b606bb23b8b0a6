/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status file: its JSON as a reader sees it, the ring of decisions, the
 * atomic write, and the staleness rule `ctwarden status` applies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "output/status.h"

#define S(x) ((uint64_t)(x) * 1000000)
/* 2023-11-14T22:13:20Z, a well-known round epoch second. */
#define T0 S(1700000000)

static void fill_decision(struct ctw_status_decision *d, unsigned i)
{
	memset(d, 0, sizeof(*d));
	d->at_us = T0 + S(i) + 250000;
	snprintf(d->kind, sizeof(d->kind), "%s", i % 2 ? "raise_max" : "usage_warning");
	snprintf(d->knob, sizeof(d->knob), "%s", i % 2 ? "nf_conntrack_max" : "");
	d->old_value = 1000 + i;
	d->new_value = 2000 + i;
	d->applied = i % 3 == 0;
	snprintf(d->reason, sizeof(d->reason), "decision number %u", i);
}

/* A status with every field known and different from the others. */
static void full_status(struct ctw_status *st)
{
	struct ctw_status_decision d;

	ctw_status_init(st, 4242, T0);
	st->updated_at_us = T0 + S(3661) + 123000;
	st->poll_interval_us = 100000;
	st->mode = CTW_MODE_ADVISE;
	st->level = CTW_LEVEL_CRIT;
	snprintf(st->config, sizeof(st->config), "/etc/ctwarden/ctwarden.conf");
	st->count = 249000;
	st->max = 262144;
	st->buckets = 65536;
	snprintf(st->fullest_netns, sizeof(st->fullest_netns), "pid 4243");
	st->fullest_inode = 4026532177ULL;
	st->netns_watched = 3;
	st->drops = 17;
	st->have_rates = true;
	st->new_per_s = 5321.5;
	st->destroy_per_s = 1200.5;
	st->growth_per_s = -3.5;
	st->have_time_to_full = true;
	st->time_to_full_s = 19.5;
	st->have_events = true;
	st->events_new = 123456;
	st->events_destroy = 120000;
	st->events_overruns = 2;
	st->receive_buffer_bytes = 4 << 20;
	st->events_count = 1234;
	for (unsigned i = 0; i < 3; i++) {
		fill_decision(&d, i);
		ctw_status_push_decision(st, &d);
	}
	ctw_status_top_add(&st->top_sources, "10.0.0.5", 50123, 41.5);
	ctw_status_top_add(&st->top_sources, "2001:db8::1", 20000, 16.5);
	ctw_status_top_add(&st->top_destinations, "192.0.2.7", 90000, 74.0);
	ctw_status_top_add(&st->top_ports, "udp/53", 60000, 49.5);

	st->netns_unwatchable = 2;
	st->netns_total_entries = 261300;
	ctw_status_netns_add(st, &(struct ctw_status_netns){
		.name = "host", .inode = 4026531840ULL, .count = 12000, .have_rates = true,
		.new_per_s = 12.5, .destroy_per_s = 11.5, .growth_per_s = 1.0, .drops = 0 });
	ctw_status_netns_add(st, &(struct ctw_status_netns){
		.name = "pid 4243", .inode = 4026532177ULL, .count = 249000, .have_rates = true,
		.new_per_s = 5321.5, .destroy_per_s = 1200.5, .growth_per_s = -3.5, .have_time_to_full = true,
		.time_to_full_s = 19.5, .drops = 17, .early_drops = 3, .have_events = true,
		.events_new = 123456, .events_destroy = 120000, .events_overruns = 2 });
	ctw_status_netns_add(st, &(struct ctw_status_netns){ .name = "web", .inode = 4026532300ULL, .count = 300 });
	ctw_status_set_pressure(st, "pid 4243", 4026532177ULL);
	ctw_status_retire_put(st, &(struct ctw_status_retire){
		.netns = "pid 4243", .inode = 4026532177ULL, .timeout = "tcp_timeout_established",
		.old_s = 432000, .new_s = 3600, .outcome = "done", .started_at_us = T0 + S(60),
		.ended_at_us = T0 + S(61) + 250000, .seen = 250000, .deleted = 200000, .retimed = 40000,
		.skipped = 9000, .gone = 700, .failed = 300, .oldest_idle_s = 7200, .duration_s = 1.25,
		.max_poll_gap_s = 0.125 });
	ctw_status_retire_put(st, &(struct ctw_status_retire){
		.netns = "web", .inode = 4026532300ULL, .timeout = "udp_timeout_stream", .old_s = 120,
		.new_s = 60, .running = true, .dry_run = true, .outcome = "running",
		.started_at_us = T0 + S(3600), .seen = 12, .deleted = 3 });
}

/* The status as text, the way the daemon writes it; the caller frees. */
static char *to_text(const struct ctw_status *st)
{
	struct json_object *o = ctw_status_to_json(st);
	char *s;

	assert_non_null(o);
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	assert_non_null(s);
	return s;
}

static void round_trip(const struct ctw_status *in, struct ctw_status *out)
{
	char err[256] = "";
	char *text = to_text(in);
	int r = ctw_status_parse(text, strlen(text), out, err, sizeof(err));

	if (r != 0)
		fail_msg("parse failed: %s\n%s", err, text);
	free(text);
}

static void assert_decision_eq(const struct ctw_status_decision *a, const struct ctw_status_decision *b)
{
	assert_int_equal(a->at_us, b->at_us);
	assert_string_equal(a->kind, b->kind);
	assert_string_equal(a->knob, b->knob);
	assert_int_equal(a->old_value, b->old_value);
	assert_int_equal(a->new_value, b->new_value);
	assert_int_equal(a->applied, b->applied);
	assert_string_equal(a->reason, b->reason);
}

static void assert_top_eq(const struct ctw_status_top *a, const struct ctw_status_top *b)
{
	assert_int_equal(a->n, b->n);
	for (unsigned i = 0; i < a->n; i++) {
		assert_string_equal(a->t[i].key, b->t[i].key);
		assert_int_equal(a->t[i].count, b->t[i].count);
		assert_true(a->t[i].percent == b->t[i].percent);
	}
}

static void assert_netns_eq(const struct ctw_status_netns *a, const struct ctw_status_netns *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->inode, b->inode);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->have_rates, b->have_rates);
	if (a->have_rates) {
		assert_true(a->new_per_s == b->new_per_s);
		assert_true(a->destroy_per_s == b->destroy_per_s);
		assert_true(a->growth_per_s == b->growth_per_s);
	}
	assert_int_equal(a->have_time_to_full, b->have_time_to_full);
	if (a->have_time_to_full)
		assert_true(a->time_to_full_s == b->time_to_full_s);
	assert_int_equal(a->drops, b->drops);
	assert_int_equal(a->early_drops, b->early_drops);
	assert_int_equal(a->have_events, b->have_events);
	if (a->have_events) {
		assert_int_equal(a->events_new, b->events_new);
		assert_int_equal(a->events_destroy, b->events_destroy);
		assert_int_equal(a->events_overruns, b->events_overruns);
	}
}

static void assert_status_eq(const struct ctw_status *a, const struct ctw_status *b)
{
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->started_at_us, b->started_at_us);
	assert_int_equal(a->updated_at_us, b->updated_at_us);
	assert_int_equal(a->poll_interval_us, b->poll_interval_us);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->level, b->level);
	assert_string_equal(a->config, b->config);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->max, b->max);
	assert_int_equal(a->buckets, b->buckets);
	assert_string_equal(a->fullest_netns, b->fullest_netns);
	assert_int_equal(a->fullest_inode, b->fullest_inode);
	assert_int_equal(a->netns_watched, b->netns_watched);
	assert_int_equal(a->drops, b->drops);
	assert_int_equal(a->have_rates, b->have_rates);
	if (a->have_rates) {
		assert_true(a->new_per_s == b->new_per_s);
		assert_true(a->destroy_per_s == b->destroy_per_s);
		assert_true(a->growth_per_s == b->growth_per_s);
	}
	assert_int_equal(a->have_time_to_full, b->have_time_to_full);
	if (a->have_time_to_full)
		assert_true(a->time_to_full_s == b->time_to_full_s);
	assert_int_equal(a->have_events, b->have_events);
	if (a->have_events) {
		assert_int_equal(a->events_new, b->events_new);
		assert_int_equal(a->events_destroy, b->events_destroy);
		assert_int_equal(a->events_overruns, b->events_overruns);
		assert_int_equal(a->receive_buffer_bytes, b->receive_buffer_bytes);
		assert_int_equal(a->events_count, b->events_count);
	}
	assert_int_equal(a->n_decisions, b->n_decisions);
	for (unsigned i = 0; i < a->n_decisions; i++)
		assert_decision_eq(ctw_status_decision(a, i), ctw_status_decision(b, i));
	assert_top_eq(&a->top_sources, &b->top_sources);
	assert_top_eq(&a->top_destinations, &b->top_destinations);
	assert_top_eq(&a->top_ports, &b->top_ports);
	assert_int_equal(a->netns_unwatchable, b->netns_unwatchable);
	assert_int_equal(a->netns_total_entries, b->netns_total_entries);
	assert_string_equal(a->pressure_netns, b->pressure_netns);
	assert_int_equal(a->pressure_inode, b->pressure_inode);
	assert_int_equal(a->n_netns, b->n_netns);
	for (unsigned i = 0; i < a->n_netns; i++)
		assert_netns_eq(&a->netns[i], &b->netns[i]);
	assert_int_equal(a->n_retire, b->n_retire);
	for (unsigned i = 0; i < a->n_retire; i++) {
		const struct ctw_status_retire *x = &a->retire[i], *y = &b->retire[i];

		assert_string_equal(x->netns, y->netns);
		assert_int_equal(x->inode, y->inode);
		assert_string_equal(x->timeout, y->timeout);
		assert_int_equal(x->old_s, y->old_s);
		assert_int_equal(x->new_s, y->new_s);
		assert_int_equal(x->running, y->running);
		assert_int_equal(x->dry_run, y->dry_run);
		assert_string_equal(x->outcome, y->outcome);
		assert_int_equal(x->started_at_us, y->started_at_us);
		assert_int_equal(x->ended_at_us, y->ended_at_us);
		assert_int_equal(x->seen, y->seen);
		assert_int_equal(x->deleted, y->deleted);
		assert_int_equal(x->retimed, y->retimed);
		assert_int_equal(x->skipped, y->skipped);
		assert_int_equal(x->gone, y->gone);
		assert_int_equal(x->failed, y->failed);
		assert_int_equal(x->oldest_idle_s, y->oldest_idle_s);
		assert_true(x->duration_s == y->duration_s);
		assert_true(x->max_poll_gap_s == y->max_poll_gap_s);
	}
}

static struct json_object *get_path(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, a, &v))
		fail_msg("no key \"%s\"", a);
	if (b && (!v || !json_object_object_get_ex(v, b, &v)))
		fail_msg("no key \"%s.%s\"", a, b);
	return v;
}

/* ---- the JSON ------------------------------------------------------------ */

static void test_round_trip_keeps_everything(void **state)
{
	struct ctw_status in, out;

	(void)state;
	full_status(&in);
	round_trip(&in, &out);
	assert_status_eq(&in, &out);
}

static void test_json_names_what_a_reader_needs(void **state)
{
	struct ctw_status st;
	struct json_object *o, *port;

	(void)state;
	full_status(&st);
	o = ctw_status_to_json(&st);
	assert_non_null(o);
	assert_int_equal(json_object_get_int(get_path(o, "pid", NULL)), 4242);
	assert_string_equal(json_object_get_string(get_path(o, "started_at", NULL)), "2023-11-14T22:13:20.000Z");
	assert_string_equal(json_object_get_string(get_path(o, "updated_at", NULL)), "2023-11-14T23:14:21.123Z");
	assert_string_equal(json_object_get_string(get_path(o, "mode", NULL)), "advise");
	assert_string_equal(json_object_get_string(get_path(o, "level", NULL)), "critical");
	/* 249000 / 262144 = 94.98...% */
	assert_string_equal(json_object_to_json_string(get_path(o, "usage_percent", NULL)), "95.0");
	assert_string_equal(json_object_get_string(get_path(o, "fullest_netns", "name")), "pid 4243");
	assert_int_equal(json_object_get_uint64(get_path(o, "fullest_netns", "inode")), 4026532177ULL);
	assert_int_equal(json_object_get_int(get_path(o, "events", "overruns")), 2);
	assert_int_equal(json_object_get_int(get_path(o, "events", "new")), 123456);
	assert_string_equal(json_object_to_json_string(get_path(o, "rates", "growth_per_s")), "-3.5");
	port = json_object_array_get_idx(get_path(o, "top", "ports"), 0);
	assert_non_null(port);
	assert_string_equal(json_object_get_string(get_path(port, "key", NULL)), "udp/53");
	assert_string_equal(json_object_to_json_string(get_path(port, "percent", NULL)), "49.5");
	json_object_put(o);
}

static void test_unknown_values_are_null(void **state)
{
	struct ctw_status st, back;
	struct json_object *o;

	(void)state;
	ctw_status_init(&st, 77, T0);
	st.count = 5;    /* max 0: unlimited, no usage */
	st.have_rates = false;
	st.new_per_s = 9;  /* not known: must not show */
	o = ctw_status_to_json(&st);
	assert_non_null(o);
	assert_null(get_path(o, "buckets", NULL));
	assert_null(get_path(o, "usage_percent", NULL));
	assert_null(get_path(o, "time_to_full_s", NULL));
	assert_null(get_path(o, "fullest_netns", NULL));
	assert_null(get_path(o, "config", NULL));
	assert_null(get_path(o, "rates", "new_per_s"));
	assert_null(get_path(o, "rates", "growth_per_s"));
	assert_null(get_path(o, "events", "new"));
	assert_null(get_path(o, "events", "overruns"));
	assert_int_equal(json_object_array_length(get_path(o, "last_decisions", NULL)), 0);
	assert_int_equal(json_object_array_length(get_path(o, "top", "sources")), 0);
	json_object_put(o);

	round_trip(&st, &back);
	assert_false(back.have_rates);
	assert_false(back.have_events);
	assert_false(back.have_time_to_full);
	assert_int_equal(back.buckets, 0);
	assert_int_equal(back.count, 5);
}

static void test_not_finite_numbers_are_null(void **state)
{
	struct ctw_status st, back;

	(void)state;
	ctw_status_init(&st, 77, T0);
	st.have_time_to_full = true;
	st.time_to_full_s = 1.0 / 0.0;  /* a division by zero growth upstream */
	round_trip(&st, &back);
	assert_false(back.have_time_to_full);
}

static void test_reasons_are_escaped(void **state)
{
	static const char nasty[] = "quote \" backslash \\ slash / newline\nend tab\t\x01 caf\xc3\xa9 }],{";
	struct ctw_status st, back;
	struct ctw_status_decision d;
	char *text;

	(void)state;
	ctw_status_init(&st, 77, T0);
	fill_decision(&d, 1);
	snprintf(d.reason, sizeof(d.reason), "%s", nasty);
	ctw_status_push_decision(&st, &d);
	ctw_status_top_add(&st.top_sources, "\"key\"\n", 1, 100.0);
	text = to_text(&st);
	/* No raw control character survives into the file. */
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("raw control character 0x%02x in %s", *p, text);
	assert_non_null(strstr(text, "quote \\\" backslash \\\\ slash / newline\\nend"));
	free(text);
	round_trip(&st, &back);
	assert_string_equal(ctw_status_decision(&back, 0)->reason, nasty);
	assert_string_equal(back.top_sources.t[0].key, "\"key\"\n");
}

static void test_long_utf8_keys_are_cut_between_characters(void **state)
{
	char key[3 * CTW_STATUS_KEY_MAX] = "";
	struct ctw_status st, back;
	size_t n;

	(void)state;
	for (int i = 0; i < CTW_STATUS_KEY_MAX; i++)
		strcat(key, "\xc3\xa9");  /* e-acute, 2 bytes: 63 bytes of room cut one */
	ctw_status_init(&st, 77, T0);
	ctw_status_top_add(&st.top_sources, key, 1, 1.0);
	n = strlen(st.top_sources.t[0].key);
	assert_true(n < CTW_STATUS_KEY_MAX);
	assert_int_equal(n % 2, 0);  /* whole characters only */
	round_trip(&st, &back);
	assert_string_equal(back.top_sources.t[0].key, st.top_sources.t[0].key);
}

/* ---- the ring of decisions --------------------------------------------- */

static void test_ring_keeps_the_last_16_newest_first(void **state)
{
	struct ctw_status st, back;
	struct ctw_status_decision d;
	struct json_object *o, *a;

	(void)state;
	ctw_status_init(&st, 77, T0);
	assert_null(ctw_status_decision(&st, 0));
	for (unsigned i = 0; i < 20; i++) {
		fill_decision(&d, i);
		ctw_status_push_decision(&st, &d);
	}
	assert_int_equal(st.n_decisions, CTW_STATUS_DECISIONS);
	assert_string_equal(ctw_status_decision(&st, 0)->reason, "decision number 19");
	assert_string_equal(ctw_status_decision(&st, 15)->reason, "decision number 4");
	assert_null(ctw_status_decision(&st, 16));

	o = ctw_status_to_json(&st);
	assert_non_null(o);
	a = get_path(o, "last_decisions", NULL);
	assert_int_equal(json_object_array_length(a), 16);
	for (unsigned i = 0; i < 16; i++) {
		char want[64];

		snprintf(want, sizeof(want), "decision number %u", 19 - i);
		assert_string_equal(json_object_get_string(get_path(json_object_array_get_idx(a, i), "reason", NULL)),
				    want);
	}
	json_object_put(o);

	/* Read back, the order is the same, and one more push drops the oldest. */
	round_trip(&st, &back);
	assert_status_eq(&st, &back);
	fill_decision(&d, 20);
	ctw_status_push_decision(&back, &d);
	assert_string_equal(ctw_status_decision(&back, 0)->reason, "decision number 20");
	assert_string_equal(ctw_status_decision(&back, 15)->reason, "decision number 5");
}

static void test_policy_decisions_are_named(void **state)
{
	struct ctw_decision raise = {
		.kind = CTW_DEC_RAISE_MAX, .target = CTW_TARGET_MAX,
		.old_value = 65536, .new_value = 131072, .apply = true,
		.reason = "usage 92.0% over high_water 90%",
	};
	struct ctw_decision alert = {
		.kind = CTW_DEC_ALERT_CRIT, .target = CTW_TARGET_NONE,
		.old_value = 64000, .new_value = 65536, .reason = "usage critical",
	};
	struct ctw_status st;
	struct json_object *o, *first, *second;

	(void)state;
	ctw_status_init(&st, 77, T0);
	ctw_status_add_decision(&st, T0 + S(1), &raise, true);
	ctw_status_add_decision(&st, T0 + S(2), &alert, false);
	o = ctw_status_to_json(&st);
	assert_non_null(o);
	first = json_object_array_get_idx(get_path(o, "last_decisions", NULL), 0);
	second = json_object_array_get_idx(get_path(o, "last_decisions", NULL), 1);
	assert_string_equal(json_object_get_string(get_path(first, "kind", NULL)), "usage_critical");
	assert_null(get_path(first, "knob", NULL));
	assert_string_equal(json_object_get_string(get_path(second, "kind", NULL)), "raise_max");
	assert_string_equal(json_object_get_string(get_path(second, "knob", NULL)), "nf_conntrack_max");
	assert_int_equal(json_object_get_int64(get_path(second, "new", NULL)), 131072);
	assert_true(json_object_get_boolean(get_path(second, "applied", NULL)));
	assert_string_equal(json_object_get_string(get_path(second, "at", NULL)), "2023-11-14T22:13:21.000Z");
	json_object_put(o);
}

/* ---- reading what is not ours ------------------------------------------- */

static void assert_refused(const char *text, const char *why)
{
	struct ctw_status st;
	char err[256] = "";
	int r = ctw_status_parse(text, strlen(text), &st, err, sizeof(err));

	if (r != -EBADMSG)
		fail_msg("accepted (%d): %s", r, text);
	if (!strstr(err, why))
		fail_msg("error '%s' does not say '%s'", err, why);
}

#define MINIMAL_HEAD "{\"version\":1,\"pid\":1,\"updated_at\":\"2023-11-14T22:13:20Z\",\"mode\":\"enforce\"," \
		     "\"level\":\"normal\","

static void test_minimal_file_is_read(void **state)
{
	static const char text[] = MINIMAL_HEAD "\"count\":3,\"max\":10}\n";
	struct ctw_status st;
	char err[256] = "";

	(void)state;
	assert_int_equal(ctw_status_parse(text, strlen(text), &st, err, sizeof(err)), 0);
	assert_int_equal(st.pid, 1);
	assert_int_equal(st.count, 3);
	assert_int_equal(st.updated_at_us, T0);
	assert_int_equal(st.n_decisions, 0);
	/* A daemon from before the namespace list. */
	assert_int_equal(st.n_netns, 0);
	assert_int_equal(st.netns_unwatchable, 0);
}

static void test_bad_files_are_refused(void **state)
{
	(void)state;
	assert_refused("", "not valid JSON");
	assert_refused(MINIMAL_HEAD "\"count\":3,\"max\":10", "not valid JSON");       /* truncated */
	assert_refused(MINIMAL_HEAD "\"count\":3,\"max\":10} x", "not valid JSON");
	assert_refused(MINIMAL_HEAD "\"count\":3,\"max\":10}{}", "not valid JSON");
	assert_refused("[1]", "not a JSON object");
	assert_refused("{\"version\":2}", "version");
	assert_refused(MINIMAL_HEAD "\"count\":3}", "\"max\" is missing");
	assert_refused(MINIMAL_HEAD "\"count\":-3,\"max\":10}", "\"count\" is out of range");
	assert_refused(MINIMAL_HEAD "\"count\":\"3\",\"max\":10}", "\"count\" is not an integer");
	assert_refused("{\"version\":1,\"pid\":0,\"updated_at\":\"2023-11-14T22:13:20Z\"}", "pid");
	assert_refused("{\"version\":1,\"pid\":1,\"updated_at\":\"yesterday\"}", "updated_at");
	assert_refused("{\"version\":1,\"pid\":1,\"updated_at\":\"2023-11-14T22:13:20Z\",\"mode\":\"panic\"}", "mode");
	assert_refused(MINIMAL_HEAD "\"count\":3,\"max\":10,\"rates\":{\"new_per_s\":1,\"destroy_per_s\":null,"
		       "\"growth_per_s\":1}}", "rates");
	assert_refused(MINIMAL_HEAD "\"count\":3,\"max\":10,\"last_decisions\":[{\"kind\":\"raise_max\"}]}",
		       "last_decisions");
	assert_refused(MINIMAL_HEAD "\"count\":3,\"max\":10,\"top\":{\"ports\":[{\"count\":1}]}}", "top.ports");
	/* What the writer could not write back (a number it would print as null). */
	assert_refused(MINIMAL_HEAD "\"count\":3,\"max\":10,\"time_to_full_s\":1e300}", "out of range");
}

/* ---- namespaces ---------------------------------------------------------- */

/* A small deterministic generator: the same "random" models every run. */
static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* A number the writer prints exactly (one decimal), possibly negative. */
static double rnd_tenths(bool sign)
{
	double v = (double)rnd_below(10000000000ULL) / 10.0;

	return sign && rnd_below(2) ? -v : v;
}

/* Some counts huge, some tiny, some equal to others. */
static uint64_t rnd_u64(void)
{
	switch (rnd_below(4)) {
	case 0: return rnd_below(10);
	case 1: return rnd_below(1000000);
	case 2: return rnd() >> 1;
	default: return UINT64_MAX - 1 - rnd_below(3);
	}
}

static void rnd_name(char *buf, size_t size)
{
	static const char *const parts[] = { "host", "pid ", "docker ", "1a2b", "-", " ", "caf\xc3\xa9",
					     "\xe2\x82\xac", "\xf0\x9f\x90\xb3", "k8s_pod", "9" };
	size_t n = 0, want = rnd_below(12);

	buf[0] = '\0';
	for (size_t i = 0; i < want; i++) {
		const char *p = parts[rnd_below(sizeof(parts) / sizeof(parts[0]))];

		if (n + strlen(p) >= size)
			break;
		strcpy(buf + n, p);
		n += strlen(p);
	}
}

static void rnd_netns(struct ctw_status_netns *n)
{
	memset(n, 0, sizeof(*n));
	rnd_name(n->name, sizeof(n->name));
	n->inode = rnd_below(3) ? 4026531840ULL + rnd_below(100000) : 0;
	n->count = rnd_below(3) ? rnd_below(300) : rnd_u64();
	n->have_rates = rnd_below(2);
	if (n->have_rates) {
		n->new_per_s = rnd_tenths(false);
		n->destroy_per_s = rnd_tenths(false);
		n->growth_per_s = rnd_tenths(true);
	}
	n->have_time_to_full = rnd_below(2);
	if (n->have_time_to_full)
		n->time_to_full_s = rnd_tenths(false);
	n->drops = rnd_u64();
	n->early_drops = rnd_u64();
	n->have_events = rnd_below(2);
	if (n->have_events) {
		n->events_new = rnd_u64();
		n->events_destroy = rnd_u64();
		n->events_overruns = rnd_u64();
	}
}

/* Fullest first, bounded, ties in the order they came. */
static void assert_list_sorted(const struct ctw_status *st)
{
	for (unsigned i = 1; i < st->n_netns; i++)
		if (st->netns[i].count > st->netns[i - 1].count)
			fail_msg("list[%u] (%llu) fuller than list[%u] (%llu)", i,
				 (unsigned long long)st->netns[i].count, i - 1,
				 (unsigned long long)st->netns[i - 1].count);
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static void test_netns_list_keeps_the_fullest_first(void **state)
{
	uint64_t counts[100];
	struct ctw_status st;
	struct ctw_status_netns n;

	(void)state;
	ctw_status_init(&st, 77, T0);
	st.netns_watched = 100;
	st.netns_total_entries = 12345;
	for (unsigned i = 0; i < 100; i++) {
		memset(&n, 0, sizeof(n));
		counts[i] = rnd_below(50);  /* many ties */
		n.count = counts[i];
		n.inode = 1000 + i;         /* the order they came in */
		snprintf(n.name, sizeof(n.name), "ns%u", i);
		ctw_status_netns_add(&st, &n);
		assert_int_equal(st.n_netns, i + 1 < CTW_STATUS_NETNS_MAX ? i + 1 : CTW_STATUS_NETNS_MAX);
		assert_list_sorted(&st);
	}
	/* Exactly the 32 largest counts are listed ... */
	qsort(counts, 100, sizeof(counts[0]), cmp_desc);
	for (unsigned i = 0; i < CTW_STATUS_NETNS_MAX; i++)
		assert_int_equal(st.netns[i].count, counts[i]);
	/* ... and among equal counts the earlier one comes first. */
	for (unsigned i = 1; i < st.n_netns; i++)
		if (st.netns[i].count == st.netns[i - 1].count)
			assert_true(st.netns[i].inode > st.netns[i - 1].inode);

	/* A new one fuller than all goes first; the smallest goes. */
	memset(&n, 0, sizeof(n));
	n.count = 1000;
	snprintf(n.name, sizeof(n.name), "flood");
	ctw_status_netns_add(&st, &n);
	assert_int_equal(st.n_netns, CTW_STATUS_NETNS_MAX);
	assert_string_equal(st.netns[0].name, "flood");
	assert_int_equal(st.netns[CTW_STATUS_NETNS_MAX - 1].count, counts[CTW_STATUS_NETNS_MAX - 2]);
	/* Adding an entry of the list itself works (n may alias). */
	ctw_status_netns_add(&st, &st.netns[0]);
	assert_string_equal(st.netns[1].name, "flood");

	/* Clear empties the list; the totals are the daemon's and stay. */
	ctw_status_netns_clear(&st);
	assert_int_equal(st.n_netns, 0);
	assert_int_equal(st.netns_watched, 100);
	assert_int_equal(st.netns_total_entries, 12345);
	ctw_status_netns_add(&st, &n);
	assert_int_equal(st.n_netns, 1);
}

static void test_netns_names_are_cleaned(void **state)
{
	struct ctw_status st, back;
	struct ctw_status_netns n = { .count = 1 };
	size_t len;

	(void)state;
	ctw_status_init(&st, 77, T0);
	st.netns_watched = 3;
	/* A /run/netns file name may be any bytes. */
	snprintf(n.name, sizeof(n.name), "bad\xff\xc3(\x1b[2Jx\xc2\x9b" "end");
	ctw_status_netns_add(&st, &n);
	assert_string_equal(st.netns[0].name, "bad?" "?(?[2Jx?end");
	/* Cut between characters, never inside one. */
	memset(n.name, 0, sizeof(n.name));
	for (size_t i = 0; i + 3 < sizeof(n.name); i += 3)
		memcpy(n.name + i, "\xe2\x82\xac", 3);  /* 21 euro signs: 63 bytes */
	memcpy(n.name, "x", 1);                          /* now 61 + "x": the first cut */
	ctw_status_netns_add(&st, &n);
	len = strlen(st.netns[1].name);
	assert_true(len < CTW_NETNS_NAME_MAX);
	assert_int_equal(st.netns[1].name[0], 'x');
	/* Not terminated at all: the copy stops at the array's end. */
	memset(n.name, 'a', sizeof(n.name));
	ctw_status_netns_add(&st, &n);
	assert_int_equal(strlen(st.netns[2].name), CTW_NETNS_NAME_MAX - 1);
	ctw_status_set_pressure(&st, "pid\n7", 9);
	assert_string_equal(st.pressure_netns, "pid?7");
	ctw_status_set_pressure(&st, NULL, 0);
	assert_string_equal(st.pressure_netns, "");

	ctw_status_set_pressure(&st, "bad\xff", 9);
	round_trip(&st, &back);
	assert_status_eq(&st, &back);
}

static void test_netns_round_trip_random_models(void **state)
{
	(void)state;
	for (unsigned iter = 0; iter < 300; iter++) {
		struct ctw_status in, out;
		struct ctw_status_netns n;
		unsigned adds = (unsigned)rnd_below(45);
		char pressure[CTW_NETNS_NAME_MAX];

		ctw_status_init(&in, 1 + (pid_t)rnd_below(100000), T0);
		in.max = rnd_below(4) ? rnd_below(1u << 22) : 0;
		in.netns_watched = adds + (unsigned)rnd_below(1000);
		in.netns_unwatchable = rnd_below(2) ? (unsigned)rnd_below(600) : 0;
		in.netns_total_entries = rnd_u64();
		for (unsigned i = 0; i < adds; i++) {
			rnd_netns(&n);
			ctw_status_netns_add(&in, &n);
		}
		if (rnd_below(3)) {
			rnd_name(pressure, sizeof(pressure));
			ctw_status_set_pressure(&in, pressure, rnd_below(4) ? 4026531840ULL + rnd_below(9) : 0);
		}
		assert_int_equal(in.n_netns, adds < CTW_STATUS_NETNS_MAX ? adds : CTW_STATUS_NETNS_MAX);
		round_trip(&in, &out);
		assert_status_eq(&in, &out);
	}
}

static void test_namespaces_json_names_what_a_reader_needs(void **state)
{
	struct ctw_status st;
	struct json_object *o, *ns, *first, *last;

	(void)state;
	full_status(&st);
	o = ctw_status_to_json(&st);
	assert_non_null(o);
	/* The older keys stay. */
	assert_int_equal(json_object_get_int(get_path(o, "netns_watched", NULL)), 3);
	assert_string_equal(json_object_get_string(get_path(o, "fullest_netns", "name")), "pid 4243");
	ns = get_path(o, "namespaces", NULL);
	assert_int_equal(json_object_get_int(get_path(ns, "watched", NULL)), 3);
	assert_int_equal(json_object_get_int(get_path(ns, "unwatchable", NULL)), 2);
	assert_int_equal(json_object_get_int64(get_path(ns, "total_entries", NULL)), 261300);
	assert_int_equal(json_object_get_int(get_path(ns, "listed", NULL)), 3);
	assert_string_equal(json_object_get_string(get_path(ns, "pressure", "name")), "pid 4243");
	assert_int_equal(json_object_get_uint64(get_path(ns, "pressure", "inode")), 4026532177ULL);
	assert_int_equal(json_object_array_length(get_path(ns, "list", NULL)), 3);
	first = json_object_array_get_idx(get_path(ns, "list", NULL), 0);
	assert_string_equal(json_object_get_string(get_path(first, "name", NULL)), "pid 4243");
	assert_int_equal(json_object_get_int64(get_path(first, "entries", NULL)), 249000);
	assert_string_equal(json_object_to_json_string(get_path(first, "usage_percent", NULL)), "95.0");
	assert_string_equal(json_object_to_json_string(get_path(first, "rates", "new_per_s")), "5321.5");
	assert_string_equal(json_object_to_json_string(get_path(first, "time_to_full_s", NULL)), "19.5");
	assert_int_equal(json_object_get_int(get_path(first, "early_drops", NULL)), 3);
	assert_int_equal(json_object_get_int(get_path(first, "events", "overruns")), 2);
	last = json_object_array_get_idx(get_path(ns, "list", NULL), 2);
	assert_string_equal(json_object_get_string(get_path(last, "name", NULL)), "web");
	assert_null(get_path(last, "rates", "new_per_s"));
	assert_null(get_path(last, "time_to_full_s", NULL));
	assert_null(get_path(last, "events", NULL));
	json_object_put(o);

	/* No max: no usage; nobody under pressure: null. */
	st.max = 0;
	ctw_status_set_pressure(&st, "", 0);
	o = ctw_status_to_json(&st);
	assert_non_null(o);
	ns = get_path(o, "namespaces", NULL);
	assert_null(get_path(ns, "pressure", NULL));
	first = json_object_array_get_idx(get_path(ns, "list", NULL), 0);
	assert_null(get_path(first, "usage_percent", NULL));
	json_object_put(o);
}

#define NS_HEAD MINIMAL_HEAD "\"count\":3,\"max\":10,"
#define NS_ENTRY(name, n) "{\"name\":\"" name "\",\"inode\":5,\"entries\":" #n ",\"drops\":0,\"early_drops\":0}"

static void test_namespaces_are_read_strictly(void **state)
{
	static const char good[] = NS_HEAD "\"namespaces\":{\"watched\":4,\"unwatchable\":1,\"total_entries\":9,"
		"\"listed\":2,\"pressure\":{\"name\":\"a\",\"inode\":5},\"list\":[" NS_ENTRY("a", 7) ","
		NS_ENTRY("b", 2) "],\"later\":{\"a key\":\"a newer daemon added\"}}}";
	char big[4096], *p = big;
	struct ctw_status st;
	char err[256] = "";

	(void)state;
	assert_int_equal(ctw_status_parse(good, strlen(good), &st, err, sizeof(err)), 0);
	assert_int_equal(st.netns_watched, 4);
	assert_int_equal(st.netns_unwatchable, 1);
	assert_int_equal(st.n_netns, 2);
	assert_string_equal(st.netns[1].name, "b");
	assert_string_equal(st.pressure_netns, "a");
	assert_false(st.netns[0].have_rates);

	assert_refused(NS_HEAD "\"namespaces\":[]}", "\"namespaces\" is not an object");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":1}}", "\"unwatchable\" is missing");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":-1,\"unwatchable\":0,\"total_entries\":0,\"listed\":0,"
		       "\"list\":[]}}", "\"watched\" is out of range");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":4294967296,\"unwatchable\":0,\"total_entries\":0,"
		       "\"listed\":0,\"list\":[]}}", "\"watched\" is out of range");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":1,\"unwatchable\":\"1\",\"total_entries\":0,"
		       "\"listed\":0,\"list\":[]}}", "\"unwatchable\" is not an integer");
	assert_refused(NS_HEAD "\"netns_watched\":3,\"namespaces\":{\"watched\":1,\"unwatchable\":0,"
		       "\"total_entries\":0,\"listed\":0,\"list\":[]}}", "\"netns_watched\" 3");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":1,\"unwatchable\":0,\"total_entries\":0,\"listed\":0}}",
		       "\"list\" is missing");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":3,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[" NS_ENTRY("a", 1) "," NS_ENTRY("b", 1) "]}}", "has 2 entries, \"listed\" says 1");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":1,\"unwatchable\":0,\"total_entries\":0,\"listed\":2,"
		       "\"list\":[" NS_ENTRY("a", 1) "," NS_ENTRY("b", 1) "]}}", "more than \"watched\"");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":2,"
		       "\"list\":[" NS_ENTRY("a", 1) "," NS_ENTRY("b", 2) "]}}", "list[1]: fuller than the one before");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[" NS_ENTRY("a", -1) "]}}", "list[0]: \"entries\" is out of range");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[{\"name\":\"a\",\"entries\":1,\"drops\":0}]}}", "\"early_drops\" is missing");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[7]}}", "list[0]: not an object");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[" NS_ENTRY("a\\u0007", 1) "]}}", "\"name\" is not UTF-8 text without control");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[" NS_ENTRY("a\xff", 1) "]}}", "\"name\" is not UTF-8");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[" NS_ENTRY("a\\u0000b", 1) "]}}", "\"name\" is not UTF-8");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[" NS_ENTRY("0123456789012345678901234567890123456789012345678901234567890123", 1)
		       "]}}", "\"name\" is longer than 63 bytes");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[{\"name\":\"a\",\"entries\":1,\"drops\":0,\"early_drops\":0,\"rates\":{\"new_per_s\":1,"
		       "\"destroy_per_s\":1,\"growth_per_s\":null}}]}}", "list[0].rates: not all known");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[{\"name\":\"a\",\"entries\":1,\"drops\":0,\"early_drops\":0,\"events\":{\"new\":1,"
		       "\"destroy\":1}}]}}", "list[0].events: \"overruns\" is missing");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":1,"
		       "\"list\":[{\"name\":\"a\",\"entries\":1,\"drops\":0,\"early_drops\":0,\"time_to_full_s\":"
		       "\"soon\"}]}}", "\"time_to_full_s\" is not a number");
	assert_refused(NS_HEAD "\"namespaces\":{\"watched\":9,\"unwatchable\":0,\"total_entries\":0,\"listed\":0,"
		       "\"pressure\":{\"name\":\"\\u001b[2J\"},\"list\":[]}}", "pressure: \"name\" is not UTF-8");

	/* 33 listed: more than any daemon writes. */
	p += sprintf(p, NS_HEAD "\"namespaces\":{\"watched\":99,\"unwatchable\":0,\"total_entries\":0,"
		     "\"listed\":%d,\"list\":[", CTW_STATUS_NETNS_MAX + 1);
	for (int i = 0; i <= CTW_STATUS_NETNS_MAX; i++)
		p += sprintf(p, "%s" NS_ENTRY("n", 1), i ? "," : "");
	sprintf(p, "]}}");
	assert_refused(big, "\"listed\" is 33, more than a status lists (32)");
}

/* ---- time ------------------------------------------------------------- */

/* The knobs left to the operator: written, read back, refused when not sysctl names. */
static void test_yielded_knobs(void **state)
{
	struct ctw_status st, back;

	(void)state;
	ctw_status_init(&st, 42, 1700000000000000ULL);
	st.n_yielded = 2;
	snprintf(st.yielded[0], sizeof(st.yielded[0]), "net.netfilter.nf_conntrack_max");
	snprintf(st.yielded[1], sizeof(st.yielded[1]), "net.netfilter.nf_conntrack_udp_timeout");
	round_trip(&st, &back);
	assert_int_equal(back.n_yielded, 2);
	assert_string_equal(back.yielded[0], "net.netfilter.nf_conntrack_max");
	assert_string_equal(back.yielded[1], "net.netfilter.nf_conntrack_udp_timeout");
	assert_refused(NS_HEAD "\"yielded_knobs\":[\"kernel panic\"]}", "\"yielded_knobs\"[0] is not a sysctl name");
	assert_refused(NS_HEAD "\"yielded_knobs\":[3]}", "\"yielded_knobs\"[0] is not a sysctl name");
	assert_refused(NS_HEAD "\"yielded_knobs\":{}}", "\"yielded_knobs\" is not an array");
}

static void test_times_are_iso_8601_utc(void **state)
{
	char buf[40];
	uint64_t us;

	(void)state;
	assert_true(ctw_status_format_time(T0 + 999999, buf, sizeof(buf)));
	assert_string_equal(buf, "2023-11-14T22:13:20.999Z");
	assert_false(ctw_status_format_time(T0, buf, 10));
	assert_true(ctw_status_parse_time("2023-11-14T22:13:20Z", &us));
	assert_int_equal(us, T0);
	assert_true(ctw_status_parse_time("2023-11-14T22:13:20.5Z", &us));
	assert_int_equal(us, T0 + 500000);
	assert_true(ctw_status_parse_time("2023-11-14T22:13:20.000001Z", &us));
	assert_int_equal(us, T0 + 1);
	assert_false(ctw_status_parse_time("2023-11-14T22:13:20.0000001Z", &us));
	assert_false(ctw_status_parse_time("2023-11-14T22:13:20", &us));     /* no zone */
	assert_false(ctw_status_parse_time("2023-11-14T22:13:20+01:00", &us));
	assert_false(ctw_status_parse_time(" 2023-11-14T22:13:20Z", &us));
	assert_false(ctw_status_parse_time("2023-11-14 22:13:20Z", &us));
	assert_false(ctw_status_parse_time("2023-11-14T22:13:20.Z", &us));
	assert_false(ctw_status_parse_time("2023-11-14T22:13:20Zjunk", &us));
}

/* ---- staleness ---------------------------------------------------------- */

static void test_stale_after_ten_polls_or_ten_seconds(void **state)
{
	struct ctw_status st;

	(void)state;
	assert_int_equal(ctw_status_stale_after_us(100000), S(10));
	assert_int_equal(ctw_status_stale_after_us(0), S(10));
	assert_int_equal(ctw_status_stale_after_us(S(5)), S(50));
	assert_int_equal(ctw_status_stale_after_us(UINT64_MAX / 2), UINT64_MAX);

	ctw_status_init(&st, 77, T0);
	st.poll_interval_us = S(1);
	assert_false(ctw_status_is_stale(&st, T0 + S(10)));
	assert_true(ctw_status_is_stale(&st, T0 + S(10) + 1));
	assert_false(ctw_status_is_stale(&st, T0 - S(3600)));  /* clock stepped back */
	st.poll_interval_us = S(2);
	assert_false(ctw_status_is_stale(&st, T0 + S(15)));
}

/* ---- files ------------------------------------------------------------- */

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/ctw-test-status.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Names in dir, comma-separated, sorted by readdir order (one or two here). */
static int count_entries(const char *dir, char *names, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	names[0] = '\0';
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		strncat(names, e->d_name, len - strlen(names) - 2);
		strcat(names, ",");
	}
	closedir(d);
	return n;
}

static void test_write_is_atomic_and_readable(void **state)
{
	char *top = make_tmpdir(), dir[256], path[300], names[256], text[CTW_STATUS_FILE_MAX + 2], err[256];
	struct ctw_status st, back;
	struct stat sb;
	mode_t old_umask;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/run", top);  /* not there yet: created */
	full_status(&st);
	old_umask = umask(077);  /* as a strict service manager would set it */
	assert_int_equal(ctw_status_write(dir, &st), 0);
	umask(old_umask);
	assert_int_equal(ctw_status_path(dir, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	assert_int_equal(count_entries(dir, names, sizeof(names)), 1);
	assert_string_equal(names, "status.json,");

	assert_int_equal(ctw_status_load(path, &back, text, sizeof(text), err, sizeof(err)), 0);
	assert_status_eq(&st, &back);
	assert_int_equal(text[strlen(text) - 1], '\n');

	/* A second write replaces the first. */
	st.count = 1;
	assert_int_equal(ctw_status_write(dir, &st), 0);
	assert_int_equal(ctw_status_load(path, &back, text, sizeof(text), err, sizeof(err)), 0);
	assert_int_equal(back.count, 1);
	assert_int_equal(count_entries(dir, names, sizeof(names)), 1);

	/* A clean exit removes it; removing it again is fine. */
	assert_int_equal(ctw_status_remove(dir), 0);
	assert_int_equal(count_entries(dir, names, sizeof(names)), 0);
	assert_int_equal(ctw_status_load(path, &back, text, sizeof(text), err, sizeof(err)), -ENOENT);
	assert_int_equal(ctw_status_remove(dir), 0);
	rm_tree(top);
	free(top);
}

static void test_failed_write_leaves_no_temp_file(void **state)
{
	char *dir = make_tmpdir(), path[300], names[256];

	struct ctw_status st;

	(void)state;
	full_status(&st);
	/* A directory where status.json should be: the rename fails. */
	assert_int_equal(ctw_status_path(dir, path, sizeof(path)), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(ctw_status_write(dir, &st) < 0);
	assert_int_equal(count_entries(dir, names, sizeof(names)), 1);
	assert_string_equal(names, "status.json,");
	rm_tree(dir);
	free(dir);
}

static void test_load_missing_and_oversized(void **state)
{
	char *dir = make_tmpdir(), path[300], text[CTW_STATUS_FILE_MAX + 2], err[256];
	struct ctw_status st;
	FILE *f;

	(void)state;
	assert_int_equal(ctw_status_path(dir, path, sizeof(path)), 0);
	assert_int_equal(ctw_status_load(path, &st, text, sizeof(text), err, sizeof(err)), -ENOENT);

	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < CTW_STATUS_FILE_MAX + 10; i++)
		fputc(' ', f);
	fclose(f);
	assert_int_equal(ctw_status_load(path, &st, text, sizeof(text), err, sizeof(err)), -EFBIG);
	rm_tree(dir);
	free(dir);
}

/* The largest status the daemon can have, every string at its longest and
 * escaped at its widest, still fits the file size the reader accepts. */
static void test_largest_status_fits_the_file(void **state)
{
	char *dir = make_tmpdir(), path[300], err[256];
	static char text[CTW_STATUS_FILE_MAX + 2];
	struct ctw_status st, back;
	struct ctw_status_decision d;
	struct ctw_status_netns n;
	struct stat sb;

	(void)state;
	ctw_status_init(&st, INT32_MAX, S(32503679999));  /* 2999-12-31T23:59:59Z */
	st.poll_interval_us = UINT64_MAX / 1000 * 1000;
	memset(st.config, '"', sizeof(st.config) - 1);
	st.count = st.max = st.buckets = st.drops = UINT64_MAX - 1;
	st.netns_watched = st.netns_unwatchable = UINT32_MAX;
	memset(&d, 0, sizeof(d));
	d.at_us = T0;
	memset(d.kind, 'k', sizeof(d.kind) - 1);
	memset(d.knob, 'n', sizeof(d.knob) - 1);
	memset(d.reason, '\x01', sizeof(d.reason) - 1);  /* \u0001: six bytes each */
	d.old_value = d.new_value = UINT64_MAX - 1;
	for (unsigned i = 0; i < CTW_STATUS_DECISIONS; i++)
		ctw_status_push_decision(&st, &d);
	for (unsigned i = 0; i < CTW_STATUS_TOP_N; i++) {
		char key[CTW_STATUS_KEY_MAX];

		memset(key, '\x02', sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		ctw_status_top_add(&st.top_sources, key, UINT64_MAX - 1, 100.0);
		ctw_status_top_add(&st.top_destinations, key, UINT64_MAX - 1, 100.0);
		ctw_status_top_add(&st.top_ports, key, UINT64_MAX - 1, 100.0);
	}
	memset(&n, 0, sizeof(n));
	memset(n.name, '"', sizeof(n.name) - 1);  /* \": two bytes each */
	n.inode = n.count = n.drops = n.early_drops = UINT64_MAX - 1;
	n.events_new = n.events_destroy = n.events_overruns = UINT64_MAX - 1;
	n.have_rates = n.have_time_to_full = n.have_events = true;
	n.new_per_s = n.destroy_per_s = n.growth_per_s = n.time_to_full_s = -999999999999999.9;
	for (unsigned i = 0; i < CTW_STATUS_NETNS_MAX; i++)
		ctw_status_netns_add(&st, &n);
	ctw_status_set_pressure(&st, n.name, UINT64_MAX - 1);
	st.netns_total_entries = UINT64_MAX - 1;

	assert_int_equal(ctw_status_write(dir, &st), 0);
	assert_int_equal(ctw_status_path(dir, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &sb), 0);
	print_message("largest status.json: %lld bytes of %d\n", (long long)sb.st_size, CTW_STATUS_FILE_MAX);
	if (ctw_status_load(path, &back, text, sizeof(text), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_status_eq(&st, &back);
	rm_tree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_keeps_everything),
		cmocka_unit_test(test_json_names_what_a_reader_needs),
		cmocka_unit_test(test_unknown_values_are_null),
		cmocka_unit_test(test_not_finite_numbers_are_null),
		cmocka_unit_test(test_reasons_are_escaped),
		cmocka_unit_test(test_long_utf8_keys_are_cut_between_characters),
		cmocka_unit_test(test_ring_keeps_the_last_16_newest_first),
		cmocka_unit_test(test_policy_decisions_are_named),
		cmocka_unit_test(test_minimal_file_is_read),
		cmocka_unit_test(test_bad_files_are_refused),
		cmocka_unit_test(test_netns_list_keeps_the_fullest_first),
		cmocka_unit_test(test_netns_names_are_cleaned),
		cmocka_unit_test(test_netns_round_trip_random_models),
		cmocka_unit_test(test_namespaces_json_names_what_a_reader_needs),
		cmocka_unit_test(test_namespaces_are_read_strictly),
		cmocka_unit_test(test_yielded_knobs),
		cmocka_unit_test(test_largest_status_fits_the_file),
		cmocka_unit_test(test_times_are_iso_8601_utc),
		cmocka_unit_test(test_stale_after_ten_polls_or_ten_seconds),
		cmocka_unit_test(test_write_is_atomic_and_readable),
		cmocka_unit_test(test_failed_write_leaves_no_temp_file),
		cmocka_unit_test(test_load_missing_and_oversized),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
