/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conntrack events: NEW and DESTROY from ctnetlink, in the netns the socket is
 * opened in (open it after setns to watch another one).
 *
 * For the daemon loop:
 *
 *	ctw_events_open(&ev, cfg.receive_buffer_bytes, cfg.receive_buffer_max_bytes);
 *	sd_event_add_io(e, &src, ctw_events_fd(ev), EPOLLIN, on_readable, d);
 *	on_readable:
 *		n = ctw_events_drain(ev, cfg.event_batch, on_new, d);
 *		if (ctw_events_take_overrun(ev))
 *			re-anchor the derived count on the kernel's count (rates.h);
 *		if (0 < n < cfg.event_batch)
 *			turn the io source off for CTW_EVENTS_COALESCE_US (a timer
 *			turns it back on), or sd_event_source_set_ratelimit();
 *
 * The fd is level-triggered: when a drain stops at its cap, the source fires
 * again on the next loop iteration, after the other sources had their turn.
 * Under a flood a listener that wakes for every event spends ~5 us per event
 * in poll and recv; pausing 1 ms after a drain that emptied the queue lets
 * each wakeup take a batch (~1 us per event, bench/events) and delays a
 * reaction by at most that millisecond.
 *
 * Delivery is best effort on purpose: reliable delivery
 * (NETLINK_BROADCAST_ERROR) would keep undelivered DESTROY entries on the
 * kernel's dying list and in the count, so a slow listener could fill the
 * table itself. Lost events show up as overruns (ENOBUFS) instead. */
#ifndef CTW_EVENTS_H
#define CTW_EVENTS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/flow.h"

/* The pause after a drain that emptied the queue (see above). */
#define CTW_EVENTS_COALESCE_US 1000

struct ctw_events;

struct ctw_event_counts {
	uint64_t new;        /* NEW events received */
	uint64_t destroy;    /* DESTROY events received */
	uint64_t overruns;   /* times the kernel reported lost events (ENOBUFS) */
	uint64_t rcvbuf;     /* receive buffer now, bytes (as asked, which the kernel doubles) */
};

/* Called for each NEW event with its original-direction flow. */
typedef void (*ctw_events_new_fn)(const struct ctw_flow_key *key, void *ud);

/* Subscribe to NEW and DESTROY in the current netns, non-blocking, with a
 * receive buffer of rcvbuf bytes (0: the kernel's default) that may grow on
 * overruns up to rcvbuf_max. Past net.core.rmem_max this needs CAP_NET_ADMIN
 * (SO_RCVBUFFORCE); without it the buffer is what SO_RCVBUF allows.
 * 0 or -errno. */
int ctw_events_open(struct ctw_events **out, uint64_t rcvbuf, uint64_t rcvbuf_max);
void ctw_events_close(struct ctw_events *ev);

/* The receive area of one drain (128 KiB). Sockets drained one at a time
 * (one thread) can share one: open them with ctw_events_open_shared. */
struct ctw_events_batch;
int ctw_events_batch_new(struct ctw_events_batch **out);
void ctw_events_batch_free(struct ctw_events_batch *b);
/* ctw_events_open, receiving into shared (NULL: a batch of its own).
 * shared must outlive the socket. */
int ctw_events_open_shared(struct ctw_events **out, uint64_t rcvbuf, uint64_t rcvbuf_max,
			   struct ctw_events_batch *shared);

/* The socket, for poll/epoll/sd_event_add_io (EPOLLIN). */
int ctw_events_fd(const struct ctw_events *ev);

/* Receive and handle up to about max_events pending events without blocking
 * (0: no cap). Returns the number handled, 0 when nothing is pending, or
 * -errno on a socket error. An overrun is not an error: it is counted, the
 * buffer grows and the overrun flag is set. */
int ctw_events_drain(struct ctw_events *ev, unsigned max_events, ctw_events_new_fn on_new, void *ud);

void ctw_events_counts(const struct ctw_events *ev, struct ctw_event_counts *out);

/* True once after one or more overruns: events were lost, re-anchor now. */
bool ctw_events_take_overrun(struct ctw_events *ev);

/* ---- pure parts, for the tests and the fuzzer ---------------------------- */

/* The buffer to ask for after an overrun: double, at most max (and at most
 * what setsockopt takes); cur when it cannot grow. */
uint64_t ctw_events_next_rcvbuf(uint64_t cur, uint64_t max);

/* Account the messages of one received datagram: NEW and DESTROY are counted
 * in counts, on_new (may be NULL) gets each NEW that has a flow; anything
 * else is ignored, a message cut short at the end is counted by its type.
 * Returns the number of NEW and DESTROY events seen. */
unsigned ctw_events_parse(const void *buf, size_t len, struct ctw_event_counts *counts,
			  ctw_events_new_fn on_new, void *ud);

#endif
