/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit as Prometheus metrics: the exact exposition for a host with
 * everything read, only what is known for a partly readable one (absent, not
 * 0), the verdict and the findings per severity, and the same numbers as
 * the JSON report for the same snapshot. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/prom.h"
#include "base/prom_metrics.h"
#include "base/timeouts.h"
#include "cli/report.h"
#include "kernel/host.h"
#include "kernel/stats.h"
#include "policy/findings.h"

static void full_host(struct ctw_host *h)
{
	memset(h, 0, sizeof(*h));
	h->loaded = true;
	h->global_writable = true;
	h->self_netns_inode = 4026531840;
	h->have_count = h->have_max = h->have_buckets = true;
	h->count = 196608;
	h->max = 262144;
	h->buckets = 65536;
	h->have_stats = true;
	h->stats.source = CTW_STATS_NETLINK;
	h->stats.counters.present = (1u << CTW_CTR__COUNT) - 1;
	h->stats.counters.value[CTW_CTR_DROP] = 1933;
	h->stats.counters.value[CTW_CTR_EARLY_DROP] = 120;
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		h->have_timeout[t] = true;
		h->timeout[t] = ctw_timeout_info((enum ctw_timeout)t)->kernel_default;
	}
}

static void add_finding(struct ctw_findings *f, enum ctw_severity s, const char *code)
{
	struct ctw_finding *x = &f->item[f->n++];

	x->severity = s;
	snprintf(x->code, sizeof(x->code), "%s", code);
}

static const struct ctw_report_prom_meta meta = {
	.version = "0.1.0",
	.netns = "host",
	.poll_time = 1777379200.5,
	.poll_duration = 0.00125,
};

static char *build(const struct ctw_host *h, const struct ctw_config *c, const struct ctw_findings *f,
		   const struct ctw_report_prom_meta *m)
{
	struct ctw_prom p;
	char *s;

	ctw_prom_init(&p);
	assert_int_equal(ctw_report_prom_build(&p, h, c, f, m), 0);
	s = strdup(ctw_prom_text(&p));
	ctw_prom_free(&p);
	assert_non_null(s);
	return s;
}

/* Drop the "# HELP" and "# TYPE" lines, in place. */
static void strip_comments(char *s)
{
	char *out = s;

	for (char *line = s; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);

		if (line[0] != '#') {
			memmove(out, line, n);
			out += n;
		}
		line += n;
	}
	*out = '\0';
}

static void test_full_host(void **state)
{
	struct ctw_host h;
	struct ctw_config c;
	struct ctw_findings f = { 0 };
	char *s;

	(void)state;
	full_host(&h);
	ctw_config_defaults(&c);
	c.timeout_shorten[CTW_TO_UDP] = true;  /* with tcp_timeout_established, the default */
	add_finding(&f, CTW_SEV_CRITICAL, "drops_seen");
	add_finding(&f, CTW_SEV_WARNING, "usage_warning");
	add_finding(&f, CTW_SEV_WARNING, "early_drops_seen");
	add_finding(&f, CTW_SEV_INFO, "tcp_established_default");
	f.status = CTW_STATUS_CRITICAL;
	s = build(&h, &c, &f, &meta);
	strip_comments(s);
	assert_string_equal(s,
		"ctwarden_up 1\n"
		"ctwarden_build_info{version=\"0.1.0\"} 1\n"
		"ctwarden_conntrack_entries{netns=\"host\",netns_inode=\"4026531840\"} 196608\n"
		"ctwarden_conntrack_limit{netns=\"host\",netns_inode=\"4026531840\"} 262144\n"
		"ctwarden_conntrack_usage_ratio{netns=\"host\",netns_inode=\"4026531840\"} 0.75\n"
		"ctwarden_conntrack_drops_total{netns=\"host\",netns_inode=\"4026531840\"} 1933\n"
		"ctwarden_conntrack_early_drops_total{netns=\"host\",netns_inode=\"4026531840\"} 120\n"
		"ctwarden_conntrack_buckets 65536\n"
		"ctwarden_knob_value{knob=\"nf_conntrack_max\",netns=\"host\"} 262144\n"
		"ctwarden_knob_value{knob=\"nf_conntrack_buckets\",netns=\"host\"} 65536\n"
		"ctwarden_knob_value{knob=\"nf_conntrack_tcp_timeout_established\",netns=\"host\"} 432000\n"
		"ctwarden_knob_value{knob=\"nf_conntrack_udp_timeout\",netns=\"host\"} 30\n"
		"ctwarden_last_poll_timestamp_seconds 1777379200.5\n"
		"ctwarden_poll_duration_seconds 0.00125\n"
		"ctwarden_audit_status 2\n"
		"ctwarden_audit_findings{severity=\"info\"} 1\n"
		"ctwarden_audit_findings{severity=\"warning\"} 2\n"
		"ctwarden_audit_findings{severity=\"critical\"} 1\n"
		"ctwarden_audit_findings{severity=\"unknown\"} 0\n");
	free(s);
}

/* Every family the audit writes starts with the HELP and TYPE of the shared
 * table, right before its first sample, once. */
static void test_headers_from_table(void **state)
{
	struct ctw_host h;
	struct ctw_config c;
	struct ctw_findings f = { 0 };
	unsigned families = 0;
	char *s, want[512];

	(void)state;
	full_host(&h);
	ctw_config_defaults(&c);
	s = build(&h, &c, &f, &meta);
	for (int m = 0; m < CTW_M__COUNT; m++) {
		const struct ctw_metric_desc *d = ctw_metric_desc((enum ctw_metric)m);
		char *at;

		snprintf(want, sizeof(want), "# HELP %s ", d->name);
		at = strstr(s, want);
		if (!at)
			continue;
		families++;
		snprintf(want, sizeof(want), "# HELP %s %s\n# TYPE %s %s\n%s", d->name, d->help, d->name,
			 d->type == CTW_PROM_COUNTER ? "counter" : "gauge", d->name);
		assert_memory_equal(at, want, strlen(want));
		snprintf(want, sizeof(want), "# TYPE %s ", d->name);
		assert_null(strstr(strstr(s, want) + 1, want));
	}
	/* up, build_info, entries, limit, ratio, drops, early drops, buckets,
	 * knob_value, last poll, poll duration, audit status, audit findings. */
	assert_int_equal(families, 13);
	free(s);
}

/* The table is contrib/prometheus/metrics.txt, the shipped contract: same
 * names in the same order, types and label names. */
static void test_table_is_the_contract(void **state)
{
	FILE *in = fopen(CTW_FIXTURES "/../../contrib/prometheus/metrics.txt", "r");
	char line[512], name[128], type[16], labels[128];
	int m = 0;

	(void)state;
	assert_non_null(in);
	while (fgets(line, sizeof(line), in)) {
		const struct ctw_metric_desc *d;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%127s %15s %127s", name, type, labels), 3);
		d = ctw_metric_desc((enum ctw_metric)m++);
		assert_non_null(d);
		assert_string_equal(d->name, name);
		assert_string_equal(d->type == CTW_PROM_COUNTER ? "counter" : "gauge", type);
		assert_string_equal(d->labels[0] ? d->labels : "-", labels);
		assert_true(ctw_prom_valid_metric_name(d->name));
		assert_true(d->help && d->help[0]);
	}
	fclose(in);
	assert_int_equal(m, CTW_M__COUNT);
	assert_null(ctw_metric_desc(CTW_M__COUNT));
}

/* What was not read has no sample at all; the rest is still there. */
static void test_partly_read(void **state)
{
	struct ctw_host h;
	struct ctw_config c;
	struct ctw_findings f = { 0 };
	struct ctw_report_prom_meta m = meta;
	char *s;

	(void)state;
	full_host(&h);
	h.global_writable = false;
	h.self_netns_inode = 4026532400;
	h.have_max = false;            /* no limit: no ratio either */
	h.stats.counters.present &= ~(1u << CTW_CTR_EARLY_DROP);
	h.have_buckets = false;
	h.have_timeout[CTW_TO_TCP_ESTABLISHED] = false;
	ctw_config_defaults(&c);
	m.netns = "blue \"ns\"";
	f.status = CTW_STATUS_UNKNOWN;
	add_finding(&f, CTW_SEV_UNKNOWN, "usage_unknown");
	s = build(&h, &c, &f, &m);
	assert_non_null(strstr(s, "\nctwarden_conntrack_entries{netns=\"blue \\\"ns\\\"\",netns_inode=\"4026532400\"} 196608\n"));
	assert_non_null(strstr(s, "\nctwarden_conntrack_drops_total{netns=\"blue \\\"ns\\\"\",netns_inode=\"4026532400\"} 1933\n"));
	assert_null(strstr(s, "ctwarden_conntrack_limit"));
	assert_null(strstr(s, "ctwarden_conntrack_usage_ratio"));
	assert_null(strstr(s, "ctwarden_conntrack_early_drops_total"));
	assert_null(strstr(s, "ctwarden_conntrack_buckets"));
	/* No knob left to show: no family. */
	assert_null(strstr(s, "ctwarden_knob_value"));
	assert_non_null(strstr(s, "\nctwarden_audit_status 3\n"));
	assert_non_null(strstr(s, "\nctwarden_audit_findings{severity=\"unknown\"} 1\n"));
	assert_non_null(strstr(s, "\nctwarden_audit_findings{severity=\"critical\"} 0\n"));
	free(s);
}

/* nf_conntrack not loaded: nothing about a table, but the writer is up and
 * says UNKNOWN, so an alert on the status still fires. */
static void test_not_loaded(void **state)
{
	struct ctw_host h;
	struct ctw_config c;
	struct ctw_findings f;
	char *s;

	(void)state;
	memset(&h, 0, sizeof(h));
	ctw_config_defaults(&c);
	ctw_findings_evaluate(&h, &c, &f);
	s = build(&h, &c, &f, &meta);
	assert_null(strstr(s, "ctwarden_conntrack_"));
	assert_null(strstr(s, "ctwarden_knob_value"));
	assert_non_null(strstr(s, "\nctwarden_up 1\n"));
	assert_non_null(strstr(s, "\nctwarden_audit_status 3\n"));
	assert_non_null(strstr(s, "\nctwarden_audit_findings{severity=\"unknown\"} 1\n"));
	assert_non_null(strstr(s, "\nctwarden_last_poll_timestamp_seconds 1777379200.5\n"));
	free(s);
}

/* The real findings of a snapshot, counted per severity, add up to the
 * findings the JSON lists; the status is the one the audit exits with. */
static void test_counts_match_findings(void **state)
{
	struct ctw_host h;
	struct ctw_config c;
	struct ctw_findings f;
	unsigned per[4] = { 0 };
	const char *names[4] = { "info", "warning", "critical", "unknown" };
	char *s, want[96];

	(void)state;
	full_host(&h);
	h.count = 250000;   /* over crit (90%) */
	ctw_config_defaults(&c);
	ctw_findings_evaluate(&h, &c, &f);
	assert_int_equal(f.status, CTW_STATUS_CRITICAL);
	for (unsigned i = 0; i < f.n; i++)
		per[f.item[i].severity]++;
	assert_true(per[CTW_SEV_CRITICAL] >= 2);  /* usage_critical and drops_seen */
	s = build(&h, &c, &f, &meta);
	for (int i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "\nctwarden_audit_findings{severity=\"%s\"} %u\n", names[i], per[i]);
		assert_non_null(strstr(s, want));
	}
	assert_non_null(strstr(s, "\nctwarden_audit_status 2\n"));
	free(s);
}

/* Written to a stream whole; a stream that fails is -EIO. */
static void test_write(void **state)
{
	struct ctw_host h;
	struct ctw_config c;
	struct ctw_findings f = { 0 };
	char *buf = NULL, *want;
	size_t len = 0;
	FILE *m;

	(void)state;
	full_host(&h);
	ctw_config_defaults(&c);
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(ctw_report_prometheus(m, &h, &c, &f, &meta), 0);
	assert_int_equal(fclose(m), 0);
	want = build(&h, &c, &f, &meta);
	assert_string_equal(buf, want);
	free(want);
	free(buf);
	m = fopen("/dev/full", "w");
	if (m) {
		assert_int_equal(ctw_report_prometheus(m, &h, &c, &f, &meta), -EIO);
		fclose(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_host),
		cmocka_unit_test(test_headers_from_table),
		cmocka_unit_test(test_table_is_the_contract),
		cmocka_unit_test(test_partly_read),
		cmocka_unit_test(test_not_loaded),
		cmocka_unit_test(test_counts_match_findings),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
