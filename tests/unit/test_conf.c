/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy file as an operator meets it: values, errors with FILE:LINE,
 * file checks, and the shipped sample. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"

#define NAME "t.conf"

static int parse(const char *text, struct ctw_config *c, char *err, size_t errlen)
{
	return ctw_config_parse_buffer(NAME, text, strlen(text), c, err, errlen);
}

/* Parse text that must be valid. */
static struct ctw_config parse_ok(const char *text)
{
	struct ctw_config c;
	char err[512] = "";
	int r = parse(text, &c, err, sizeof(err));

	if (r != 0)
		fail_msg("unexpected error %d: %s", r, err);
	return c;
}

/* Parse text that must fail with exactly this message. */
static void expect_error(const char *text, const char *message)
{
	struct ctw_config c;
	char err[512] = "";
	int r = parse(text, &c, err, sizeof(err));

	assert_int_equal(r, -EINVAL);
	assert_string_equal(err, message);
}

/* A temp file with the given text and mode; the path goes into path[]. */
static void write_temp(char *path, size_t len, const char *text, mode_t mode)
{
	int fd;

	snprintf(path, len, "%s/ctw-conf-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* ---- value parsers ---------------------------------------------------- */

static void test_duration_good(void **state)
{
	static const struct { const char *s; uint64_t us; } cases[] = {
		{ "100ms", 100000 }, { "30s", 30000000 }, { "10min", 600000000 },
		{ "1h", 3600000000ULL }, { "2d", 172800000000ULL }, { "45", 45000000 },
		{ "0", 0 }, { "0ms", 0 }, { "250us", 250 }, { "007s", 7000000 },
		{ "18446744073709551615us", UINT64_MAX },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ctw_parse_duration_us(cases[i].s, &v), 0);
		assert_true(v == cases[i].us);
	}
}

static void test_duration_bad(void **state)
{
	static const char *const malformed[] = {
		"", "s", "ms", "-1s", "+1s", " 1s", "1s ", "1 s", "1.5s", "1sec", "1m", "1S", "1H",
		"0x10", "10minutes", "1h30min", "1e3", "1,5s", "inf",
	};
	uint64_t v = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		if (ctw_parse_duration_us(malformed[i], &v) != -EINVAL)
			fail_msg("'%s' accepted as a duration", malformed[i]);
	}
	assert_true(v == 77);	/* untouched on error */
	/* Overflow in the digits, and in the unit multiplication. */
	assert_int_equal(ctw_parse_duration_us("18446744073709551616us", &v), -ERANGE);
	assert_int_equal(ctw_parse_duration_us("18446744073709552s", &v), -ERANGE);
	assert_int_equal(ctw_parse_duration_us("213503982d", &v), 0);
	assert_int_equal(ctw_parse_duration_us("213503983d", &v), -ERANGE);
	assert_true(v == 213503982ULL * 86400000000ULL);
}

static void test_percent(void **state)
{
	static const char *const malformed[] = {
		"", "%", "80", "80 %", " 80%", "-5%", "+5%", ".5%", "5.%", "1e2%", "80%%", "nan%",
		"inf%", "0x10%", "5,5%", "5.5.5%",
	};
	double v = -1;

	(void)state;
	assert_int_equal(ctw_parse_percent("80%", &v), 0);
	assert_true(v == 80.0);
	assert_int_equal(ctw_parse_percent("12.5%", &v), 0);
	assert_true(v == 12.5);
	assert_int_equal(ctw_parse_percent("0.1%", &v), 0);
	assert_true(v == 0.1);
	assert_int_equal(ctw_parse_percent("100%", &v), 0);
	assert_true(v == 100.0);
	assert_int_equal(ctw_parse_percent("0%", &v), 0);
	assert_true(v == 0.0);
	assert_int_equal(ctw_parse_percent("100.000001%", &v), -ERANGE);
	assert_int_equal(ctw_parse_percent("99999999999999999999%", &v), -ERANGE);
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		if (ctw_parse_percent(malformed[i], &v) != -EINVAL)
			fail_msg("'%s' accepted as a percent", malformed[i]);
	}
	assert_true(v == 0.0);
}

static void test_u64_and_decimal(void **state)
{
	static const char *const bad_ints[] = { "", "-1", "+1", "0x10", "1 ", " 1", "1.0", "1k", "1e3" };
	static const char *const bad_decimals[] = { "", "-1", "+1", ".5", "5.", "1/4", "0,5", "1e1", "4x", "0.5%" };
	uint64_t u;
	double d;

	(void)state;
	assert_int_equal(ctw_parse_u64("0", &u), 0);
	assert_true(u == 0);
	assert_int_equal(ctw_parse_u64("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(ctw_parse_u64("18446744073709551616", &u), -ERANGE);
	assert_int_equal(ctw_parse_u64("99999999999999999999999", &u), -ERANGE);
	for (size_t i = 0; i < sizeof(bad_ints) / sizeof(bad_ints[0]); i++) {
		if (ctw_parse_u64(bad_ints[i], &u) != -EINVAL)
			fail_msg("'%s' accepted as an integer", bad_ints[i]);
	}
	assert_int_equal(ctw_parse_decimal("4", &d), 0);
	assert_true(d == 4.0);
	assert_int_equal(ctw_parse_decimal("0.25", &d), 0);
	assert_true(d == 0.25);
	assert_int_equal(ctw_parse_decimal("1.000", &d), 0);
	assert_true(d == 1.0);
	assert_int_equal(ctw_parse_decimal("1.0000000000000001", &d), -ERANGE);
	for (size_t i = 0; i < sizeof(bad_decimals) / sizeof(bad_decimals[0]); i++) {
		if (ctw_parse_decimal(bad_decimals[i], &d) != -EINVAL)
			fail_msg("'%s' accepted as a decimal", bad_decimals[i]);
	}
}

static void test_size(void **state)
{
	static const struct { const char *s; uint64_t bytes; } cases[] = {
		{ "512", 512 }, { "1K", 1024 }, { "1KiB", 1024 }, { "8M", 8388608 }, { "8MiB", 8388608 },
		{ "1G", 1073741824 }, { "2GiB", 2147483648ULL }, { "0", 0 },
	};
	static const char *const malformed[] = {
		"", "K", "8MB", "8 MiB", "8mib", "8k", "1.5M", "-1K", "8Mi", "8iB", "1T",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ctw_parse_size(cases[i].s, &v), 0);
		assert_true(v == cases[i].bytes);
	}
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		if (ctw_parse_size(malformed[i], &v) != -EINVAL)
			fail_msg("'%s' accepted as a size", malformed[i]);
	}
	assert_int_equal(ctw_parse_size("17179869183G", &v), 0);
	assert_int_equal(ctw_parse_size("17179869184G", &v), -ERANGE);	/* 2^64 */
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };
	static const char *const bad[] = { "", "Yes", "on", "off", "y", "2", "yes ", "nope" };
	bool b;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		b = false;
		assert_int_equal(ctw_parse_bool(yes[i], &b), 0);
		assert_true(b);
		assert_int_equal(ctw_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ctw_parse_bool(bad[i], &b), -EINVAL);
}

static void test_format_duration(void **state)
{
	static const struct { uint64_t us; const char *text; } cases[] = {
		{ 3600000000ULL, "1h" }, { 30000000, "30s" }, { 100000, "100ms" }, { 600000000, "10min" },
		{ 172800000000ULL, "2d" }, { 5400000000ULL, "90min" }, { 1500000, "1500ms" }, { 0, "0s" },
		{ 7, "7us" },
	};
	char buf[32], tiny[3];
	uint64_t back;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctw_format_duration(cases[i].us, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
		/* What is shown can be pasted back into the file. */
		assert_int_equal(ctw_parse_duration_us(buf, &back), 0);
		assert_true(back == cases[i].us);
	}
	ctw_format_duration(600000000, tiny, sizeof(tiny));
	assert_string_equal(tiny, "10");	/* truncated, still terminated */
}

/* ---- whole files ------------------------------------------------------ */

static void test_defaults_without_file(void **state)
{
	struct ctw_config c;
	char err[256] = "junk";

	(void)state;
	assert_int_equal(ctw_config_load("/nonexistent/ctwarden.conf", false, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.source, "(defaults)");
	/* The documented defaults. */
	assert_int_equal(c.mode, CTW_MODE_ENFORCE);
	assert_true(c.poll_interval_us == 1000000);
	assert_string_equal(c.state_dir, "/var/lib/ctwarden");
	assert_string_equal(c.runtime_dir, "/run/ctwarden");
	assert_true(c.alert_reminder_us == 3600000000ULL);
	assert_true(c.warn_pct == 75 && c.crit_pct == 90 && c.high_water_pct == 80 && c.low_water_pct == 50);
	assert_true(c.low_water_hold_us == 600000000ULL);
	assert_true(c.max_ceiling == 1048576);
	assert_true(c.memory_budget_pct == 5);
	assert_true(c.buckets_ratio == 1);
	assert_true(c.resize_cooldown_us == 600000000ULL);
	assert_false(c.allow_lower_max);
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		assert_true(c.timeout_floor_s[t] == ctw_timeout_info(t)->default_floor);
		assert_int_equal(c.timeout_shorten[t], t == CTW_TO_TCP_ESTABLISHED);
	}
	assert_true(c.timeout_floor_s[CTW_TO_TCP_ESTABLISHED] == 3600);
	assert_true(c.receive_buffer_bytes == 8 << 20);
	assert_true(c.receive_buffer_max_bytes == 64 << 20);
	assert_true(c.horizon_us == 30000000);
	assert_int_equal(c.event_batch, 2048);
}

static const char full_file[] =
	"; every key, none at its default\n"
	"[daemon]\n"
	"mode = advise\n"
	"poll_interval = 100ms\n"
	"state_dir = /srv/ctw/state\n"
	"runtime_dir = /run/ctw2\n"
	"alert_reminder = 30min\n"
	"\n"
	"[thresholds]\n"
	"warn = 60%\n"
	"crit = 85.5%\n"
	"high_water = 70%\n"
	"low_water = 12.5%\n"
	"low_water_hold = 2h\n"
	"[limits]\n"
	"max_ceiling = 4194304\n"
	"memory_budget = 2.5%\n"
	"buckets_ratio = 0.5\n"
	"resize_cooldown = 1h\n"
	"allow_lower_max = yes\n"
	"[timeouts]\n"
	"shorten = tcp_timeout_established, udp_timeout icmp_timeout\n"
	"tcp_timeout_established = 2h\n"
	"udp_timeout = 15\n"
	"generic_timeout = 2min\n"
	"[events]\n"
	"receive_buffer = 4MiB\n"
	"receive_buffer_max = 1G\n"
	"horizon = 2min\n"
	"batch = 512\n";

static void test_full_file(void **state)
{
	struct ctw_config c = parse_ok(full_file);

	(void)state;
	assert_string_equal(c.source, NAME);
	assert_int_equal(c.mode, CTW_MODE_ADVISE);
	assert_true(c.poll_interval_us == 100000);
	assert_string_equal(c.state_dir, "/srv/ctw/state");
	assert_string_equal(c.runtime_dir, "/run/ctw2");
	assert_true(c.alert_reminder_us == 1800000000ULL);
	assert_true(c.warn_pct == 60 && c.crit_pct == 85.5 && c.high_water_pct == 70 && c.low_water_pct == 12.5);
	assert_true(c.low_water_hold_us == 7200000000ULL);
	assert_true(c.max_ceiling == 4194304);
	assert_true(c.memory_budget_pct == 2.5);
	assert_true(c.buckets_ratio == 0.5);
	assert_true(c.resize_cooldown_us == 3600000000ULL);
	assert_true(c.allow_lower_max);
	for (int t = 0; t < CTW_TO__COUNT; t++)
		assert_int_equal(c.timeout_shorten[t],
				 t == CTW_TO_TCP_ESTABLISHED || t == CTW_TO_UDP || t == CTW_TO_ICMP);
	assert_true(c.timeout_floor_s[CTW_TO_TCP_ESTABLISHED] == 7200);
	assert_true(c.timeout_floor_s[CTW_TO_UDP] == 15);
	assert_true(c.timeout_floor_s[CTW_TO_GENERIC] == 120);
	assert_true(c.timeout_floor_s[CTW_TO_ICMP] == ctw_timeout_info(CTW_TO_ICMP)->default_floor);
	assert_true(c.receive_buffer_bytes == 4 << 20);
	assert_true(c.receive_buffer_max_bytes == 1 << 30);
	assert_true(c.horizon_us == 120000000);
	assert_int_equal(c.event_batch, 512);
}

static void test_empty_text_gives_defaults(void **state)
{
	struct ctw_config d, c = parse_ok("");

	(void)state;
	ctw_config_defaults(&d);
	assert_string_equal(c.source, NAME);
	memcpy(d.source, c.source, sizeof(d.source));
	assert_memory_equal(&c, &d, sizeof(c));
	c = parse_ok("# only comments\n; and blanks\n\n   \n");
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_syntax_choices(void **state)
{
	struct ctw_config c;

	(void)state;
	/* ';' after a blank ends the value; '#' does not. */
	c = parse_ok("[daemon]\npoll_interval = 2s ; two seconds\n");
	assert_true(c.poll_interval_us == 2000000);
	expect_error("[daemon]\npoll_interval = 2s # two\n",
		     NAME ":2: poll_interval = 2s # two: not a duration (a whole number with ms, s, min, h "
		     "or d, like 100ms, 30s, 10min; a bare number is seconds)");
	/* Comments may be indented, keys may not (libinih would append them to the previous value). */
	c = parse_ok("[daemon]\n   # note\nmode = advise\n\t; note\n");
	assert_int_equal(c.mode, CTW_MODE_ADVISE);
	expect_error("[daemon]\nmode = advise\n  poll_interval = 2s\n",
		     NAME ":3: indented line; continuation lines are not supported, remove the leading blanks");
	expect_error("[daemon]\nmode = advise\n  enforce\n",
		     NAME ":3: indented line; continuation lines are not supported, remove the leading blanks");
	expect_error("[daemon]\nmode: advise\n", NAME ":2: use '=' between the key and its value");
	/* CRLF line ends, a UTF-8 byte order mark, and a repeated section header. */
	c = parse_ok("\xEF\xBB\xBF[daemon]\r\nmode = advise\r\n[limits]\r\nmax_ceiling = 2048\r\n[daemon]\npoll_interval = 5s");
	assert_int_equal(c.mode, CTW_MODE_ADVISE);
	assert_true(c.max_ceiling == 2048);
	assert_true(c.poll_interval_us == 5000000);
	c = parse_ok("[limits] ; comment\nmax_ceiling = 4096\n");
	assert_true(c.max_ceiling == 4096);
}

static void test_error_kinds(void **state)
{
	(void)state;
	expect_error("[daemon]\nmode = advise\npol_interval = 1s\n", NAME ":3: unknown key 'pol_interval' in [daemon]");
	expect_error("[daemon]\nwarn = 80%\n", NAME ":2: warn belongs under [thresholds], not [daemon]");
	expect_error("poll_interval = 1s\n[daemon]\n",
		     NAME ":1: poll_interval is outside a section (it belongs under [daemon])");
	expect_error("\nfoo = 1\n", NAME ":2: foo is outside a section");
	expect_error("[daemon]\n[deamon]\nmode = advise\n",
		     NAME ":2: unknown section [deamon] (known: [daemon], [thresholds], [limits], [timeouts], [events], [metrics])");
	expect_error("[Daemon]\n", NAME ":1: unknown section [Daemon] (known: [daemon], [thresholds], [limits], "
		     "[timeouts], [events], [metrics])");
	expect_error("[daemon]\nmode =\n", NAME ":2: mode has an empty value");
	expect_error("[daemon]\nmode = ; nothing\n", NAME ":2: mode has an empty value");
	expect_error("[daemon]\npoll_interval = 2s\n\n[limits]\n[daemon]\npoll_interval = 3s\n",
		     NAME ":6: poll_interval given twice (first on line 2)");
	expect_error("[timeouts]\nudp_timeout = 20\nudp_timeout = 20\n", NAME ":3: udp_timeout given twice (first on line 2)");
	expect_error("[daemon\nmode = advise\n", NAME ":1: section header without a closing ']'");
	expect_error("[daemon] mode = advise\n", NAME ":1: unexpected text after the section header");
	expect_error("[daemon]\nmode advise\n", NAME ":2: expected 'key = value' or a [section] header");
	expect_error("[daemon]\nmode = sometimes\n", NAME ":2: mode = sometimes: must be enforce or advise");
	expect_error("[daemon]\nstate_dir = var/lib\n", NAME ":2: state_dir = var/lib: must be an absolute path");
	expect_error("[daemon]\nruntime_dir = /run/../etc\n",
		     NAME ":2: runtime_dir = /run/../etc: '..' is not allowed in the path");
	expect_error("[limits]\nallow_lower_max = maybe\n",
		     NAME ":2: allow_lower_max = maybe: must be yes or no (or true/false, 1/0)");
	expect_error("[thresholds]\nwarn = 80\n",
		     NAME ":2: warn = 80: not a percent (a number with a '%' sign, like 80% or 12.5%)");
	expect_error("[limits]\nmax_ceiling = 1e6\n", NAME ":2: max_ceiling = 1e6: not a whole decimal number");
	expect_error("[events]\nreceive_buffer = 8MB\n",
		     NAME ":2: receive_buffer = 8MB: not a size (bytes, or a whole number with K, KiB, M, MiB, G or GiB)");
	expect_error("[limits]\nbuckets_ratio = 1:4\n",
		     NAME ":2: buckets_ratio = 1:4: not a plain decimal number (like 1, 4 or 0.5)");
	expect_error("[limits]\nbuckets_ratio = 1/4\n",
		     NAME ":2: buckets_ratio = 1/4: not a plain decimal number (like 1, 4 or 0.5)");
}

static void test_ranges(void **state)
{
	struct ctw_config c;

	(void)state;
	/* poll_interval 10ms..1h: 100ms must work. */
	assert_true(parse_ok("[daemon]\npoll_interval = 10ms\n").poll_interval_us == 10000);
	assert_true(parse_ok("[daemon]\npoll_interval = 1h\n").poll_interval_us == 3600000000ULL);
	expect_error("[daemon]\npoll_interval = 9ms\n", NAME ":2: poll_interval = 9ms: out of range (10ms to 1h)");
	expect_error("[daemon]\npoll_interval = 3601\n", NAME ":2: poll_interval = 3601: out of range (10ms to 1h)");
	expect_error("[daemon]\npoll_interval = 99999999999999999999s\n",
		     NAME ":2: poll_interval = 99999999999999999999s: out of range (10ms to 1h)");
	/* Percents: 0 < x <= 100; memory_budget up to 50. */
	assert_true(parse_ok("[thresholds]\ncrit = 100%\n").crit_pct == 100);
	c = parse_ok("[thresholds]\nwarn = 0.5%\nlow_water = 0.1%\nhigh_water = 0.2%\n");
	assert_true(c.warn_pct == 0.5 && c.low_water_pct == 0.1);
	expect_error("[thresholds]\nwarn = 0%\n", NAME ":2: warn = 0%: out of range (above 0% to 100%)");
	expect_error("[thresholds]\ncrit = 100.5%\n", NAME ":2: crit = 100.5%: out of range (above 0% to 100%)");
	assert_true(parse_ok("[limits]\nmemory_budget = 50%\n").memory_budget_pct == 50);
	expect_error("[limits]\nmemory_budget = 50.1%\n", NAME ":2: memory_budget = 50.1%: out of range (above 0% to 50%)");
	/* max_ceiling 1024..2^31-1. */
	assert_true(parse_ok("[limits]\nmax_ceiling = 1024\n").max_ceiling == 1024);
	assert_true(parse_ok("[limits]\nmax_ceiling = 2147483647\n").max_ceiling == 2147483647);
	expect_error("[limits]\nmax_ceiling = 1023\n", NAME ":2: max_ceiling = 1023: out of range (1024 to 2147483647)");
	expect_error("[limits]\nmax_ceiling = 2147483648\n",
		     NAME ":2: max_ceiling = 2147483648: out of range (1024 to 2147483647)");
	/* buckets_ratio 0.25..16. */
	assert_true(parse_ok("[limits]\nbuckets_ratio = 0.25\n").buckets_ratio == 0.25);
	assert_true(parse_ok("[limits]\nbuckets_ratio = 16\n").buckets_ratio == 16);
	expect_error("[limits]\nbuckets_ratio = 0.24\n", NAME ":2: buckets_ratio = 0.24: out of range (from 0.25 to 16)");
	expect_error("[limits]\nbuckets_ratio = 16.5\n", NAME ":2: buckets_ratio = 16.5: out of range (from 0.25 to 16)");
	/* batch 1..1000000, sizes 64KiB..1GiB. */
	assert_int_equal(parse_ok("[events]\nbatch = 1000000\n").event_batch, 1000000);
	expect_error("[events]\nbatch = 0\n", NAME ":2: batch = 0: out of range (1 to 1000000)");
	expect_error("[events]\nbatch = 1000001\n", NAME ":2: batch = 1000001: out of range (1 to 1000000)");
	expect_error("[events]\nreceive_buffer = 1K\n", NAME ":2: receive_buffer = 1K: out of range (64KiB to 1GiB)");
	/* Timeout floors: whole seconds, at least 1s. */
	assert_true(parse_ok("[timeouts]\ntcp_timeout_close = 1\n").timeout_floor_s[CTW_TO_TCP_CLOSE] == 1);
	assert_true(parse_ok("[timeouts]\nicmpv6_timeout = 1d\n").timeout_floor_s[CTW_TO_ICMPV6] == 86400);
	expect_error("[timeouts]\ntcp_timeout_close = 0\n", NAME ":2: tcp_timeout_close = 0: out of range (1s to 2147483s)");
	expect_error("[timeouts]\nudp_timeout = 1500ms\n", NAME ":2: udp_timeout = 1500ms: must be whole seconds");
	expect_error("[timeouts]\nudp_timeout = 30d\n", NAME ":2: udp_timeout = 30d: out of range (1s to 2147483s)");
	/* The other durations. */
	expect_error("[events]\nhorizon = 2h\n", NAME ":2: horizon = 2h: out of range (1s to 1h)");
	expect_error("[limits]\nresize_cooldown = 500ms\n", NAME ":2: resize_cooldown = 500ms: out of range (1s to 7d)");
	expect_error("[thresholds]\nlow_water_hold = 8d\n", NAME ":2: low_water_hold = 8d: out of range (1s to 7d)");
	expect_error("[daemon]\nalert_reminder = 0\n", NAME ":2: alert_reminder = 0: out of range (1s to 7d)");
}

static void test_shorten(void **state)
{
	struct ctw_config c;

	(void)state;
	c = parse_ok("[timeouts]\nshorten = none\n");
	for (int t = 0; t < CTW_TO__COUNT; t++)
		assert_false(c.timeout_shorten[t]);
	c = parse_ok("[timeouts]\nshorten = udp_timeout,generic_timeout\n");
	for (int t = 0; t < CTW_TO__COUNT; t++)
		assert_int_equal(c.timeout_shorten[t], t == CTW_TO_UDP || t == CTW_TO_GENERIC);
	c = parse_ok("[timeouts]\nshorten = tcp_timeout_time_wait\t icmp_timeout\n");
	assert_true(c.timeout_shorten[CTW_TO_TCP_TIME_WAIT] && c.timeout_shorten[CTW_TO_ICMP]);
	assert_false(c.timeout_shorten[CTW_TO_TCP_ESTABLISHED]);
	expect_error("[timeouts]\nshorten = tcp_timeout_established, udp_timeot\n",
		     NAME ":2: shorten: unknown timeout 'udp_timeot' (the names are the [timeouts] keys, "
		     "like tcp_timeout_established)");
	expect_error("[timeouts]\nshorten = udp_timeout udp_timeout\n", NAME ":2: shorten: 'udp_timeout' is named twice");
	expect_error("[timeouts]\nshorten = none, udp_timeout\n",
		     NAME ":2: shorten: 'none' cannot be combined with timeout names");
	expect_error("[timeouts]\nshorten = udp_timeout,,icmp_timeout\n", NAME ":2: shorten: empty item in the list");
	expect_error("[timeouts]\nshorten = udp_timeout,\n", NAME ":2: shorten: empty item in the list");
	expect_error("[timeouts]\nshorten = , udp_timeout\n", NAME ":2: shorten: empty item in the list");
}

/* Retirement: on by default, NAT off, exclusion lists parsed exactly. */
static void test_retire_keys(void **state)
{
	struct ctw_config c;

	(void)state;
	c = parse_ok("");
	assert_true(c.retire);
	assert_false(c.retire_nat);
	assert_int_equal(c.n_retire_exclude_mark, 0);
	assert_int_equal(c.n_retire_exclude_zone, 0);
	c = parse_ok("[timeouts]\nretire = no\nretire_nat = yes\n"
		     "retire_exclude_mark = 0x10, 256/0xf00 4294967295\nretire_exclude_zone = 1 65535\n");
	assert_false(c.retire);
	assert_true(c.retire_nat);
	assert_int_equal(c.n_retire_exclude_mark, 3);
	assert_int_equal(c.retire_exclude_mark[0].value, 16);
	assert_int_equal(c.retire_exclude_mark[0].mask, 0xffffffffu);
	assert_int_equal(c.retire_exclude_mark[1].value, 256);
	assert_int_equal(c.retire_exclude_mark[1].mask, 0xf00);
	assert_int_equal(c.retire_exclude_mark[2].value, 0xffffffffu);
	assert_int_equal(c.n_retire_exclude_zone, 2);
	assert_int_equal(c.retire_exclude_zone[0], 1);
	assert_int_equal(c.retire_exclude_zone[1], 65535);
	c = parse_ok("[timeouts]\nretire_exclude_zone = none\n");
	assert_int_equal(c.n_retire_exclude_zone, 0);
	expect_error("[timeouts]\nretire_exclude_zone = 65536\n",
		     NAME ":2: retire_exclude_zone: '65536' is not a number from 0 to 65535 (decimal or 0x hex)");
	expect_error("[timeouts]\nretire_exclude_zone = -1\n",
		     NAME ":2: retire_exclude_zone: '-1' is not a number from 0 to 65535 (decimal or 0x hex)");
	expect_error("[timeouts]\nretire_exclude_mark = 0x1/0x2\n",
		     NAME ":2: retire_exclude_mark: 0x1 has bits outside its mask 0x2: it can never match");
	expect_error("[timeouts]\nretire_exclude_mark = 0x1/zz\n",
		     NAME ":2: retire_exclude_mark: 'zz' is not a number from 0 to 4294967295 (decimal or 0x hex)");
	expect_error("[timeouts]\nretire_exclude_mark = 1 2 3 4 5 6 7 8 9\n",
		     NAME ":2: retire_exclude_mark: at most 8 items");
	expect_error("[timeouts]\nretire_nat = maybe\n",
		     NAME ":2: retire_nat = maybe: must be yes or no (or true/false, 1/0)");
}

static void test_contradictions(void **state)
{
	(void)state;
	/* The line named is the later of the two keys the file set. */
	expect_error("[thresholds]\ncrit = 90%\nwarn = 95%\n", NAME ":3: warn (95%) is above crit (90%)");
	expect_error("[thresholds]\nwarn = 95%\n\ncrit = 90%\n", NAME ":4: warn (95%) is above crit (90%)");
	expect_error("[thresholds]\nwarn = 92.5%\n", NAME ":2: warn (92.5%) is above crit (90%)");
	parse_ok("[thresholds]\nwarn = 90%\n");	/* equal is fine */
	expect_error("[thresholds]\nlow_water = 80%\n", NAME ":2: low_water (80%) must be below high_water (80%)");
	expect_error("[thresholds]\nlow_water = 40%\nhigh_water = 30%\n",
		     NAME ":3: low_water (40%) must be below high_water (30%)");
	expect_error("[events]\nreceive_buffer_max = 4MiB\n",
		     NAME ":2: receive_buffer_max (4MiB) is below receive_buffer (8MiB)");
	expect_error("[events]\nreceive_buffer = 128MiB\n",
		     NAME ":2: receive_buffer_max (64MiB) is below receive_buffer (128MiB)");
	parse_ok("[events]\nreceive_buffer = 64MiB\n");
	/* Two contradictions: the earlier line is reported. */
	expect_error("[events]\nreceive_buffer = 128MiB\n[thresholds]\nwarn = 95%\n",
		     NAME ":2: receive_buffer_max (64MiB) is below receive_buffer (128MiB)");
}

static void test_long_and_odd_lines(void **state)
{
	char text[512];

	(void)state;
	/* 197 characters fit (libinih's 200 less '\r', '\n', '\0'); 198 do not. */
	snprintf(text, sizeof(text), "[daemon]\n;%0196d\nmode = advise\n", 0);
	assert_int_equal(parse_ok(text).mode, CTW_MODE_ADVISE);
	snprintf(text, sizeof(text), "[daemon]\n;%0197d\nmode = advise\n", 0);
	expect_error(text, NAME ":2: line too long (198 characters, at most 197)");
	snprintf(text, sizeof(text), "[daemon]\nstate_dir = /%0250d\n", 0);
	expect_error(text, NAME ":2: line too long (263 characters, at most 197)");
	/* A NUL byte would silently cut the line in libinih. */
	{
		static const char nul[] = "[daemon]\nmode = advise\0junk\n";
		struct ctw_config c;
		char err[256];

		assert_int_equal(ctw_config_parse_buffer(NAME, nul, sizeof(nul) - 1, &c, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, NAME ":2: line contains a NUL byte");
	}
	/* Only the first error is reported. */
	expect_error("[daemon]\nmode = x\nbogus = 1\n", NAME ":2: mode = x: must be enforce or advise");
}

static void test_out_untouched_on_error(void **state)
{
	static const char *const bad[] = {
		"[daemon]\nmode = advise\nfoo = 1\n", "[thresholds]\nwarn = 99%\n", "[x]\n",
		"[daemon]\nmode = advise\nmode = enforce\n",
	};
	struct ctw_config c, before;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0xA5, sizeof(c));
		memcpy(&before, &c, sizeof(c));
		assert_true(parse(bad[i], &c, err, sizeof(err)) < 0);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	/* A tiny error buffer still gets a terminated prefix. */
	assert_int_equal(parse("[x]\n", &c, err, 5), -EINVAL);
	assert_string_equal(err, "t.co");
}

static void test_load_file(void **state)
{
	struct ctw_config c;
	char path[256], err[512];

	(void)state;
	write_temp(path, sizeof(path), full_file, 0644);
	assert_int_equal(ctw_config_load(path, true, &c, err, sizeof(err)), 0);
	assert_string_equal(c.source, path);
	assert_int_equal(c.mode, CTW_MODE_ADVISE);
	assert_int_equal(c.event_batch, 512);
	/* 0600 and 0400 are fine too. */
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(ctw_config_load(path, false, &c, err, sizeof(err)), 0);
	unlink(path);

	/* Errors in a file carry its path. */
	write_temp(path, sizeof(path), "[daemon]\nmode = advise\n\n[limits]\nbogus = 1\n", 0600);
	assert_int_equal(ctw_config_load(path, true, &c, err, sizeof(err)), -EINVAL);
	{
		char want[1024];

		snprintf(want, sizeof(want), "%s:5: unknown key 'bogus' in [limits]", path);
		assert_string_equal(err, want);
	}
	unlink(path);
}

static void test_load_refusals(void **state)
{
	static const mode_t writable[] = { 0664, 0646, 0666, 0620 };
	struct ctw_config c, before;
	char path[256], err[1024], want[1024];

	(void)state;
	write_temp(path, sizeof(path), "[daemon]\nmode = advise\n", 0644);
	for (size_t i = 0; i < sizeof(writable) / sizeof(writable[0]); i++) {
		assert_int_equal(chmod(path, writable[i]), 0);
		memset(&c, 0x5A, sizeof(c));
		memcpy(&before, &c, sizeof(c));
		assert_int_equal(ctw_config_load(path, true, &c, err, sizeof(err)), -EPERM);
		snprintf(want, sizeof(want), "%s: refusing a config writable by group or others (mode %04o); "
			 "run chmod go-w %s", path, (unsigned)writable[i], path);
		assert_string_equal(err, want);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	assert_int_equal(chmod(path, 0644), 0);
	if (geteuid() == 0) {
		/* Owned by somebody else: only root can set this up. */
		assert_int_equal(chown(path, 4242, 4242), 0);
		assert_int_equal(ctw_config_load(path, true, &c, err, sizeof(err)), -EPERM);
		snprintf(want, sizeof(want), "%s: refusing a config owned by uid 4242, not by root or the current "
			 "user; run chown root %s", path, path);
		assert_string_equal(err, want);
	}
	unlink(path);

	/* A missing explicit file is an error, a missing default one is not. */
	assert_int_equal(ctw_config_load(path, true, &c, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(ctw_config_load(path, false, &c, err, sizeof(err)), 0);
	assert_string_equal(c.source, "(defaults)");

	/* A directory is not a config. */
	assert_int_equal(ctw_config_load("/", true, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/: not a regular file");
}

/* The shipped sample: all keys commented out, so it gives the defaults; and
 * every commented "#key = value" line, uncommented, parses to the same
 * defaults, so the sample cannot drift from the code. */
static void test_sample_config(void **state)
{
	struct ctw_config c, d;
	char err[512], line[512], text[16384];
	size_t used = 0;
	int keys = 0;
	FILE *f;

	(void)state;
	f = fopen(CTW_FIXTURES "/../../etc/ctwarden.conf", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *s = line;

		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " =")) {
			s = line + 1;
			keys++;
		}
		assert_true(used + strlen(s) < sizeof(text));
		memcpy(text + used, s, strlen(s));
		used += strlen(s);
	}
	fclose(f);
	text[used] = '\0';

	ctw_config_defaults(&d);
	assert_int_equal(ctw_config_parse_buffer("sample", text, used, &c, err, sizeof(err)), 0);
	memcpy(d.source, c.source, sizeof(d.source));
	assert_memory_equal(&c, &d, sizeof(c));
	/* 25 fixed keys plus one floor per timeout, plus shorten, the 4 retire keys, listen and pod_log_dir. */
	assert_int_equal(keys, 32 + CTW_TO__COUNT);
}

/* Where namespaces are bind-mounted, and which get event sockets. */
static void test_netns_keys(void **state)
{
	static const char good[] = "[daemon]\nnetns_dirs = /run/netns  /srv/ns\nevents = own\n";
	static const char *const bad[][2] = {
		{ "[daemon]\nevents = some\n", "x.conf:2: events = some: must be all, own or none" },
		{ "[daemon]\non_outside_change = fight\n", "x.conf:2: on_outside_change = fight: must be yield or adopt" },
		{ "[daemon]\nnetns_dirs = run/netns\n", "x.conf:2: netns_dirs = run/netns: must be an absolute path" },
		{ "[daemon]\nnetns_dirs = /a /b /c /d /e /f /g /h /i\n", "x.conf:2: netns_dirs: at most 8 directories" },
		{ "[daemon]\nnetns_dirs = /a/../etc\n", "x.conf:2: netns_dirs = /a/../etc: '..' is not allowed in the path" },
		{ "[daemon]\n\npod_log_dir = var/log/pods\n", "x.conf:3: pod_log_dir = var/log/pods: must be an absolute path" },
	};
	struct ctw_config c;
	char err[512];

	(void)state;
	assert_int_equal(ctw_config_parse_buffer("x.conf", good, strlen(good), &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_netns_dirs, 2);
	assert_string_equal(c.netns_dirs[0], "/run/netns");
	assert_string_equal(c.netns_dirs[1], "/srv/ns");
	assert_int_equal(c.events_scope, CTW_EVENTS_OWN);
	/* The kubelet's log directory: /var/log/pods unless set; empty is off. */
	assert_string_equal(c.pod_log_dir, "/var/log/pods");
	assert_int_equal(ctw_config_parse_buffer("x.conf", "[daemon]\npod_log_dir = /srv/pods\n", 33, &c, err, sizeof(err)), 0);
	assert_string_equal(c.pod_log_dir, "/srv/pods");
	assert_int_equal(ctw_config_parse_buffer("x.conf", "[daemon]\npod_log_dir =\n", 23, &c, err, sizeof(err)), 0);
	assert_string_equal(c.pod_log_dir, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctw_config_parse_buffer("x.conf", bad[i][0], strlen(bad[i][0]), &c, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, bad[i][1]);
	}
}

/* [metrics] listen: a literal address and a port, or empty for none; the
 * bytes are what inet_pton gives, written out here by hand. */
static void test_listen_key(void **state)
{
	static const uint8_t loop4[4] = { 127, 0, 0, 1 };
	static const uint8_t any4[4] = { 0, 0, 0, 0 };
	static const uint8_t loop6[16] = { [15] = 1 };
	static const uint8_t v6[16] = { 0xfd, 0x00, [14] = 0x12, [15] = 0x34 };
	static const struct {
		const char *text;
		bool ipv6;
		const uint8_t *addr;
		uint16_t port;
		const char *shown;
	} good[] = {
		{ "127.0.0.1:9747", false, loop4, 9747, "127.0.0.1:9747" },
		{ "0.0.0.0:1", false, any4, 1, "0.0.0.0:1" },
		{ "[::1]:9747", true, loop6, 9747, "[::1]:9747" },
		{ "[fd00::1234]:65535", true, v6, 65535, "[fd00::1234]:65535" },
		/* ctwarden's port when none is given */
		{ "127.0.0.1", false, loop4, 9747, "127.0.0.1:9747" },
		{ "[::1]", true, loop6, 9747, "[::1]:9747" },
		{ "127.0.0.1:08080", false, loop4, 8080, "127.0.0.1:8080" },
	};
	static const char *const bad[][2] = {
		{ "localhost:9747", "not an IPv4 address (host names are not resolved)" },
		{ "127.0.0.1:", "the port must be a number from 1 to 65535" },
		{ "::1", "an IPv6 address must be in brackets: [::1]:9747" },
		{ "127.0.0.1:0", "the port must be a number from 1 to 65535" },
		{ "127.0.0.1:65536", "the port must be a number from 1 to 65535" },
		{ "127.0.0.1:http", "the port must be a number from 1 to 65535" },
		{ "127.0.0.1:97 47", "the port must be a number from 1 to 65535" },
		{ ":9747", "no address before the port (0.0.0.0 or [::] for every address)" },
		{ "::1:9747", "an IPv6 address must be in brackets: [::1]:9747" },
		{ "[::1]9747", "an IPv6 address is written in brackets, then a colon and the port: [::1]:9747" },
		{ "[127.0.0.1]:9747", "not an IPv6 address" },
		{ "300.0.0.1:9747", "not an IPv4 address (host names are not resolved)" },
	};
	struct ctw_config c;
	char text[256], want[512], err[512];

	(void)state;
	c = parse_ok("");
	assert_false(c.metrics_listen.set);
	c = parse_ok("[metrics]\nlisten =\n");
	assert_false(c.metrics_listen.set);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[metrics]\nlisten = %s\n", good[i].text);
		c = parse_ok(text);
		assert_true(c.metrics_listen.set);
		assert_int_equal(c.metrics_listen.ipv6, good[i].ipv6);
		assert_memory_equal(c.metrics_listen.addr, good[i].addr, good[i].ipv6 ? 16 : 4);
		assert_int_equal(c.metrics_listen.port, good[i].port);
		assert_string_equal(c.metrics_listen.text, good[i].shown);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[daemon]\nmode = advise\n[metrics]\nlisten = %s\n", bad[i][0]);
		assert_int_equal(ctw_config_parse_buffer("x.conf", text, strlen(text), &c, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "x.conf:4: listen = %s: %s", bad[i][0], bad[i][1]);
		assert_string_equal(err, want);
	}
	/* In the wrong section it is pointed home. */
	snprintf(text, sizeof(text), "[daemon]\nlisten = 127.0.0.1:9747\n");
	assert_int_equal(ctw_config_parse_buffer("x.conf", text, strlen(text), &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.conf:2: listen belongs under [metrics], not [daemon]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_keys),
		cmocka_unit_test(test_listen_key),
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_u64_and_decimal),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_defaults_without_file),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_empty_text_gives_defaults),
		cmocka_unit_test(test_syntax_choices),
		cmocka_unit_test(test_error_kinds),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_shorten),
		cmocka_unit_test(test_retire_keys),
		cmocka_unit_test(test_contradictions),
		cmocka_unit_test(test_long_and_odd_lines),
		cmocka_unit_test(test_out_untouched_on_error),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_refusals),
		cmocka_unit_test(test_sample_config),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
