/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A retirement pass: one dump of this namespace's table, read one receive
 * buffer at a time (as ct_top.c reads it: no per-entry allocation), and the
 * caller's decisions sent back in batches on a second socket.
 *
 * Why the batches are built by hand: libnetfilter_conntrack sends no CTA_ID
 * with a delete and sends back every attribute of a dumped object with an
 * update, which the kernel refuses (a status it cannot change). Here a delete
 * is tuple (as dumped), zone and id; an update is tuple, zone and timeout.
 * (The kernel's id hashes the entry's address with its tuple: a new entry
 * for the same tuple that takes the freed one's memory gets the same id,
 * seen here in tests/unit/test_ct_entry.c. Otherwise the id tells them apart.)
 *
 * Why replies cannot be lost: requests carry no NLM_F_ACK, so only failures
 * reply, and the kernel handles one sendmsg's requests before the call
 * returns; a batch holds at most as many requests as error replies fit in
 * the reply socket's buffer, and every reply is read before the next batch.
 * If the buffer overflowed anyway (ENOBUFS), the batch's unanswered requests
 * are counted as failed, never as done. */
#include "kernel/ct_retire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "kernel/ct_entry_msg.h"
#include "kernel/nlattr.h"

/* One skb of a dump is at most 32 KiB here; room for more. */
#define DUMP_BUF_SIZE (64 * 1024)
/* A kernel that says nothing for this long will not finish the dump. */
#define DUMP_TIMEOUT_MS 10000
/* Requests per sendmsg at most, and the bytes they may take. */
#define BATCH_MAX 512
#define BATCH_BUF_SIZE (BATCH_MAX * 160)
/* What one error reply costs the reply socket's buffer (skb truesize of a
 * capped ack is below 1 KiB on 64-bit kernels; twice that as margin). */
#define REPLY_TRUESIZE 2048
#define REPLY_RCVBUF (4 * 1024 * 1024)
/* A request: nlmsghdr + nfgenmsg + tuple + zone + id or timeout. */
#define REQUEST_MAX 512

/* CTA_FILTER_ORIG_FLAGS bit for the L4 protocol: kernel-internal
 * (net/netfilter/nf_internals.h), part of the ABI since 5.8. */
#define CTW_CTA_FILTER_F_PROTO_NUM (1u << 3)
/* The kernel's internal ENOTSUPP, which some netlink paths let out. */
#define KERNEL_ENOTSUPP 524

struct batch_slot {
	struct ctw_flow_key key;
	enum ctw_retire_action action;
	uint32_t idle_s;
	int err;                  /* the kernel's reply, 0 when none came */
};

struct ctw_ct_retire {
	int dump_fd, act_fd;
	struct ctw_ct_retire_opts opts;
	ctw_retire_decide_fn decide;
	void *ud;
	struct ctw_retire_report report;
	uint32_t dump_seq;
	bool filtered;            /* the dump asked the kernel to filter by L4 protocol */
	bool started, done;
	int error;                /* a fatal error, reported again by later steps */
	uint8_t *dump_buf;
	/* The batch being built. */
	uint8_t *batch_buf;
	size_t batch_len;
	unsigned batch_n, batch_max;
	uint32_t batch_seq;       /* sequence number of the batch's first request */
	struct batch_slot slot[BATCH_MAX];
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- building messages ------------------------------------------------ */

static struct nlmsghdr *msg_start(uint8_t *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nfgenmsg *gen = (struct nfgenmsg *)(buf + NLMSG_HDRLEN);

	memset(buf, 0, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*gen)));
	nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*gen));
	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_CTNETLINK << 8 | type);
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = seq;
	gen->nfgen_family = family;
	gen->version = NFNETLINK_V0;
	return nlh;
}

static struct nlattr *attr_put(struct nlmsghdr *nlh, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((uint8_t *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void attr_put_be32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	attr_put(nlh, type, &be, sizeof(be));
}

static struct nlattr *nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	return attr_put(nlh, (uint16_t)(type | NLA_F_NESTED), NULL, 0);
}

static void nest_end(struct nlmsghdr *nlh, struct nlattr *nest)
{
	nest->nla_len = (uint16_t)((uint8_t *)nlh + nlh->nlmsg_len - (uint8_t *)nest);
}

/* The dump request; with a protocol, the kernel's own filter (5.8+), which
 * wants one address family (AF_UNSPEC with a filter is EINVAL). */
static size_t build_dump_request(uint8_t *buf, uint32_t seq, uint8_t family, uint8_t l4proto)
{
	struct nlmsghdr *nlh = msg_start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq, family);
	struct nlattr *tuple, *proto, *filter;
	uint32_t flags;

	if (l4proto) {
		tuple = nest_start(nlh, CTA_TUPLE_ORIG);
		proto = nest_start(nlh, CTA_TUPLE_PROTO);
		attr_put(nlh, CTA_PROTO_NUM, &l4proto, 1);
		nest_end(nlh, proto);
		nest_end(nlh, tuple);
		/* The filter's flags are NLA_U32 in host order, unlike the
		 * conntrack attributes. */
		filter = nest_start(nlh, CTA_FILTER);
		flags = CTW_CTA_FILTER_F_PROTO_NUM;
		attr_put(nlh, CTA_FILTER_ORIG_FLAGS, &flags, sizeof(flags));
		nest_end(nlh, filter);
	}
	return nlh->nlmsg_len;
}

/* ---- sockets ----------------------------------------------------------- */

static int open_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	/* Error replies echo only the header: small, and all we need (seq). */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

/* The reply socket's buffer decides the batch size (see the top). */
static unsigned size_reply_buffer(int fd)
{
	int want = REPLY_RCVBUF, got = 0;
	socklen_t len = sizeof(got);
	unsigned n;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0 || got <= 0)
		got = 212992;   /* the usual rmem_default */
	/* The kernel reports twice what it accounts against; use half. */
	n = (unsigned)(got / 2) / REPLY_TRUESIZE;
	if (n > BATCH_MAX)
		n = BATCH_MAX;
	return n ? n : 1;
}

static int send_all(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Filtered: one dump of opts.family, the kernel keeping only l4proto.
 * Unfiltered: one dump of both families. */
static int start_dump(struct ctw_ct_retire *p, bool filtered)
{
	uint8_t req[128];
	size_t len;

	p->dump_seq++;
	p->filtered = filtered;
	len = build_dump_request(req, p->dump_seq, p->opts.family,
				 filtered ? p->opts.l4proto : 0);
	return send_all(p->dump_fd, req, len);
}

/* ---- batches ----------------------------------------------------------- */

static void count_outcome(struct ctw_ct_retire *p, const struct batch_slot *s)
{
	struct ctw_retire_report *rep = &p->report;

	if (s->err == -ENOENT) {
		rep->gone++;
		return;
	}
	if (s->err) {
		rep->failed++;
		if (!rep->first_error)
			rep->first_error = s->err;
		return;
	}
	if (s->action == CTW_RETIRE_DELETE)
		rep->deleted++;
	else
		rep->retimed++;
	if (s->idle_s > rep->oldest_idle_s)
		rep->oldest_idle_s = s->idle_s;
	if (p->opts.top)
		ctw_top_add(p->opts.top, &s->key);
}

/* Read every error reply the batch caused. The kernel queued them before
 * sendmsg returned: reading until EAGAIN gets them all. */
static void drain_replies(struct ctw_ct_retire *p, bool *lost)
{
	uint8_t buf[8192];

	for (;;) {
		ssize_t n = recv(p->act_fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t left;
		const uint8_t *m = buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			*lost = true;
			continue;
		}
		if (n <= 0)
			return;
		left = (size_t)n;
		while (left >= sizeof(struct nlmsghdr)) {
			struct nlmsghdr nlh;
			struct nlmsgerr e;

			memcpy(&nlh, m, sizeof(nlh));
			if (nlh.nlmsg_len < sizeof(nlh) || nlh.nlmsg_len > left)
				break;
			if (nlh.nlmsg_type == NLMSG_ERROR && nlh.nlmsg_len >= NLMSG_LENGTH(sizeof(e))) {
				uint32_t i;

				memcpy(&e, m + NLMSG_HDRLEN, sizeof(e));
				i = nlh.nlmsg_seq - p->batch_seq;
				if (e.error < 0 && i < p->batch_n)
					p->slot[i].err = e.error;
			}
			if (NLMSG_ALIGN(nlh.nlmsg_len) >= left)
				break;
			left -= NLMSG_ALIGN(nlh.nlmsg_len);
			m += NLMSG_ALIGN(nlh.nlmsg_len);
		}
	}
}

static void flush_batch(struct ctw_ct_retire *p)
{
	bool lost = false;
	int r;

	if (!p->batch_n)
		return;
	r = send_all(p->act_fd, p->batch_buf, p->batch_len);
	if (r == 0)
		drain_replies(p, &lost);
	for (unsigned i = 0; i < p->batch_n; i++) {
		struct batch_slot *s = &p->slot[i];

		/* Not sent, or replies were dropped: the outcome is unknown,
		 * and unknown is never counted as done. */
		if (r < 0)
			s->err = r;
		else if (lost && !s->err)
			s->err = -ENOBUFS;
		count_outcome(p, s);
	}
	p->batch_seq += p->batch_n;
	p->batch_n = 0;
	p->batch_len = 0;
}

static void queue_request(struct ctw_ct_retire *p, const struct ctw_ct_entry *e, const struct nlattr *tuple,
			  const struct ctw_retire_decision *d)
{
	uint8_t *at = p->batch_buf + p->batch_len;
	bool del = d->action == CTW_RETIRE_DELETE;
	uint16_t zone = htons(e->zone);
	struct nlmsghdr *nlh;
	struct batch_slot *s;

	if (p->batch_n == p->batch_max || p->batch_len + REQUEST_MAX > BATCH_BUF_SIZE)
		flush_batch(p);
	at = p->batch_buf + p->batch_len;
	nlh = msg_start(at, del ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW, 0, p->batch_seq + p->batch_n,
			e->key.family);
	/* The tuple goes back as the kernel dumped it (NLA_F_NESTED and all). */
	attr_put(nlh, tuple->nla_type, nla_data(tuple), (size_t)nla_len(tuple));
	attr_put(nlh, CTA_ZONE, &zone, sizeof(zone));
	if (del)
		attr_put_be32(nlh, CTA_ID, e->id);
	else
		attr_put_be32(nlh, CTA_TIMEOUT, d->retime_s);
	p->batch_len += NLMSG_ALIGN(nlh->nlmsg_len);
	s = &p->slot[p->batch_n++];
	s->key = e->key;
	s->action = d->action;
	s->idle_s = d->idle_s;
	s->err = 0;
}

/* ---- the dump ---------------------------------------------------------- */

static void handle_entry(struct ctw_ct_retire *p, const void *msg, size_t len)
{
	struct ctw_retire_decision d;
	const struct nlattr *tuple;
	struct ctw_ct_entry e;

	if (ctw_ct_entry_parse_msg(msg, len, &e, &tuple) < 0)
		return;
	/* The kernel's filter may be absent: filter here as well. */
	if ((p->opts.l4proto && e.key.proto != p->opts.l4proto) || (p->opts.family && e.key.family != p->opts.family))
		return;
	p->report.seen++;
	memset(&d, 0, sizeof(d));
	p->decide(p->ud, &e, &d);
	if (d.action == CTW_RETIRE_KEEP) {
		if ((unsigned)d.reason < CTW_RETIRE_REASON__COUNT)
			p->report.kept[d.reason]++;
		return;
	}
	/* Whatever the rule said: an entry the kernel offloads or is
	 * destroying, or one without a timeout, is not ours to touch. */
	if (!e.has_timeout || (e.status & (CTW_IPS_OFFLOAD | CTW_IPS_HW_OFFLOAD | CTW_IPS_DYING))) {
		p->report.kept[e.status & CTW_IPS_DYING ? CTW_RETIRE_DYING : CTW_RETIRE_OFFLOADED]++;
		return;
	}
	if (d.action == CTW_RETIRE_RETIME && d.retime_s == 0)
		d.retime_s = 1;
	/* A delete without the id could hit a newer flow on the same tuple. */
	if ((d.action == CTW_RETIRE_DELETE && !e.id) || nla_len(tuple) > REQUEST_MAX / 2) {
		p->report.failed++;
		if (!p->report.first_error)
			p->report.first_error = -EINVAL;
		return;
	}
	if (p->opts.dry_run) {
		struct batch_slot s = { .key = e.key, .action = d.action, .idle_s = d.idle_s };

		count_outcome(p, &s);
		return;
	}
	queue_request(p, &e, tuple, &d);
}

/* One receive buffer of the dump: 1 after NLMSG_DONE, 0 for more,
 * 2 when the kernel refused the filter (dump again without), -errno. */
static int feed(struct ctw_ct_retire *p, const uint8_t *buf, size_t len)
{
	const uint16_t entry_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW;

	while (len >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr nlh;
		size_t step;
		int err;

		memcpy(&nlh, buf, sizeof(nlh));
		if (nlh.nlmsg_len < sizeof(nlh) || nlh.nlmsg_len > len)
			break;
		if (nlh.nlmsg_seq == p->dump_seq) {
			if (nlh.nlmsg_flags & NLM_F_DUMP_INTR)
				p->report.interrupted = true;
			if (nlh.nlmsg_type == NLMSG_DONE) {
				err = ctw_nlmsg_errno(buf, nlh.nlmsg_len);
				return err ? err : 1;
			}
			if (nlh.nlmsg_type == NLMSG_ERROR) {
				err = ctw_nlmsg_errno(buf, nlh.nlmsg_len);
				/* An older kernel does not know CTA_FILTER. */
				if (err && p->filtered && !p->report.seen &&
				    (err == -EOPNOTSUPP || err == -EINVAL || err == -KERNEL_ENOTSUPP))
					return 2;
				if (err)
					return err;
			} else if (nlh.nlmsg_type == entry_type) {
				handle_entry(p, buf, nlh.nlmsg_len);
			}
		}
		step = NLMSG_ALIGN(nlh.nlmsg_len);
		if (step > len)
			step = len;
		buf += step;
		len -= step;
	}
	return 0;
}

/* ---- the pass ---------------------------------------------------------- */

int ctw_ct_retire_open(struct ctw_ct_retire **out, const struct ctw_ct_retire_opts *opts,
		       ctw_retire_decide_fn decide, void *ud)
{
	struct ctw_ct_retire *p;
	int r;

	*out = NULL;
	if (!decide)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->dump_fd = p->act_fd = -1;
	p->opts = *opts;
	p->decide = decide;
	p->ud = ud;
	p->dump_buf = malloc(DUMP_BUF_SIZE);
	p->batch_buf = malloc(BATCH_BUF_SIZE);
	if (!p->dump_buf || !p->batch_buf) {
		r = -ENOMEM;
		goto fail;
	}
	r = open_socket();
	if (r < 0)
		goto fail;
	p->dump_fd = r;
	r = open_socket();
	if (r < 0)
		goto fail;
	p->act_fd = r;
	p->batch_max = size_reply_buffer(p->act_fd);
	p->batch_seq = 1;
	p->dump_seq = 0x40000000u;   /* apart from the requests' numbers */
	r = start_dump(p, p->opts.l4proto && (p->opts.family == AF_INET || p->opts.family == AF_INET6));
	if (r < 0)
		goto fail;
	p->started = true;
	*out = p;
	return 0;
fail:
	ctw_ct_retire_close(p);
	return r;
}

/* One recv of the dump: bytes, -EAGAIN when nothing is there yet (only
 * when not blocking), -ETIMEDOUT, -errno. */
static ssize_t read_dump(struct ctw_ct_retire *p, bool block)
{
	for (;;) {
		ssize_t n;

		if (block) {
			struct pollfd pfd = { .fd = p->dump_fd, .events = POLLIN };
			int r = poll(&pfd, 1, DUMP_TIMEOUT_MS);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
		}
		/* MSG_TRUNC: the real length, to notice a message larger than the buffer. */
		n = recv(p->dump_fd, p->dump_buf, DUMP_BUF_SIZE, MSG_TRUNC | (block ? 0 : MSG_DONTWAIT));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (n == 0)
			return -EPIPE;
		if (n > DUMP_BUF_SIZE)
			return -EMSGSIZE;
		return n;
	}
}

int ctw_ct_retire_step(struct ctw_ct_retire *p, uint64_t budget_us)
{
	uint64_t deadline = budget_us ? now_us() + budget_us : 0;

	if (p->error)
		return p->error;
	if (p->done)
		return 1;
	for (;;) {
		ssize_t n = read_dump(p, budget_us == 0);
		int r;

		if (n == -EAGAIN) {
			flush_batch(p);
			return 0;
		}
		r = n < 0 ? (int)n : feed(p, p->dump_buf, (size_t)n);
		if (r == 2) {
			r = start_dump(p, false);
			if (r == 0)
				continue;
		}
		if (r != 0) {
			flush_batch(p);
			if (r == 1) {
				p->done = true;
				return 1;
			}
			p->error = r;
			if (!p->report.first_error)
				p->report.first_error = r;
			return r;
		}
		if (deadline && now_us() >= deadline) {
			flush_batch(p);
			return 0;
		}
	}
}

int ctw_ct_retire_fd(const struct ctw_ct_retire *p)
{
	return p->dump_fd;
}

const struct ctw_retire_report *ctw_ct_retire_report(const struct ctw_ct_retire *p)
{
	return &p->report;
}

void ctw_ct_retire_close(struct ctw_ct_retire *p)
{
	if (!p)
		return;
	if (p->dump_fd >= 0)
		close(p->dump_fd);
	if (p->act_fd >= 0)
		close(p->act_fd);
	free(p->dump_buf);
	free(p->batch_buf);
	free(p);
}
