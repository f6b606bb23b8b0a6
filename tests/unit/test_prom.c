/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Prometheus exposition writer: the exact text a scraper reads (HELP and
 * TYPE lines, escaped label values and help, numbers as the format spells
 * them), errors that stick instead of half an exposition, and the atomic file
 * writer: full content, mode 0644, no temp file left, a reader holding the old
 * file keeps seeing the old file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/prom.h"

static void test_family_and_samples(void **state)
{
	struct ctw_prom p;
	const struct ctw_prom_label ns[] = { { "netns", "host" }, { "netns_inode", "4026531840" } };

	(void)state;
	ctw_prom_init(&p);
	assert_string_equal(ctw_prom_text(&p), "");
	ctw_prom_family(&p, "ctwarden_up", CTW_PROM_GAUGE, "1 when the writer is healthy.");
	ctw_prom_sample(&p, NULL, 0, 1);
	ctw_prom_family(&p, "ctwarden_conntrack_drops_total", CTW_PROM_COUNTER, "Packets dropped.");
	ctw_prom_sample_u64(&p, ns, 2, 1933);
	ctw_prom_family(&p, "x:y", CTW_PROM_UNTYPED, NULL);
	ctw_prom_sample(&p, ns, 1, 0.5);
	assert_int_equal(ctw_prom_error(&p), 0);
	assert_string_equal(ctw_prom_text(&p),
			    "# HELP ctwarden_up 1 when the writer is healthy.\n"
			    "# TYPE ctwarden_up gauge\n"
			    "ctwarden_up 1\n"
			    "# HELP ctwarden_conntrack_drops_total Packets dropped.\n"
			    "# TYPE ctwarden_conntrack_drops_total counter\n"
			    "ctwarden_conntrack_drops_total{netns=\"host\",netns_inode=\"4026531840\"} 1933\n"
			    "# TYPE x:y untyped\n"
			    "x:y{netns=\"host\"} 0.5\n");
	assert_int_equal(p.len, strlen(ctw_prom_text(&p)));
	ctw_prom_free(&p);
}

/* Label values escape backslash, double quote and newline; HELP escapes
 * backslash and newline only (a quote is literal there). Other bytes, UTF-8
 * included, pass through. */
static void test_escaping(void **state)
{
	struct ctw_prom p;
	const struct ctw_prom_label l[] = { { "netns", "a\\b\"c\nd" }, { "v", "caf\xc3\xa9 {x=1}," } };

	(void)state;
	ctw_prom_init(&p);
	ctw_prom_family(&p, "m", CTW_PROM_GAUGE, "back\\slash \"quoted\"\nsecond line");
	ctw_prom_sample(&p, l, 2, 2);
	assert_int_equal(ctw_prom_error(&p), 0);
	assert_string_equal(ctw_prom_text(&p),
			    "# HELP m back\\\\slash \"quoted\"\\nsecond line\n"
			    "# TYPE m gauge\n"
			    "m{netns=\"a\\\\b\\\"c\\nd\",v=\"caf\xc3\xa9 {x=1},\"} 2\n");
	ctw_prom_free(&p);
}

static const char *fmt(double v, char *buf)
{
	return ctw_prom_format_double(v, buf, CTW_PROM_NUMBER_LEN);
}

static void test_numbers(void **state)
{
	char b[CTW_PROM_NUMBER_LEN];

	(void)state;
	assert_string_equal(fmt(INFINITY, b), "+Inf");
	assert_string_equal(fmt(-INFINITY, b), "-Inf");
	assert_string_equal(fmt(NAN, b), "NaN");
	assert_string_equal(fmt(0.0, b), "0");
	assert_string_equal(fmt(-0.0, b), "0");
	assert_string_equal(fmt(262144, b), "262144");
	assert_string_equal(fmt(-3, b), "-3");
	/* 2^53 + 2: integral, past float precision of %g, still exact. */
	assert_string_equal(fmt(9007199254740994.0, b), "9007199254740994");
	assert_string_equal(fmt(0.95, b), "0.95");
	assert_string_equal(fmt(0.1 + 0.2, b), "0.30000000000000004");
	assert_string_equal(fmt(1.5e-7, b), "1.5e-07");
	assert_string_equal(fmt(1e20, b), "1e+20");
	assert_string_equal(fmt(1777379200.25, b), "1777379200.25");
}

/* Whatever the value, the text reads back as the same double. */
static void test_numbers_round_trip(void **state)
{
	const double v[] = { 1.0 / 3, 2.0 / 3, M_PI, DBL_MIN, DBL_MAX, -DBL_MAX, 5e-324, 123456.789,
			     0.9491882324218750, 1e-300, 9.2233720368547758e18, -1.25e-5 };
	char b[CTW_PROM_NUMBER_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fmt(v[i], b);
		if (strtod(b, NULL) != v[i])
			fail_msg("%.17g printed as \"%s\"", v[i], b);
		assert_null(strchr(b, ','));
	}
}

/* u64 samples are exact up to UINT64_MAX (a double would print 18446744073709551616). */
static void test_u64_exact(void **state)
{
	struct ctw_prom p;

	(void)state;
	ctw_prom_init(&p);
	ctw_prom_family(&p, "c_total", CTW_PROM_COUNTER, "c");
	ctw_prom_sample_u64(&p, NULL, 0, UINT64_MAX);
	ctw_prom_sample_u64(&p, NULL, 0, 9007199254740993ull);
	assert_int_equal(ctw_prom_error(&p), 0);
	assert_non_null(strstr(ctw_prom_text(&p), "\nc_total 18446744073709551615\nc_total 9007199254740993\n"));
	ctw_prom_free(&p);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(ctw_prom_valid_metric_name("ctwarden_up"));
	assert_true(ctw_prom_valid_metric_name("_a:b_1"));
	assert_false(ctw_prom_valid_metric_name(""));
	assert_false(ctw_prom_valid_metric_name(NULL));
	assert_false(ctw_prom_valid_metric_name("1abc"));
	assert_false(ctw_prom_valid_metric_name("a-b"));
	assert_false(ctw_prom_valid_metric_name("a b"));
	assert_true(ctw_prom_valid_label_name("netns_inode"));
	assert_true(ctw_prom_valid_label_name("_x"));
	assert_false(ctw_prom_valid_label_name("__name__"));
	assert_false(ctw_prom_valid_label_name("a:b"));
	assert_false(ctw_prom_valid_label_name("9"));
	assert_false(ctw_prom_valid_label_name(""));
}

/* The first error sticks; nothing is written after it. */
static void expect_error(void (*build)(struct ctw_prom *), int err)
{
	struct ctw_prom p;
	size_t len;

	ctw_prom_init(&p);
	ctw_prom_family(&p, "ok", CTW_PROM_GAUGE, "fine");
	ctw_prom_sample(&p, NULL, 0, 1);
	build(&p);
	assert_int_equal(ctw_prom_error(&p), err);
	len = p.len;
	ctw_prom_family(&p, "later", CTW_PROM_GAUGE, "never written");
	ctw_prom_sample(&p, NULL, 0, 2);
	assert_int_equal(ctw_prom_error(&p), err);
	assert_int_equal(p.len, len);
	assert_null(strstr(ctw_prom_text(&p), "later"));
	ctw_prom_free(&p);
}

static void bad_metric(struct ctw_prom *p)
{
	ctw_prom_family(p, "bad-name", CTW_PROM_GAUGE, "x");
}

static void long_metric(struct ctw_prom *p)
{
	char name[200];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ctw_prom_family(p, name, CTW_PROM_GAUGE, "x");
}

static void bad_label(struct ctw_prom *p)
{
	const struct ctw_prom_label l[] = { { "__reserved", "x" } };

	ctw_prom_sample(p, l, 1, 1);
}

static void null_label_value(struct ctw_prom *p)
{
	const struct ctw_prom_label l[] = { { "netns", NULL } };

	ctw_prom_sample(p, l, 1, 1);
}

static void twice(struct ctw_prom *p)
{
	ctw_prom_family(p, "other", CTW_PROM_GAUGE, "x");
	ctw_prom_family(p, "ok", CTW_PROM_COUNTER, "again");
}

static void test_errors(void **state)
{
	struct ctw_prom p;

	(void)state;
	expect_error(bad_metric, -EINVAL);
	expect_error(long_metric, -EINVAL);
	expect_error(bad_label, -EINVAL);
	expect_error(null_label_value, -EINVAL);
	expect_error(twice, -EEXIST);
	/* A sample with no family to belong to. */
	ctw_prom_init(&p);
	ctw_prom_sample(&p, NULL, 0, 1);
	assert_int_equal(ctw_prom_error(&p), -EINVAL);
	assert_string_equal(ctw_prom_text(&p), "");
	ctw_prom_free(&p);
}

/* Past the bound: -E2BIG, and the buffer never grew beyond it. */
static void test_limit(void **state)
{
	struct ctw_prom p;
	int i;

	(void)state;
	ctw_prom_init(&p);
	p.limit = 100;
	ctw_prom_family(&p, "m", CTW_PROM_GAUGE, "m");
	for (i = 0; i < 50 && ctw_prom_error(&p) == 0; i++)
		ctw_prom_sample(&p, NULL, 0, i);
	assert_int_equal(ctw_prom_error(&p), -E2BIG);
	assert_true(i < 50);
	assert_true(p.cap <= 100);
	assert_true(p.len < 100);
	ctw_prom_free(&p);
}

/* Growth over many reallocations keeps every line; reset empties the text
 * and the declared names but keeps the memory. */
static void test_growth_and_reset(void **state)
{
	struct ctw_prom p;
	char want[64];
	const char *t;
	size_t cap;

	(void)state;
	ctw_prom_init(&p);
	ctw_prom_family(&p, "m", CTW_PROM_GAUGE, "m");
	for (int i = 0; i < 20000; i++) {
		char v[16];
		const struct ctw_prom_label l[] = { { "i", v } };

		snprintf(v, sizeof(v), "%d", i);
		ctw_prom_sample(&p, l, 1, i);
	}
	assert_int_equal(ctw_prom_error(&p), 0);
	t = ctw_prom_text(&p);
	assert_non_null(strstr(t, "\nm{i=\"0\"} 0\n"));
	assert_non_null(strstr(t, "\nm{i=\"12345\"} 12345\n"));
	snprintf(want, sizeof(want), "\nm{i=\"19999\"} 19999\n");
	assert_string_equal(t + p.len - strlen(want), want);
	cap = p.cap;
	ctw_prom_reset(&p);
	assert_string_equal(ctw_prom_text(&p), "");
	assert_int_equal(p.cap, cap);
	ctw_prom_family(&p, "m", CTW_PROM_GAUGE, "m");
	assert_int_equal(ctw_prom_error(&p), 0);
	assert_string_equal(ctw_prom_text(&p), "# HELP m m\n# TYPE m gauge\n");
	ctw_prom_free(&p);
}

/* ---- the file writer ---------------------------------------------------- */

static char *make_dir(void)
{
	char tmpl[] = "/tmp/ctw-test-prom.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void remove_dir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0)
			rmdir(path);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

/* The names in dir, sorted and space-separated. */
static void list_dir(const char *dir, char *out, size_t len)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	size_t used = 0;

	assert_true(n >= 2);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") != 0 && strcmp(list[i]->d_name, "..") != 0)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "", list[i]->d_name);
		free(list[i]);
	}
	free(list);
}

static void read_fd(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
}

static void test_write_file(void **state)
{
	char *dir = make_dir(), path[256], names[256], buf[256];
	const char *step = "unset";
	struct stat st, st2;
	mode_t old_umask;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/ctwarden.prom", dir);
	old_umask = umask(077);
	assert_int_equal(ctw_prom_write_file(path, "a 1\n", 4, &step), 0);
	umask(old_umask);
	assert_string_equal(step, "");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 4);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "ctwarden.prom");

	/* A reader that opened the old file keeps reading it whole: the new
	 * content arrives as a new inode, never rewritten in place. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ctw_prom_write_file(path, "a 2\nb 3\n", 8, NULL), 0);
	read_fd(fd, buf, sizeof(buf));
	assert_string_equal(buf, "a 1\n");
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	read_fd(fd, buf, sizeof(buf));
	assert_string_equal(buf, "a 2\nb 3\n");
	assert_int_equal(fstat(fd, &st2), 0);
	assert_true(st2.st_ino != st.st_ino);
	close(fd);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "ctwarden.prom");
	remove_dir(dir);
}

static void test_write_file_errors(void **state)
{
	char *dir = make_dir(), path[256], names[256];
	const char *step = NULL;

	(void)state;
	/* No such directory: nothing created anywhere. */
	snprintf(path, sizeof(path), "%s/missing/ctwarden.prom", dir);
	assert_int_equal(ctw_prom_write_file(path, "a 1\n", 4, &step), -ENOENT);
	assert_string_equal(step, "creating a temp file");
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "");

	/* The target is a directory: the rename fails and the temp file goes. */
	snprintf(path, sizeof(path), "%s/sub.prom", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(ctw_prom_write_file(path, "a 1\n", 4, &step), -EISDIR);
	assert_string_equal(step, "renaming the temp file over it");
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "sub.prom");

	/* A path ending in a slash names no file. */
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_equal(ctw_prom_write_file(path, "a 1\n", 4, &step), -EISDIR);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "sub.prom");
	remove_dir(dir);
}

/* A bare file name is written in the current directory. */
static void test_write_file_relative(void **state)
{
	char *dir = make_dir(), cwd[512], names[256];
	struct stat st;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(ctw_prom_write_file("x.prom", "m 1\n", 4, NULL), 0);
	assert_int_equal(stat("x.prom", &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(chdir(cwd), 0);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "x.prom");
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_numbers_round_trip),
		cmocka_unit_test(test_u64_exact),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_growth_and_reset),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_write_file_errors),
		cmocka_unit_test(test_write_file_relative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
