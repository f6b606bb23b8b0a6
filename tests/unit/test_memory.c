/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Memory: slabinfo/meminfo parsers on real and broken text, the table-size
 * math, and ctw_memory_read on fixture trees. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "skip_because.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/knobs.h"
#include "kernel/memory.h"
#include "policy/budget.h"

#define ROOTS CTW_FIXTURES "/roots"
#define GIB (1024ULL * 1024 * 1024)

/* Rows as /proc/slabinfo prints them on 6.18 (header and column spacing kept). */
static const char slab_6_18[] =
	"slabinfo - version: 2.1\n"
	"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> "
	"<batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n"
	"bio-312               12     12    320   12    1 : tunables    0    0    0 : slabdata      1      1      0\n"
	"nf_conntrack_expect      0      0    208   19    1 : tunables    0    0    0 : slabdata      0      0      0\n"
	"nf_conntrack        1234   1248    256   16    1 : tunables    0    0    0 : slabdata     78     78      0\n"
	"kmalloc-64         20466  20480     64   64    1 : tunables    0    0    0 : slabdata    320    320      0\n";

static int slab(const char *text, uint64_t *objsize)
{
	return ctw_slabinfo_object_size(text, strlen(text), objsize);
}

static void test_slabinfo_real_format(void **state)
{
	uint64_t size = 0;

	assert_int_equal(slab(slab_6_18, &size), 0);
	assert_int_equal(size, 256);
	/* Last line without its newline. */
	assert_int_equal(slab("slabinfo - version: 2.1\nnf_conntrack 0 0 304 13 1 : tunables 0 0 0", &size), 0);
	assert_int_equal(size, 304);
}

static void test_slabinfo_only_exact_name(void **state)
{
	uint64_t size = 99;

	/* The expectation cache alone, or the per-netns caches of old kernels, are not it. */
	assert_int_equal(slab("slabinfo - version: 2.1\n"
			      "nf_conntrack_expect      0      0    208   19    1 : tunables 0 0 0 : slabdata 0 0 0\n"
			      "nf_conntrack_ffffffff81cbd580 321 336 320 12 1 : tunables 0 0 0 : slabdata 28 28 0\n"
			      "xnf_conntrack 1 1 999 1 1 : tunables 0 0 0 : slabdata 1 1 0\n",
			      &size),
			 -ENOENT);
	assert_int_equal(slab("slabinfo - version: 2.1\n", &size), -ENOENT);
	/* A merged slab: no row at all. */
	assert_int_equal(slab("slabinfo - version: 2.1\n# name <active_objs>\n"
			      "kmalloc-256 1 1 256 16 1 : tunables 0 0 0 : slabdata 1 1 0\n", &size),
			 -ENOENT);
	assert_int_equal(size, 99);
}

static void test_slabinfo_broken(void **state)
{
	static const char *const broken[] = {
		"",
		"slabinfo - version: 1.1\nnf_conntrack 0 0 256 16 1\n",     /* unknown layout */
		"nf_conntrack 0 0 256 16 1\n",                              /* no header */
		"slabinfo - version: 2.1\nnf_conntrack 0 0\n",              /* row cut short */
		"slabinfo - version: 2.1\nnf_conntrack 0 0 big 16 1\n",
		"slabinfo - version: 2.1\nnf_conntrack 0 0 -256 16 1\n",
		"slabinfo - version: 2.1\nnf_conntrack 0 0 0 16 1\n",       /* size 0 */
		"slabinfo - version: 2.1\nnf_conntrack x 0 256 16 1\n",
		"slabinfo - version: 2.1\nnf_conntrack 0 0 99999999999999999999999 16 1\n",
	};
	uint64_t size = 7;

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		assert_int_equal(slab(broken[i], &size), -EINVAL);
	assert_int_equal(size, 7);
}

/* The parser stops at len: a buffer cut inside the row is malformed, not read past. */
static void test_slabinfo_respects_len(void **state)
{
	const char *row = strstr(slab_6_18, "nf_conntrack   ");
	size_t cut = (size_t)(row - slab_6_18) + strlen("nf_conntrack        1234   1248    2");
	char *exact = malloc(cut);
	uint64_t size = 0;

	assert_non_null(exact);
	memcpy(exact, slab_6_18, cut);  /* no NUL: ASan catches any over-read */
	assert_int_equal(ctw_slabinfo_object_size(exact, cut, &size), 0);
	assert_int_equal(size, 2);  /* only what is inside len */
	assert_int_equal(ctw_slabinfo_object_size(exact, cut - 2, &size), -EINVAL);
	free(exact);
}

static void test_meminfo(void **state)
{
	uint64_t bytes = 0;
	const char *real = "MemTotal:       24684092 kB\nMemFree:        24357236 kB\n";

	assert_int_equal(ctw_meminfo_total_bytes(real, strlen(real), &bytes), 0);
	assert_true(bytes == 24684092ULL * 1024);
	/* Not first, no trailing newline. */
	real = "MemFree: 1 kB\nMemTotal: 25165824 kB";
	assert_int_equal(ctw_meminfo_total_bytes(real, strlen(real), &bytes), 0);
	assert_true(bytes == 24 * GIB);
}

static void test_meminfo_broken(void **state)
{
	static const struct {
		const char *text;
		int err;
	} cases[] = {
		{ "", -ENOENT },
		{ "MemFree: 1 kB\n", -ENOENT },
		{ "MemTotalX: 1 kB\n", -ENOENT },
		{ "MemTotal:\n", -EINVAL },
		{ "MemTotal: abc kB\n", -EINVAL },
		{ "MemTotal: 100\n", -EINVAL },
		{ "MemTotal: 100 MB\n", -EINVAL },
		{ "MemTotal: 100 kB extra\n", -EINVAL },
		{ "MemTotal: -100 kB\n", -EINVAL },
		{ "MemTotal: 18014398509481984 kB\n", -EINVAL },  /* 2^54 KiB: bytes overflow */
	};
	uint64_t bytes = 5;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(ctw_meminfo_total_bytes(cases[i].text, strlen(cases[i].text), &bytes),
				 cases[i].err);
	assert_int_equal(bytes, 5);
}

static void test_table_bytes(void **state)
{
	/* 262144 entries of 256 B and 262144 buckets of 8 B: 66 MiB. */
	assert_int_equal(ctw_table_bytes(256, 262144, 262144), 66 * 1024 * 1024);
	assert_int_equal(ctw_table_bytes(320, 0, 1024), 8192);
	assert_int_equal(ctw_table_bytes(0, 0, 0), 0);
	/* Saturates instead of wrapping. */
	assert_true(ctw_table_bytes(UINT64_MAX, 2, 0) == UINT64_MAX);
	assert_true(ctw_table_bytes(1, UINT64_MAX, 1) == UINT64_MAX);
	assert_true(ctw_table_bytes(0, 0, UINT64_MAX / 4) == UINT64_MAX);
	assert_true(ctw_table_bytes(UINT64_MAX / 2, 1, UINT64_MAX / 8) == UINT64_MAX);
	assert_true(ctw_table_bytes(UINT64_MAX / 2, 1, UINT64_MAX / 16) == UINT64_MAX - 8);
}

static void test_compute(void **state)
{
	struct ctw_memory m = { .object_size = 256, .memtotal_bytes = 24 * GIB };

	ctw_memory_compute(&m, 1234, 262144, 262144);
	assert_int_equal(m.bytes_now, 1234 * 256 + 262144 * 8);
	assert_int_equal(m.bytes_at_max, 66 * 1024 * 1024);
	/* 66 MiB of 24 GiB */
	assert_float_equal(m.percent_of_ram_at_max, 100.0 * 66 / (24 * 1024), 1e-9);

	m.memtotal_bytes = 0;
	ctw_memory_compute(&m, 1234, 262144, 262144);
	assert_float_equal(m.percent_of_ram_at_max, 0.0, 0.0);
	assert_int_equal(m.bytes_at_max, 66 * 1024 * 1024);
}

/* ---- ctw_memory_read on trees ------------------------------------------ */

static void read_tree(const char *root, struct ctw_memory *m, char *note, size_t len)
{
	struct ctw_knobs k;

	assert_int_equal(ctw_knobs_open(&k, root), 0);
	assert_int_equal(ctw_memory_read(&k, m, note, len), 0);
	ctw_knobs_close(&k);
}

static void test_read_host(void **state)
{
	struct ctw_memory m;
	char note[256] = "stale";

	read_tree(ROOTS "/host-6.18", &m, note, sizeof(note));
	assert_int_equal(m.object_size, 256);
	assert_false(m.object_size_estimated);
	assert_true(m.memtotal_bytes == 24 * GIB);
	assert_string_equal(note, "");
}

static void test_read_old_kernel_estimates(void **state)
{
	struct ctw_memory m;
	char note[256];

	read_tree(ROOTS "/old-kernel", &m, note, sizeof(note));
	assert_int_equal(m.object_size, CTW_OBJSIZE_ESTIMATE);
	assert_true(m.object_size_estimated);
	assert_true(m.memtotal_bytes == 4039532ULL * 1024);
	assert_non_null(strstr(note, "object size estimated as 320 B"));
	assert_non_null(strstr(note, ROOTS "/old-kernel/proc/slabinfo"));
	assert_non_null(strstr(note, "no nf_conntrack row"));
}

/* A tree without slabinfo and meminfo: both said in the note. */
static void test_read_missing_files(void **state)
{
	char dir[] = "/tmp/ctw-memory-XXXXXX";
	struct ctw_memory m;
	char note[512];

	assert_non_null(mkdtemp(dir));
	read_tree(dir, &m, note, sizeof(note));
	assert_true(m.object_size_estimated);
	assert_int_equal(m.object_size, CTW_OBJSIZE_ESTIMATE);
	assert_int_equal(m.memtotal_bytes, 0);
	assert_non_null(strstr(note, "/proc/slabinfo: No such file or directory"));
	assert_non_null(strstr(note, "RAM size unknown"));
	assert_non_null(strstr(note, "/proc/meminfo: No such file or directory"));
	/* A short note buffer is truncated, not overrun. */
	read_tree(dir, &m, note, 12);
	assert_int_equal(strlen(note), 11);
	assert_int_equal(rmdir(dir), 0);
}

/* SLUB's sys/kernel/slab/nf_conntrack/slab_size is read first (one small
 * read); a bad one falls back to slabinfo. */
static void test_read_sysfs_slab_size(void **state)
{
	char dir[] = "/tmp/ctw-memory-XXXXXX", path[128];
	static const char *const parts[] = { "sys", "sys/kernel", "sys/kernel/slab", "sys/kernel/slab/nf_conntrack" };
	struct ctw_memory m;
	char note[512];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, parts[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/sys/kernel/slab/nf_conntrack/slab_size", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("320\n", f);
	fclose(f);
	read_tree(dir, &m, note, sizeof(note));
	assert_int_equal(m.object_size, 320);
	assert_false(m.object_size_estimated);
	assert_null(strstr(note, "slabinfo"));

	assert_non_null(f = fopen(path, "w"));
	fputs("0x140\n", f);
	fclose(f);
	read_tree(dir, &m, note, sizeof(note));
	assert_true(m.object_size_estimated);
	assert_non_null(strstr(note, "/proc/slabinfo: No such file or directory"));

	assert_int_equal(unlink(path), 0);
	for (size_t i = sizeof(parts) / sizeof(parts[0]); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", dir, parts[i]);
		assert_int_equal(rmdir(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* The live kernel, as root: sysfs's slab_size is slabinfo's objsize. */
static void test_sysfs_slab_size_is_slabinfo_objsize(void **state)
{
	FILE *f = fopen("/sys/kernel/slab/nf_conntrack/slab_size", "r");
	static char buf[256 * 1024];
	unsigned long sysfs = 0;
	uint64_t slabinfo = 0;
	size_t n;

	if (!f)
		skip_because("cannot read /sys/kernel/slab/nf_conntrack/slab_size (no nf_conntrack, a merged slab, or not root): %s", strerror(errno));
	assert_int_equal(fscanf(f, "%lu", &sysfs), 1);
	fclose(f);
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		skip_because("this user may not read /proc/slabinfo: %s", strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(ctw_slabinfo_object_size(buf, n, &slabinfo), 0);
	assert_int_equal(sysfs, slabinfo);
}

/* What a user without root sees on this machine: slabinfo is 0400. */
static void test_read_live(void **state)
{
	struct ctw_memory m;
	char note[256];
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_max", "r");

	if (!f)
		skip_because("nf_conntrack is not loaded (no /proc/sys/net/netfilter/nf_conntrack_max)");
	fclose(f);
	read_tree("/", &m, note, sizeof(note));
	assert_true(m.memtotal_bytes > 0);
	if (access("/proc/slabinfo", R_OK) == 0) {
		/* root; the slab may still be merged on other builds */
		if (m.object_size_estimated)
			assert_non_null(strstr(note, "no nf_conntrack row"));
		else
			assert_in_range(m.object_size, 128, 1024);
	} else {
		assert_true(m.object_size_estimated);
		assert_non_null(strstr(note, "/proc/slabinfo: Permission denied (needs root)"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slabinfo_real_format),
		cmocka_unit_test(test_slabinfo_only_exact_name),
		cmocka_unit_test(test_slabinfo_broken),
		cmocka_unit_test(test_slabinfo_respects_len),
		cmocka_unit_test(test_meminfo),
		cmocka_unit_test(test_meminfo_broken),
		cmocka_unit_test(test_read_sysfs_slab_size),
		cmocka_unit_test(test_sysfs_slab_size_is_slabinfo_objsize),
		cmocka_unit_test(test_table_bytes),
		cmocka_unit_test(test_compute),
		cmocka_unit_test(test_read_host),
		cmocka_unit_test(test_read_old_kernel_estimates),
		cmocka_unit_test(test_read_missing_files),
		cmocka_unit_test(test_read_live),
	};
	return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
