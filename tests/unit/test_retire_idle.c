/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit's idle ages and the table_stale finding (policy/retire_idle.c,
 * policy/findings_stale.c), and the list of values a timeout may have held
 * (shared with `ctwarden retire`). Expected values worked out by hand from
 * the rule's words: idle = value at refresh - time left - 1 (the time left
 * is rounded down), the value at refresh the smallest known one >= left. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "base/conf.h"
#include "kernel/host.h"
#include "policy/findings.h"
#include "policy/retire_idle.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void test_known_daemon_steps(void **state)
{
	/* 432000 halved down to the 3600 floor, and doubled back up from it. */
	static const uint32_t want[] = { 3600, 6750, 7200, 13500, 14400, 27000, 28800, 54000, 57600, 108000,
					 115200, 216000, 230400, 432000 };
	uint32_t got[CTW_RETIRE_KNOWN_MAX];
	unsigned n = 0;

	(void)state;
	assert_int_equal(ctw_retire_known_values(got, &n, 3600, 432000, 3600, NULL, 0), 0);
	qsort(got, n, sizeof(got[0]), cmp_u32);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	assert_memory_equal(got, want, sizeof(want));
}

static void test_known_plain(void **state)
{
	uint32_t got[CTW_RETIRE_KNOWN_MAX], was[] = { 86400, 600 };
	unsigned n = 0;

	(void)state;
	/* Never changed by ctwarden: the value now and what --was adds. */
	assert_int_equal(ctw_retire_known_values(got, &n, 432000, 0, 3600, was, 2), 0);
	qsort(got, n, sizeof(got[0]), cmp_u32);
	assert_int_equal(n, 3);
	assert_int_equal(got[0], 600);
	assert_int_equal(got[1], 86400);
	assert_int_equal(got[2], 432000);
	/* A 1 s floor under a 5-day original: 18 halvings do not fit. */
	assert_int_equal(ctw_retire_known_values(got, &n, 1, 432000, 1, NULL, 0), -ENOSPC);
}

static struct ctw_ct_entry tcp_est(uint32_t left)
{
	struct ctw_ct_entry e;

	memset(&e, 0, sizeof(e));
	e.key.family = AF_INET;
	e.key.proto = IPPROTO_TCP;
	e.key.tcp_state = TCP_CONNTRACK_ESTABLISHED;
	e.status = CTW_IPS_ASSURED;
	e.has_timeout = true;
	e.timeout_left_s = left;
	e.id = 1;
	return e;
}

static void defaults(struct ctw_config *c, bool have[CTW_TO__COUNT], uint64_t now[CTW_TO__COUNT])
{
	ctw_config_defaults(c);
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		c->timeout_floor_s[t] = ctw_timeout_info((enum ctw_timeout)t)->default_floor;
		have[t] = true;
		now[t] = ctw_timeout_info((enum ctw_timeout)t)->kernel_default;
	}
}

static void test_histogram_and_floor(void **state)
{
	static struct ctw_table_idle ti;
	struct ctw_config c;
	bool have[CTW_TO__COUNT];
	uint64_t now[CTW_TO__COUNT];
	struct ctw_ct_entry e;

	(void)state;
	defaults(&c, have, now);
	ctw_table_idle_init(&ti, have, now, &c);
	/* 432000 in force, never changed: known {432000}. */
	e = tcp_est(428000);   /* idle 3999 s: < 1 day, past the 3600 s floor */
	ctw_table_idle_add(&ti, &e);
	e = tcp_est(431000);   /* idle 999 s: < 1 h, within the floor */
	ctw_table_idle_add(&ti, &e);
	e = tcp_est(431990);   /* idle 9 s */
	ctw_table_idle_add(&ti, &e);
	e = tcp_est(100);      /* idle 431899 s, but within the special 300 s: never retired */
	ctw_table_idle_add(&ti, &e);
	e = tcp_est(428000);
	e.status |= CTW_IPS_DST_NAT;   /* NATed: retire_nat is no by default */
	ctw_table_idle_add(&ti, &e);
	assert_int_equal(ti.hist.entries, 5);
	assert_int_equal(ti.hist.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_MINUTE], 1);
	assert_int_equal(ti.hist.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_HOUR], 1);
	assert_int_equal(ti.hist.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_DAY], 2);
	assert_int_equal(ti.hist.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_OLDER], 1);
	assert_int_equal(ti.beyond_floor[CTW_TO_TCP_ESTABLISHED], 1);
	assert_int_equal(ti.floor_s[CTW_TO_TCP_ESTABLISHED], 3600);
}

/* Shortened to 86400 by someone: the audit takes the default as where it
 * started and the daemon's steps between, so an entry refreshed under
 * 86400 is not taken for one refreshed under 432000. */
static void test_changed_timeout(void **state)
{
	static struct ctw_table_idle ti;
	struct ctw_config c;
	bool have[CTW_TO__COUNT];
	uint64_t now[CTW_TO__COUNT];
	struct ctw_ct_entry e;

	(void)state;
	defaults(&c, have, now);
	now[CTW_TO_TCP_ESTABLISHED] = 86400;
	ctw_table_idle_init(&ti, have, now, &c);
	e = tcp_est(86000);    /* smallest known >= 86000 is 86400: idle 399 s */
	ctw_table_idle_add(&ti, &e);
	assert_int_equal(ti.hist.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_HOUR], 1);
	assert_int_equal(ti.beyond_floor[CTW_TO_TCP_ESTABLISHED], 0);
	e = tcp_est(200000);   /* 216000 (a halving step) covers it: idle 15999 s */
	ctw_table_idle_add(&ti, &e);
	assert_int_equal(ti.hist.n[CTW_TO_TCP_ESTABLISHED][CTW_IDLE_DAY], 1);
	assert_int_equal(ti.beyond_floor[CTW_TO_TCP_ESTABLISHED], 1);
}

static void full_host(struct ctw_host *h, uint64_t count)
{
	memset(h, 0, sizeof(*h));
	h->loaded = true;
	h->global_writable = true;
	h->have_count = h->have_max = true;
	h->count = count;
	h->max = 1000;
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		h->have_timeout[t] = true;
		h->timeout[t] = ctw_timeout_info((enum ctw_timeout)t)->kernel_default;
	}
}

static const struct ctw_finding *find(const struct ctw_findings *f, const char *code)
{
	for (unsigned i = 0; i < f->n; i++)
		if (strcmp(f->item[i].code, code) == 0)
			return &f->item[i];
	return NULL;
}

static void test_stale_finding(void **state)
{
	static struct ctw_table_idle ti;
	static struct ctw_findings f;
	static struct ctw_host h;
	struct ctw_config c;
	bool have[CTW_TO__COUNT];
	uint64_t now[CTW_TO__COUNT];
	const struct ctw_finding *x;

	(void)state;
	defaults(&c, have, now);
	c.warn_pct = 80;
	ctw_table_idle_init(&ti, have, now, &c);
	ti.hist.entries = 1000;
	ti.beyond_floor[CTW_TO_TCP_ESTABLISHED] = 600;
	ti.beyond_floor[CTW_TO_UDP_STREAM] = 10;
	full_host(&h, 950);
	h.idle = &ti;
	ctw_findings_evaluate(&h, &c, &f);
	x = find(&f, "table_stale");
	assert_non_null(x);
	assert_int_equal(x->severity, CTW_SEV_WARNING);
	assert_non_null(strstr(x->message, "610 of 1000 entries (61%)"));
	/* The biggest first, then the next. */
	assert_string_equal(x->remedy,
			    "ctwarden retire --timeout tcp_timeout_established=3600s --dry-run\n"
			    "ctwarden retire --timeout tcp_timeout_established=3600s --set\n"
			    "ctwarden retire --timeout udp_timeout_stream=30s --dry-run\n"
			    "ctwarden retire --timeout udp_timeout_stream=30s --set");
	/* Half is not most. */
	ti.beyond_floor[CTW_TO_TCP_ESTABLISHED] = 490;
	ctw_findings_evaluate(&h, &c, &f);
	assert_null(find(&f, "table_stale"));
	/* Below warn: no finding, however stale. */
	ti.beyond_floor[CTW_TO_TCP_ESTABLISHED] = 900;
	full_host(&h, 790);
	h.idle = &ti;
	ctw_findings_evaluate(&h, &c, &f);
	assert_null(find(&f, "table_stale"));
	/* Without --top there is nothing to judge. */
	full_host(&h, 950);
	ctw_findings_evaluate(&h, &c, &f);
	assert_null(find(&f, "table_stale"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_daemon_steps),
		cmocka_unit_test(test_known_plain),
		cmocka_unit_test(test_histogram_and_floor),
		cmocka_unit_test(test_changed_timeout),
		cmocka_unit_test(test_stale_finding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
