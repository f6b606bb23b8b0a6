/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conntrack events: a ctnetlink subscription to NEW and DESTROY, drained in
 * batches with recvmmsg into preallocated slots. Each NEW is reduced to its
 * flow key by walking only the original tuple: no allocation, no full parse
 * per event, so a flood costs the listener little. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

#include "kernel/events.h"

/* One datagram is one event; 64 per system call amortizes the call. */
#define RECV_BATCH 64
/* A NEW event is 200-400 bytes; room for helpers, labels and secctx too. */
#define SLOT_BYTES 2048
/* setsockopt takes an int, and the kernel doubles it. */
#define RCVBUF_LIMIT ((uint64_t)INT_MAX / 2)
/* The multicast groups as bind() takes them: bit (group - 1). */
#define EVENT_GROUPS ((1u << (NFNLGRP_CONNTRACK_NEW - 1)) | (1u << (NFNLGRP_CONNTRACK_DESTROY - 1)))

/* Where recvmmsg puts a batch: 128 KiB, so one is shared by every socket
 * of a process that drains them one at a time (a daemon watching hundreds
 * of namespaces would otherwise hold 128 KiB per namespace). */
struct ctw_events_batch {
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct sockaddr_nl from[RECV_BATCH];
	uint8_t slots[RECV_BATCH][SLOT_BYTES] __attribute__((aligned(8)));
};

struct ctw_events {
	struct mnl_socket *nl;
	int fd;
	uint64_t rcvbuf_max;
	bool overrun;
	struct ctw_event_counts counts;
	struct ctw_events_batch *b;
	bool own_batch;
};

/* ---- parsing (pure) ------------------------------------------------------ */

enum event_kind { EV_OTHER, EV_NEW, EV_DESTROY };

static enum event_kind kind_of(uint16_t nlmsg_type)
{
	if (nlmsg_type >> 8 != NFNL_SUBSYS_CTNETLINK)
		return EV_OTHER;
	switch (nlmsg_type & 0xff) {
	case IPCTNL_MSG_CT_NEW:
		return EV_NEW;
	case IPCTNL_MSG_CT_DELETE:
		return EV_DESTROY;
	default:
		return EV_OTHER;
	}
}


unsigned ctw_events_parse(const void *buf, size_t len, struct ctw_event_counts *counts,
			  ctw_events_new_fn on_new, void *ud)
{
	const uint8_t *p = buf;
	unsigned seen = 0;
	struct nlmsghdr nlh;
	struct ctw_flow_key key;

	while (len >= NLMSG_HDRLEN) {
		bool cut;
		size_t step;

		memcpy(&nlh, p, sizeof(nlh));
		if (nlh.nlmsg_len < NLMSG_HDRLEN)
			break;
		cut = nlh.nlmsg_len > len;  /* truncated datagram: the type still counts */
		switch (kind_of(nlh.nlmsg_type)) {
		case EV_NEW:
			counts->new++;
			seen++;
			if (!cut && on_new && ctw_flow_key_parse(p, nlh.nlmsg_len, &key) == 0)
				on_new(&key, ud);
			break;
		case EV_DESTROY:
			counts->destroy++;
			seen++;
			break;
		case EV_OTHER:
			break;
		}
		step = NLMSG_ALIGN(nlh.nlmsg_len);
		if (cut || step >= len)
			break;
		p += step;
		len -= step;
	}
	return seen;
}

uint64_t ctw_events_next_rcvbuf(uint64_t cur, uint64_t max)
{
	uint64_t cap = max < RCVBUF_LIMIT ? max : RCVBUF_LIMIT;

	if (cur >= cap)
		return cur;
	if (cur == 0 || cur > cap / 2)
		return cap;
	return cur * 2;
}

/* ---- the socket ------------------------------------------------------------ */

/* Ask for bytes (past rmem_max as root), then read back what was granted. */
static int set_rcvbuf(struct ctw_events *ev, uint64_t bytes)
{
	int v = (int)(bytes < RCVBUF_LIMIT ? bytes : RCVBUF_LIMIT);
	socklen_t vlen = sizeof(v);

	if (setsockopt(ev->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(ev->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		return -errno;
	if (getsockopt(ev->fd, SOL_SOCKET, SO_RCVBUF, &v, &vlen) < 0)
		return -errno;
	ev->counts.rcvbuf = (uint64_t)v / 2;  /* the kernel reports twice what it was asked */
	return 0;
}

static void setup_batch(struct ctw_events_batch *b)
{
	for (unsigned i = 0; i < RECV_BATCH; i++) {
		b->iov[i] = (struct iovec){ b->slots[i], SLOT_BYTES };
		b->msgs[i].msg_hdr = (struct msghdr){
			.msg_name = &b->from[i], .msg_namelen = sizeof(b->from[i]),
			.msg_iov = &b->iov[i], .msg_iovlen = 1,
		};
	}
}

int ctw_events_batch_new(struct ctw_events_batch **out)
{
	/* malloc, not calloc: the slots are written by the kernel before they
	 * are read, and untouched pages cost no memory. */
	struct ctw_events_batch *b = malloc(sizeof(*b));

	if (!b)
		return -ENOMEM;
	setup_batch(b);
	*out = b;
	return 0;
}

void ctw_events_batch_free(struct ctw_events_batch *b)
{
	free(b);
}

int ctw_events_open(struct ctw_events **out, uint64_t rcvbuf, uint64_t rcvbuf_max)
{
	return ctw_events_open_shared(out, rcvbuf, rcvbuf_max, NULL);
}

int ctw_events_open_shared(struct ctw_events **out, uint64_t rcvbuf, uint64_t rcvbuf_max,
			   struct ctw_events_batch *shared)
{
	struct ctw_events *ev;
	int r;

	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	if (shared) {
		ev->b = shared;
	} else {
		r = ctw_events_batch_new(&ev->b);
		if (r < 0) {
			free(ev);
			return r;
		}
		ev->own_batch = true;
	}
	/* Groups NEW and DESTROY only: UPDATE would be most of the traffic.
	 * NETLINK_NO_ENOBUFS stays off: lost events must be known. */
	ev->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!ev->nl) {
		r = errno ? -errno : -EIO;
		if (ev->own_batch)
			free(ev->b);
		free(ev);
		return r;
	}
	ev->fd = mnl_socket_get_fd(ev->nl);
	ev->rcvbuf_max = rcvbuf_max > rcvbuf ? rcvbuf_max : rcvbuf;
	if (mnl_socket_bind(ev->nl, EVENT_GROUPS, MNL_SOCKET_AUTOPID) < 0) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	if (rcvbuf) {
		r = set_rcvbuf(ev, rcvbuf);
	} else {
		/* Keep the kernel's default; only learn its size. */
		int v;
		socklen_t vlen = sizeof(v);

		r = getsockopt(ev->fd, SOL_SOCKET, SO_RCVBUF, &v, &vlen) < 0 ? -errno : 0;
		ev->counts.rcvbuf = (uint64_t)v / 2;
	}
	if (r < 0)
		goto fail;
	*out = ev;
	return 0;
fail:
	ctw_events_close(ev);
	return r;
}

void ctw_events_close(struct ctw_events *ev)
{
	if (!ev)
		return;
	if (ev->nl)
		mnl_socket_close(ev->nl);
	if (ev->own_batch)
		free(ev->b);
	free(ev);
}

int ctw_events_fd(const struct ctw_events *ev)
{
	return ev->fd;
}

/* Events were lost: count it, tell the caller, and grow the buffer. Growing
 * may fail (no CAP_NET_ADMIN past rmem_max): the old buffer still works. */
static void on_overrun(struct ctw_events *ev)
{
	uint64_t next = ctw_events_next_rcvbuf(ev->counts.rcvbuf, ev->rcvbuf_max);

	ev->counts.overruns++;
	ev->overrun = true;
	if (next > ev->counts.rcvbuf)
		(void)set_rcvbuf(ev, next);
}

/* Only the kernel (port 0) sends events; anything else on our port is forged. */
static void handle_batch(struct ctw_events *ev, unsigned n, ctw_events_new_fn on_new, void *ud,
			 unsigned *handled)
{
	for (unsigned i = 0; i < n; i++) {
		const struct msghdr *h = &ev->b->msgs[i].msg_hdr;

		if (h->msg_namelen >= sizeof(struct sockaddr_nl) && ev->b->from[i].nl_pid != 0)
			continue;
		*handled += ctw_events_parse(ev->b->slots[i], ev->b->msgs[i].msg_len, &ev->counts, on_new, ud);
	}
}

int ctw_events_drain(struct ctw_events *ev, unsigned max_events, ctw_events_new_fn on_new, void *ud)
{
	unsigned handled = 0, received = 0;

	/* The cap counts datagrams (one event each), so that forged or
	 * foreign ones cannot keep the loop here either. */
	if (max_events == 0 || max_events > INT_MAX)
		max_events = INT_MAX;
	while (received < max_events) {
		unsigned want = max_events - received < RECV_BATCH ? max_events - received : RECV_BATCH;
		int n;

		for (unsigned i = 0; i < want; i++)
			ev->b->msgs[i].msg_hdr.msg_namelen = sizeof(ev->b->from[i]);
		n = recvmmsg(ev->fd, ev->b->msgs, want, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				on_overrun(ev);
				continue;
			}
			return -errno;
		}
		received += (unsigned)n;
		handle_batch(ev, (unsigned)n, on_new, ud, &handled);
		/* A short batch emptied the queue: spare the call that would say EAGAIN. */
		if ((unsigned)n < want)
			break;
	}
	return (int)handled;
}

void ctw_events_counts(const struct ctw_events *ev, struct ctw_event_counts *out)
{
	*out = ev->counts;
}

bool ctw_events_take_overrun(struct ctw_events *ev)
{
	bool was = ev->overrun;

	ev->overrun = false;
	return was;
}
