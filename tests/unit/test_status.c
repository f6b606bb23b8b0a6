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

#include "daemon/status.h"

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

/* ---- time ------------------------------------------------------------- */

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
		cmocka_unit_test(test_times_are_iso_8601_utc),
		cmocka_unit_test(test_stale_after_ten_polls_or_ten_seconds),
		cmocka_unit_test(test_write_is_atomic_and_readable),
		cmocka_unit_test(test_failed_write_leaves_no_temp_file),
		cmocka_unit_test(test_load_missing_and_oversized),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
