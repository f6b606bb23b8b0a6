/* A bounded sample of the table: the first entries of a ctnetlink dump.
 * The kernel fills the dump one socket buffer at a time, so stopping after
 * `limit` entries costs the same whether the table holds 10k or 10M entries;
 * the dump runs in hash order, which makes the head a fair sample. */
#include "ct_sample.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

/* Open addressing over (protocol, port); sized for limit distinct keys. */
struct port_slot {
	uint32_t key;      /* proto << 16 | port, +1 so 0 means empty */
	uint32_t count;
};

struct sample_state {
	struct port_slot *slots;
	unsigned nslots;   /* power of two, > 2 x limit */
	unsigned limit;
	uint64_t sampled;
};

static void count_key(struct sample_state *st, uint32_t key)
{
	unsigned i = (key * 2654435761u) & (st->nslots - 1);

	while (st->slots[i].key != 0 && st->slots[i].key != key)
		i = (i + 1) & (st->nslots - 1);
	st->slots[i].key = key;
	st->slots[i].count++;
}

static int sample_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct sample_state *st = data;
	uint8_t proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	    proto == IPPROTO_UDPLITE) {
		uint16_t port = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
		count_key(st, ((uint32_t)proto << 16 | port) + 1);
	}
	st->sampled++;
	return st->sampled >= st->limit ? NFCT_CB_STOP : NFCT_CB_CONTINUE;
}

int ctw_ct_sample_ports(struct ctw_port_sample *out, unsigned limit)
{
	struct sample_state st = { .limit = limit ? limit : 1 };
	struct nfct_handle *h;
	uint32_t family = AF_UNSPEC;
	int r = 0;

	memset(out, 0, sizeof(*out));
	st.nslots = 1;
	while (st.nslots < 2 * st.limit + 1)
		st.nslots <<= 1;
	st.slots = calloc(st.nslots, sizeof(*st.slots));
	if (!st.slots)
		return -ENOMEM;
	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		r = -errno;
		goto out;
	}
	if (nfct_callback_register(h, NFCT_T_ALL, sample_cb, &st) < 0) {
		r = -errno;
		goto close;
	}
	/* Returns early (with an error or not) when the callback stops the dump. */
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0 && st.sampled == 0 && errno != 0) {
		r = -errno;
		goto close;
	}
	out->taken = true;
	out->sampled = st.sampled;
	for (unsigned i = 0; i < st.nslots; i++) {
		if (st.slots[i].count > out->top_count) {
			uint32_t key = st.slots[i].key - 1;
			out->top_count = st.slots[i].count;
			out->top_proto = (uint8_t)(key >> 16);
			out->top_port = (uint16_t)(key & 0xffff);
		}
	}
close:
	nfct_close(h);
out:
	free(st.slots);
	return r;
}
