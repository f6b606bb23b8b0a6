/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who fills the table, from one ctnetlink dump of it (IPv4 and IPv6): counts
 * by source, destination, destination port, protocol and TCP state, as
 * iptstate shows them. Memory is fixed at init (one Space-Saving summary of
 * `capacity` keys per big dimension, one receive buffer), whatever the size of
 * the table; nothing is allocated per entry. */
#ifndef CTW_CT_TOP_H
#define CTW_CT_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/ct_entry.h"
#include "base/flow.h"
#include "base/topk.h"

/* Keys watched per dimension: counts are exact up to this many distinct
 * sources (destinations, ports), upper bounds within entries / capacity after. */
#define CTW_CT_TOP_CAPACITY 1024

struct ctw_ct_top {
	struct ctw_top top;
	uint64_t entries;       /* entries the dump returned */
	uint64_t unparsed;      /* entry messages without a usable tuple (not counted) */
	bool interrupted;       /* NLM_F_DUMP_INTR: the table changed during the dump */
	bool done;              /* NLMSG_DONE seen */
	uint64_t limit;         /* stop after this many entries (0: the whole table) */
	/* When set: called with every entry counted (the audit's idle-age
	 * histogram, which policy/ computes: kernel/ only hands it over). */
	void (*on_entry)(void *ud, const struct ctw_ct_entry *e);
	void *on_entry_ud;
};

/* -EINVAL, -ENOMEM. */
int ctw_ct_top_init(struct ctw_ct_top *t, unsigned capacity);
void ctw_ct_top_free(struct ctw_ct_top *t);

/* Dump this netns's table over ctnetlink and count every entry into *t.
 * 0, or -errno: -EPERM without CAP_NET_ADMIN, -ETIMEDOUT when the kernel
 * stops answering, -ENOMEM. */
int ctw_ct_top_dump(struct ctw_ct_top *t);

/* Pure parsing, for the dump and the tests: take one receive buffer of
 * netlink messages. Returns 1 after NLMSG_DONE, 0 when more is to come, or
 * the kernel's -errno from an NLMSG_ERROR; malformed messages are skipped. */
int ctw_ct_top_feed(struct ctw_ct_top *t, const void *buf, size_t len);

#endif
