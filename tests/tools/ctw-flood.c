/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctw-flood: one UDP datagram to each of COUNT distinct loopback destination
 * tuples, so that each creates one conntrack entry (in a netns whose lo is up
 * and which has an nft "ct state new" rule). Test tool: loopback only.
 *
 * ctw-flood -n COUNT [-d 127.A.B.C] [-p PORT | -P FIRST:LAST] [-r RATE] [-q]
 *
 * Destinations: the address steps up from the base within 127.0.0.0/8; with a
 * port range each address is used for every port of the range first. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define LOOPBACK_NET 0x7f000000u
#define LOOPBACK_MASK 0xff000000u
#define LOOPBACK_LAST 0x7fffffffu   /* broadcast of 127/8: never sent to */

struct flood_opts {
	uint64_t count;
	uint32_t base;          /* host byte order */
	uint16_t first_port, last_port;
	uint64_t rate;          /* datagrams per second, 0 = as fast as possible */
	bool quiet;
};

struct flood_result {
	uint64_t sent;
	uint64_t refused;       /* EPERM: netfilter dropped it (full table) */
};

static void usage(FILE *out)
{
	fputs("Usage: ctw-flood -n COUNT [-d 127.A.B.C] [-p PORT | -P FIRST:LAST] [-r RATE] [-q]\n"
	      "Sends one UDP datagram to each of COUNT distinct loopback tuples.\n", out);
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_port_range(const char *s, struct flood_opts *o)
{
	char buf[32];
	char *colon;
	uint64_t a, b;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_u64(buf, 1, 65535, &a) < 0 || parse_u64(colon + 1, 1, 65535, &b) < 0 || b < a)
		return -EINVAL;
	o->first_port = (uint16_t)a;
	o->last_port = (uint16_t)b;
	return 0;
}

static int parse_args(int argc, char **argv, struct flood_opts *o)
{
	struct in_addr a;
	uint64_t v;
	int opt;

	*o = (struct flood_opts){ .base = 0x7f010001u, .first_port = 9, .last_port = 9 };
	while ((opt = getopt(argc, argv, "n:d:p:P:r:qh")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_u64(optarg, 1, UINT32_MAX, &o->count) < 0)
				goto bad;
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				goto bad;
			o->base = ntohl(a.s_addr);
			if ((o->base & LOOPBACK_MASK) != LOOPBACK_NET) {
				fprintf(stderr, "ctw-flood: %s is not in 127.0.0.0/8; loopback only\n", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (parse_u64(optarg, 1, 65535, &v) < 0)
				goto bad;
			o->first_port = o->last_port = (uint16_t)v;
			break;
		case 'P':
			if (parse_port_range(optarg, o) < 0)
				goto bad;
			break;
		case 'r':
			if (parse_u64(optarg, 1, UINT32_MAX, &o->rate) < 0)
				goto bad;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc || o->count == 0)
		goto usage;
	return 0;
bad:
	fprintf(stderr, "ctw-flood: bad value for -%c: '%s'\n", opt, optarg);
usage:
	usage(stderr);
	return -EINVAL;
}

/* Does the tuple space from the base hold COUNT destinations inside 127/8? */
static bool fits_in_loopback(const struct flood_opts *o)
{
	uint64_t ports = (uint64_t)o->last_port - o->first_port + 1;
	uint64_t addrs = (o->count + ports - 1) / ports;

	if (o->base == LOOPBACK_NET)
		addrs++;   /* 127.0.0.0 is skipped */
	return (uint64_t)o->base + addrs - 1 < LOOPBACK_LAST;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep until `done` datagrams are due at the requested rate. */
static void pace(const struct flood_opts *o, uint64_t start_ns, uint64_t done)
{
	uint64_t due = start_ns + done * 1000000000u / o->rate;
	struct timespec ts = { .tv_sec = (time_t)(due / 1000000000u), .tv_nsec = (long)(due % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Tuple i: the address steps once per full cycle of the port range. */
static void tuple(const struct flood_opts *o, uint64_t i, struct sockaddr_in *sa)
{
	uint64_t ports = (uint64_t)o->last_port - o->first_port + 1;
	uint32_t addr = o->base + (uint32_t)(i / ports);

	if (o->base == LOOPBACK_NET)
		addr++;
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(addr);
	sa->sin_port = htons((uint16_t)(o->first_port + i % ports));
}

/* Send a batch; failed datagrams are skipped (EPERM counted as refused by
 * netfilter), transient buffer shortage retried. 0 or -errno. */
static int send_batch(int fd, struct mmsghdr *msgs, unsigned n, struct flood_result *res)
{
	unsigned off = 0;

	while (off < n) {
		int r = sendmmsg(fd, msgs + off, n - off, 0);

		if (r > 0) {
			res->sent += (unsigned)r;
			off += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EPERM) {
			res->refused++;
			off++;
			continue;
		}
		if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)) {
			usleep(100);
			continue;
		}
		return r < 0 ? -errno : -EIO;
	}
	return 0;
}

static int flood(const struct flood_opts *o, struct flood_result *res)
{
	static struct sockaddr_in addrs[BATCH];
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	static char payload[] = "ctw-flood";
	uint64_t start = now_ns(), i = 0;
	int fd, r = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (unsigned k = 0; k < BATCH; k++) {
		iov[k] = (struct iovec){ .iov_base = payload, .iov_len = sizeof(payload) - 1 };
		msgs[k].msg_hdr = (struct msghdr){
			.msg_name = &addrs[k], .msg_namelen = sizeof(addrs[k]),
			.msg_iov = &iov[k], .msg_iovlen = 1,
		};
	}
	while (i < o->count) {
		unsigned n = o->count - i < BATCH ? (unsigned)(o->count - i) : BATCH;

		/* Small batches keep a low rate smooth. */
		if (o->rate && o->rate < (uint64_t)BATCH * 100)
			n = n < o->rate / 100 + 1 ? n : (unsigned)(o->rate / 100 + 1);
		for (unsigned k = 0; k < n; k++)
			tuple(o, i + k, &addrs[k]);
		r = send_batch(fd, msgs, n, res);
		if (r < 0)
			break;
		i += n;
		if (o->rate)
			pace(o, start, i);
	}
	close(fd);
	if (!o->quiet) {
		double secs = (double)(now_ns() - start) / 1e9;

		fprintf(stderr, "ctw-flood: %" PRIu64 " datagrams in %.3f s (%.0f/s)\n",
			i, secs, secs > 0 ? (double)i / secs : 0.0);
	}
	return r;
}

int main(int argc, char **argv)
{
	struct flood_opts o;
	struct flood_result res = { 0 };
	int r;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (!fits_in_loopback(&o)) {
		fprintf(stderr, "ctw-flood: %" PRIu64 " tuples do not fit in 127.0.0.0/8 from this base\n",
			o.count);
		return 2;
	}
	r = flood(&o, &res);
	printf("sent %" PRIu64 "\n", res.sent);
	if (res.refused)
		printf("refused %" PRIu64 "\n", res.refused);
	if (r < 0) {
		fprintf(stderr, "ctw-flood: sendmmsg: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
