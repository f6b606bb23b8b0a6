/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state file: originals survive restarts, saves are atomic, and a file
 * that cannot be trusted is refused, never overwritten. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "skip_because.h"
#include "proc_self.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/actuator.h"
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
	int recorded = 0;

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	/* Only knobs ctwarden writes, by exact name. */
	assert_int_equal(ctw_state_record_original(&f->s, "", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, "kernel.panic", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, "net.netfilter.nf_conntrack_count", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB " ", 1), -EINVAL);
	assert_int_equal(ctw_state_record_original(&f->s, "net/netfilter/nf_conntrack_max", 1), -EINVAL);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(ctw_state_record_original(&f->s, name, 1), -EINVAL);
	/* Each value in the kernel's range for its knob. */
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, 0), -ERANGE);
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, UINT64_MAX), -ERANGE);
	assert_int_equal(ctw_state_record_original(&f->s, MAX_KNOB, (uint64_t)INT32_MAX + 1), -ERANGE);
	assert_int_equal(ctw_state_record_original(&f->s, "net.netfilter.nf_conntrack_buckets", 0), -ERANGE);
	assert_int_equal(ctw_state_record_original(&f->s, TCP_EST, 0), -ERANGE);
	assert_int_equal(ctw_state_record_original(&f->s, TCP_EST, CTW_STATE_TIMEOUT_MAX + 1), -ERANGE);
	assert_int_equal(f->s.n, 0);
	/* Every knob ctwarden writes can be recorded, at its range's ends. */
	for (int id = 0; id < CTW_KNOB__COUNT; id++) {
		if (id == CTW_KNOB_COUNT)
			continue;
		assert_int_equal(ctw_state_record_original(&f->s, ctw_knob_sysctl_name((enum ctw_knob)id),
							   id == CTW_KNOB_MAX ? INT32_MAX : 1), 1);
		recorded++;
	}
	assert_int_equal(f->s.n, (size_t)recorded);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->s.n, (size_t)recorded);
}

#define UDP "net.netfilter.nf_conntrack_udp_timeout"

/* Per-namespace originals: keyed by name AND inode, only per-netns knobs,
 * a path ctwarden may open, bounded, and they survive a save and load. */
static void test_netns_originals(void **state)
{
	struct fixture *f = *state;
	uint64_t v = 0;
	char nsname[32], path[64];

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-a", 4026532177, "/run/netns/ctw-a", UDP, 30), 1);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-a", 4026532177, "/run/netns/ctw-a", UDP, 5), 0);
	assert_int_equal(ctw_state_netns_get(&f->s, "ctw-a", 4026532177, UDP, &v), 0);
	assert_int_equal(v, 30);
	/* The same name with another inode is another namespace (names are reused). */
	assert_int_equal(ctw_state_netns_get(&f->s, "ctw-a", 4026532178, UDP, &v), -ENOENT);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-a", 4026532178, "/run/netns/ctw-a", UDP, 60), 1);
	assert_int_equal(ctw_state_netns_record(&f->s, "pid 42", 4026532200, "/proc/42/ns/net", TCP_EST, 432000), 1);
	assert_int_equal(f->s.n_netns, 3);
	assert_int_equal(f->s.n, 0);  /* the host's own are apart */
	assert_false(ctw_state_has_original(&f->s, UDP));

	/* Global knobs, bad paths, names that do not go with the path, ranges. */
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-b", 1, "/run/netns/ctw-b", MAX_KNOB, 10), -EINVAL);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-b", 1, "/run/netns/ctw-b", "kernel.panic", 1), -EINVAL);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-b", 1, "/etc/passwd", UDP, 10), -EINVAL);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-b", 1, "/run/netns/../../etc/x", UDP, 10), -EINVAL);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-b", 1, "/run/netns/ctw-c", UDP, 10), -EINVAL);
	assert_int_equal(ctw_state_netns_record(&f->s, "pid 7", 1, "/proc/8/ns/net", UDP, 10), -EINVAL);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-b", 0, "/run/netns/ctw-b", UDP, 10), -EINVAL);
	assert_int_equal(ctw_state_netns_record(&f->s, "ctw-b", 1, "/run/netns/ctw-b", UDP, 0), -ERANGE);
	assert_int_equal(f->s.n_netns, 3);  /* no empty entry left behind */
	assert_true(ctw_state_netns_path_valid("/proc/1/ns/net"));
	assert_false(ctw_state_netns_path_valid("/proc/self/ns/net"));
	assert_false(ctw_state_netns_path_valid("/run/netns/"));
	assert_false(ctw_state_netns_path_valid("/run/netns/.."));

	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->s.n_netns, 3);
	assert_int_equal(ctw_state_netns_get(&f->s, "ctw-a", 4026532178, UDP, &v), 0);
	assert_int_equal(v, 60);
	assert_string_equal(f->s.netns[2].path, "/proc/42/ns/net");

	assert_int_equal(ctw_state_netns_remove(&f->s, "ctw-a", 4026532177, UDP), 0);
	assert_int_equal(f->s.n_netns, 2);  /* its last original gone, the entry goes */
	assert_int_equal(ctw_state_netns_remove(&f->s, "ctw-a", 4026532177, UDP), -ENOENT);
	assert_int_equal(ctw_state_netns_forget(&f->s, "pid 42", 4026532200), 0);
	assert_int_equal(ctw_state_count(&f->s), 1);

	/* Bounded: namespaces, and knobs per namespace. */
	memset(&f->s, 0, sizeof(f->s));
	for (int i = 0; i < CTW_STATE_NETNS_MAX; i++) {
		snprintf(nsname, sizeof(nsname), "ns%d", i);
		snprintf(path, sizeof(path), "/run/netns/ns%d", i);
		for (int t = 0; t < CTW_TO__COUNT; t++)
			assert_int_equal(ctw_state_netns_record(&f->s, nsname, (uint64_t)i + 1, path,
								ctw_knob_sysctl_name(CTW_KNOB_TIMEOUT(t)), 432000), 1);
	}
	assert_int_equal(ctw_state_netns_record(&f->s, "more", 99999, "/run/netns/more", UDP, 30), -ENOSPC);
	snprintf(f->s.dir, sizeof(f->s.dir), "%s", f->dir);
	snprintf(f->s.path, sizeof(f->s.path), "%s", f->file);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(ctw_state_count(&f->s), (size_t)CTW_STATE_NETNS_MAX * CTW_TO__COUNT);
}

/* Version 1 files (before boot IDs and namespaces) still load. */
static void test_version1_loads(void **state)
{
	struct fixture *f = *state;
	uint64_t v = 0;

	write_file(f->file, "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":4096,\"changed_at\":1}}}", 0600);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->s.version, 1);
	assert_string_equal(f->s.boot_id, "");
	assert_int_equal(ctw_state_get_original(&f->s, MAX_KNOB, &v), 0);
	assert_int_equal(v, 4096);
	assert_true(f->s.mtime > 0);
}

/* Which boot originals belong to. */
static void test_boot_same(void **state)
{
	const char *a = "11111111-2222-3333-4444-555555555555", *b = "99999999-2222-3333-4444-555555555555";

	(void)state;
	assert_true(ctw_actuator_boot_same(a, 0, a, 1000));
	assert_false(ctw_actuator_boot_same(a, 5000, b, 1000));  /* IDs decide when both are known */
	/* No ID in the file (version 1): its age decides. */
	assert_true(ctw_actuator_boot_same("", 1500, a, 1000));
	assert_false(ctw_actuator_boot_same("", 500, a, 1000));
	assert_false(ctw_actuator_boot_same(a, 500, "", 1000));
	assert_true(ctw_state_boot_id_valid(a));
	assert_false(ctw_state_boot_id_valid("11111111-2222-3333-4444-55555555555"));
	assert_false(ctw_state_boot_id_valid("11111111-2222-3333-4444-55555555555G"));
	assert_false(ctw_state_boot_id_valid("111111112-222-3333-4444-555555555555"));
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

/* ---- checks that need another user: in a child -------------------------- */

/* cmocka's asserts jump back into its runner: in a forked child they would
 * go on running the other cases there. A child reports with its exit code
 * (0 pass, 77 the machine lacks what the case needs, else fail) and a line. */
#define NOBODY 65534
#define CHILD_SKIP 77

struct child_report {
	int code;
	char line[512];
};

static void run_in_child(int (*body)(struct fixture *, char *, size_t), struct fixture *f,
			 struct child_report *rep)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char line[sizeof(rep->line)] = "";
		int code;

		close(fds[0]);
		code = body(f, line, sizeof(line));
		if (write(fds[1], line, strlen(line)) < 0)
			code = 3;
		_exit(code);
	}
	close(fds[1]);
	n = read(fds[0], rep->line, sizeof(rep->line) - 1);
	rep->line[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	rep->code = WEXITSTATUS(status);
	if (rep->code == CHILD_SKIP)
		skip_because("%s", rep->line);
	if (rep->code != 0)
		print_message("# child: %s\n", rep->line);
	assert_int_equal(rep->code, 0);
}

/* Root's CAP_DAC_OVERRIDE and CAP_CHOWN would defeat what is checked: as
 * root, the child becomes nobody (every uid, no groups, no capabilities). */
static int drop_root(char *line, size_t len)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0) {
		snprintf(line, len, "becoming uid %d: %s", NOBODY, strerror(errno));
		return -1;
	}
	/* A changed uid makes /proc/self root's; the user namespace needs it ours. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

/* A user namespace (with a mount namespace of its own) where this user is
 * uid 1000 and every other uid, root's too, shows as the overflow uid 65534:
 * how a non-root process gets to see a file owned by somebody else. */
static int enter_user_namespace(char *line, size_t len)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int r;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		snprintf(line, len, "no user namespace for this user: unshare: %s", strerror(errno));
		return CHILD_SKIP;
	}
	r = write_proc_self("setgroups", "deny");
	if (r == 0) {
		snprintf(map, sizeof(map), "1000 %u 1", (unsigned)uid);
		r = write_proc_self("uid_map", map);
	}
	if (r == 0) {
		snprintf(map, sizeof(map), "1000 %u 1", (unsigned)gid);
		r = write_proc_self("gid_map", map);
	}
	if (r < 0) {
		snprintf(line, len, "mapping uid %u in the new user namespace: %s", (unsigned)uid, strerror(-r));
		return 1;
	}
	return 0;
}

/* A directory the daemon may not write to: the save fails with EACCES and the
 * old file stays as it was, with no temp file left. */
static int save_unwritable(struct fixture *f, char *line, size_t len)
{
	int r;

	if (drop_root(line, len) < 0)
		return 1;
	r = ctw_state_save(&f->s, f->err, sizeof(f->err));
	if (r != -EACCES) {
		snprintf(line, len, "save into a 0500 directory as uid %u: %d (%s), expected -EACCES",
			 (unsigned)geteuid(), r, r < 0 ? f->err : "it wrote");
		return 1;
	}
	return 0;
}

static void test_unwritable_dir_keeps_old_content(void **state)
{
	struct fixture *f = *state;
	struct child_report rep;
	char *before, *after;

	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), 0);
	ctw_state_record_original(&f->s, MAX_KNOB, 65536);
	assert_int_equal(ctw_state_save(&f->s, f->err, sizeof(f->err)), 0);
	before = read_text(f->file);
	ctw_state_record_original(&f->s, TCP_EST, 432000);
	/* As root the save runs as nobody: the directory is nobody's, read-only. */
	if (geteuid() == 0)
		assert_int_equal(chown(f->dir, NOBODY, NOBODY), 0);
	assert_int_equal(chmod(f->dir, 0500), 0);
	run_in_child(save_unwritable, f, &rep);
	assert_int_equal(chmod(f->dir, 0700), 0);
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
		{ "{\"version\":3,\"originals\":{}}", "\"version\"" },
		{ "{\"version\":1}", "\"originals\"" },
		{ "{\"version\":1,\"originals\":[]}", "\"originals\"" },
		{ "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":-5,\"changed_at\":1}}}", MAX_KNOB },
		{ "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":\"5\",\"changed_at\":1}}}", MAX_KNOB },
		{ "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":5}}}", "changed_at" },
		{ "{\"version\":1,\"originals\":{\"" MAX_KNOB "\":{\"value\":99999999999999999999,\"changed_at\":1}}}", MAX_KNOB },
		{ "{\"version\":1,\"originals\":{\"../../etc\":{\"value\":5,\"changed_at\":1}}}", "\"../../etc\" is not a knob ctwarden manages" },
		{ "{\"version\":1,\"originals\":{}} trailing", "at byte 29" },
		/* Only knobs ctwarden manages, each in range. */
		{ "{\"version\":2,\"originals\":{\"kernel.panic\":{\"value\":1,\"changed_at\":1}}}", "\"kernel.panic\" is not a knob ctwarden manages" },
		{ "{\"version\":2,\"originals\":{\"net.netfilter.nf_conntrack_count\":{\"value\":1,\"changed_at\":1}}}", "nf_conntrack_count\" is not a knob" },
		{ "{\"version\":2,\"originals\":{\"" MAX_KNOB "\":{\"value\":0,\"changed_at\":1}}}", "value 0 out of range" },
		{ "{\"version\":2,\"originals\":{\"net.netfilter.nf_conntrack_buckets\":{\"value\":0,\"changed_at\":1}}}", "nf_conntrack_buckets\" value 0 out of range" },
		{ "{\"version\":2,\"originals\":{\"" TCP_EST "\":{\"value\":0,\"changed_at\":1}}}", "out of range" },
		{ "{\"version\":2,\"originals\":{\"" TCP_EST "\":{\"value\":2147484,\"changed_at\":1}}}", "out of range" },
		{ "{\"version\":2,\"originals\":{\"" MAX_KNOB "\":{\"value\":5,\"changed_at\":1,\"x\":1}}}", "unknown key \"x\"" },
		/* A key twice: json-c would keep the last one silently. */
		{ "{\"version\":2,\"originals\":{\"" MAX_KNOB "\":{\"value\":4096,\"changed_at\":1},\"" MAX_KNOB "\":{\"value\":9,\"changed_at\":1}}}", "\"" MAX_KNOB "\" appears twice" },
		{ "{\"version\":2,\"originals\":{\"" MAX_KNOB "\":{\"value\":4096,\"value\":9,\"changed_at\":1}}}", "\"value\" appears twice" },
		{ "{\"version\":2,\"version\":2,\"originals\":{}}", "\"version\" appears twice" },
		{ "{\"version\":2,\"originals\":{},\"netns\":[{\"name\":\"a\",\"inode\":7,\"path\":\"/run/netns/a\",\"originals\":{\"" UDP "\":{\"value\":30,\"changed_at\":1},\"" UDP "\":{\"value\":1,\"changed_at\":1}}}]}", "\"" UDP "\" appears twice" },
		/* Escapes and comments ctwarden never writes (and that would hide a name). */
		{ "{\"version\":2,\"originals\":{\"net.netfilter.nf_conntrack_ma\\u0078\":{\"value\":5,\"changed_at\":1}}}", "backslash" },
		{ "{\"version\":2,/* \"x\": */\"originals\":{}}", "not valid JSON" },
		/* Boots and namespaces. */
		{ "{\"version\":1,\"boot_id\":\"11111111-2222-3333-4444-555555555555\",\"originals\":{}}", "unknown key \"boot_id\"" },
		{ "{\"version\":2,\"boot_id\":\"yesterday\",\"originals\":{}}", "\"boot_id\"" },
		{ "{\"version\":2,\"originals\":{},\"netns\":{}}", "\"netns\" is not an array" },
		{ "{\"version\":2,\"originals\":{},\"netns\":[{\"name\":\"a\",\"inode\":7,\"path\":\"/etc/passwd\",\"originals\":{}}]}", "\"/etc/passwd\" is not /run/netns/NAME" },
		{ "{\"version\":2,\"originals\":{},\"netns\":[{\"name\":\"a\",\"inode\":7,\"path\":\"/run/netns/b\",\"originals\":{}}]}", "for the name \"a\"" },
		{ "{\"version\":2,\"originals\":{},\"netns\":[{\"name\":\"a\",\"inode\":0,\"path\":\"/run/netns/a\",\"originals\":{}}]}", "netns entry 0 needs" },
		{ "{\"version\":2,\"originals\":{},\"netns\":[{\"name\":\"a\",\"inode\":7,\"path\":\"/run/netns/a\",\"originals\":{\"" MAX_KNOB "\":{\"value\":30,\"changed_at\":1}}}]}", "one value for the whole host" },
		{ "{\"version\":2,\"originals\":{},\"netns\":[{\"name\":\"a\",\"inode\":7,\"path\":\"/run/netns/a\",\"originals\":{\"" UDP "\":{\"value\":0,\"changed_at\":1}}}]}", "netns \"a\": \"" UDP "\" value 0 out of range" },
		{ "{\"version\":2,\"originals\":{},\"netns\":[{\"name\":\"a\",\"inode\":7,\"path\":\"/run/netns/a\",\"originals\":{}},{\"name\":\"a\",\"inode\":7,\"path\":\"/run/netns/a\",\"originals\":{}}]}", "appears twice" },
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

	/* A FIFO in place of the file: refused at once, never waited on. */
	assert_int_equal(mkfifo(f->file, 0600), 0);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "not a regular file (a FIFO)"));
	assert_int_equal(strncmp(f->err, f->file, strlen(f->file)), 0);
	unlink(f->file);

	/* A directory others can write to: they could swap the file. */
	write_file(f->file, "{\"version\":1,\"originals\":{}}", 0600);
	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), -EPERM);
	assert_int_equal(strncmp(f->err, f->dir, strlen(f->dir)), 0);
	assert_non_null(strstr(f->err, "state directory writable by group or others"));
	assert_int_equal(chmod(f->dir, 0700), 0);
}

/* Owned by another user, as this process sees it: in a user namespace where
 * only this user is mapped, a root-owned file bound over state.json and the
 * root directory both show as owned by uid 65534. The same path as root
 * (which first becomes nobody) and as any other user. */
static int load_foreign(struct fixture *f, char *line, size_t len)
{
	const char *foreign = "/etc/passwd";   /* root's, on every Debian system */
	struct ctw_state s;
	char err[512];
	int r;

	if (drop_root(line, len) < 0)
		return 1;
	r = enter_user_namespace(line, len);
	if (r != 0)
		return r;
	if (mount(foreign, f->file, NULL, MS_BIND, NULL) < 0) {
		snprintf(line, len, "bind-mounting %s over %s: %s", foreign, f->file, strerror(errno));
		return 1;
	}
	r = ctw_state_load(&s, f->dir, err, sizeof(err));
	if (r != -EPERM || !strstr(err, "refusing a state file owned by uid 65534") ||
	    strncmp(err, f->file, strlen(f->file)) != 0) {
		snprintf(line, len, "a file owned by uid 65534: %d, \"%s\"", r, err);
		return 1;
	}
	r = ctw_state_load(&s, "/", err, sizeof(err));
	if (r != -EPERM || strncmp(err, "/: refusing a state directory owned by uid 65534", 48) != 0) {
		snprintf(line, len, "a directory owned by uid 65534: %d, \"%s\"", r, err);
		return 1;
	}
	return 0;
}

static void test_foreign_owner_is_refused(void **state)
{
	struct fixture *f = *state;
	struct child_report rep;
	struct stat st;

	if (stat("/etc/passwd", &st) < 0 || st.st_uid != 0 || !S_ISREG(st.st_mode))
		skip_because("no root-owned /etc/passwd to stand for another user's file");
	write_file(f->file, "", 0600);   /* where the foreign file is bound */
	if (geteuid() == 0) {
		assert_int_equal(chown(f->dir, NOBODY, NOBODY), 0);
		assert_int_equal(chown(f->file, NOBODY, NOBODY), 0);
	}
	run_in_child(load_foreign, f, &rep);
	/* And the file as it really is, ours: trusted, and empty is not JSON. */
	if (geteuid() == 0) {
		assert_int_equal(chown(f->dir, 0, 0), 0);
		assert_int_equal(chown(f->file, 0, 0), 0);
	}
	assert_int_equal(ctw_state_load(&f->s, f->dir, f->err, sizeof(f->err)), -EBADMSG);
	assert_non_null(strstr(f->err, "not valid JSON"));
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
		T(test_netns_originals),
		T(test_version1_loads),
		T(test_boot_same),
		T(test_foreign_owner_is_refused),
	};
	return cmocka_run_group_tests_name("statefile", tests, NULL, NULL);
}
