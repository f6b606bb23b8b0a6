/* Statistics: names, choosing a source, and counter deltas. */
#include "kernel/stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PROCFS_STATS_PATH "/proc/net/stat/nf_conntrack"

static const char *const counter_names[CTW_CTR__COUNT] = {
	[CTW_CTR_FOUND] = "found",
	[CTW_CTR_INVALID] = "invalid",
	[CTW_CTR_INSERT] = "insert",
	[CTW_CTR_INSERT_FAILED] = "insert_failed",
	[CTW_CTR_DROP] = "drop",
	[CTW_CTR_EARLY_DROP] = "early_drop",
	[CTW_CTR_ERROR] = "error",
	[CTW_CTR_SEARCH_RESTART] = "search_restart",
	[CTW_CTR_CLASH_RESOLVE] = "clash_resolve",
	[CTW_CTR_CHAIN_TOOLONG] = "chaintoolong",
};

const char *ctw_counter_name(enum ctw_counter c)
{
	if ((unsigned)c >= CTW_CTR__COUNT)
		return "unknown";
	return counter_names[c];
}

const char *ctw_stats_source_name(enum ctw_stats_source s)
{
	switch (s) {
	case CTW_STATS_NETLINK:
		return "netlink";
	case CTW_STATS_PROCFS:
		return "procfs";
	case CTW_STATS_NONE:
		break;
	}
	return "none";
}

/* EPERM from nfnetlink is a missing capability, not a missing feature: say so. */
static const char *netlink_hint(int err)
{
	return err == -EPERM ? " (needs CAP_NET_ADMIN)" : "";
}

int ctw_stats_read(const struct ctw_knobs *k, bool use_netlink, struct ctw_stats *out)
{
	int nl_err = 0, proc_err;

	memset(out, 0, sizeof(*out));
	if (use_netlink) {
		nl_err = ctw_stats_read_netlink(out);
		if (nl_err == 0)
			return 0;
	}

	proc_err = ctw_stats_read_procfs(k, out);
	if (proc_err == 0) {
		if (use_netlink)
			snprintf(out->note, sizeof(out->note),
				 "netlink statistics: %s%s; using " PROCFS_STATS_PATH,
				 strerror(-nl_err), netlink_hint(nl_err));
		else
			snprintf(out->note, sizeof(out->note),
				 "netlink statistics disabled; using " PROCFS_STATS_PATH);
		return 0;
	}

	memset(out, 0, sizeof(*out));
	if (use_netlink)
		snprintf(out->note, sizeof(out->note),
			 "netlink statistics: %s%s; " PROCFS_STATS_PATH ": %s",
			 strerror(-nl_err), netlink_hint(nl_err), strerror(-proc_err));
	else
		snprintf(out->note, sizeof(out->note),
			 "netlink statistics disabled; " PROCFS_STATS_PATH ": %s",
			 strerror(-proc_err));
	/* The preferred source's error is the one worth acting on. */
	return use_netlink ? nl_err : proc_err;
}

/*
 * The kernel keeps each counter as a u32 per CPU and we report their sum, so
 * a sum can only go down when some CPU's counter wrapped past 2^32 (counters
 * are never reset while the module is loaded). When after < before we assume
 * the fewest wraps that explain it, i.e. add 2^32 until after >= before; the
 * result is then the difference modulo 2^32. Wraps hidden by a larger growth
 * elsewhere cannot be seen and are not counted: read often enough that no
 * per-CPU counter moves by 2^32 between two reads.
 */
uint64_t ctw_counter_delta(uint64_t before, uint64_t after)
{
	if (after >= before)
		return after - before;
	return (after - before) & UINT32_MAX;
}
