/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Statistics over ctnetlink (NETLINK_NETFILTER, subsystem CTNETLINK):
 * IPCTNL_MSG_CT_GET_STATS_CPU is a dump with one message per possible CPU,
 * IPCTNL_MSG_CT_GET_STATS one message with this netns's entries and the max.
 * Attributes are be32. Works without the procfs file; needs CAP_NET_ADMIN. */
#include "kernel/stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "kernel/nlattr.h"

#define REPLY_TIMEOUT_MS 2000

/* ---- pure attribute parsers ------------------------------------------- */

static const struct {
	int attr;
	enum ctw_counter counter;
} cpu_attr_map[] = {
	{ CTA_STATS_FOUND, CTW_CTR_FOUND },
	{ CTA_STATS_INVALID, CTW_CTR_INVALID },
	{ CTA_STATS_INSERT, CTW_CTR_INSERT },
	{ CTA_STATS_INSERT_FAILED, CTW_CTR_INSERT_FAILED },
	{ CTA_STATS_DROP, CTW_CTR_DROP },
	{ CTA_STATS_EARLY_DROP, CTW_CTR_EARLY_DROP },
	{ CTA_STATS_ERROR, CTW_CTR_ERROR },
	{ CTA_STATS_SEARCH_RESTART, CTW_CTR_SEARCH_RESTART },
	{ CTA_STATS_CLASH_RESOLVE, CTW_CTR_CLASH_RESOLVE },
	{ CTA_STATS_CHAIN_TOOLONG, CTW_CTR_CHAIN_TOOLONG },
};

static const struct nla_policy cpu_policy[CTA_STATS_MAX + 1] = {
	[CTA_STATS_FOUND] = { .type = NLA_U32 },
	[CTA_STATS_INVALID] = { .type = NLA_U32 },
	[CTA_STATS_INSERT] = { .type = NLA_U32 },
	[CTA_STATS_INSERT_FAILED] = { .type = NLA_U32 },
	[CTA_STATS_DROP] = { .type = NLA_U32 },
	[CTA_STATS_EARLY_DROP] = { .type = NLA_U32 },
	[CTA_STATS_ERROR] = { .type = NLA_U32 },
	[CTA_STATS_SEARCH_RESTART] = { .type = NLA_U32 },
	[CTA_STATS_CLASH_RESOLVE] = { .type = NLA_U32 },
	[CTA_STATS_CHAIN_TOOLONG] = { .type = NLA_U32 },
};

static const struct nla_policy global_policy[CTA_STATS_GLOBAL_MAX + 1] = {
	[CTA_STATS_GLOBAL_ENTRIES] = { .type = NLA_U32 },
	[CTA_STATS_GLOBAL_MAX_ENTRIES] = { .type = NLA_U32 },
};

int ctw_stats_parse_cpu_attrs(const void *attrs, size_t len, struct ctw_counters *acc)
{
	struct nlattr *tb[CTA_STATS_MAX + 1];
	int r;

	r = ctw_nla_parse(tb, CTA_STATS_MAX, attrs, len, cpu_policy);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(cpu_attr_map) / sizeof(cpu_attr_map[0]); i++) {
		const struct nlattr *a = tb[cpu_attr_map[i].attr];

		if (!a)
			continue;
		acc->value[cpu_attr_map[i].counter] += ntohl(nla_get_u32(a));
		acc->present |= 1u << cpu_attr_map[i].counter;
	}
	acc->ncpu++;
	return 0;
}

int ctw_stats_parse_global_attrs(const void *attrs, size_t len, struct ctw_stats *out)
{
	struct nlattr *tb[CTA_STATS_GLOBAL_MAX + 1];
	int r;

	r = ctw_nla_parse(tb, CTA_STATS_GLOBAL_MAX, attrs, len, global_policy);
	if (r < 0)
		return r;
	if (tb[CTA_STATS_GLOBAL_ENTRIES]) {
		out->have_entries = true;
		out->entries = ntohl(nla_get_u32(tb[CTA_STATS_GLOBAL_ENTRIES]));
	}
	if (tb[CTA_STATS_GLOBAL_MAX_ENTRIES]) {
		out->have_max = true;
		out->max = ntohl(nla_get_u32(tb[CTA_STATS_GLOBAL_MAX_ENTRIES]));
	}
	return 0;
}

/* ---- socket ------------------------------------------------------------ */

struct ctw_stats_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;
};

/* One request in flight: what we sent and what came back. */
struct stats_request {
	uint32_t seq;
	uint16_t reply_type;
	bool dump;                   /* answered by messages then NLMSG_DONE */
	bool done;
	int err;                     /* -errno from the kernel or the parser */
	struct ctw_stats *st;        /* counters (per-CPU dump) or entries/max */
};

static int errno_from_nlerr(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_PERM: return EPERM;
	case NLE_NOACCESS: return EACCES;
	case NLE_NOMEM: return ENOMEM;
	case NLE_AGAIN: return EAGAIN;
	case NLE_INTR: return EINTR;
	case NLE_BAD_SOCK: return EBADF;
	case NLE_INVAL: return EINVAL;
	case NLE_RANGE: return ERANGE;
	case NLE_BUSY: return EBUSY;
	case NLE_OPNOTSUPP: return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
	case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
	case NLE_OBJ_NOTFOUND: return ENOENT;
	case NLE_MSG_OVERFLOW: return ENOBUFS;
	case NLE_MSG_TRUNC: return EMSGSIZE;
	case NLE_MSGSIZE: return EMSGSIZE;
	case NLE_SEQ_MISMATCH: return EPROTO;
	default: return EIO;
	}
}

/* Replies to an earlier, abandoned request must not be taken for ours. */
static int on_seq_check(struct nl_msg *msg, void *arg)
{
	const struct stats_request *req = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == req->seq ? NL_OK : NL_SKIP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct stats_request *req = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const size_t hdrlen = sizeof(struct nfgenmsg);
	const void *attrs;
	size_t len;
	int r;

	if (nlh->nlmsg_type != req->reply_type)
		return NL_SKIP;
	if (!nlmsg_valid_hdr(nlh, (int)hdrlen)) {
		req->err = -EBADMSG;
		return NL_STOP;
	}
	attrs = nlmsg_attrdata(nlh, (int)hdrlen);
	len = (size_t)nlmsg_attrlen(nlh, (int)hdrlen);
	if (NFNL_MSG_TYPE(req->reply_type) == IPCTNL_MSG_CT_GET_STATS_CPU)
		r = ctw_stats_parse_cpu_attrs(attrs, len, &req->st->counters);
	else
		r = ctw_stats_parse_global_attrs(attrs, len, req->st);
	if (r < 0) {
		req->err = r;
		return NL_STOP;
	}
	/* The GET_STATS reply carries NLM_F_MULTI yet no NLMSG_DONE follows:
	 * a request that is not a dump is answered by exactly one message. */
	if (!req->dump) {
		req->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct stats_request *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *peer, struct nlmsgerr *e, void *arg)
{
	struct stats_request *req = arg;

	(void)peer;
	if (e->error < 0)
		req->err = e->error;
	else
		req->done = true; /* an ACK */
	return NL_STOP;
}

static long ms_until(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Receive until the request is answered, failed, or the deadline passed. The
 * socket is non-blocking so a dump cut short cannot hang a poll loop. */
static int wait_reply(struct ctw_stats_nl *h, struct stats_request *req)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(h->sk), .events = POLLIN };
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += REPLY_TIMEOUT_MS / 1000;
	while (!req->done && !req->err) {
		long ms = ms_until(&deadline);
		int r;

		if (ms <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		r = nl_recvmsgs(h->sk, h->cb);
		if (r < 0 && !req->err && -r != NLE_AGAIN)
			return -errno_from_nlerr(r);
	}
	return req->err;
}

static int request(struct ctw_stats_nl *h, uint8_t type, int flags, struct ctw_stats *st)
{
	struct stats_request req = {
		.reply_type = NFNL_SUBSYS_CTNETLINK << 8 | type,
		.dump = flags & NLM_F_DUMP,
		.st = st,
	};
	struct nfgenmsg gen = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 };
	struct nl_msg *msg;
	int r;

	/* Plain libnl-3: libnl-nf would pull libnl-route in for two calls. */
	msg = nlmsg_alloc_simple(NFNL_SUBSYS_CTNETLINK << 8 | type, flags);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &gen, sizeof(gen), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = nl_send_auto(h->sk, msg);
	req.seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (r < 0)
		return -errno_from_nlerr(r);

	nl_cb_set(h->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, &req);
	nl_cb_set(h->cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &req);
	nl_cb_set(h->cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &req);
	nl_cb_err(h->cb, NL_CB_CUSTOM, on_error, &req);
	return wait_reply(h, &req);
}

int ctw_stats_nl_open(struct ctw_stats_nl **out)
{
	struct ctw_stats_nl *h;
	int r;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->sk = nl_socket_alloc();
	h->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!h->sk || !h->cb) {
		r = -ENOMEM;
		goto fail;
	}
	/* Requests carry no NLM_F_ACK: a reply (or an error) is the answer. */
	nl_socket_disable_auto_ack(h->sk);
	r = nl_connect(h->sk, NETLINK_NETFILTER);
	if (r < 0) {
		r = -errno_from_nlerr(r);
		goto fail;
	}
	r = nl_socket_set_nonblocking(h->sk);
	if (r < 0) {
		r = -errno_from_nlerr(r);
		goto fail;
	}
	*out = h;
	return 0;
fail:
	ctw_stats_nl_close(h);
	return r;
}

int ctw_stats_nl_read(struct ctw_stats_nl *h, struct ctw_stats *out)
{
	struct ctw_stats st;
	int r;

	memset(&st, 0, sizeof(st));
	r = request(h, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_DUMP, &st);
	if (r < 0)
		return r;
	r = request(h, IPCTNL_MSG_CT_GET_STATS, 0, &st);
	if (r < 0)
		return r;
	st.source = CTW_STATS_NETLINK;
	*out = st;
	return 0;
}

void ctw_stats_nl_close(struct ctw_stats_nl *h)
{
	if (!h)
		return;
	nl_cb_put(h->cb);
	nl_socket_free(h->sk); /* closes the socket too */
	free(h);
}

int ctw_stats_read_netlink(struct ctw_stats *out)
{
	struct ctw_stats_nl *h;
	int r;

	r = ctw_stats_nl_open(&h);
	if (r < 0)
		return r;
	r = ctw_stats_nl_read(h, out);
	ctw_stats_nl_close(h);
	return r;
}
