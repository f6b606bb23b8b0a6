/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conntrack statistics: per-CPU counters summed, and global entries/max.
 * Sources: ctnetlink (IPCTNL_MSG_CT_GET_STATS_CPU / _STATS via libnl-3), or
 * /proc/net/stat/nf_conntrack parsed by header name. */
#ifndef CTW_STATS_H
#define CTW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctw_knobs;

enum ctw_counter {
	CTW_CTR_FOUND,
	CTW_CTR_INVALID,
	CTW_CTR_INSERT,
	CTW_CTR_INSERT_FAILED,
	CTW_CTR_DROP,
	CTW_CTR_EARLY_DROP,
	CTW_CTR_ERROR,
	CTW_CTR_SEARCH_RESTART,
	CTW_CTR_CLASH_RESOLVE,
	CTW_CTR_CHAIN_TOOLONG,
	CTW_CTR__COUNT
};

struct ctw_counters {
	uint64_t value[CTW_CTR__COUNT]; /* sums over CPUs of u32 per-CPU counters */
	uint32_t present;               /* bit (1u << counter) set when a source reported it */
	unsigned ncpu;                  /* rows / messages summed */
};

enum ctw_stats_source { CTW_STATS_NONE, CTW_STATS_NETLINK, CTW_STATS_PROCFS };

struct ctw_stats {
	enum ctw_stats_source source;
	struct ctw_counters counters;
	bool have_entries;
	uint64_t entries;   /* this netns's count */
	bool have_max;
	uint64_t max;
	char note[256];     /* why a source was not used, for the report ("" if none) */
};

/* JSON/report names: "found", "invalid", "insert", "insert_failed", "drop", "early_drop",
 * "error", "search_restart", "clash_resolve", "chaintoolong". */
const char *ctw_counter_name(enum ctw_counter c);
const char *ctw_stats_source_name(enum ctw_stats_source s); /* "netlink", "procfs", "none" */

/* Pure parsers (fuzzed). */
/* /proc/net/stat/nf_conntrack text: header line then hex rows. -EINVAL when malformed.
 * On success *out is replaced (source CTW_STATS_PROCFS, counters, entries); on error untouched. */
int ctw_stats_parse_procfs(const char *buf, size_t len, struct ctw_stats *out);
/* One IPCTNL_MSG_CT_GET_STATS_CPU message's attributes (after nfgenmsg): added to acc,
 * ncpu incremented. attrs must be 4-byte aligned, as in a netlink message. -EINVAL for
 * short attributes or trailing garbage; acc untouched then. */
int ctw_stats_parse_cpu_attrs(const void *attrs, size_t len, struct ctw_counters *acc);
/* IPCTNL_MSG_CT_GET_STATS attributes: entries and max. */
int ctw_stats_parse_global_attrs(const void *attrs, size_t len, struct ctw_stats *out);

/* I/O. */
int ctw_stats_read_netlink(struct ctw_stats *out);                       /* -errno */
int ctw_stats_read_procfs(const struct ctw_knobs *k, struct ctw_stats *out); /* -errno */
/* Netlink first (when use_netlink), then procfs; out->source says which worked,
 * out->note why the other did not. -errno when neither worked. */
int ctw_stats_read(const struct ctw_knobs *k, bool use_netlink, struct ctw_stats *out);

/* A reusable ctnetlink statistics socket, for a poll loop that reads every
 * interval without reopening. open/read return -errno (-EPERM without
 * CAP_NET_ADMIN: the socket opens, the kernel refuses the request). read fills
 * *out (source CTW_STATS_NETLINK) only on success. close accepts NULL. */
struct ctw_stats_nl;
int ctw_stats_nl_open(struct ctw_stats_nl **out);
int ctw_stats_nl_read(struct ctw_stats_nl *h, struct ctw_stats *out);
void ctw_stats_nl_close(struct ctw_stats_nl *h);

/* Increase of a summed counter between two reads; tolerant of 32-bit per-CPU wrap. */
uint64_t ctw_counter_delta(uint64_t before, uint64_t after);

#endif
