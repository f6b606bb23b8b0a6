/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctw-events-count: listen to conntrack events in the current netns through
 * ctwarden's events module and print what it received, as one JSON object.
 * Test and bench tool (run it with ip netns exec).
 *
 * ctw-events-count [-t SECONDS] [-i IDLE_MS] [-b BYTES] [-m MAX_BYTES]
 *                  [-B BATCH] [-c COALESCE_US] [-p PORT] [-s STALL_US] [-R READY_FILE]
 *   -t  stop after this long (default 10 s), or on SIGINT/SIGTERM
 *   -i  stop once events came and then none for IDLE_MS
 *   -b  receive buffer (default 8 MiB); -m: it may grow up to this (default -b)
 *   -B  events per wakeup (default 2048, the daemon's default)
 *   -c  after a drain that emptied the queue, wait this long before the next
 *       wakeup (default 1000): under a flood each wakeup then takes a batch
 *       instead of one event; the daemon's loop does the same with a rate
 *       limit on its io source. 0: wake for every event.
 *   -p  also count NEW flows whose destination port is PORT ("matched")
 *   -s  stall this long after each wakeup: a slow listener, to force overruns
 *   -R  create this file once subscribed (start traffic after it exists)
 *
 * Output: {"new":N,"destroy":N,"overruns":N,"rcvbuf":BYTES,"keyed":N,
 *          "matched":N,"wakeups":N,"cpu_s":S,"maxrss_kb":KB} */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "kernel/events.h"

struct opts {
	uint64_t seconds, idle_ms, rcvbuf, rcvbuf_max, stall_us, coalesce_us;
	unsigned batch;
	int port;
	const char *ready_file;
};

struct tally {
	uint64_t keyed, matched;
	int port;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	uint64_t v;
	int opt;

	*o = (struct opts){ .seconds = 10, .rcvbuf = 8 << 20, .batch = 2048, .port = -1,
			     .coalesce_us = CTW_EVENTS_COALESCE_US };
	while ((opt = getopt(argc, argv, "t:i:b:m:B:c:p:s:R:")) != -1) {
		switch (opt) {
		case 't': if (parse_u64(optarg, &o->seconds) < 0) return -EINVAL; break;
		case 'i': if (parse_u64(optarg, &o->idle_ms) < 0) return -EINVAL; break;
		case 'b': if (parse_u64(optarg, &o->rcvbuf) < 0) return -EINVAL; break;
		case 'm': if (parse_u64(optarg, &o->rcvbuf_max) < 0) return -EINVAL; break;
		case 'c': if (parse_u64(optarg, &o->coalesce_us) < 0) return -EINVAL; break;
		case 's': if (parse_u64(optarg, &o->stall_us) < 0) return -EINVAL; break;
		case 'B':
			if (parse_u64(optarg, &v) < 0 || v == 0 || v > 1000000)
				return -EINVAL;
			o->batch = (unsigned)v;
			break;
		case 'p':
			if (parse_u64(optarg, &v) < 0 || v > 65535)
				return -EINVAL;
			o->port = (int)v;
			break;
		case 'R': o->ready_file = optarg; break;
		default: return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_new(const struct ctw_flow_key *key, void *ud)
{
	struct tally *t = ud;

	t->keyed++;
	if (key->dport == t->port)
		t->matched++;
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int listen_loop(struct ctw_events *ev, const struct opts *o, struct tally *t, uint64_t *wakeups)
{
	uint64_t start = now_ms(), last_event = 0;
	struct pollfd pfd = { .fd = ctw_events_fd(ev), .events = POLLIN };

	while (!stop) {
		uint64_t now = now_ms();
		int timeout = 100, r;

		if (now - start >= o->seconds * 1000)
			break;
		if (o->idle_ms && last_event && now - last_event >= o->idle_ms)
			break;
		r = poll(&pfd, 1, timeout);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		(*wakeups)++;
		r = ctw_events_drain(ev, o->batch, on_new, t);
		if (r < 0)
			return r;
		/* An overrun counts as activity too: events were there. */
		if (r > 0 || ctw_events_take_overrun(ev))
			last_event = now_ms();
		if (o->stall_us)
			usleep((useconds_t)o->stall_us);
		else if (o->coalesce_us && r > 0 && (unsigned)r < o->batch)
			usleep((useconds_t)o->coalesce_us);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct ctw_event_counts c;
	struct ctw_events *ev;
	struct rusage ru;
	struct opts o;
	struct tally t = { 0 };
	uint64_t wakeups = 0;
	int r;

	if (parse_args(argc, argv, &o) < 0) {
		fputs("usage: ctw-events-count [-t SECONDS] [-i IDLE_MS] [-b BYTES] [-m MAX_BYTES] "
		      "[-B BATCH] [-c COALESCE_US] [-p PORT] [-s STALL_US] [-R READY_FILE]\n", stderr);
		return 2;
	}
	t.port = o.port;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = ctw_events_open(&ev, o.rcvbuf, o.rcvbuf_max);
	if (r < 0) {
		fprintf(stderr, "ctw-events-count: cannot subscribe to conntrack events: %s\n", strerror(-r));
		return 1;
	}
	if (o.ready_file && (r = touch(o.ready_file)) < 0) {
		fprintf(stderr, "ctw-events-count: %s: %s\n", o.ready_file, strerror(-r));
		ctw_events_close(ev);
		return 1;
	}
	r = listen_loop(ev, &o, &t, &wakeups);
	ctw_events_counts(ev, &c);
	ctw_events_close(ev);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"new\":%" PRIu64 ",\"destroy\":%" PRIu64 ",\"overruns\":%" PRIu64 ",\"rcvbuf\":%" PRIu64
	       ",\"keyed\":%" PRIu64 ",\"matched\":%" PRIu64 ",\"wakeups\":%" PRIu64
	       ",\"cpu_s\":%.6f,\"maxrss_kb\":%ld}\n",
	       c.new, c.destroy, c.overruns, c.rcvbuf, t.keyed, t.matched, wakeups,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
	       ru.ru_maxrss);
	if (r < 0) {
		fprintf(stderr, "ctw-events-count: receiving events: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
