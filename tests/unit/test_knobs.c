/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Knobs on fixture trees: reads, writes with readback, errors, fallbacks.
 * Trees that get written or chmod'ed are copied to a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "skip_because.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/knobs.h"
#include "base/timeouts.h"

#define ROOTS CTW_FIXTURES "/roots"

/* ---- helpers ----------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Copy a fixture tree into a fresh temporary directory; returns the copy. */
static char *copy_tree(const char *name)
{
	char src[512], cmd[1024];
	char *dir = strdup("/tmp/ctw-knobs-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/%s", ROOTS, name);
	snprintf(cmd, sizeof(cmd), "cp -R '%s/.' '%s/'", src, dir);
	assert_int_equal(system(cmd), 0);
	return dir;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static void path_in(char *buf, size_t len, const char *dir, const char *rel)
{
	snprintf(buf, len, "%s/%s", dir, rel);
}

static const char *nf(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "proc/sys/net/netfilter/%s", name);
	return buf;
}

static struct ctw_knobs open_root(const char *root)
{
	struct ctw_knobs k;

	assert_int_equal(ctw_knobs_open(&k, root), 0);
	return k;
}

/* ---- names, paths, scopes --------------------------------------------- */

static void test_names_and_scopes(void **state)
{
	assert_string_equal(ctw_knob_sysctl_name(CTW_KNOB_MAX), "net.netfilter.nf_conntrack_max");
	assert_string_equal(ctw_knob_sysctl_name(CTW_KNOB_BUCKETS), "net.netfilter.nf_conntrack_buckets");
	assert_string_equal(ctw_knob_sysctl_name(CTW_KNOB_COUNT), "net.netfilter.nf_conntrack_count");
	assert_string_equal(ctw_knob_sysctl_name(CTW_KNOB_EXPECT_MAX), "net.netfilter.nf_conntrack_expect_max");
	assert_string_equal(ctw_knob_path(NULL, CTW_KNOB_MAX), "proc/sys/net/netfilter/nf_conntrack_max");
	assert_int_equal(ctw_knob_scope(CTW_KNOB_MAX), CTW_SCOPE_GLOBAL);
	assert_int_equal(ctw_knob_scope(CTW_KNOB_BUCKETS), CTW_SCOPE_GLOBAL);
	assert_int_equal(ctw_knob_scope(CTW_KNOB_EXPECT_MAX), CTW_SCOPE_GLOBAL);
	assert_int_equal(ctw_knob_scope(CTW_KNOB_COUNT), CTW_SCOPE_NETNS);
	assert_string_equal(ctw_knob_sysctl_name(CTW_KNOB__COUNT), "");
}

/* The knob table repeats the timeout names: it must agree with timeouts.c. */
static void test_timeout_knobs_match_timeout_table(void **state)
{
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		const char *name = ctw_timeout_info((enum ctw_timeout)t)->name;
		char want[256];

		snprintf(want, sizeof(want), "proc/sys/net/netfilter/nf_conntrack_%s", name);
		assert_string_equal(ctw_knob_path(NULL, CTW_KNOB_TIMEOUT(t)), want);
		snprintf(want, sizeof(want), "net.netfilter.nf_conntrack_%s", name);
		assert_string_equal(ctw_knob_sysctl_name(CTW_KNOB_TIMEOUT(t)), want);
		assert_int_equal(ctw_knob_scope(CTW_KNOB_TIMEOUT(t)), CTW_SCOPE_NETNS);
	}
}

/* ---- open ---------------------------------------------------------------- */

static void test_open_errors(void **state)
{
	struct ctw_knobs k;
	char longroot[5000];

	assert_int_equal(ctw_knobs_open(&k, ROOTS "/does-not-exist"), -ENOENT);
	assert_int_equal(ctw_knobs_open(&k, ROOTS "/host-6.18/proc/meminfo"), -ENOTDIR);
	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[sizeof(longroot) - 1] = '\0';
	assert_int_equal(ctw_knobs_open(&k, longroot), -ENAMETOOLONG);
}

/* ---- reads --------------------------------------------------------------- */

static void test_read_every_knob_host(void **state)
{
	struct ctw_knobs k = open_root(ROOTS "/host-6.18");
	uint64_t v;

	assert_false(k.buckets_via_hashsize);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), 0);
	assert_int_equal(v, 262144);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_BUCKETS, &v), 0);
	assert_int_equal(v, 262144);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_COUNT, &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_EXPECT_MAX, &v), 0);
	assert_int_equal(v, 4096);
	/* The host tree has the kernel's compiled-in timeouts. */
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		assert_int_equal(ctw_knob_read(&k, CTW_KNOB_TIMEOUT(t), &v), 0);
		assert_int_equal(v, ctw_timeout_info((enum ctw_timeout)t)->kernel_default);
	}
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB__COUNT, &v), -EINVAL);
	ctw_knobs_close(&k);
}

static void test_read_old_kernel(void **state)
{
	struct ctw_knobs k = open_root(ROOTS "/old-kernel");
	uint64_t v;

	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_BUCKETS, &v), 0);
	assert_int_equal(v, 16384);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_TIMEOUT(CTW_TO_UDP_STREAM), &v), 0);
	assert_int_equal(v, 180);
	ctw_knobs_close(&k);
}

static void test_hashsize_fallback(void **state)
{
	struct ctw_knobs k = open_root(ROOTS "/hashsize-only");
	uint64_t v;

	assert_true(k.buckets_via_hashsize);
	assert_string_equal(ctw_knob_path(&k, CTW_KNOB_BUCKETS), "sys/module/nf_conntrack/parameters/hashsize");
	/* The advice still names the sysctl. */
	assert_string_equal(ctw_knob_sysctl_name(CTW_KNOB_BUCKETS), "net.netfilter.nf_conntrack_buckets");
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_BUCKETS, &v), 0);
	assert_int_equal(v, 131072);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), 0);
	assert_int_equal(v, 131072);
	ctw_knobs_close(&k);
}

/* With both present, the sysctl wins over the module parameter. */
static void test_buckets_prefers_sysctl(void **state)
{
	char *dir = copy_tree("host-6.18"), p[512];
	struct ctw_knobs k;
	uint64_t v;

	path_in(p, sizeof(p), dir, "sys/module/nf_conntrack/parameters/hashsize");
	write_text(p, "999424\n");
	k = open_root(dir);
	assert_false(k.buckets_via_hashsize);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_BUCKETS, &v), 0);
	assert_int_equal(v, 262144);
	ctw_knobs_close(&k);
	remove_tree(dir);
}

static void test_loaded_detection(void **state)
{
	struct ctw_knobs k = open_root(ROOTS "/host-6.18");
	uint64_t v;

	assert_true(ctw_knobs_conntrack_loaded(&k));
	ctw_knobs_close(&k);

	k = open_root(ROOTS "/no-conntrack");
	assert_false(ctw_knobs_conntrack_loaded(&k));
	assert_false(ctw_knobs_global_writable(&k));
	assert_false(k.buckets_via_hashsize);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), -ENOENT);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_BUCKETS, &v), -ENOENT);
	ctw_knobs_close(&k);
}

/* Outside the initial netns max is 0444: decided from the mode, even for root. */
static void test_global_writable_from_mode(void **state)
{
	char *dir = copy_tree("host-6.18"), p[512];
	struct ctw_knobs k = open_root(dir);

	assert_true(ctw_knobs_global_writable(&k));
	path_in(p, sizeof(p), dir, nf("nf_conntrack_max"));
	assert_int_equal(chmod(p, 0444), 0);
	assert_false(ctw_knobs_global_writable(&k));
	/* Reading still works. */
	uint64_t v;
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), 0);
	assert_int_equal(v, 262144);
	ctw_knobs_close(&k);
	remove_tree(dir);
}

static void test_junk_values(void **state)
{
	static const struct {
		const char *text;
		int err;
	} cases[] = {
		{ "", -EINVAL }, { "\n", -EINVAL }, { "abc\n", -EINVAL }, { "12 \n", -EINVAL },
		{ " 12\n", -EINVAL }, { "-1\n", -EINVAL }, { "+5\n", -EINVAL }, { "0x10\n", -EINVAL },
		{ "1\n\n", -EINVAL }, { "1\t2\n", -EINVAL }, { "4096 4096\n", -EINVAL },
		{ "18446744073709551616\n", -ERANGE },
		{ "99999999999999999999999999999999999999999999999999\n", -EINVAL },
	};
	char *dir = copy_tree("host-6.18"), p[512];
	struct ctw_knobs k = open_root(dir);
	uint64_t v;

	path_in(p, sizeof(p), dir, nf("nf_conntrack_max"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(p, cases[i].text);
		v = 4242;
		assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), cases[i].err);
		assert_int_equal(v, 4242); /* untouched on error */
	}
	/* Accepted: no newline, leading zero, the full u64 range. */
	write_text(p, "65536");
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), 0);
	assert_int_equal(v, 65536);
	write_text(p, "0\n");
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), 0);
	assert_int_equal(v, 0);
	write_text(p, "18446744073709551615\n");
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	ctw_knobs_close(&k);
	remove_tree(dir);
}

/* ---- writes -------------------------------------------------------------- */

static void test_write_readback(void **state)
{
	char *dir = copy_tree("host-6.18"), buf[64];
	struct ctw_knobs k = open_root(dir);
	uint64_t rb = 0, v;

	assert_int_equal(ctw_knob_write(&k, CTW_KNOB_MAX, 300000, &rb), 0);
	assert_int_equal(rb, 300000);
	assert_int_equal(ctw_root_read_file(&k, nf("nf_conntrack_max"), buf, sizeof(buf)), 7);
	assert_string_equal(buf, "300000\n");
	/* A shorter value replaces the whole file: what is read back is exact. */
	assert_int_equal(ctw_knob_write(&k, CTW_KNOB_MAX, 7, NULL), 0);
	assert_int_equal(ctw_root_read_file(&k, nf("nf_conntrack_max"), buf, sizeof(buf)), 2);
	assert_string_equal(buf, "7\n");

	assert_int_equal(ctw_knob_write(&k, CTW_KNOB_TIMEOUT(CTW_TO_TCP_ESTABLISHED), 3600, &rb), 0);
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_TIMEOUT(CTW_TO_TCP_ESTABLISHED), &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(ctw_knob_write(&k, CTW_KNOB_BUCKETS, UINT64_MAX, &rb), 0);
	assert_true(rb == UINT64_MAX);
	/* Other knobs untouched. */
	assert_int_equal(ctw_knob_read(&k, CTW_KNOB_EXPECT_MAX, &v), 0);
	assert_int_equal(v, 4096);
	ctw_knobs_close(&k);
	remove_tree(dir);
}

static void test_write_hashsize_fallback(void **state)
{
	char *dir = copy_tree("hashsize-only"), buf[64];
	struct ctw_knobs k = open_root(dir);
	uint64_t rb = 0;

	assert_int_equal(ctw_knob_write(&k, CTW_KNOB_BUCKETS, 262144, &rb), 0);
	assert_int_equal(rb, 262144);
	assert_true(ctw_root_read_file(&k, "sys/module/nf_conntrack/parameters/hashsize", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "262144\n");
	ctw_knobs_close(&k);
	remove_tree(dir);
}

static void test_write_errors(void **state)
{
	char *dir = copy_tree("host-6.18"), p[512];
	struct ctw_knobs k = open_root(dir), none = open_root(ROOTS "/no-conntrack");
	uint64_t rb = 77;

	/* count is the kernel's, never written */
	assert_int_equal(ctw_knob_write(&k, CTW_KNOB_COUNT, 1, &rb), -EINVAL);
	assert_int_equal(ctw_knob_write(&none, CTW_KNOB_MAX, 1000, &rb), -ENOENT);
	assert_int_equal(rb, 77);

	/* A knob that cannot be opened for writing. */
	path_in(p, sizeof(p), dir, nf("nf_conntrack_expect_max"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(ctw_knob_write(&k, CTW_KNOB_EXPECT_MAX, 1000, &rb), -EISDIR);

	/* Read-only file: EACCES, and no read-back. Root's CAP_DAC_OVERRIDE
	 * would write anyway: as root, the write is made by a child that has
	 * become nobody, the file's owner (so only the mode refuses it). */
	path_in(p, sizeof(p), dir, nf("nf_conntrack_max"));
	assert_int_equal(chmod(p, 0444), 0);
	if (geteuid() != 0) {
		assert_int_equal(ctw_knob_write(&k, CTW_KNOB_MAX, 1000, &rb), -EACCES);
	} else {
		int status;
		pid_t pid;

		assert_int_equal(chown(p, 65534, 65534), 0);
		assert_int_equal(chmod(dir, 0755), 0);   /* nobody may look the path up */
		fflush(stdout);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* No cmocka asserts here: they would jump into the runner's copy. */
			if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			    setresuid(65534, 65534, 65534) < 0)
				_exit(2);
			_exit(ctw_knob_write(&k, CTW_KNOB_MAX, 1000, &rb) == -EACCES && rb == 77 ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) == 2)
			fail_msg("the child could not become uid 65534");
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(rb, 77);
	ctw_knobs_close(&k);
	ctw_knobs_close(&none);
	remove_tree(dir);
}

/* A "kernel" that keeps another value: the knob is a FIFO, and a thread plays
 * the kernel, taking the write and answering the readback with a rounded value. */
struct fake_kernel {
	char path[512];
	char got[64];
	const char *answer;
};

static void *fake_kernel_run(void *arg)
{
	struct fake_kernel *fk = arg;
	ssize_t n, used = 0;
	int fd;

	fd = open(fk->path, O_RDONLY);
	if (fd < 0)
		return NULL;
	while ((n = read(fd, fk->got + used, sizeof(fk->got) - 1 - (size_t)used)) > 0)
		used += n;
	fk->got[used] = '\0';
	close(fd);
	fd = open(fk->path, O_WRONLY);
	if (fd < 0)
		return NULL;
	if (write(fd, fk->answer, strlen(fk->answer)) < 0)
		fk->got[0] = '!';
	close(fd);
	return NULL;
}

static void test_write_kernel_keeps_other_value(void **state)
{
	char *dir = copy_tree("host-6.18");
	struct fake_kernel fk = { .answer = "1024\n" };
	struct ctw_knobs k = open_root(dir);
	pthread_t th;
	uint64_t rb = 0;
	char msg[256];

	path_in(fk.path, sizeof(fk.path), dir, nf("nf_conntrack_buckets"));
	assert_int_equal(unlink(fk.path), 0);
	assert_int_equal(mkfifo(fk.path, 0644), 0);
	assert_int_equal(pthread_create(&th, NULL, fake_kernel_run, &fk), 0);
	assert_int_equal(ctw_knob_write(&k, CTW_KNOB_BUCKETS, 1000, &rb), -EIO);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_string_equal(fk.got, "1000\n");  /* one bounded "N\n" write */
	assert_int_equal(rb, 1024);
	ctw_knob_describe_error(&k, CTW_KNOB_BUCKETS, -EIO, msg, sizeof(msg));
	assert_non_null(strstr(msg, "/proc/sys/net/netfilter/nf_conntrack_buckets: "));
	ctw_knobs_close(&k);
	remove_tree(dir);
}

/* ---- files and messages -------------------------------------------------- */

static void test_read_file(void **state)
{
	struct ctw_knobs k = open_root(ROOTS "/host-6.18");
	char small[8], buf[64];

	assert_int_equal(ctw_root_read_file(&k, nf("nf_conntrack_max"), small, sizeof(small)), 7);
	assert_string_equal(small, "262144\n");
	/* One byte short: does not fit (the NUL needs room). */
	assert_int_equal(ctw_root_read_file(&k, nf("nf_conntrack_max"), small, 7), -EFBIG);
	assert_int_equal(ctw_root_read_file(&k, "proc/meminfo", buf, sizeof(buf)), -EFBIG);
	/* An absolute path stays under the root. */
	assert_true(ctw_root_read_file(&k, "/proc/sys/net/netfilter/nf_conntrack_count", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "1234\n");
	assert_int_equal(ctw_root_read_file(&k, "proc/nothing-here", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(ctw_root_read_file(&k, "proc", buf, sizeof(buf)), -EISDIR);
	ctw_knobs_close(&k);
}

/* procfs files report st_size 0: the read must go to EOF anyway. */
static void test_read_file_procfs(void **state)
{
	struct ctw_knobs k;
	char buf[256], want[32];
	struct stat st;

	if (stat("/proc/self/comm", &st) < 0 || st.st_size != 0)
		skip_because("no procfs file with st_size 0 at /proc/self/comm");
	/* comm is the program name cut to 15 characters */
	snprintf(want, sizeof(want), "%.15s\n", program_invocation_short_name);
	k = open_root("/");
	assert_int_equal(ctw_root_read_file(&k, "proc/self/comm", buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
	ctw_knobs_close(&k);
}

static void test_describe_error(void **state)
{
	struct ctw_knobs k = open_root("/");
	char msg[256];

	assert_string_equal(ctw_knob_describe_error(&k, CTW_KNOB_MAX, -EACCES, msg, sizeof(msg)),
			    "/proc/sys/net/netfilter/nf_conntrack_max: Permission denied");
	ctw_knobs_close(&k);

	k = open_root(ROOTS "/hashsize-only/");
	ctw_knob_describe_error(&k, CTW_KNOB_BUCKETS, -EOPNOTSUPP, msg, sizeof(msg));
	assert_string_equal(msg, ROOTS "/hashsize-only/sys/module/nf_conntrack/parameters/hashsize: "
			    "Operation not supported");
	ctw_knobs_close(&k);

	k = open_root(ROOTS "/host-6.18");
	ctw_root_display_path(&k, "proc/slabinfo", msg, sizeof(msg));
	assert_string_equal(msg, ROOTS "/host-6.18/proc/slabinfo");
	/* Truncated, still terminated. */
	ctw_knob_describe_error(&k, CTW_KNOB_MAX, -EROFS, msg, 10);
	assert_int_equal(strlen(msg), 9);
	ctw_knobs_close(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_scopes),
		cmocka_unit_test(test_timeout_knobs_match_timeout_table),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_read_every_knob_host),
		cmocka_unit_test(test_read_old_kernel),
		cmocka_unit_test(test_hashsize_fallback),
		cmocka_unit_test(test_buckets_prefers_sysctl),
		cmocka_unit_test(test_loaded_detection),
		cmocka_unit_test(test_global_writable_from_mode),
		cmocka_unit_test(test_junk_values),
		cmocka_unit_test(test_write_readback),
		cmocka_unit_test(test_write_hashsize_fallback),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_write_kernel_keeps_other_value),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_file_procfs),
		cmocka_unit_test(test_describe_error),
	};
	return cmocka_run_group_tests_name("knobs", tests, NULL, NULL);
}
