/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One ctnetlink dump of the table, counted into bounded summaries.
 *
 * libmnl opens the socket and frames the dump request (libnetfilter_conntrack
 * would do the same, but its callback path allocates and fully decodes a
 * struct nf_conntrack for every entry, and loading it and libnfnetlink costs
 * every audit's start-up: docs/bench-audit.md). The replies are read straight
 * into one buffer and only the few attributes that are counted are picked
 * out: a million entries cost no allocation and no memory beyond what init
 * took. */
#include "kernel/ct_top.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <libmnl/libmnl.h>

#include "kernel/ct_entry_msg.h"
#include "kernel/nlattr.h"

/* The kernel fills at most 32 KiB per dump message batch; room for more. */
#define RECV_BUF_SIZE (64 * 1024)
/* A kernel that says nothing for this long will not finish the dump. */
#define RECV_TIMEOUT_MS 10000

int ctw_ct_top_feed(struct ctw_ct_top *t, const void *buf, size_t len)
{
	const uint16_t entry_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW;
	const uint8_t *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		struct ctw_ct_entry e;
		struct nlmsghdr nlh;
		size_t step;
		int err;

		memcpy(&nlh, p, sizeof(nlh));
		if (nlh.nlmsg_len < sizeof(nlh) || nlh.nlmsg_len > len)
			break;   /* the rest of this buffer cannot be framed */
		if (nlh.nlmsg_flags & NLM_F_DUMP_INTR)
			t->interrupted = true;
		if (nlh.nlmsg_type == NLMSG_DONE) {
			t->done = true;
			err = ctw_nlmsg_errno(p, nlh.nlmsg_len);
			return err ? err : 1;
		}
		if (nlh.nlmsg_type == NLMSG_ERROR) {
			err = ctw_nlmsg_errno(p, nlh.nlmsg_len);
			if (err)
				return err;
		} else if (nlh.nlmsg_type == entry_type) {
			if (ctw_ct_entry_parse(p, nlh.nlmsg_len, &e) == 0) {
				ctw_top_add(&t->top, &e.key);
				t->entries++;
				if (t->on_entry)
					t->on_entry(t->on_entry_ud, &e);
			} else {
				t->unparsed++;
			}
		}
		step = NLMSG_ALIGN(nlh.nlmsg_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return 0;
}

int ctw_ct_top_init(struct ctw_ct_top *t, unsigned capacity)
{
	uint32_t seed = 0;

	memset(t, 0, sizeof(*t));
	/* Addresses come from the network: a secret seed keeps hash chains short.
	 * Without one the chains are still bounded by the capacity. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = 0x5eed1234u;
	return ctw_top_init(&t->top, capacity, seed);
}

void ctw_ct_top_free(struct ctw_ct_top *t)
{
	ctw_top_free(&t->top);
	memset(t, 0, sizeof(*t));
}

static int receive_all(struct ctw_ct_top *t, int fd, uint8_t *buf)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r;

		r = poll(&pfd, 1, RECV_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		/* MSG_TRUNC: the real length, to notice a message larger than buf. */
		n = recv(fd, buf, RECV_BUF_SIZE, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		if (n > RECV_BUF_SIZE)
			return -EMSGSIZE;
		r = ctw_ct_top_feed(t, buf, (size_t)n);
		if (r != 0)
			return r < 0 ? r : 0;
		/* A sample: the kernel fills the dump one buffer per recv, so
		 * stopping here bounds the cost whatever the table's size. */
		if (t->limit && t->entries >= t->limit)
			return 0;
	}
}

/* IPCTNL_MSG_CT_GET with NLM_F_DUMP, for IPv4 and IPv6 (AF_UNSPEC). */
static int send_dump_request(struct mnl_socket *nl)
{
	char req[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg))];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct nfgenmsg *gen;

	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	gen = mnl_nlmsg_put_extra_header(nlh, sizeof(*gen));
	gen->nfgen_family = AF_UNSPEC;
	gen->version = NFNETLINK_V0;
	gen->res_id = 0;
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

int ctw_ct_top_dump(struct ctw_ct_top *t)
{
	struct mnl_socket *nl;
	uint8_t *buf;
	int r;

	buf = malloc(RECV_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl) {
		r = errno ? -errno : -EIO;
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		r = errno ? -errno : -EIO;
	else if ((r = send_dump_request(nl)) == 0)
		r = receive_all(t, mnl_socket_get_fd(nl), buf);
	mnl_socket_close(nl);
out:
	free(buf);
	return r;
}
