/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Space-Saving top-K and the per-flow summaries built on it (see topk.h).
 * Layout: a fixed array of slots, hash chains to find a key's slot, and a
 * binary min-heap of slot indices to find the slot to replace. */
#include "base/topk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_CAPACITY 65536u

struct ctw_topk_slot {
	uint64_t count;
	uint64_t error;
	uint32_t next;          /* next slot in the hash chain, + 1; 0 ends it */
	uint32_t heap_pos;
	uint32_t hash;
	uint8_t len;
	uint8_t key[CTW_TOPK_KEY_MAX];
};

/* FNV-1a keyed by the seed, then a murmur3 finaliser so low bits mix well. */
static uint32_t key_hash(uint32_t seed, const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u ^ seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

int ctw_topk_init(struct ctw_topk *t, unsigned capacity, uint32_t seed)
{
	uint32_t nbuckets = 1;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > MAX_CAPACITY)
		return -EINVAL;
	while (nbuckets < 2 * capacity)
		nbuckets <<= 1;
	t->slot = calloc(capacity, sizeof(*t->slot));
	t->bucket = calloc(nbuckets, sizeof(*t->bucket));
	t->heap = calloc(capacity, sizeof(*t->heap));
	t->order = calloc(capacity, sizeof(*t->order));
	if (!t->slot || !t->bucket || !t->heap || !t->order) {
		ctw_topk_free(t);
		return -ENOMEM;
	}
	t->capacity = capacity;
	t->bucket_mask = nbuckets - 1;
	t->seed = seed;
	return 0;
}

void ctw_topk_free(struct ctw_topk *t)
{
	free(t->slot);
	free(t->bucket);
	free(t->heap);
	free(t->order);
	memset(t, 0, sizeof(*t));
}

void ctw_topk_reset(struct ctw_topk *t)
{
	if (!t->capacity)
		return;
	memset(t->bucket, 0, ((size_t)t->bucket_mask + 1) * sizeof(*t->bucket));
	t->used = 0;
	t->total = 0;
	t->evictions = 0;
}

/* ---- heap: the slot with the smallest count on top ---------------------- */

static void heap_place(struct ctw_topk *t, uint32_t pos, uint32_t idx)
{
	t->heap[pos] = idx;
	t->slot[idx].heap_pos = pos;
}

static void heap_down(struct ctw_topk *t, uint32_t pos)
{
	uint32_t idx = t->heap[pos];
	uint64_t c = t->slot[idx].count;

	for (;;) {
		uint32_t child = 2 * pos + 1;

		if (child >= t->used)
			break;
		if (child + 1 < t->used && t->slot[t->heap[child + 1]].count < t->slot[t->heap[child]].count)
			child++;
		if (t->slot[t->heap[child]].count >= c)
			break;
		heap_place(t, pos, t->heap[child]);
		pos = child;
	}
	heap_place(t, pos, idx);
}

static void heap_up(struct ctw_topk *t, uint32_t pos)
{
	uint32_t idx = t->heap[pos];
	uint64_t c = t->slot[idx].count;

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (t->slot[t->heap[parent]].count <= c)
			break;
		heap_place(t, pos, t->heap[parent]);
		pos = parent;
	}
	heap_place(t, pos, idx);
}

/* ---- hash chains -------------------------------------------------------- */

static void chain_link(struct ctw_topk *t, uint32_t idx)
{
	uint32_t *head = &t->bucket[t->slot[idx].hash & t->bucket_mask];

	t->slot[idx].next = *head;
	*head = idx + 1;
}

static void chain_unlink(struct ctw_topk *t, uint32_t idx)
{
	uint32_t *link = &t->bucket[t->slot[idx].hash & t->bucket_mask];

	while (*link && *link != idx + 1)
		link = &t->slot[*link - 1].next;
	if (*link)
		*link = t->slot[idx].next;
}

static uint32_t chain_find(const struct ctw_topk *t, uint32_t hash, const uint8_t *key, size_t len)
{
	uint32_t i = t->bucket[hash & t->bucket_mask];

	for (; i; i = t->slot[i - 1].next) {
		const struct ctw_topk_slot *s = &t->slot[i - 1];

		if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
			return i;
	}
	return 0;
}

int ctw_topk_add(struct ctw_topk *t, const void *key, size_t len)
{
	uint32_t hash, found, idx;
	struct ctw_topk_slot *s;

	if (len == 0 || len > CTW_TOPK_KEY_MAX || !t->capacity)
		return -EINVAL;
	hash = key_hash(t->seed, key, len);
	t->total++;
	found = chain_find(t, hash, key, len);
	if (found) {
		t->slot[found - 1].count++;
		heap_down(t, t->slot[found - 1].heap_pos);
		return 0;
	}
	if (t->used < t->capacity) {
		idx = t->used++;
		s = &t->slot[idx];
		s->count = 0;
		s->error = 0;
		t->heap[idx] = idx;
		s->heap_pos = idx;
	} else {
		/* Replace the least counted key; its count becomes the newcomer's error. */
		idx = t->heap[0];
		s = &t->slot[idx];
		chain_unlink(t, idx);
		s->error = s->count;
		t->evictions++;
	}
	memset(s->key, 0, sizeof(s->key));
	memcpy(s->key, key, len);
	s->len = (uint8_t)len;
	s->hash = hash;
	s->count++;
	chain_link(t, idx);
	/* A new slot may sit below its parent only when counts were halved. */
	heap_up(t, s->heap_pos);
	heap_down(t, s->heap_pos);
	return 0;
}

void ctw_topk_halve(struct ctw_topk *t)
{
	uint32_t kept = 0;

	if (!t->capacity)
		return;
	memset(t->bucket, 0, ((size_t)t->bucket_mask + 1) * sizeof(*t->bucket));
	for (uint32_t i = 0; i < t->used; i++) {
		struct ctw_topk_slot *s = &t->slot[i];

		s->count /= 2;
		s->error /= 2;
		if (s->count == 0)
			continue;
		if (kept != i)
			t->slot[kept] = *s;
		chain_link(t, kept);
		t->heap[kept] = kept;
		t->slot[kept].heap_pos = kept;
		kept++;
	}
	t->used = kept;
	t->total /= 2;
	/* Halving keeps the order of counts but slots moved: rebuild the heap. */
	for (uint32_t i = kept / 2; i-- > 0;)
		heap_down(t, i);
}

static int item_order(const void *a, const void *b, void *arg)
{
	const struct ctw_topk_slot *x = &((const struct ctw_topk_slot *)arg)[*(const uint32_t *)a];
	const struct ctw_topk_slot *y = &((const struct ctw_topk_slot *)arg)[*(const uint32_t *)b];

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->error != y->error)
		return x->error < y->error ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->key, y->key, x->len);
}

/* Sort the watched slots into order[], highest count first. */
static unsigned sort_slots(const struct ctw_topk *t)
{
	for (unsigned i = 0; i < t->used; i++)
		t->order[i] = i;
	qsort_r(t->order, t->used, sizeof(*t->order), item_order, t->slot);
	return t->used;
}

/* The item at a rank of the last sort_slots. */
static void ranked_item(const struct ctw_topk *t, unsigned rank, struct ctw_topk_item *it)
{
	const struct ctw_topk_slot *s = &t->slot[t->order[rank]];

	memset(it, 0, sizeof(*it));
	memcpy(it->key, s->key, s->len);
	it->len = s->len;
	it->count = s->count;
	it->error = s->error;
}

unsigned ctw_topk_query(const struct ctw_topk *t, struct ctw_topk_item *out, unsigned n)
{
	unsigned used = sort_slots(t), i;

	for (i = 0; i < n && i < used; i++)
		ranked_item(t, i, &out[i]);
	return i;
}

/* ---- flows -------------------------------------------------------------- */

const char *ctw_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_IGMP: return "igmp";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_DCCP: return "dccp";
	case IPPROTO_GRE: return "gre";
	case IPPROTO_ESP: return "esp";
	case IPPROTO_AH: return "ah";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_UDPLITE: return "udplite";
	}
	return NULL;
}

bool ctw_proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_DCCP;
}

const char *ctw_tcp_state_name(uint8_t state)
{
	/* TCP_CONNTRACK_* order (linux/netfilter/nf_conntrack_tcp.h). */
	static const char *const names[] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : NULL;
}

int ctw_top_init(struct ctw_top *t, unsigned capacity, uint32_t seed)
{
	memset(t, 0, sizeof(*t));
	for (int d = 0; d < CTW_TOP__SUMMARIES; d++) {
		int r = ctw_topk_init(&t->dim[d], capacity, seed + (uint32_t)d * 0x9e3779b9u);

		if (r < 0) {
			ctw_top_free(t);
			return r;
		}
	}
	return 0;
}

void ctw_top_free(struct ctw_top *t)
{
	for (int d = 0; d < CTW_TOP__SUMMARIES; d++)
		ctw_topk_free(&t->dim[d]);
	memset(t, 0, sizeof(*t));
}

/* family, then the address: 5 bytes for IPv4, 17 for IPv6. */
static size_t addr_key(uint8_t family, const uint8_t *addr, uint8_t *key)
{
	size_t alen = family == AF_INET6 ? 16 : 4;

	key[0] = family;
	memcpy(key + 1, addr, alen);
	return 1 + alen;
}

void ctw_top_add(struct ctw_top *t, const struct ctw_flow_key *k)
{
	uint8_t key[CTW_TOPK_KEY_MAX];

	t->total++;
	t->proto[k->proto]++;
	if (k->proto == IPPROTO_TCP)
		t->tcp_state[k->tcp_state < CTW_TOP_TCP_STATES ? k->tcp_state : CTW_TOP_TCP_STATES - 1]++;
	ctw_topk_add(&t->dim[CTW_TOP_SOURCE], key, addr_key(k->family, k->src, key));
	ctw_topk_add(&t->dim[CTW_TOP_DESTINATION], key, addr_key(k->family, k->dst, key));
	if (ctw_proto_has_ports(k->proto)) {
		key[0] = k->proto;
		key[1] = (uint8_t)(k->dport >> 8);
		key[2] = (uint8_t)k->dport;
		ctw_topk_add(&t->dim[CTW_TOP_DPORT], key, 3);
	}
}

void ctw_top_reset(struct ctw_top *t)
{
	for (int d = 0; d < CTW_TOP__SUMMARIES; d++)
		ctw_topk_reset(&t->dim[d]);
	t->total = 0;
	memset(t->proto, 0, sizeof(t->proto));
	memset(t->tcp_state, 0, sizeof(t->tcp_state));
}

void ctw_top_halve(struct ctw_top *t)
{
	for (int d = 0; d < CTW_TOP__SUMMARIES; d++)
		ctw_topk_halve(&t->dim[d]);
	t->total /= 2;
	for (size_t i = 0; i < sizeof(t->proto) / sizeof(t->proto[0]); i++)
		t->proto[i] /= 2;
	for (size_t i = 0; i < CTW_TOP_TCP_STATES; i++)
		t->tcp_state[i] /= 2;
}

static void summary_key_text(enum ctw_top_view v, const struct ctw_topk_item *it, char *buf, size_t len)
{
	if (v == CTW_TOP_DPORT) {
		const char *pn = ctw_proto_name(it->key[0]);
		unsigned port = (unsigned)it->key[1] << 8 | it->key[2];

		if (pn)
			snprintf(buf, len, "%s/%u", pn, port);
		else
			snprintf(buf, len, "%u/%u", it->key[0], port);
		return;
	}
	if (!inet_ntop(it->key[0] == AF_INET6 ? AF_INET6 : AF_INET, it->key + 1, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void exact_key_text(enum ctw_top_view v, unsigned i, char *buf, size_t len)
{
	const char *name = v == CTW_TOP_PROTOCOL ? ctw_proto_name((uint8_t)i) : ctw_tcp_state_name((uint8_t)i);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s%u", v == CTW_TOP_PROTOCOL ? "" : "state ", i);
}

static double percent(uint64_t count, uint64_t total)
{
	return total ? 100.0 * (double)count / (double)total : 0.0;
}

/* The exact views: pick the n largest counters (ties: lower number first). */
static unsigned list_exact(const struct ctw_top *t, enum ctw_top_view v, struct ctw_top_row *rows, unsigned n)
{
	const uint64_t *counts = v == CTW_TOP_PROTOCOL ? t->proto : t->tcp_state;
	unsigned ncounts = v == CTW_TOP_PROTOCOL ? 256 : CTW_TOP_TCP_STATES;
	bool taken[256] = { false };
	unsigned out = 0;

	while (out < n) {
		unsigned best = ncounts;

		for (unsigned i = 0; i < ncounts; i++)
			if (!taken[i] && counts[i] && (best == ncounts || counts[i] > counts[best]))
				best = i;
		if (best == ncounts)
			break;
		taken[best] = true;
		exact_key_text(v, best, rows[out].key, sizeof(rows[out].key));
		rows[out].count = counts[best];
		rows[out].error = 0;
		rows[out].percent = percent(counts[best], t->total);
		out++;
	}
	return out;
}

unsigned ctw_top_list(const struct ctw_top *t, enum ctw_top_view v, struct ctw_top_row *rows, unsigned n)
{
	struct ctw_topk_item item;
	unsigned used, out;

	if (v == CTW_TOP_PROTOCOL || v == CTW_TOP_TCP_STATE)
		return list_exact(t, v, rows, n);
	if ((unsigned)v >= CTW_TOP__SUMMARIES || !t->dim[v].capacity)
		return 0;
	used = sort_slots(&t->dim[v]);
	for (out = 0; out < n && out < used; out++) {
		ranked_item(&t->dim[v], out, &item);
		summary_key_text(v, &item, rows[out].key, sizeof(rows[out].key));
		rows[out].count = item.count;
		rows[out].error = item.error;
		rows[out].percent = percent(item.count, t->total);
	}
	return out;
}

bool ctw_top_dport_first(const struct ctw_top *t, uint8_t *proto, uint16_t *port, uint64_t *at_least)
{
	struct ctw_topk_item it;

	if (!t->dim[CTW_TOP_DPORT].capacity || ctw_topk_query(&t->dim[CTW_TOP_DPORT], &it, 1) == 0)
		return false;
	*proto = it.key[0];
	*port = (uint16_t)(it.key[1] << 8 | it.key[2]);
	*at_least = it.count - it.error;
	return true;
}

bool ctw_top_exact(const struct ctw_top *t, enum ctw_top_view v)
{
	return (unsigned)v >= CTW_TOP__SUMMARIES || t->dim[v].evictions == 0;
}

/* Append to a NUL-terminated buffer; `need` counts what did not fit too. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t len, size_t *need, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*need < len ? buf + *need : NULL, *need < len ? len - *need : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*need += (size_t)n;
}

size_t ctw_top_format_alert(const struct ctw_top *t, unsigned n, char *buf, size_t len)
{
	static const struct {
		enum ctw_top_view view;
		const char *label;
	} parts[] = {
		{ CTW_TOP_SOURCE, "top sources" },
		{ CTW_TOP_DESTINATION, "top destinations" },
		{ CTW_TOP_DPORT, "top ports" },
	};
	struct ctw_top_row row[8];
	size_t need = 0;

	if (len)
		buf[0] = '\0';
	if (n > sizeof(row) / sizeof(row[0]))
		n = sizeof(row) / sizeof(row[0]);
	if (t->total == 0) {
		append(buf, len, &need, "no new flows");
		return need;
	}
	for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
		unsigned got = ctw_top_list(t, parts[p].view, row, n);

		if (got == 0)
			continue;
		append(buf, len, &need, "%s%s:", need ? "; " : "", parts[p].label);
		for (unsigned i = 0; i < got; i++) {
			if (row[i].percent < 1.0)
				append(buf, len, &need, "%s %s <1%%", i ? "," : "", row[i].key);
			else
				append(buf, len, &need, "%s %s %.0f%%", i ? "," : "", row[i].key, row[i].percent);
		}
	}
	return need;
}
