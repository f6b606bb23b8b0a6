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
	assert_string_equal(s,
		"# HELP ctwarden_up 1 when the writer is healthy (the audit wrote this: its verdict is ctwarden_audit_status).\n"
		"# TYPE ctwarden_up gauge\n"
		"ctwarden_up 1\n"
		"# HELP ctwarden_build_info Always 1; the version of ctwarden that wrote this.\n"
		"# TYPE ctwarden_build_info gauge\n"
		"ctwarden_build_info{version=\"0.1.0\"} 1\n"
		"# HELP ctwarden_conntrack_entries Entries in the namespace's conntrack table (nf_conntrack_count).\n"
		"# TYPE ctwarden_conntrack_entries gauge\n"
		"ctwarden_conntrack_entries{netns=\"host\",netns_inode=\"4026531840\"} 196608\n"
		"# HELP ctwarden_conntrack_limit Entries the namespace's table may hold: nf_conntrack_max as read there.\n"
		"# TYPE ctwarden_conntrack_limit gauge\n"
		"ctwarden_conntrack_limit{netns=\"host\",netns_inode=\"4026531840\"} 262144\n"
		"# HELP ctwarden_conntrack_usage_ratio Entries divided by the limit, 0 to 1.\n"
		"# TYPE ctwarden_conntrack_usage_ratio gauge\n"
		"ctwarden_conntrack_usage_ratio{netns=\"host\",netns_inode=\"4026531840\"} 0.75\n"
		"# HELP ctwarden_conntrack_drops_total Packets the kernel dropped because no conntrack entry could be made (\"drop\", summed over CPUs).\n"
		"# TYPE ctwarden_conntrack_drops_total counter\n"
		"ctwarden_conntrack_drops_total{netns=\"host\",netns_inode=\"4026531840\"} 1933\n"
		"# HELP ctwarden_conntrack_early_drops_total Entries the kernel evicted early to make room in a full table (\"early_drop\", summed over CPUs).\n"
		"# TYPE ctwarden_conntrack_early_drops_total counter\n"
		"ctwarden_conntrack_early_drops_total{netns=\"host\",netns_inode=\"4026531840\"} 120\n"
		"# HELP ctwarden_conntrack_buckets Hash table buckets (nf_conntrack_buckets, global).\n"
		"# TYPE ctwarden_conntrack_buckets gauge\n"
		"ctwarden_conntrack_buckets 65536\n"
		"# HELP ctwarden_knob_value Current value of a sysctl ctwarden manages (knob: its name without \"net.netfilter.\").\n"
		"# TYPE ctwarden_knob_value gauge\n"
		"ctwarden_knob_value{knob=\"nf_conntrack_max\",netns=\"host\"} 262144\n"
		"ctwarden_knob_value{knob=\"nf_conntrack_buckets\",netns=\"host\"} 65536\n"
		"ctwarden_knob_value{knob=\"nf_conntrack_tcp_timeout_established\",netns=\"host\"} 432000\n"
		"ctwarden_knob_value{knob=\"nf_conntrack_udp_timeout\",netns=\"host\"} 30\n"
		"# HELP ctwarden_last_poll_timestamp_seconds Unix time the values were read.\n"
		"# TYPE ctwarden_last_poll_timestamp_seconds gauge\n"
		"ctwarden_last_poll_timestamp_seconds 1777379200.5\n"
		"# HELP ctwarden_poll_duration_seconds Seconds reading the values took.\n"
		"# TYPE ctwarden_poll_duration_seconds gauge\n"
		"ctwarden_poll_duration_seconds 0.00125\n"
		"# HELP ctwarden_audit_status The audit's verdict, as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
		"# TYPE ctwarden_audit_status gauge\n"
		"ctwarden_audit_status 2\n"
		"# HELP ctwarden_audit_findings Findings of the audit by severity (ctwarden audit shows each with its remedy).\n"
		"# TYPE ctwarden_audit_findings gauge\n"
		"ctwarden_audit_findings{severity=\"info\"} 1\n"
		"ctwarden_audit_findings{severity=\"warning\"} 2\n"
		"ctwarden_audit_findings{severity=\"critical\"} 1\n"
		"ctwarden_audit_findings{severity=\"unknown\"} 0\n");
	free(s);
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
		cmocka_unit_test(test_partly_read),
		cmocka_unit_test(test_not_loaded),
		cmocka_unit_test(test_counts_match_findings),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
