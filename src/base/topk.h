/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who fills the table, in bounded memory.
 *
 * struct ctw_topk: the Space-Saving summary (Metwally, Agrawal, El Abbadi,
 * "Efficient computation of frequent and top-k elements in data streams",
 * 2005) over keys of up to CTW_TOPK_KEY_MAX bytes. It watches at most
 * `capacity` keys; a key not watched replaces the one with the smallest count
 * and inherits that count as its error. For every watched key
 * count - error <= true count <= count, and every key seen more than
 * total / capacity times is watched. While no key was ever replaced
 * (evictions == 0) the counts are exact. O(log capacity) per add, no
 * allocation after init.
 *
 * struct ctw_top: one summary per dimension a flow is counted by (source,
 * destination, destination port with its protocol) plus exact counts per
 * protocol and TCP state, and the one-line text for alerts. Pure: no I/O. */
#ifndef CTW_TOPK_H
#define CTW_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/flow.h"

#define CTW_TOPK_KEY_MAX 20

struct ctw_topk_item {
	uint8_t key[CTW_TOPK_KEY_MAX];
	uint8_t len;
	uint64_t count;   /* upper bound of the key's true count */
	uint64_t error;   /* count - error is a lower bound */
};

struct ctw_topk_slot;

struct ctw_topk {
	unsigned capacity;
	unsigned used;          /* keys watched */
	uint64_t total;         /* adds since init/reset (halved by ctw_topk_halve) */
	uint64_t evictions;     /* 0: every count is exact */
	uint32_t seed;
	uint32_t bucket_mask;
	struct ctw_topk_slot *slot;   /* capacity */
	uint32_t *bucket;       /* hash chains: slot index + 1, 0 = empty */
	uint32_t *heap;         /* slot indices, smallest count first */
	uint32_t *order;        /* scratch for ctw_topk_query */
};

/* capacity 1..65536; seed keys the hash (pass a random one where keys come
 * from the network, so nobody can aim all keys at one chain). -EINVAL, -ENOMEM. */
int ctw_topk_init(struct ctw_topk *t, unsigned capacity, uint32_t seed);
void ctw_topk_free(struct ctw_topk *t);
/* Count one occurrence of key. -EINVAL when len is 0 or > CTW_TOPK_KEY_MAX. */
int ctw_topk_add(struct ctw_topk *t, const void *key, size_t len);
/* Forget everything (a new window); keeps the memory. */
void ctw_topk_reset(struct ctw_topk *t);
/* Halve every count, error and the total (a decaying window); keys whose
 * count falls to 0 are dropped. */
void ctw_topk_halve(struct ctw_topk *t);
/* Up to n watched keys, highest count first (ties: smaller error, then key
 * bytes). Returns how many were written. */
unsigned ctw_topk_query(const struct ctw_topk *t, struct ctw_topk_item *out, unsigned n);

/* ---- flows ------------------------------------------------------------- */

enum ctw_top_view {
	CTW_TOP_SOURCE,         /* approximate (Space-Saving) */
	CTW_TOP_DESTINATION,
	CTW_TOP_DPORT,          /* "udp/53": protocols with ports only */
	CTW_TOP_PROTOCOL,       /* exact */
	CTW_TOP_TCP_STATE,      /* exact, TCP flows only */
	CTW_TOP__VIEWS,
};
#define CTW_TOP__SUMMARIES (CTW_TOP_DPORT + 1)
#define CTW_TOP_TCP_STATES 16
#define CTW_TOP_KEY_TEXT 48   /* an IPv6 address, "udplite/65535", a state name */

struct ctw_top {
	struct ctw_topk dim[CTW_TOP__SUMMARIES];
	uint64_t total;                       /* flows added */
	uint64_t proto[256];
	uint64_t tcp_state[CTW_TOP_TCP_STATES];  /* the last one also holds any higher state */
};

struct ctw_top_row {
	char key[CTW_TOP_KEY_TEXT];
	uint64_t count;         /* upper bound when error > 0 */
	uint64_t error;
	double percent;         /* of all flows added */
};

int ctw_top_init(struct ctw_top *t, unsigned capacity, uint32_t seed);
void ctw_top_free(struct ctw_top *t);
void ctw_top_add(struct ctw_top *t, const struct ctw_flow_key *k);
void ctw_top_reset(struct ctw_top *t);
void ctw_top_halve(struct ctw_top *t);
/* The top n of one view, highest first. Returns how many were written. */
unsigned ctw_top_list(const struct ctw_top *t, enum ctw_top_view v, struct ctw_top_row *rows, unsigned n);
/* The most counted destination port with a lower bound of its count
 * (count - error). false when no flow had a port. */
bool ctw_top_dport_first(const struct ctw_top *t, uint8_t *proto, uint16_t *port, uint64_t *at_least);
/* True when every count of the view is exact. */
bool ctw_top_exact(const struct ctw_top *t, enum ctw_top_view v);

/* "top sources: 10.0.0.5 41%, 10.0.0.7 12%; top destinations: ...; top ports:
 * udp/53 80%", n per dimension, or "no new flows". Truncates to fit; returns
 * the length it needed (as snprintf). */
size_t ctw_top_format_alert(const struct ctw_top *t, unsigned n, char *buf, size_t len);

/* "udp", "tcp", ... or NULL for a protocol without a usual name. */
const char *ctw_proto_name(uint8_t proto);
/* Protocols whose entries carry ports (TCP, UDP, UDP-Lite, SCTP, DCCP). */
bool ctw_proto_has_ports(uint8_t proto);
/* "ESTABLISHED", ... as conntrack(8) prints them; NULL when unknown. */
const char *ctw_tcp_state_name(uint8_t state);

#endif
