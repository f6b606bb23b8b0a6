/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Statistics from the best source available: ctnetlink, else procfs. */
#include "kernel/stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PROCFS_STATS_PATH "/proc/net/stat/nf_conntrack"

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
