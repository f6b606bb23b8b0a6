/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctw-tcp: real TCP connections on loopback for the retirement tests.
 *
 * ctw-tcp -a ADDR -p PORT -n N [-s SPORT]   N connections to ADDR:PORT (a
 *     listener of its own on -l ADDR, default ADDR), each closed at once with
 *     SO_LINGER 0 on both ends: with an nft rule dropping FIN and RST before
 *     conntrack, each leaves a dead ESTABLISHED entry and no socket, so the
 *     same tuple can be used again (-s: source ports SPORT, SPORT+1, ...).
 * ctw-tcp -a ADDR -p PORT -k SECONDS        one connection that sends a byte
 *     every second for SECONDS (a live flow); prints its source port first.
 *
 * Test tool: loopback and the test's own namespaces only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static int parse_addr(const char *s, unsigned port, struct addr *a)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		a->len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*v6);
		return 0;
	}
	return -1;
}

static unsigned get_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void abort_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int die(const char *what)
{
	fprintf(stderr, "ctw-tcp: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *listen_addr = NULL;
	unsigned port = 0, n = 1, sport = 0, keep = 0;
	struct addr dst, lst, src;
	int opt, one = 1, lfd;

	while ((opt = getopt(argc, argv, "a:l:p:n:s:k:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'l': listen_addr = optarg; break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'n': n = (unsigned)atoi(optarg); break;
		case 's': sport = (unsigned)atoi(optarg); break;
		case 'k': keep = (unsigned)atoi(optarg); break;
		default:
			fputs("usage: ctw-tcp -a ADDR -p PORT [-l LISTEN_ADDR] [-n N] [-s SPORT] [-k SECONDS]\n", stderr);
			return 2;
		}
	}
	if (!addr || !port || parse_addr(addr, port, &dst) < 0 ||
	    parse_addr(listen_addr ? listen_addr : addr, port, &lst) < 0) {
		fputs("ctw-tcp: -a ADDR and -p PORT are required\n", stderr);
		return 2;
	}
	lfd = socket(lst.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&lst.ss, lst.len) < 0 || listen(lfd, 1024) < 0)
		return die("listen");
	for (unsigned i = 0; i < n; i++) {
		int c = socket(dst.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), s;

		if (c < 0)
			return die("socket");
		if (sport) {
			src = dst;
			memset(&src.ss, 0, sizeof(src.ss));
			src.ss.ss_family = dst.ss.ss_family;
			parse_addr(dst.ss.ss_family == AF_INET ? "0.0.0.0" : "::", sport + i, &src);
			setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(c, (struct sockaddr *)&src.ss, src.len) < 0)
				return die("bind source port");
		}
		if (connect(c, (struct sockaddr *)&dst.ss, dst.len) < 0)
			return die("connect");
		s = accept(lfd, NULL, NULL);
		if (s < 0)
			return die("accept");
		if (keep) {
			char byte = 'x', buf[16];

			printf("%u\n", get_port(c));
			fflush(stdout);
			for (unsigned t = 0; t < keep; t++) {
				struct timespec pace = { 1, 0 };

				if (write(c, &byte, 1) != 1 || read(s, buf, sizeof(buf)) <= 0)
					return die("live flow");
				nanosleep(&pace, NULL);   /* pace: one packet a second */
			}
		}
		abort_close(s);
		abort_close(c);
	}
	close(lfd);
	return 0;
}
