/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Findings: each code triggers on its condition and only then, the status
 * follows the worst severity, and every number a remedy names obeys the
 * limits the daemon obeys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "policy/findings.h"
#include "kernel/host.h"
#include "kernel/knobs.h"
#include "policy/bounds.h"
#include "kernel/memory.h"
#include "policy/budget.h"
#include "kernel/stats.h"
#include "base/timeouts.h"

#define GiB (1024ull * 1024 * 1024)
#define READONLY_PREFIX "# run on the host (initial network namespace):"

static void test_config(struct ctw_config *c)
{
	ctw_config_defaults(c);
	/* The values the expectations below are written against. */
	c->warn_pct = 75;
	c->crit_pct = 90;
	c->high_water_pct = 80;
	c->low_water_pct = 50;
	c->max_ceiling = 4194304;
	c->memory_budget_pct = 5;
	c->buckets_ratio = 1;
	for (int t = 0; t < CTW_TO__COUNT; t++)
		c->timeout_floor_s[t] = ctw_timeout_info((enum ctw_timeout)t)->default_floor;
}

static void refresh_memory(struct ctw_host *h)
{
	ctw_memory_compute(&h->memory, h->count, h->max, h->buckets);
}

static void set_usage(struct ctw_host *h, uint64_t count)
{
	h->count = count;
	refresh_memory(h);
}

/* A host with nothing to say: 24 GiB, default-sized table, little traffic,
 * every counter read and zero, established already shortened. */
static void healthy_host(struct ctw_host *h)
{
	memset(h, 0, sizeof(*h));
	h->loaded = true;
	h->global_writable = true;
	h->self_netns_inode = 4026531840;
	h->have_count = h->have_max = h->have_buckets = true;
	h->count = 1000;
	h->max = 262144;
	h->buckets = 262144;
	h->have_stats = true;
	h->stats.source = CTW_STATS_NETLINK;
	h->stats.counters.present = (1u << CTW_CTR__COUNT) - 1;
	h->stats.counters.ncpu = 2;
	h->have_memory = true;
	h->memory.object_size = 256;
	h->memory.memtotal_bytes = 24 * GiB;
	refresh_memory(h);
	h->have_kmsg = true;
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		h->have_timeout[t] = true;
		h->timeout[t] = ctw_timeout_info((enum ctw_timeout)t)->kernel_default;
	}
	h->timeout[CTW_TO_TCP_ESTABLISHED] = 86400;
}

static const struct ctw_finding *find(const struct ctw_findings *f, const char *code)
{
	for (unsigned i = 0; i < f->n; i++)
		if (strcmp(f->item[i].code, code) == 0)
			return &f->item[i];
	return NULL;
}

static uint64_t allowed_for(const struct ctw_host *h, const struct ctw_config *c)
{
	return ctw_max_allowed(c, h->memory.object_size, h->memory.memtotal_bytes, h->have_buckets ? h->buckets : 0);
}

/* Does the remedy hold this exact line? */
static bool has_line(const char *remedy, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = remedy; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static bool has_sysctl(const char *remedy, const char *knob, uint64_t v)
{
	char line[256];

	snprintf(line, sizeof(line), "sysctl -w net.netfilter.%s=%" PRIu64, knob, v);
	if (!has_line(remedy, line))
		return false;
	snprintf(line, sizeof(line), "echo 'net.netfilter.%s = %" PRIu64 "' >> /etc/sysctl.d/90-ctwarden.conf",
		 knob, v);
	return has_line(remedy, line);
}

/* ---- table: each code, triggered and not ---------------------------------- */

struct fcase {
	const char *name;
	void (*setup)(struct ctw_host *h, struct ctw_config *c);
	const char *code;
	int severity;          /* enum ctw_severity, or -1: the code must be absent */
	enum ctw_status status;
};

static void s_none(struct ctw_host *h, struct ctw_config *c) { (void)h; (void)c; }
static void s_usage_95(struct ctw_host *h, struct ctw_config *c) { (void)c; set_usage(h, 249037); }
static void s_usage_90(struct ctw_host *h, struct ctw_config *c) { (void)c; h->max = 100000; set_usage(h, 90000); }
static void s_usage_80(struct ctw_host *h, struct ctw_config *c) { (void)c; h->max = 100000; set_usage(h, 80000); }
static void s_usage_74(struct ctw_host *h, struct ctw_config *c) { (void)c; h->max = 100000; set_usage(h, 74990); }
static void s_max_zero(struct ctw_host *h, struct ctw_config *c) { (void)c; h->max = 0; set_usage(h, 5000); }
static void s_drop(struct ctw_host *h, struct ctw_config *c) { (void)c; h->stats.counters.value[CTW_CTR_DROP] = 1933; }
static void s_drop_unreported(struct ctw_host *h, struct ctw_config *c)
{
	(void)c;
	h->stats.counters.value[CTW_CTR_DROP] = 1933;
	h->stats.counters.present &= ~(1u << CTW_CTR_DROP);
}
static void s_early(struct ctw_host *h, struct ctw_config *c) { (void)c; h->stats.counters.value[CTW_CTR_EARLY_DROP] = 120; }
static void s_table_full(struct ctw_host *h, struct ctw_config *c)
{
	(void)c;
	h->table_full.records = 12;
	h->table_full.n_netns = 1;
	h->table_full.netns[0].inode = 4026532177;
	h->table_full.netns[0].records = 12;
}
/* Seen from inside another container's netns: a neighbour's full table. */
static void s_table_full_neighbour(struct ctw_host *h, struct ctw_config *c)
{
	s_table_full(h, c);
	h->global_writable = false;
	h->self_netns_inode = 4026532999;
}
/* This netns logged them: its own drop counter moved (one drop per record). */
static void s_table_full_self(struct ctw_host *h, struct ctw_config *c)
{
	s_table_full_neighbour(h, c);
	h->table_full.netns[0].inode = 4026532999;
	h->stats.counters.value[CTW_CTR_DROP] = 40;
}
/* Same inode, but this netns never dropped: a deleted netns had the inode. */
static void s_table_full_earlier(struct ctw_host *h, struct ctw_config *c)
{
	s_table_full_neighbour(h, c);
	h->table_full.netns[0].inode = 4026532999;
}
/* Same inode, drop counter unreadable: cannot tell, so counted as before. */
static void s_table_full_self_no_stats(struct ctw_host *h, struct ctw_config *c)
{
	s_table_full_earlier(h, c);
	h->have_stats = false;
}
/* An earlier netns with this inode, and a neighbour: the neighbour's warning stays. */
static void s_table_full_earlier_and_neighbour(struct ctw_host *h, struct ctw_config *c)
{
	s_table_full_earlier(h, c);
	h->table_full.records = 17;
	h->table_full.n_netns = 2;
	h->table_full.netns[1] = (struct ctw_table_full_netns){ .inode = 4026532177, .records = 5 };
}
/* Seen from a netns that never dropped: 30 records, only 12 kept by name (a
 * log naming more than 16 namespaces). None can be its own: a warning. */
static void s_table_full_unkept_neighbour(struct ctw_host *h, struct ctw_config *c)
{
	s_table_full_neighbour(h, c);
	h->table_full.records = 30;
}
/* The same with the drop counter unknown: they may be its own. */
static void s_table_full_unkept_no_stats(struct ctw_host *h, struct ctw_config *c)
{
	s_table_full_unkept_neighbour(h, c);
	h->have_stats = false;
}
static void s_expect(struct ctw_host *h, struct ctw_config *c) { (void)c; h->table_full.expect_records = 3; }
static void s_ratio_4(struct ctw_host *h, struct ctw_config *c) { (void)c; h->buckets = 65536; refresh_memory(h); }
static void s_ratio_16(struct ctw_host *h, struct ctw_config *c) { (void)c; h->buckets = 16384; refresh_memory(h); }
static void s_ratio_16_cfg_32(struct ctw_host *h, struct ctw_config *c) { h->buckets = 16384; c->buckets_ratio = 32; refresh_memory(h); }
static void s_ratio_2_cfg_2(struct ctw_host *h, struct ctw_config *c) { h->buckets = 131072; c->buckets_ratio = 2; refresh_memory(h); }
static void s_chain(struct ctw_host *h, struct ctw_config *c) { (void)c; h->stats.counters.value[CTW_CTR_CHAIN_TOOLONG] = 7; }
static void s_est_default(struct ctw_host *h, struct ctw_config *c) { (void)c; h->timeout[CTW_TO_TCP_ESTABLISHED] = 432000; }
static void s_est_default_busy(struct ctw_host *h, struct ctw_config *c)
{
	s_est_default(h, c);
	h->max = 100000;
	set_usage(h, 80000);
}
static void s_est_default_drops(struct ctw_host *h, struct ctw_config *c) { s_est_default(h, c); s_drop(h, c); }
static void s_est_unreadable(struct ctw_host *h, struct ctw_config *c) { s_est_default(h, c); h->have_timeout[CTW_TO_TCP_ESTABLISHED] = false; }
static void s_small_ram(struct ctw_host *h, struct ctw_config *c)
{
	(void)c;
	h->memory.memtotal_bytes = 1 * GiB;   /* 64 MiB at max = 6.3%, budget 5% */
	refresh_memory(h);
}
static void s_sample(struct ctw_host *h, uint64_t sampled, uint64_t top)
{
	h->ports.taken = true;
	h->ports.sampled = sampled;
	h->ports.top_proto = IPPROTO_UDP;
	h->ports.top_port = 53;
	h->ports.top_count = top;
}
static void s_notrack(struct ctw_host *h, struct ctw_config *c) { s_usage_80(h, c); s_sample(h, 4096, 3000); }
static void s_notrack_calm(struct ctw_host *h, struct ctw_config *c) { (void)c; s_sample(h, 4096, 3000); }
static void s_notrack_spread(struct ctw_host *h, struct ctw_config *c) { s_usage_80(h, c); s_sample(h, 4096, 2000); }
static void s_notrack_small(struct ctw_host *h, struct ctw_config *c) { s_usage_80(h, c); s_sample(h, 500, 500); }
static void s_notrack_drops(struct ctw_host *h, struct ctw_config *c) { s_drop(h, c); s_sample(h, 1000, 500); }
/* A calm table (0.4%) whose sample shows one port, and a neighbour's table-full
 * records in the shared kernel log: no pressure here, no advice. */
static void s_notrack_neighbour(struct ctw_host *h, struct ctw_config *c) { s_table_full_neighbour(h, c); s_sample(h, 4096, 3000); }
static void s_readonly(struct ctw_host *h, struct ctw_config *c) { (void)c; h->global_writable = false; }
static void s_no_stats(struct ctw_host *h, struct ctw_config *c) { (void)c; h->have_stats = false; }
static void s_no_kmsg(struct ctw_host *h, struct ctw_config *c) { (void)c; h->have_kmsg = false; }
static void s_no_count(struct ctw_host *h, struct ctw_config *c) { (void)c; h->have_count = false; }
static void s_no_max(struct ctw_host *h, struct ctw_config *c) { (void)c; h->have_max = false; }

static const struct fcase cases[] = {
	{ "healthy: usage 0.4%", s_none, "usage_warning", -1, CTW_STATUS_OK },
	{ "usage 95%", s_usage_95, "usage_critical", CTW_SEV_CRITICAL, CTW_STATUS_CRITICAL },
	{ "usage exactly crit", s_usage_90, "usage_critical", CTW_SEV_CRITICAL, CTW_STATUS_CRITICAL },
	{ "usage 80%", s_usage_80, "usage_warning", CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "usage 80% is not critical", s_usage_80, "usage_critical", -1, CTW_STATUS_WARNING },
	{ "usage 74.99%", s_usage_74, "usage_warning", -1, CTW_STATUS_OK },
	{ "max 0", s_max_zero, "max_unlimited", CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "max set", s_none, "max_unlimited", -1, CTW_STATUS_OK },
	{ "drop counter", s_drop, "drops_seen", CTW_SEV_CRITICAL, CTW_STATUS_CRITICAL },
	{ "drop not reported by the source", s_drop_unreported, "drops_seen", -1, CTW_STATUS_OK },
	{ "early_drop counter", s_early, "early_drops_seen", CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "no early drops", s_none, "early_drops_seen", -1, CTW_STATUS_OK },
	{ "table full logged", s_table_full, "table_full_logged", CTW_SEV_CRITICAL, CTW_STATUS_CRITICAL },
	{ "a neighbour netns was full", s_table_full_neighbour, "table_full_logged", CTW_SEV_WARNING,
	  CTW_STATUS_WARNING },
	{ "inode reuse: records of an earlier netns", s_table_full_earlier, "table_full_logged", -1,
	  CTW_STATUS_OK },
	{ "inode reuse: said as info", s_table_full_earlier, "table_full_earlier_netns", CTW_SEV_INFO,
	  CTW_STATUS_OK },
	{ "inode reuse: not when this netns dropped", s_table_full_self, "table_full_earlier_netns", -1,
	  CTW_STATUS_CRITICAL },
	{ "inode reuse: drop counter unknown", s_table_full_self_no_stats, "table_full_logged",
	  CTW_SEV_CRITICAL, CTW_STATUS_CRITICAL },
	{ "inode reuse: a neighbour too", s_table_full_earlier_and_neighbour, "table_full_logged",
	  CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "this non-init netns was full", s_table_full_self, "table_full_logged", CTW_SEV_CRITICAL,
	  CTW_STATUS_CRITICAL },
	{ "records past the kept inodes, no drops here", s_table_full_unkept_neighbour, "table_full_logged",
	  CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "records past the kept inodes, drops unknown", s_table_full_unkept_no_stats, "table_full_logged",
	  CTW_SEV_CRITICAL, CTW_STATUS_CRITICAL },
	{ "expectation table full", s_expect, "expect_table_full", CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "no kmsg records", s_none, "table_full_logged", -1, CTW_STATUS_OK },
	{ "ratio 4 over 1", s_ratio_4, "hash_ratio_high", CTW_SEV_INFO, CTW_STATUS_OK },
	{ "ratio 16", s_ratio_16, "hash_ratio_high", CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "ratio 16 under configured 32", s_ratio_16_cfg_32, "hash_ratio_high", -1, CTW_STATUS_OK },
	{ "ratio 2 equals configured", s_ratio_2_cfg_2, "hash_ratio_high", -1, CTW_STATUS_OK },
	{ "ratio 1", s_none, "hash_ratio_high", -1, CTW_STATUS_OK },
	{ "chaintoolong", s_chain, "chain_too_long", CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "established default, calm", s_est_default, "tcp_established_default", CTW_SEV_INFO, CTW_STATUS_OK },
	{ "established default, busy", s_est_default_busy, "tcp_established_default", CTW_SEV_WARNING,
	  CTW_STATUS_WARNING },
	{ "established default, drops", s_est_default_drops, "tcp_established_default", CTW_SEV_WARNING,
	  CTW_STATUS_CRITICAL },
	{ "established shortened", s_none, "tcp_established_default", -1, CTW_STATUS_OK },
	{ "established unreadable", s_est_unreadable, "tcp_established_default", -1, CTW_STATUS_OK },
	{ "memory over budget", s_small_ram, "memory_over_budget", CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "memory within budget", s_none, "memory_over_budget", -1, CTW_STATUS_OK },
	{ "notrack: udp/53 dominates a busy table", s_notrack, "notrack_port", CTW_SEV_WARNING, CTW_STATUS_WARNING },
	{ "notrack: calm table", s_notrack_calm, "notrack_port", -1, CTW_STATUS_OK },
	{ "notrack: port under half", s_notrack_spread, "notrack_port", -1, CTW_STATUS_WARNING },
	{ "notrack: sample too small", s_notrack_small, "notrack_port", -1, CTW_STATUS_WARNING },
	{ "notrack: exactly half, drops", s_notrack_drops, "notrack_port", CTW_SEV_WARNING, CTW_STATUS_CRITICAL },
	{ "notrack: only a neighbour's records", s_notrack_neighbour, "notrack_port", -1, CTW_STATUS_WARNING },
	{ "readonly netns", s_readonly, "netns_readonly", CTW_SEV_INFO, CTW_STATUS_OK },
	{ "initial netns", s_none, "netns_readonly", -1, CTW_STATUS_OK },
	{ "stats unavailable", s_no_stats, "stats_unavailable", CTW_SEV_INFO, CTW_STATUS_OK },
	{ "kmsg unavailable", s_no_kmsg, "kmsg_unavailable", CTW_SEV_INFO, CTW_STATUS_OK },
	{ "count unreadable", s_no_count, "usage_unknown", CTW_SEV_UNKNOWN, CTW_STATUS_UNKNOWN },
	{ "max unreadable", s_no_max, "usage_unknown", CTW_SEV_UNKNOWN, CTW_STATUS_UNKNOWN },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *k = &cases[i];
		struct ctw_findings f;
		struct ctw_config c;
		struct ctw_host h;
		const struct ctw_finding *x;

		healthy_host(&h);
		test_config(&c);
		k->setup(&h, &c);
		ctw_findings_evaluate(&h, &c, &f);
		x = find(&f, k->code);
		print_message("case: %s\n", k->name);
		if (k->severity < 0) {
			assert_null(x);
		} else {
			assert_non_null(x);
			assert_int_equal(x->severity, k->severity);
			assert_true(strlen(x->message) > 20);
		}
		assert_int_equal(f.status, k->status);
	}
}

static void test_healthy_has_no_findings(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	ctw_findings_evaluate(&h, &c, &f);
	assert_int_equal(f.n, 0);
	assert_int_equal(f.status, CTW_STATUS_OK);
	assert_string_equal(ctw_status_name(f.status), "OK");
}

static void test_not_loaded_is_unknown_and_alone(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	/* Even with alarming leftovers, nothing else is judged. */
	s_drop(&h, &c);
	s_usage_95(&h, &c);
	h.loaded = false;
	ctw_findings_evaluate(&h, &c, &f);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.item[0].code, "not_loaded");
	assert_int_equal(f.item[0].severity, CTW_SEV_UNKNOWN);
	assert_non_null(strstr(f.item[0].message, "not loaded"));
	assert_int_equal(f.status, CTW_STATUS_UNKNOWN);
	assert_int_equal((int)f.status, 3);
}

static void test_status_names_and_exit_codes(void **state)
{
	(void)state;
	assert_string_equal(ctw_status_name(CTW_STATUS_OK), "OK");
	assert_string_equal(ctw_status_name(CTW_STATUS_WARNING), "WARNING");
	assert_string_equal(ctw_status_name(CTW_STATUS_CRITICAL), "CRITICAL");
	assert_string_equal(ctw_status_name(CTW_STATUS_UNKNOWN), "UNKNOWN");
	assert_int_equal(CTW_STATUS_OK, 0);
	assert_int_equal(CTW_STATUS_WARNING, 1);
	assert_int_equal(CTW_STATUS_CRITICAL, 2);
	assert_int_equal(CTW_STATUS_UNKNOWN, 3);
	assert_string_equal(ctw_severity_name(CTW_SEV_INFO), "info");
	assert_string_equal(ctw_severity_name(CTW_SEV_WARNING), "warning");
	assert_string_equal(ctw_severity_name(CTW_SEV_CRITICAL), "critical");
	assert_string_equal(ctw_severity_name(CTW_SEV_UNKNOWN), "unknown");
}

/* Info never raises the status; critical outranks unknown; findings come worst first. */
static void test_status_is_worst_and_sorted(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_readonly(&h, &c);
	s_no_kmsg(&h, &c);
	s_est_default(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.status, CTW_STATUS_OK);

	s_no_count(&h, &c);
	s_early(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	assert_int_equal(f.status, CTW_STATUS_UNKNOWN);

	s_drop(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	assert_int_equal(f.status, CTW_STATUS_CRITICAL);
	assert_string_equal(f.item[0].code, "drops_seen");
	assert_string_equal(f.item[1].code, "usage_unknown");
	for (unsigned i = 1; i < f.n; i++)
		assert_true(ctw_severity_rank(f.item[i - 1].severity) >= ctw_severity_rank(f.item[i].severity));
	assert_int_equal(f.item[f.n - 1].severity, CTW_SEV_INFO);
}

/* 95% full: raise max so the count lands at low water (50%), and grow the hash with it. */
static void test_usage_remedy_values(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;
	uint64_t target, buckets;
	char line[160];

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_usage_95(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "usage_critical");
	assert_non_null(x);
	/* Worked out by hand from the rule as src/policy/bounds.h states it: the count
	 * at low_water (50%) of the new max, rounded up to a multiple of 1024, at
	 * most what max_ceiling and the memory budget allow: 249037 / 0.50 =
	 * 498074, up to 487 x 1024 = 498688. Neither limit binds: the ceiling is
	 * 4194304, and the budget, 5% of 24 GiB = 1288490188 B, holds even that
	 * (4194304 entries x 256 B + 4194304 buckets x 8 B = 1107296256 B). The
	 * hash at buckets_ratio 1: 498688 buckets, a whole number of 512-bucket
	 * pages (974), so no rounding. */
	target = 498688;
	buckets = 498688;
	assert_int_equal(ctw_max_target(&c, h.count, h.max, allowed_for(&h, &c)), target);
	assert_true(has_sysctl(x->remedy, "nf_conntrack_max", target));
	snprintf(line, sizeof(line), "sysctl -w net.netfilter.nf_conntrack_buckets=%" PRIu64, buckets);
	assert_true(has_line(x->remedy, line));
	snprintf(line, sizeof(line), "echo 'options nf_conntrack hashsize=%" PRIu64
		 "' >> /etc/modprobe.d/nf_conntrack.conf", buckets);
	assert_true(has_line(x->remedy, line));
	assert_non_null(strstr(x->remedy, "quiet time"));
	assert_null(strstr(x->remedy, READONLY_PREFIX));
	assert_non_null(strstr(x->message, "249037 of 262144"));
	assert_non_null(strstr(x->message, "95.0%"));
}

/* Within the ratio after the raise: no resize suggested. */
static void test_usage_remedy_without_resize(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	h.buckets = 1048576;
	s_usage_95(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "usage_critical");
	assert_non_null(x);
	assert_non_null(strstr(x->remedy, "nf_conntrack_max="));
	assert_null(strstr(x->remedy, "nf_conntrack_buckets"));
	assert_null(strstr(x->remedy, "hashsize"));
}

/* The ceiling holds max: say so, and point at timeouts (and NOTRACK when the sample shows it). */
static void test_usage_at_limit(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;
	char expect[160];

	(void)state;
	healthy_host(&h);
	test_config(&c);
	c.max_ceiling = 262144;
	s_usage_95(&h, &c);
	s_est_default(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "usage_critical");
	assert_non_null(x);
	snprintf(expect, sizeof(expect), "max is already at the limit ctwarden may set: ceiling 262144, memory budget 5%%");
	assert_non_null(strstr(x->message, expect));
	assert_null(strstr(x->remedy, "nf_conntrack_max="));
	assert_true(has_sysctl(x->remedy, "nf_conntrack_tcp_timeout_established", 86400));
	assert_null(strstr(x->remedy, "nft "));

	s_sample(&h, 4096, 4000);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "usage_critical");
	assert_true(has_line(x->remedy, "nft add rule inet ctwarden_notrack pre udp dport 53 notrack"));
	assert_true(has_line(x->remedy, "nft add rule inet ctwarden_notrack out udp sport 53 notrack"));

	/* A configured floor above a day wins. */
	c.timeout_floor_s[CTW_TO_TCP_ESTABLISHED] = 172800;
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "usage_critical");
	assert_true(has_sysctl(x->remedy, "nf_conntrack_tcp_timeout_established", 172800));
}

/* Not the initial netns: the global commands say where they must run; the
 * per-netns timeout does not. */
static void test_readonly_prefix(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_readonly(&h, &c);
	s_usage_95(&h, &c);
	s_est_default(&h, &c);
	s_ratio_16(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "usage_critical");
	assert_non_null(x);
	assert_int_equal(strncmp(x->remedy, READONLY_PREFIX "\n", strlen(READONLY_PREFIX) + 1), 0);
	x = find(&f, "hash_ratio_high");
	assert_non_null(x);
	assert_int_equal(strncmp(x->remedy, READONLY_PREFIX "\n", strlen(READONLY_PREFIX) + 1), 0);
	x = find(&f, "tcp_established_default");
	assert_non_null(x);
	assert_null(strstr(x->remedy, READONLY_PREFIX));
	assert_true(has_sysctl(x->remedy, "nf_conntrack_tcp_timeout_established", 86400));
}

/* Drops in the past with a calm table now: twice the max (low water 50%), capped by the limit. */
static void test_drops_remedy(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x, *y;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_drop(&h, &c);
	s_early(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "drops_seen");
	assert_non_null(x);
	assert_non_null(strstr(x->message, "1933 packets were dropped"));
	assert_true(has_sysctl(x->remedy, "nf_conntrack_max", 524288));
	/* The early-drop finding points at the same fix instead of repeating it. */
	y = find(&f, "early_drops_seen");
	assert_non_null(y);
	assert_string_equal(y->remedy, "");
	assert_non_null(strstr(y->message, "drops_seen"));

	c.max_ceiling = 400000;
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "drops_seen");
	assert_true(has_sysctl(x->remedy, "nf_conntrack_max", 400000));

	/* Busy now: the usage finding carries the raise. */
	c.max_ceiling = 4194304;
	s_usage_95(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "drops_seen");
	assert_string_equal(x->remedy, "");
	assert_non_null(strstr(x->message, "usage_critical"));
	assert_non_null(strstr(find(&f, "usage_critical")->remedy, "nf_conntrack_max="));
}

static void test_table_full_message(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	h.table_full.records = 15;
	h.table_full.n_netns = 3;
	h.table_full.netns[0] = (struct ctw_table_full_netns){ .inode = 4026532177, .records = 10 };
	h.table_full.netns[1] = (struct ctw_table_full_netns){ .inode = h.self_netns_inode, .records = 3 };
	h.table_full.netns[2] = (struct ctw_table_full_netns){ .inode = 0, .records = 2 };
	h.stats.counters.value[CTW_CTR_DROP] = 3;   /* this netns did drop */
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "table_full_logged");
	assert_non_null(x);
	assert_non_null(strstr(x->message, "15 "));
	assert_non_null(strstr(x->message, "netns 4026532177 x10"));
	assert_non_null(strstr(x->message, "this netns (4026531840) x3"));
	assert_non_null(strstr(x->message, "no netns named (initial netns or older kernel) x2"));
	assert_non_null(strstr(x->message, "each netns separately"));
	/* the drops carry the raise; this finding points there */
	assert_non_null(strstr(x->message, "The fix is under drops_seen"));
	assert_true(has_sysctl(find(&f, "drops_seen")->remedy, "nf_conntrack_max", 524288));
	assert_null(strstr(x->message, "None was this netns"));
	assert_null(strstr(x->message, "UTC"));  /* the snapshot has no clock: no times */

	/* With the snapshot's clock, the records' times (booted 2024-05-01 10:00:00 UTC). */
	h.kmsg_clock = (struct ctw_kmsg_clock){ .known = true, .boot_wall_us = 1714557600000000, .uptime_us = 7200000000 };
	h.table_full.first_usec = 60000000;
	h.table_full.last_usec = 3600500000;
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "table_full_logged");
	assert_non_null(strstr(x->message, "messages (2024-05-01 10:01:00 UTC to 2024-05-01 11:00:00 UTC)."));

	/* Only other netns filled up: say that this one's count does not show it. */
	h.table_full.records = 10;
	h.table_full.n_netns = 1;
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "table_full_logged");
	assert_non_null(strstr(x->message, "None was this netns"));
}

/* Inode reuse: the records naming this netns's inode are an earlier netns's. */
static void test_table_full_earlier_message(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;
	char from[40], to[40], span[100];

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_table_full_earlier_and_neighbour(&h, &c);
	/* the earlier netns's records at 10-20 s since boot, the neighbour's at 30-40 s */
	h.table_full.first_usec = 10000000;
	h.table_full.last_usec = 40000000;
	h.table_full.netns[0].first_usec = 10000000;
	h.table_full.netns[0].last_usec = 20000000;
	h.table_full.netns[1].first_usec = 30000000;
	h.table_full.netns[1].last_usec = 40000000;
	h.kmsg_clock = (struct ctw_kmsg_clock){ .known = true, .boot_wall_us = 1714557600000000,
						.uptime_us = 3600000000 };
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "table_full_earlier_netns");
	assert_non_null(x);
	assert_non_null(strstr(x->message, "12 'table full' messages name netns 4026532999"));
	assert_non_null(strstr(x->message, "an earlier namespace with inode 4026532999"));
	assert_string_equal(x->remedy, "");
	/* the neighbour's records only, their times, and nothing of the earlier netns */
	x = find(&f, "table_full_logged");
	assert_non_null(x);
	assert_non_null(strstr(x->message, "logged 5 'table full"));
	assert_true(ctw_format_kmsg_time(&h.kmsg_clock, 30000000, false, from, sizeof(from)));
	assert_true(ctw_format_kmsg_time(&h.kmsg_clock, 40000000, false, to, sizeof(to)));
	snprintf(span, sizeof(span), "(%s to %s)", from, to);
	assert_non_null(strstr(x->message, span));
	assert_non_null(strstr(x->message, " In: netns 4026532177 x5."));
	assert_null(strstr(x->message, "4026532999"));
	assert_null(strstr(x->message, "others"));
	assert_null(strstr(x->message, "this netns ("));
	assert_non_null(strstr(x->message, "None was this netns"));
	/* no pressure from them: the default established timeout stays a note */
	h.timeout[CTW_TO_TCP_ESTABLISHED] = 432000;
	h.table_full.n_netns = 1;
	h.table_full.records = 12;
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "tcp_established_default");
	assert_non_null(x);
	assert_int_equal(x->severity, CTW_SEV_INFO);
	assert_int_equal(f.status, CTW_STATUS_OK);
}

/* Kernel-log stamps become dates by the clock the snapshot read, never the
 * clock at the time of judging: the same snapshot always says the same. */
static void test_kmsg_time_from_snapshot(void **state)
{
	struct ctw_kmsg_clock clk = { .known = true, .boot_wall_us = 1714557600000000, .uptime_us = 3600000000 };
	char buf[40];

	(void)state;
	assert_true(ctw_format_kmsg_time(&clk, 1500000, true, buf, sizeof(buf)));
	assert_string_equal(buf, "2024-05-01T10:00:01Z");
	assert_true(ctw_format_kmsg_time(&clk, 0, false, buf, sizeof(buf)));
	assert_string_equal(buf, "2024-05-01 10:00:00 UTC");
	/* A stamp after the snapshot (skew, bogus input) means the snapshot's now. */
	assert_true(ctw_format_kmsg_time(&clk, UINT64_MAX, true, buf, sizeof(buf)));
	assert_string_equal(buf, "2024-05-01T11:00:00Z");
	/* No clock read: no time, and an empty string. */
	clk.known = false;
	assert_false(ctw_format_kmsg_time(&clk, 1500000, true, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	/* Too small a buffer: false, never a cut date. */
	clk.known = true;
	assert_false(ctw_format_kmsg_time(&clk, 1500000, true, buf, 10));
}

static void test_hash_remedy(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_ratio_16(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "hash_ratio_high");
	assert_non_null(x);
	assert_non_null(strstr(x->message, "16.0 entries per bucket"));
	assert_true(has_line(x->remedy, "sysctl -w net.netfilter.nf_conntrack_buckets=262144"));
	assert_true(has_line(x->remedy,
			     "echo 'options nf_conntrack hashsize=262144' >> /etc/modprobe.d/nf_conntrack.conf"));
	assert_non_null(strstr(x->remedy, "quiet time"));
	assert_null(strstr(x->remedy, "nf_conntrack_max="));
}

static void test_memory_remedy(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;
	uint64_t allowed;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_small_ram(&h, &c);
	h.memory.object_size_estimated = true;
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "memory_over_budget");
	assert_non_null(x);
	assert_non_null(strstr(x->message, "66.0 MiB"));   /* 262144 x 256 + 262144 x 8 */
	assert_non_null(strstr(x->message, "6.4% of RAM"));
	assert_non_null(strstr(x->message, "budget 5%"));
	assert_non_null(strstr(x->message, "estimates"));
	allowed = allowed_for(&h, &c);
	assert_true(allowed < h.max);
	assert_true(ctw_table_bytes(256, allowed, ctw_buckets_for_max(&c, allowed)) <= GiB / 20);
	assert_true(has_sysctl(x->remedy, "nf_conntrack_max", allowed));
}

static void test_notrack_remedy(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_notrack(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "notrack_port");
	assert_non_null(x);
	assert_non_null(strstr(x->message, "73% of 4096 sampled entries are udp to port 53"));
	assert_non_null(strstr(x->message, "NAT"));
	assert_string_equal(x->remedy,
		"nft add table inet ctwarden_notrack\n"
		"nft add chain inet ctwarden_notrack pre '{ type filter hook prerouting priority raw; }'\n"
		"nft add chain inet ctwarden_notrack out '{ type filter hook output priority raw; }'\n"
		"nft add rule inet ctwarden_notrack pre udp dport 53 notrack\n"
		"nft add rule inet ctwarden_notrack out udp sport 53 notrack");
}

static void test_max_unlimited_remedy(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_max_zero(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "max_unlimited");
	assert_non_null(x);
	assert_true(has_sysctl(x->remedy, "nf_conntrack_max", allowed_for(&h, &c)));
	assert_null(find(&f, "usage_critical"));
	assert_null(find(&f, "usage_warning"));
}

static void test_expect_remedy(void **state)
{
	struct ctw_findings f;
	struct ctw_config c;
	struct ctw_host h;
	const struct ctw_finding *x;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	s_expect(&h, &c);
	s_readonly(&h, &c);
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "expect_table_full");
	assert_non_null(x);
	assert_non_null(strstr(x->message, "3 "));
	assert_int_equal(strncmp(x->remedy, READONLY_PREFIX, strlen(READONLY_PREFIX)), 0);
	assert_non_null(strstr(x->remedy, "sysctl -w net.netfilter.nf_conntrack_expect_max="));
}

static void test_format_bytes(void **state)
{
	char b[32];

	(void)state;
	ctw_format_bytes(0, b, sizeof(b));
	assert_string_equal(b, "0 B");
	ctw_format_bytes(1023, b, sizeof(b));
	assert_string_equal(b, "1023 B");
	ctw_format_bytes(1536, b, sizeof(b));
	assert_string_equal(b, "1.5 KiB");
	ctw_format_bytes(69206016, b, sizeof(b));
	assert_string_equal(b, "66.0 MiB");
	ctw_format_bytes(24 * GiB, b, sizeof(b));
	assert_string_equal(b, "24.0 GiB");
}

/* ---- property: over random hosts and policies, no remedy leaves the limits ---- */

static uint64_t rnd(uint64_t n)
{
	uint64_t r = ((uint64_t)(unsigned)rand() << 31) ^ (uint64_t)(unsigned)rand();

	return n ? r % n : 0;
}

static void random_case(struct ctw_host *h, struct ctw_config *c)
{
	static const uint64_t maxes[] = { 0, 1000, 65536, 262144, 1048576, 8388608 };

	healthy_host(h);
	test_config(c);
	c->low_water_pct = 20 + (double)rnd(60);
	c->warn_pct = 50 + (double)rnd(40);
	c->crit_pct = c->warn_pct + (double)rnd(10);
	c->max_ceiling = 1024 + rnd(8388608);
	c->memory_budget_pct = 0.5 + (double)rnd(200) / 10.0;
	c->buckets_ratio = rnd(3) == 0 ? 0.5 : (double)(1 + rnd(8));
	h->max = maxes[rnd(6)];
	if (rnd(2))
		h->max += rnd(100000);
	h->count = h->max ? rnd(h->max + 1) : rnd(2000000);
	h->buckets = 512 * (1 + rnd(2048));
	h->global_writable = rnd(2);
	h->memory.object_size = 192 + 8 * rnd(24);
	h->memory.memtotal_bytes = rnd(4) ? (256ull << 20) + rnd(64 * GiB) : 0;
	refresh_memory(h);
	h->stats.counters.value[CTW_CTR_DROP] = rnd(3) ? 0 : rnd(100000);
	h->stats.counters.value[CTW_CTR_EARLY_DROP] = rnd(3) ? 0 : rnd(100000);
	h->stats.counters.value[CTW_CTR_CHAIN_TOOLONG] = rnd(4) ? 0 : rnd(100);
	h->table_full.records = rnd(3) ? 0 : rnd(50);
	h->table_full.expect_records = rnd(5) ? 0 : rnd(5);
	h->timeout[CTW_TO_TCP_ESTABLISHED] = rnd(2) ? 432000 : 3600 + rnd(500000);
	if (rnd(2)) {
		s_sample(h, rnd(5000), 0);
		h->ports.top_count = rnd(h->ports.sampled + 1);
	}
}

/* Every value after "name=" in the remedy. */
static unsigned values_of(const char *remedy, const char *name, uint64_t *v, unsigned nmax)
{
	unsigned n = 0;
	size_t len = strlen(name);

	for (const char *p = strstr(remedy, name); p && n < nmax; p = strstr(p + len, name)) {
		if (p[len] != '=')
			continue;
		v[n++] = strtoull(p + len + 1, NULL, 10);
	}
	return n;
}

static void check_remedy_limits(const struct ctw_host *h, const struct ctw_config *c, const struct ctw_finding *x)
{
	uint64_t allowed = allowed_for(h, c), v[8];
	unsigned n = values_of(x->remedy, "nf_conntrack_max", v, 8);
	bool lowers = strcmp(x->code, "memory_over_budget") == 0;
	const char *p;

	for (unsigned i = 0; i < n; i++) {
		assert_true(v[i] <= allowed);
		if (lowers)
			assert_true(v[i] < h->max);
		else if (h->max)
			assert_true(v[i] > h->max);
		else
			assert_true(v[i] > 0);
	}
	n = values_of(x->remedy, "nf_conntrack_buckets", v, 8);
	for (unsigned i = 0; i < n; i++) {
		assert_true(v[i] >= 512 && v[i] % 512 == 0);
		assert_true(v[i] <= ctw_buckets_for_max(c, allowed));
	}
	if (!h->global_writable && (strstr(x->remedy, "nf_conntrack_max=") || strstr(x->remedy, "nf_conntrack_buckets=")))
		assert_int_equal(strncmp(x->remedy, READONLY_PREFIX, strlen(READONLY_PREFIX)), 0);
	/* Each line is a whole command or a comment: nothing was cut. */
	for (p = x->remedy; *p; p += strcspn(p, "\n"), p += *p == '\n') {
		assert_true(strncmp(p, "sysctl -w ", 10) == 0 || strncmp(p, "echo ", 5) == 0 ||
			    strncmp(p, "nft add ", 8) == 0 || strncmp(p, "# ", 2) == 0);
	}
}

static void test_property_remedies_within_limits(void **state)
{
	unsigned raised = 0, lowered = 0;

	(void)state;
	srand(20240501);
	for (int iter = 0; iter < 20000; iter++) {
		struct ctw_findings f;
		struct ctw_config c;
		struct ctw_host h;
		int worst = 0;

		random_case(&h, &c);
		ctw_findings_evaluate(&h, &c, &f);
		assert_true(f.n <= CTW_MAX_FINDINGS);
		for (unsigned i = 0; i < f.n; i++) {
			const struct ctw_finding *x = &f.item[i];

			check_remedy_limits(&h, &c, x);
			assert_true(x->message[0] != '\0');
			if (ctw_severity_rank(x->severity) > worst)
				worst = ctw_severity_rank(x->severity);
			if (strstr(x->remedy, "nf_conntrack_max="))
				strcmp(x->code, "memory_over_budget") ? raised++ : lowered++;
		}
		assert_int_equal(f.status, worst == 3 ? CTW_STATUS_CRITICAL : worst == 2 ? CTW_STATUS_UNKNOWN :
					   worst == 1 ? CTW_STATUS_WARNING : CTW_STATUS_OK);
	}
	/* The loop exercised both directions. */
	assert_true(raised > 100);
	assert_true(lowered > 100);
}

/* ---- whether the audit takes its sample ----------------------------------- */

/* Only this namespace's own usage (at or above warn 75%) or its own drops;
 * expected values by hand from that rule. The host is healthy_host's: 1000 of
 * 262144 entries, every counter 0, the initial netns. */
static void w_usage_74(struct ctw_host *h, struct ctw_config *c) { (void)c; h->max = 100000; h->count = 74990; }
static void w_usage_75(struct ctw_host *h, struct ctw_config *c) { (void)c; h->max = 100000; h->count = 75000; }
static void w_few_full(struct ctw_host *h, struct ctw_config *c) { (void)c; h->max = 511; h->count = 511; }
static void w_min_full(struct ctw_host *h, struct ctw_config *c) { (void)c; h->max = 512; h->count = 512; }
static void w_unloaded(struct ctw_host *h, struct ctw_config *c) { w_usage_75(h, c); h->loaded = false; }
static void w_no_count(struct ctw_host *h, struct ctw_config *c) { w_usage_75(h, c); h->have_count = false; }
static void w_warn_50(struct ctw_host *h, struct ctw_config *c) { h->max = 100000; h->count = 50000; c->warn_pct = 50; }
static void w_neighbour_drops_unknown(struct ctw_host *h, struct ctw_config *c) { s_table_full_neighbour(h, c); h->have_stats = false; }
static void w_unnamed(struct ctw_host *h, struct ctw_config *c)
{
	(void)c;
	h->table_full.records = 4;
	h->table_full.n_netns = 1;
	h->table_full.netns[0] = (struct ctw_table_full_netns){ .inode = 0, .records = 4 };
}
static void w_unnamed_no_stats(struct ctw_host *h, struct ctw_config *c) { w_unnamed(h, c); h->have_stats = false; }
static void w_unnamed_neighbour_no_stats(struct ctw_host *h, struct ctw_config *c)
{
	w_unnamed_no_stats(h, c);
	h->global_writable = false;
	h->self_netns_inode = 4026532999;
}
/* 20 records, 12 kept by name (another netns): 8 may be anyone's. */
static void w_unkept_no_stats(struct ctw_host *h, struct ctw_config *c)
{
	s_table_full_neighbour(h, c);
	h->have_stats = false;
	h->table_full.records = 20;
}

static void test_want_sample(void **state)
{
	static const struct {
		const char *name;
		void (*setup)(struct ctw_host *h, struct ctw_config *c);
		bool want;
	} wcases[] = {
		{ "healthy, calm", s_none, false },
		{ "usage 74.99%", w_usage_74, false },
		{ "usage exactly warn", w_usage_75, true },
		{ "usage 80%", s_usage_80, true },
		{ "warn configured at 50%, usage 50%", w_warn_50, true },
		{ "own drops", s_drop, true },
		{ "own drops, not reported by the source", s_drop_unreported, false },
		{ "early drops only", s_early, false },
		{ "a neighbour's records", s_table_full_neighbour, false },
		{ "a neighbour's records seen from the host", s_table_full, false },
		{ "a neighbour's records and own drops", s_table_full_self, true },
		{ "records of an earlier netns with this inode", s_table_full_earlier, false },
		{ "this inode's records, drop counter unknown", s_table_full_self_no_stats, true },
		{ "a neighbour's records, drop counter unknown", w_neighbour_drops_unknown, false },
		{ "unnamed records in the initial netns, drops 0", w_unnamed, false },
		{ "unnamed records in the initial netns, drops unknown", w_unnamed_no_stats, true },
		{ "unnamed records elsewhere, drops unknown", w_unnamed_neighbour_no_stats, false },
		{ "records not kept by name, drops unknown", w_unkept_no_stats, true },
		{ "full, but 511 entries", w_few_full, false },
		{ "full, 512 entries", w_min_full, true },
		{ "count unreadable", w_no_count, false },
		{ "not loaded", w_unloaded, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		struct ctw_config c;
		struct ctw_host h;

		healthy_host(&h);
		test_config(&c);
		wcases[i].setup(&h, &c);
		print_message("want_sample: %s\n", wcases[i].name);
		assert_int_equal(ctw_findings_want_sample(&h, &c), wcases[i].want);
	}
}

static void k_netns(struct ctw_host *h, struct ctw_config *c)
{
	(void)c;
	h->global_writable = false;
	h->self_netns_inode = 4026532999;
}
static void k_netns_drop(struct ctw_host *h, struct ctw_config *c) { k_netns(h, c); s_drop(h, c); }
static void k_netns_drop_unreported(struct ctw_host *h, struct ctw_config *c) { k_netns(h, c); s_drop_unreported(h, c); }
static void k_netns_no_stats(struct ctw_host *h, struct ctw_config *c) { k_netns(h, c); h->have_stats = false; }
static void k_netns_full(struct ctw_host *h, struct ctw_config *c) { k_netns(h, c); h->count = h->max; }

/* The kernel log is read where its records can concern the answer: on the
 * host (the records name the namespaces its max holds) and in a namespace
 * whose own drops they may be (drops counted, or the counter unknown). */
static void test_want_kernel_log(void **state)
{
	static const struct {
		const char *name;
		void (*setup)(struct ctw_host *h, struct ctw_config *c);
		bool want;
	} kcases[] = {
		{ "the host, calm", s_none, true },
		{ "the host, drops", s_drop, true },
		{ "a netns, drop counter 0", k_netns, false },
		{ "a netns, full but drop counter 0", k_netns_full, false },
		{ "a netns with drops", k_netns_drop, true },
		{ "a netns, drop not reported by the source", k_netns_drop_unreported, true },
		{ "a netns, no statistics", k_netns_no_stats, true },
		{ "not loaded", w_unloaded, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(kcases) / sizeof(kcases[0]); i++) {
		struct ctw_config c;
		struct ctw_host h;

		healthy_host(&h);
		test_config(&c);
		kcases[i].setup(&h, &c);
		print_message("want_kernel_log: %s\n", kcases[i].name);
		assert_int_equal(ctw_findings_want_kernel_log(&h), kcases[i].want);
	}
}

/* A log not read because the answer did not need it is no "unreadable" note. */
static void test_kernel_log_not_needed(void **state)
{
	struct ctw_findings out;
	struct ctw_config c;
	struct ctw_host h;

	(void)state;
	healthy_host(&h);
	test_config(&c);
	k_netns(&h, &c);
	h.have_kmsg = false;
	h.kmsg_not_needed = true;
	ctw_findings_evaluate(&h, &c, &out);
	assert_null(find(&out, "kmsg_unavailable"));
	assert_int_equal(out.status, CTW_STATUS_OK);
	h.kmsg_not_needed = false;
	ctw_findings_evaluate(&h, &c, &out);
	assert_non_null(find(&out, "kmsg_unavailable"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_healthy_has_no_findings),
		cmocka_unit_test(test_not_loaded_is_unknown_and_alone),
		cmocka_unit_test(test_status_names_and_exit_codes),
		cmocka_unit_test(test_status_is_worst_and_sorted),
		cmocka_unit_test(test_usage_remedy_values),
		cmocka_unit_test(test_usage_remedy_without_resize),
		cmocka_unit_test(test_usage_at_limit),
		cmocka_unit_test(test_readonly_prefix),
		cmocka_unit_test(test_drops_remedy),
		cmocka_unit_test(test_table_full_message),
		cmocka_unit_test(test_table_full_earlier_message),
		cmocka_unit_test(test_kmsg_time_from_snapshot),
		cmocka_unit_test(test_hash_remedy),
		cmocka_unit_test(test_memory_remedy),
		cmocka_unit_test(test_notrack_remedy),
		cmocka_unit_test(test_want_sample),
		cmocka_unit_test(test_want_kernel_log),
		cmocka_unit_test(test_kernel_log_not_needed),
		cmocka_unit_test(test_max_unlimited_remedy),
		cmocka_unit_test(test_expect_remedy),
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_property_remedies_within_limits),
	};
	return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
