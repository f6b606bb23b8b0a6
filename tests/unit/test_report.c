/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit report: the JSON parses back with every key, the right types and
 * the host's values (null for what was not read); the text fits 80 columns,
 * shows every finding with its commands intact, worst first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "policy/findings.h"
#include "kernel/host.h"
#include "policy/bounds.h"
#include "kernel/memory.h"
#include "policy/budget.h"
#include "cli/report.h"
#include "kernel/stats.h"
#include "base/timeouts.h"

#define GiB (1024ull * 1024 * 1024)

static const char *const counter_keys[CTW_CTR__COUNT] = {
	"found", "invalid", "insert", "insert_failed", "drop", "early_drop",
	"error", "search_restart", "clash_resolve", "chaintoolong",
};

/* A host with something to say about nearly everything. */
static void busy_host(struct ctw_host *h)
{
	memset(h, 0, sizeof(*h));
	h->loaded = true;
	h->global_writable = true;
	h->self_netns_inode = 4026531840;
	h->have_count = h->have_max = h->have_buckets = true;
	h->count = 249037;
	h->max = 262144;
	h->buckets = 16384;
	h->have_stats = true;
	h->stats.source = CTW_STATS_PROCFS;
	h->stats.counters.present = ((1u << CTW_CTR__COUNT) - 1) & ~(1u << CTW_CTR_CLASH_RESOLVE);
	for (int i = 0; i < CTW_CTR__COUNT; i++)
		h->stats.counters.value[i] = 1000 + (uint64_t)i;
	h->stats.counters.value[CTW_CTR_DROP] = 1933;
	h->stats.counters.value[CTW_CTR_EARLY_DROP] = 120;
	h->have_memory = true;
	h->memory.object_size = 256;
	h->memory.memtotal_bytes = 24 * GiB;
	ctw_memory_compute(&h->memory, h->count, h->max, h->buckets);
	h->have_kmsg = true;
	h->table_full.records = 15;
	h->table_full.expect_records = 2;
	h->table_full.ignored_spoofed = 1;
	h->table_full.lost_records = 4;
	h->table_full.first_usec = 1000000;
	h->table_full.last_usec = 3000000;
	/* Booted 2024-05-01 10:00:00 UTC, an hour ago. */
	h->kmsg_clock = (struct ctw_kmsg_clock){ .known = true, .boot_wall_us = 1714557600000000, .uptime_us = 3600000000 };
	h->table_full.n_netns = 3;
	h->table_full.netns[0] = (struct ctw_table_full_netns){ .inode = 4026532177, .records = 10 };
	h->table_full.netns[1] = (struct ctw_table_full_netns){ .inode = 4026531840, .records = 3 };
	h->table_full.netns[2] = (struct ctw_table_full_netns){ .inode = 0, .records = 2 };
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		h->have_timeout[t] = true;
		h->timeout[t] = ctw_timeout_info((enum ctw_timeout)t)->kernel_default;
	}
	h->timeout[CTW_TO_UDP] = 10;
	h->have_timeout[CTW_TO_GENERIC] = false;
	h->ports.taken = true;
	h->ports.sampled = 4096;
	h->ports.top_proto = IPPROTO_UDP;
	h->ports.top_port = 53;
	h->ports.top_count = 3900;
	ctw_host_note(h, "/proc/slabinfo: Permission denied: the entry size is estimated at 320 bytes,"
			 " the upper end seen on current kernels, so budgets err on the safe side");
	ctw_host_note(h, "/dev/kmsg: Operation not permitted");
}

static void test_config(struct ctw_config *c)
{
	ctw_config_defaults(c);
	c->warn_pct = 75;
	c->crit_pct = 90;
	c->low_water_pct = 50;
	c->max_ceiling = 4194304;
	c->memory_budget_pct = 5;
	c->buckets_ratio = 1;
}

/* Run a report into a string (caller frees). */
static char *render(bool json, const struct ctw_host *h, const struct ctw_config *c, const struct ctw_findings *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	if (json)
		assert_int_equal(ctw_report_json(m, h, c, f), 0);
	else
		ctw_report_text(m, h, c, f);
	assert_int_equal(fclose(m), 0);
	return buf;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("missing key \"%s\"", key);
	return v;
}

static void expect_u64(struct json_object *o, const char *key, uint64_t want)
{
	struct json_object *v = get(o, key);

	if (!json_object_is_type(v, json_type_int))
		fail_msg("\"%s\" is not an integer", key);
	assert_int_equal(json_object_get_uint64(v), want);
}

static void expect_null(struct json_object *o, const char *key)
{
	if (get(o, key) != NULL)
		fail_msg("\"%s\" should be null, is %s", key, json_object_to_json_string(get(o, key)));
}

static void expect_bool(struct json_object *o, const char *key, bool want)
{
	struct json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_boolean));
	assert_int_equal(json_object_get_boolean(v), want);
}

static void expect_str(struct json_object *o, const char *key, const char *want)
{
	struct json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_string));
	assert_string_equal(json_object_get_string(v), want);
}

static void expect_iso_time(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);
	const char *s;

	assert_true(json_object_is_type(v, json_type_string));
	s = json_object_get_string(v);
	/* 2024-05-01T10:00:00Z */
	assert_int_equal(strlen(s), 20);
	assert_true(s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z');
}

static void test_json_full(void **state)
{
	static struct ctw_findings f;
	struct ctw_config c;
	static struct ctw_host h;
	struct json_object *o, *v, *a;
	char *s;

	(void)state;
	busy_host(&h);
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(true, &h, &c, &f);
	o = json_tokener_parse(s);
	assert_non_null(o);
	assert_non_null(strchr(s, '\n'));   /* pretty printed */
	assert_null(strstr(s, "\\/"));      /* paths not escaped */

	expect_str(o, "status", "CRITICAL");
	expect_u64(o, "count", 249037);
	expect_u64(o, "max", 262144);
	expect_u64(o, "buckets", 16384);
	v = get(o, "usage_percent");
	assert_true(json_object_is_type(v, json_type_double));
	assert_true(fabs(json_object_get_double(v) - 95.0) < 1e-9);
	assert_non_null(strstr(s, "\"usage_percent\":95.0"));
	expect_bool(o, "init_netns", true);

	v = get(o, "memory");
	expect_u64(v, "object_size", 256);
	expect_bool(v, "object_size_estimated", false);
	expect_u64(v, "bytes_now", 249037ull * 256 + 16384 * 8);
	expect_u64(v, "bytes_at_max", 262144ull * 256 + 16384 * 8);
	expect_u64(v, "memtotal", 24 * GiB);
	assert_true(fabs(json_object_get_double(get(v, "percent_of_ram_at_max")) - 0.26) < 1e-9);

	v = get(o, "counters");
	for (int i = 0; i < CTW_CTR__COUNT; i++) {
		if (i == CTW_CTR_CLASH_RESOLVE)
			expect_null(v, counter_keys[i]);
		else
			expect_u64(v, counter_keys[i], h.stats.counters.value[i]);
	}
	expect_str(o, "counters_source", "procfs");

	v = get(o, "table_full");
	expect_bool(v, "read", true);
	expect_null(v, "not_read_because");
	expect_u64(v, "records", 15);
	expect_u64(v, "expect_records", 2);
	expect_u64(v, "ignored_spoofed", 1);
	expect_u64(v, "lost_records", 4);
	expect_iso_time(v, "first");
	expect_iso_time(v, "last");
	expect_str(v, "first", "2024-05-01T10:00:01Z");
	expect_str(v, "last", "2024-05-01T10:00:03Z");
	assert_true(strcmp(json_object_get_string(get(v, "first")), json_object_get_string(get(v, "last"))) < 0);
	a = get(v, "netns");
	assert_true(json_object_is_type(a, json_type_array));
	assert_int_equal(json_object_array_length(a), 3);
	expect_u64(json_object_array_get_idx(a, 0), "inode", 4026532177);
	expect_u64(json_object_array_get_idx(a, 0), "records", 10);
	expect_bool(json_object_array_get_idx(a, 0), "self", false);
	expect_bool(json_object_array_get_idx(a, 1), "self", true);
	expect_null(json_object_array_get_idx(a, 2), "inode");
	expect_u64(json_object_array_get_idx(a, 2), "records", 2);

	v = get(o, "timeouts");
	assert_int_equal(json_object_object_length(v), CTW_TO__COUNT);
	expect_u64(v, "tcp_timeout_established", 432000);
	expect_u64(v, "udp_timeout", 10);
	expect_u64(v, "tcp_timeout_syn_sent", 120);
	expect_null(v, "generic_timeout");

	v = get(o, "limits");
	expect_u64(v, "max_ceiling", 4194304);
	expect_u64(v, "max_allowed", ctw_max_allowed(&c, 256, 24 * GiB, h.buckets));
	assert_true(fabs(json_object_get_double(get(v, "memory_budget_percent")) - 5.0) < 1e-9);
	assert_true(fabs(json_object_get_double(get(v, "buckets_ratio")) - 1.0) < 1e-9);

	v = get(o, "sample");
	expect_bool(v, "taken", true);
	expect_u64(v, "sampled", 4096);
	expect_str(v, "top_protocol", "udp");
	expect_u64(v, "top_port", 53);
	expect_u64(v, "top_count", 3900);

	a = get(o, "findings");
	assert_int_equal(json_object_array_length(a), f.n);
	assert_true(f.n >= 5);
	for (unsigned i = 0; i < f.n; i++) {
		v = json_object_array_get_idx(a, i);
		expect_str(v, "severity", ctw_severity_name(f.item[i].severity));
		expect_str(v, "code", f.item[i].code);
		expect_str(v, "message", f.item[i].message);
		expect_str(v, "remedy", f.item[i].remedy);
	}
	expect_str(json_object_array_get_idx(a, 0), "severity", "critical");

	a = get(o, "notes");
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 1)), "/dev/kmsg: Operation not permitted");

	json_object_put(o);
	free(s);
}

/* Nothing read: every value is null, not 0. */
static void test_json_unknowns(void **state)
{
	static struct ctw_findings f;
	struct ctw_config c;
	static struct ctw_host h;
	struct json_object *o, *v;
	char *s;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.loaded = true;
	ctw_host_note(&h, "nf_conntrack_count: Permission denied");
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(true, &h, &c, &f);
	o = json_tokener_parse(s);
	assert_non_null(o);
	expect_str(o, "status", "UNKNOWN");
	expect_null(o, "count");
	expect_null(o, "max");
	expect_null(o, "buckets");
	expect_null(o, "usage_percent");
	expect_bool(o, "init_netns", false);
	v = get(o, "memory");
	expect_null(v, "object_size");
	expect_null(v, "object_size_estimated");
	expect_null(v, "bytes_now");
	expect_null(v, "bytes_at_max");
	expect_null(v, "percent_of_ram_at_max");
	expect_null(v, "memtotal");
	v = get(o, "counters");
	for (int i = 0; i < CTW_CTR__COUNT; i++)
		expect_null(v, counter_keys[i]);
	expect_str(o, "counters_source", "none");
	v = get(o, "table_full");
	expect_bool(v, "read", false);
	expect_str(v, "not_read_because", "unreadable");
	expect_null(v, "records");
	expect_null(v, "expect_records");
	expect_null(v, "first");
	expect_null(v, "last");
	expect_null(v, "netns");
	v = get(o, "timeouts");
	for (int t = 0; t < CTW_TO__COUNT; t++)
		expect_null(v, ctw_timeout_info((enum ctw_timeout)t)->name);
	v = get(o, "sample");
	expect_bool(v, "taken", false);
	expect_null(v, "sampled");
	expect_null(v, "top_protocol");
	v = get(o, "limits");
	expect_u64(v, "max_allowed", 4194304);   /* RAM unknown: only the ceiling */
	assert_int_equal(json_object_array_length(get(o, "notes")), 1);
	json_object_put(o);
	free(s);
}

/* Unlimited max: usage is not a number. */
static void test_json_unlimited_usage_null(void **state)
{
	static struct ctw_findings f;
	struct ctw_config c;
	static struct ctw_host h;
	struct json_object *o;
	char *s;

	(void)state;
	busy_host(&h);
	h.max = 0;
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(true, &h, &c, &f);
	o = json_tokener_parse(s);
	assert_non_null(o);
	expect_u64(o, "max", 0);
	expect_null(o, "usage_percent");
	json_object_put(o);
	free(s);
}

static void test_json_not_loaded(void **state)
{
	static struct ctw_findings f;
	struct ctw_config c;
	static struct ctw_host h;
	struct json_object *o, *a;
	char *s;

	(void)state;
	memset(&h, 0, sizeof(h));
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(true, &h, &c, &f);
	o = json_tokener_parse(s);
	assert_non_null(o);
	expect_str(o, "status", "UNKNOWN");
	expect_bool(o, "loaded", false);
	a = get(o, "findings");
	assert_int_equal(json_object_array_length(a), 1);
	expect_str(json_object_array_get_idx(a, 0), "code", "not_loaded");
	expect_str(json_object_array_get_idx(a, 0), "severity", "unknown");
	json_object_put(o);
	free(s);
}

/* Is this line (without its indent) one of the remedy's commands? */
static bool is_remedy_line(const struct ctw_findings *f, const char *line, size_t len)
{
	if (len < 6 || strncmp(line, "      ", 6) != 0)
		return false;
	line += 6;
	len -= 6;
	for (unsigned i = 0; i < f->n; i++) {
		for (const char *p = f->item[i].remedy; *p;) {
			size_t n = strcspn(p, "\n");

			if (n == len && strncmp(p, line, n) == 0)
				return true;
			p += n;
			p += *p == '\n';
		}
	}
	return false;
}

/* Every remedy line appears whole on its own output line. */
static void expect_remedy_lines(const char *text, const struct ctw_finding *x)
{
	for (const char *p = x->remedy; *p;) {
		size_t n = strcspn(p, "\n");
		char want[1100] = "\n      ";

		assert_true(n + 9 < sizeof(want));
		memcpy(want + 7, p, n);
		memcpy(want + 7 + n, "\n", 2);
		if (!strstr(text, want))
			fail_msg("remedy line not printed whole: %.*s", (int)n, p);
		p += n;
		p += *p == '\n';
	}
}

static void test_text_layout(void **state)
{
	static struct ctw_findings f;
	struct ctw_config c;
	static struct ctw_host h;
	const char *crit, *warn, *prev;
	char *s;

	(void)state;
	busy_host(&h);
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(false, &h, &c, &f);
	assert_int_equal(strncmp(s, "ctwarden audit: CRITICAL\n", 25), 0);

	/* 80 columns, except command lines, which are never wrapped. */
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "\n");

		if (n > 80 && !is_remedy_line(&f, p, n))
			fail_msg("line longer than 80 columns: %.*s", (int)n, p);
		p += n;
		p += *p == '\n';
	}
	/* The numbers behind the verdict. */
	assert_non_null(strstr(s, "249037 of 262144 max (95.0%)"));
	assert_non_null(strstr(s, "16384 (16.0 entries per bucket at max"));
	assert_non_null(strstr(s, "counters          (procfs) found"));
	assert_non_null(strstr(s, "drop 1933"));
	assert_non_null(strstr(s, "tcp_timeout_established"));
	assert_non_null(strstr(s, "432000 s"));
	assert_non_null(strstr(s, "udp_timeout       10 s (changed)"));
	assert_null(strstr(s, "tcp_timeout_syn_sent"));   /* at its default: not listed */
	assert_non_null(strstr(s, "15 table-full"));
	assert_non_null(strstr(s, "netns 4026531840 (this): 3"));

	/* Every finding, with its commands, in the order evaluated (worst first). */
	prev = s;
	for (unsigned i = 0; i < f.n; i++) {
		char head[80];
		const char *at;

		snprintf(head, sizeof(head), " %s\n", f.item[i].code);
		at = strstr(prev, head);
		assert_non_null(at);
		expect_remedy_lines(s, &f.item[i]);
		prev = at;
	}
	assert_string_equal(f.item[0].code, "usage_critical");
	assert_non_null(strstr(s, "\n  CRITICAL usage_critical\n"));
	crit = strstr(s, "\n  CRITICAL ");
	warn = strstr(s, "\n  WARNING ");
	assert_non_null(crit);
	assert_non_null(warn);
	assert_true(crit < warn);
	assert_null(strstr(warn, "\n  CRITICAL "));

	/* The notes, wrapped but complete. */
	assert_non_null(strstr(s, "\nCould not read\n"));
	assert_non_null(strstr(s, "  - /dev/kmsg: Operation not permitted\n"));
	assert_non_null(strstr(s, "  - /proc/slabinfo: Permission denied:"));
	assert_non_null(strstr(s, "safe side\n"));
	assert_true(strstr(s, "Could not read") > prev);
	free(s);
}

/* Not the initial netns: the table says so and global commands say where to run. */
static void test_text_readonly(void **state)
{
	static struct ctw_findings f;
	struct ctw_config c;
	static struct ctw_host h;
	char *s;

	(void)state;
	busy_host(&h);
	h.global_writable = false;
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(false, &h, &c, &f);
	assert_non_null(strstr(s, "Table (not the initial network namespace)"));
	assert_non_null(strstr(s, "\n      # run on the host (initial network namespace):\n"));
	assert_non_null(strstr(s, "INFO netns_readonly"));
	free(s);
}

/* Not read because this netns dropped nothing: said as such, not "unreadable". */
static void test_kernel_log_not_needed(void **state)
{
	static struct ctw_findings f;
	struct ctw_config c;
	static struct ctw_host h;
	struct json_object *o, *v;
	char *s;

	(void)state;
	busy_host(&h);
	h.global_writable = false;
	h.have_kmsg = false;
	h.kmsg_not_needed = true;
	memset(&h.table_full, 0, sizeof(h.table_full));
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(false, &h, &c, &f);
	assert_non_null(strstr(s, "kernel log        not read: this netns dropped nothing, others are the host's\n"));
	assert_null(strstr(s, "unreadable"));
	free(s);
	s = render(true, &h, &c, &f);
	o = json_tokener_parse(s);
	assert_non_null(o);
	v = get(o, "table_full");
	expect_bool(v, "read", false);
	expect_str(v, "not_read_because", "no_own_drops");
	expect_null(v, "records");
	json_object_put(o);
	free(s);
}

static void test_text_not_loaded_and_healthy(void **state)
{
	static struct ctw_findings f;
	struct ctw_config c;
	static struct ctw_host h;
	char *s;

	(void)state;
	memset(&h, 0, sizeof(h));
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(false, &h, &c, &f);
	assert_int_equal(strncmp(s, "ctwarden audit: UNKNOWN\n", 24), 0);
	assert_non_null(strstr(s, "UNKNOWN not_loaded"));
	assert_non_null(strstr(s, "not loaded"));
	assert_null(strstr(s, "\nTable"));
	free(s);

	busy_host(&h);
	h.count = 100;
	h.buckets = 262144;
	h.stats.counters.value[CTW_CTR_DROP] = 0;
	h.stats.counters.value[CTW_CTR_EARLY_DROP] = 0;
	h.stats.counters.value[CTW_CTR_CHAIN_TOOLONG] = 0;
	h.table_full.records = 0;
	h.table_full.expect_records = 0;
	h.table_full.n_netns = 0;
	h.timeout[CTW_TO_TCP_ESTABLISHED] = 86400;
	h.n_notes = 0;
	ctw_memory_compute(&h.memory, h.count, h.max, h.buckets);
	ctw_findings_evaluate(&h, &c, &f);
	s = render(false, &h, &c, &f);
	assert_int_equal(strncmp(s, "ctwarden audit: OK\n", 19), 0);
	assert_non_null(strstr(s, "none: nothing to fix"));
	assert_null(strstr(s, "Could not read"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_full),
		cmocka_unit_test(test_json_unknowns),
		cmocka_unit_test(test_json_unlimited_usage_null),
		cmocka_unit_test(test_json_not_loaded),
		cmocka_unit_test(test_text_layout),
		cmocka_unit_test(test_text_readonly),
		cmocka_unit_test(test_kernel_log_not_needed),
		cmocka_unit_test(test_text_not_loaded_and_healthy),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
