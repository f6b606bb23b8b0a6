/* The state file: originals survive restarts, saves are atomic, and a file
 * that cannot be trusted is refused, never overwritten. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/statefile.h"

#define MAX_KNOB "net.netfilter.nf_conntrack_max"
#define TCP_EST "net.netfilter.nf_conntrack_tcp_timeout_established"

struct fixture {
	char dir[64];
	char file[128];
	char err[512];
	struct ctw_state s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ctw-state-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->file, sizeof(f->file), "%s/state.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	chmod(f->dir, 0700);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

/* The whole file, or NULL when absent. Caller frees. */
static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (!fp)
		return NULL;
	buf = calloc(1, 70000);
	assert_non_null(buf);
	n = fread(buf, 1, 69999, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Names in the directory, "state.json" excepted: temp files left behind. */
static int stray_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "state.json")) {
			print_message("stray file: %s\n", de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static void test_missing_file_is_empty_state(void **state)
{
	struct fixture *f = *state;
	char missing[128];

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->s.n, 0);
	assert_false(ctw_state_has_original(&f->s, MAX_KNOB));
	/* A state dir that does not exist yet (first start) is the same. */
	snprintf(missing, sizeof(missing), "%s/not-yet", f->dir);
	assert_int_equal(ctw_state_load(&f->s, missing, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->s.n, 0);
	/* ... and saving creates it, private. */
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, 65536), 1);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	struct stat st;
	assert_int_equal(stat(missing, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct ctw_state again;
	time_t before = time(NULL), after;
	uint64_t v;
	struct stat st;
	mode_t old_umask = umask(0);  /* the file must be private whatever the umask */

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, 65536), 1);
	assert_int_equal(ctw_state_record_original(&f->s, TCP_EST, 432000), 1);
	after = time(NULL);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	umask(old_umask);

	assert_int_equal(stat(f->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stray_files(f->dir), 0);

	assert_int_equal(ctw_state_load(&again, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(again.n, 2);
	assert_string_equal(again.originals[0].name, MAX_KNOB);
	assert_int_equal(again.originals[0].value, 65536);
	assert_string_equal(again.originals[1].name, TCP_EST);
	assert_int_equal(again.originals[1].value, 432000);
	assert_in_range(again.originals[0].changed_at, before, after);
	assert_int_equal(ctw_state_get_original(&again, TCP_EST, &v), 0);
	assert_int_equal(v, 432000);
	assert_int_equal(ctw_state_get_original(&again, "net.netfilter.nf_conntrack_udp_timeout", &v), -ENOENT);
}

/* A restart must keep the TRUE original, not the value the daemon set. */
static void test_record_twice_keeps_the_first(void **state)
{
	struct fixture *f = *state;
	struct ctw_state restarted;
	uint64_t v;

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, 65536), 1);
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, 131072), 0);
	assert_int_equal(f->s.n, 1);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);

	/* The daemon raised max to 131072, crashed, and starts again. */
	assert_int_equal(ctw_state_load(&restarted, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_record_original(&restarted, MAX_KNOB, 131072), 0);
	assert_int_equal(ctw_state_save(&restarted, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_load(&restarted, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_get_original(&restarted, MAX_KNOB, &v), 0);
	assert_int_equal(v, 65536);
}

static void test_remove_and_clear(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	ctw_state_record_original(&f->s, MAX_KNOB, 65536);
	ctw_state_record_original(&f->s, TCP_EST, 432000);
	ctw_state_record_original(&f->s, "net.netfilter.nf_conntrack_udp_timeout", 30);
	assert_int_equal(ctw_state_remove(&f->s, TCP_EST), 0);
	assert_int_equal(ctw_state_remove(&f->s, TCP_EST), -ENOENT);
	assert_int_equal(f->s.n, 2);
	/* Order of the others is kept. */
	assert_string_equal(f->s.originals[0].name, MAX_KNOB);
	assert_string_equal(f->s.originals[1].name, "net.netfilter.nf_conntrack_udp_timeout");
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	text = read_text(f->file);
	assert_non_null(text);
	assert_null(strstr(text, "established"));
	assert_non_null(strstr(text, MAX_KNOB));
	free(text);

	assert_int_equal(ctw_state_clear(&f->s, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->s.n, 0);
	assert_int_equal(access(f->file, F_OK), -1);
	assert_int_equal(ctw_state_clear(&f->s, f->err, sizeof(f->err)), 0);  /* again: fine */
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->s.n, 0);
}

static void test_record_rejects_bad_input(void **state)
{
	struct fixture *f = *state;
	char name[CTW_STATE_NAME_MAX + 8];

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_record_original(&f->s, "", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, "net.netfilter.x y", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, "a\"b", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, "net..x", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, ".net.x", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, "net/netfilter/x", 1), -EINVAL);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(ctw_state_record_original(&f->s, name, 1), -ENAMETOOLONG);
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, UINT64_MAX), -ERANGE);
	assert_int_equal(f->s.n, 0);
	for (int i = 0; i < CTW_STATE_MAX_ENTRIES; i++) {
		snprintf(name, sizeof(name), "net.netfilter.knob%d", i);
		assert_int_equal(ctw_state_record_original(&f->s, name, (uint64_t)i), 1);
	}
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, 1), -ENOSPC);
	/* A full state still round-trips. */
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->s.n, CTW_STATE_MAX_ENTRIES);
}

/* Saving must never leave a half-written state.json: a write that fails
 * (here the file size limit, which holds for root too) keeps the old file. */
static void test_failed_write_keeps_old_content(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, tiny;
	char *before, *after;
	void (*old_handler)(int);
	int r;

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	ctw_state_record_original(&f->s, MAX_KNOB, 65536);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	before = read_text(f->file);
	assert_non_null(before);

	ctw_state_record_original(&f->s, TCP_EST, 432000);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	tiny = old;
	tiny.rlim_cur = 16;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &tiny), 0);
	r = ctw_state_save(&f->s, f->err, sizeof(f->err));
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_handler);

	assert_int_equal(r, -EFBIG);
	assert_non_null(strstr(f->err, f->file));
	assert_non_null(strstr(f->err, "writing"));
	after = read_text(f->file);
	assert_string_equal(after, before);
	assert_int_equal(stray_files(f->dir), 0);
	free(before);
	free(after);
}

/* The rename step failing (state.json is a directory) leaves no temp file. */
static void test_failed_rename_leaves_no_temp(void **state)
{
	struct fixture *f = *state;
	char inner[200];

	assert_int_equal(mkdir(f->file, 0700), 0);
	snprintf(inner, sizeof(inner), "%s/keep", f->file);
	write_file(inner, "x", 0600);
	snprintf(f->s.dir, sizeof(f->s.dir), "%s", f->dir);
	snprintf(f->s.path, sizeof(f->s.path), "%s", f->file);
	f->s.n = 0;
	ctw_state_record_original(&f->s, MAX_KNOB, 65536);
	assert_true(ctw_state_save(&f->s, f->err, sizeof(f->err)) < 0);
	assert_non_null(strstr(f->err, "renaming"));
	assert_int_equal(access(inner, F_OK), 0);
	assert_int_equal(stray_files(f->dir), 0);
	/* And load says what is wrong rather than treating it as empty. */
	assert_true(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)) < 0);
	assert_int_equal(strncmp(f->err, f->file, strlen(f->file)), 0);
	unlink(inner);
	rmdir(f->file);
}

static void test_unwritable_dir_keeps_old_content(void **state)
{
	struct fixture *f = *state;
	char *before, *after;

	if (geteuid() == 0)
		skip();  /* root writes anyway; the size-limit test covers this path */
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	ctw_state_record_original(&f->s, MAX_KNOB, 65536);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	before = read_text(f->file);
	ctw_state_record_original(&f->s, TCP_EST, 432000);
	assert_int_equal(chmod(f->dir, 0500), 0);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), -EACCES);
	chmod(f->dir, 0700);
	after = read_text(f->file);
	assert_string_equal(after, before);
	assert_int_equal(stray_files(f->dir), 0);
	free(before);
	free(after);
}

/* Corrupt files are refused with "FILE: ..." and left as they are. */
static void test_corrupt_files_are_refused(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "", "not valid JSON" },
		{ "garbage\n", "not valid JSON" },
		{ "{\"version\":1,\"originals\":{\"net.netfilter.nf_conntrack_max\":{\"value\":65", "not valid JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"originals\":{}}", "\"version\"" },
		{ "{\"version\":2,\"originals\":{}}", "\"version\"" },
		{ "{\"version\":1}", "\"originals\"" },
		{ "{\"version\":1,\"originals\":[]}", "\"originals\"" },
		{ "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":-5,\"changed_at\":1}}}", MAX_KNOB },
		{ "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":\"5\",\"changed_at\":1}}}", MAX_KNOB },
		{ "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":5}}}", "changed_at" },
		{ "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":99999999999999999999,\"changed_at\":1}}}", MAX_KNOB },
		{ "{\"version\":1,\"originals\":{\"../../etc\":{\"value\":5,\"changed_at\":1}}}", "not a sysctl name" },
		{ "{\"version\":1,\"originals\":{}} trailing", "after the JSON" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *after;

		write_file(f->file, cases[i].text, 0600);
		f->err[0] = '\0';
		if (ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)) != -EBADMSG)
			fail_msg("case %zu (%s) was not refused as corrupt", i, cases[i].text);
		assert_int_equal(strncmp(f->err, f->file, strlen(f->file)), 0);
		assert_memory_equal(f->err + strlen(f->file), ": ", 2);  /* "FILE: ..." */
		if (!strstr(f->err, cases[i].why))
			fail_msg("case %zu: message '%s' does not mention '%s'", i, f->err, cases[i].why);
		assert_int_equal(f->s.n, 0);
		after = read_text(f->file);
		assert_string_equal(after, cases[i].text);
		free(after);
	}
}

static void test_untrusted_files_are_refused(void **state)
{
	struct fixture *f = *state;
	char link[200];

	write_file(f->file, "{\"version\":1,\"originals\":{}}", 0620);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), -EPERM);
	assert_non_null(strstr(f->err, "writable by group or others"));
	assert_int_equal(chmod(f->file, 0644), 0);  /* world-readable is fine */
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);

	/* A symlink in place of the file is not followed. */
	snprintf(link, sizeof(link), "%s/real.json", f->dir);
	assert_int_equal(rename(f->file, link), 0);
	assert_int_equal(symlink("real.json", f->file), 0);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), -ELOOP);
	assert_int_equal(strncmp(f->err, f->file, strlen(f->file)), 0);
	unlink(f->file);
	unlink(link);
}

static void test_format_parse_agree(void **state)
{
	struct fixture *f = *state;
	struct ctw_state parsed;
	char text[4096], err[256];
	int n;

	memset(&f->s, 0, sizeof(f->s));
	ctw_state_record_original(&f->s, MAX_KNOB, 262144);
	ctw_state_record_original(&f->s, "net.netfilter.nf_conntrack_buckets", 65536);
	n = ctw_state_format(&f->s, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(text[n - 1], '\n');
	assert_int_equal(ctw_state_parse(&parsed, text, (size_t)n, err, sizeof(err)), 0);
	assert_int_equal(parsed.n, 2);
	assert_string_equal(parsed.originals[1].name, "net.netfilter.nf_conntrack_buckets");
	assert_int_equal(parsed.originals[1].value, 65536);
	assert_int_equal(parsed.originals[1].changed_at, f->s.originals[1].changed_at);
	assert_int_equal(ctw_state_format(&f->s, text, 20), -ENOBUFS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_missing_file_is_empty_state),
		T(test_round_trip),
		T(test_record_twice_keeps_the_first),
		T(test_remove_and_clear),
		T(test_record_rejects_bad_input),
		T(test_failed_write_keeps_old_content),
		T(test_failed_rename_leaves_no_temp),
		T(test_unwritable_dir_keeps_old_content),
		T(test_corrupt_files_are_refused),
		T(test_untrusted_files_are_refused),
		T(test_format_parse_agree),
	};
	return cmocka_run_group_tests_name("statefile", tests, NULL, NULL);
}
