/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctw-pairtime: wall time of two commands run in alternating pairs, each a
 * whole process (fork + exec, no shell), as a user runs them. On a shared
 * machine a load that comes and goes hits both commands of a pair alike, so
 * the median of the per-pair ratios is fair where two separate series are not.
 *
 * ctw-pairtime [-n PAIRS] [-w WARMUP] -- CMD_A ARGS... -- CMD_B ARGS...
 *
 * Prints one line per pair: "A_MS B_MS A_CPU B_CPU" (milliseconds: wall time
 * from fork to reaped exit, and the child's CPU time, user + system, from
 * wait4); then "# median_a MS median_b MS median_ratio R pairs N" where R is
 * the median of A_MS / B_MS over the pairs, and "# cpu_median_a MS
 * cpu_median_b MS cpu_median_ratio R": CPU time moves less with the load. The commands' output goes to /dev/null and their
 * exit codes are not judged (an audit exits with its status). Test tool. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAIRS_MAX 10000

extern char **environ;

static void usage(FILE *out)
{
	fputs("Usage: ctw-pairtime [-n PAIRS] [-w WARMUP] -- CMD_A ARGS... -- CMD_B ARGS...\n"
	      "Runs A and B in turn PAIRS times (default 21), prints each pair's wall\n"
	      "times in ms and the median of the ratios A/B.\n", out);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Run argv to its end with stdout and stderr on /dev/null: wall ms, or < 0;
 * *cpu_ms gets its user + system time. */
static double run_once(char *const argv[], posix_spawn_file_actions_t *fa, double *cpu_ms)
{
	struct rusage ru;
	double t0 = now_ms(), t1;
	pid_t pid;
	int st, r;

	r = posix_spawnp(&pid, argv[0], fa, NULL, argv, environ);
	if (r != 0) {
		fprintf(stderr, "ctw-pairtime: %s: %s\n", argv[0], strerror(r));
		return -1.0;
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return -1.0;
	t1 = now_ms();
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "ctw-pairtime: %s killed by signal %d\n", argv[0], WTERMSIG(st));
		return -1.0;
	}
	*cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static int parse_count(const char *s, int min, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > PAIRS_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static double ta[PAIRS_MAX], tb[PAIRS_MAX], ratio[PAIRS_MAX];
	static double ca[PAIRS_MAX], cb[PAIRS_MAX], cratio[PAIRS_MAX];
	double ignored;
	posix_spawn_file_actions_t fa;
	char **cmd_a, **cmd_b = NULL;
	int pairs = 21, warmup = 2, opt, i;

	while ((opt = getopt(argc, argv, "+n:w:h")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_count(optarg, 1, &pairs) < 0) {
				fprintf(stderr, "ctw-pairtime: -n takes 1 to %d, not '%s'\n", PAIRS_MAX, optarg);
				return 2;
			}
			break;
		case 'w':
			if (parse_count(optarg, 0, &warmup) < 0) {
				fprintf(stderr, "ctw-pairtime: -w takes 0 to %d, not '%s'\n", PAIRS_MAX, optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* getopt stopped at the first "--" (consumed) or at CMD_A. */
	cmd_a = argv + optind;
	for (i = optind; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			cmd_b = argv + i + 1;
			break;
		}
	if (!cmd_a[0] || !cmd_b || !cmd_b[0]) {
		usage(stderr);
		return 2;
	}
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO) != 0) {
		fputs("ctw-pairtime: cannot set up the children's output\n", stderr);
		return 1;
	}
	for (i = 0; i < warmup; i++)
		if (run_once(cmd_a, &fa, &ignored) < 0 || run_once(cmd_b, &fa, &ignored) < 0)
			return 1;
	for (i = 0; i < pairs; i++) {
		/* Alternate which goes first, so neither always follows the other. */
		if (i % 2 == 0) {
			ta[i] = run_once(cmd_a, &fa, &ca[i]);
			tb[i] = run_once(cmd_b, &fa, &cb[i]);
		} else {
			tb[i] = run_once(cmd_b, &fa, &cb[i]);
			ta[i] = run_once(cmd_a, &fa, &ca[i]);
		}
		if (ta[i] < 0 || tb[i] <= 0)
			return 1;
		ratio[i] = ta[i] / tb[i];
		/* A child too quick for the tick-based CPU clock counts as 1 us. */
		cratio[i] = (ca[i] > 0 ? ca[i] : 1e-3) / (cb[i] > 0 ? cb[i] : 1e-3);
		printf("%.3f %.3f %.3f %.3f\n", ta[i], tb[i], ca[i], cb[i]);
	}
	printf("# median_a %.3f median_b %.3f median_ratio %.3f pairs %d\n", median(ta, pairs), median(tb, pairs),
	       median(ratio, pairs), pairs);
	printf("# cpu_median_a %.3f cpu_median_b %.3f cpu_median_ratio %.3f\n", median(ca, pairs), median(cb, pairs),
	       median(cratio, pairs));
	posix_spawn_file_actions_destroy(&fa);
	return 0;
}
