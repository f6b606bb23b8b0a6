/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Statistics: counter names and deltas. */
#include "kernel/stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>


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
