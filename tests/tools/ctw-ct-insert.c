/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctw-ct-insert: create conntrack entries directly over ctnetlink, as
 * `conntrack -I` does (IPCTNL_MSG_CT_NEW with NLM_F_CREATE), but many per
 * sendmsg: a bench tool that fills a table with hundreds of thousands of
 * entries in seconds, which real connections could not.
 *
 * ctw-ct-insert -n COUNT -p tcp|udp [-t TIMEOUT_S] [-b FIRST_SRC] [-d DST] [-P DPORT]
 *   tcp entries are ESTABLISHED and ASSURED, as a connection that completed
 *   its handshake; TIMEOUT_S is their time left (default 432000). Sources
 *   step up from FIRST_SRC (default 10.0.0.1), source port 40000 + i % 20000.
 * Prints how many were created; exits 1 when any was refused.
 * Bench tool: run it inside the bench's own netns (ip netns exec). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netlink.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#define BATCH 256
#define MSG_MAX 512

static uint8_t buf[BATCH * MSG_MAX] __attribute__((aligned(8)));

static size_t build(uint8_t *at, uint32_t seq, const struct nf_conntrack *ct)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)at;
	struct nfgenmsg *gen = (struct nfgenmsg *)(at + NLMSG_HDRLEN);

	memset(at, 0, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*gen)));
	nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*gen));
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	gen->nfgen_family = AF_INET;
	gen->version = NFNETLINK_V0;
	if (nfct_nlmsg_build(nlh, ct) < 0)
		return 0;
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Error replies of one batch (only failures reply: no NLM_F_ACK). */
static unsigned drain(int fd)
{
	uint8_t rb[16384];
	unsigned failed = 0;

	for (;;) {
		ssize_t n = recv(fd, rb, sizeof(rb), MSG_DONTWAIT);
		size_t left;
		const uint8_t *m = rb;

		if (n < 0 && errno == ENOBUFS) {
			failed += BATCH;   /* replies lost: count the worst */
			continue;
		}
		if (n <= 0)
			return failed;
		for (left = (size_t)n; left >= sizeof(struct nlmsghdr);) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)m;

			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
				break;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error < 0) {
					if (!failed)
						fprintf(stderr, "ctw-ct-insert: refused: %s\n", strerror(-e->error));
					failed++;
				}
			}
			left -= NLMSG_ALIGN(h->nlmsg_len) < left ? NLMSG_ALIGN(h->nlmsg_len) : left;
			m += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	const char *first = "10.0.0.1", *dst = "10.255.0.1";
	unsigned long count = 0, timeout = 432000, created = 0, failed = 0;
	unsigned dport = 80, one = 1, rcvbuf = 8 << 20;
	uint8_t proto = 0;
	struct in_addr a, d;
	struct nf_conntrack *ct;
	size_t len = 0;
	unsigned in_batch = 0;
	uint32_t seq = 1;
	int opt, fd;

	while ((opt = getopt(argc, argv, "n:p:t:b:d:P:")) != -1) {
		switch (opt) {
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'p': proto = strcmp(optarg, "tcp") == 0 ? IPPROTO_TCP : strcmp(optarg, "udp") == 0 ? IPPROTO_UDP : 0; break;
		case 't': timeout = strtoul(optarg, NULL, 10); break;
		case 'b': first = optarg; break;
		case 'd': dst = optarg; break;
		case 'P': dport = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fputs("usage: ctw-ct-insert -n COUNT -p tcp|udp [-t TIMEOUT_S] [-b FIRST_SRC] [-d DST] [-P DPORT]\n",
			      stderr);
			return 2;
		}
	}
	if (!count || !proto || inet_pton(AF_INET, first, &a) != 1 || inet_pton(AF_INET, dst, &d) != 1) {
		fputs("ctw-ct-insert: -n COUNT and -p tcp|udp are required (addresses IPv4)\n", stderr);
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("ctw-ct-insert: netlink");
		return 1;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ct = nfct_new();
	if (!ct)
		return 1;
	for (unsigned long i = 0; i < count; i++) {
		uint32_t src = htonl(ntohl(a.s_addr) + (uint32_t)(i / 20000));
		uint16_t sport = htons((uint16_t)(40000 + i % 20000));

		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src);
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, d.s_addr);
		nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
		nfct_set_attr_u16(ct, ATTR_PORT_SRC, sport);
		nfct_set_attr_u16(ct, ATTR_PORT_DST, htons((uint16_t)dport));
		/* The reply tuple from the original, as conntrack -I makes it. */
		nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
		nfct_set_attr_u32(ct, ATTR_TIMEOUT, (uint32_t)timeout);
		if (proto == IPPROTO_TCP) {
			nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
			nfct_set_attr_u32(ct, ATTR_STATUS, IPS_ASSURED | IPS_SEEN_REPLY);
		}
		len += build(buf + len, seq++, ct);
		if (++in_batch == BATCH || i + 1 == count) {
			if (send(fd, buf, len, 0) != (ssize_t)len) {
				perror("ctw-ct-insert: send");
				return 1;
			}
			failed += drain(fd);
			created += in_batch;
			len = 0;
			in_batch = 0;
		}
	}
	nfct_destroy(ct);
	close(fd);
	created -= failed < created ? failed : created;
	printf("created %lu\n", created);
	return failed ? 1 : 0;
}
