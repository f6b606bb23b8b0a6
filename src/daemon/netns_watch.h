/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding namespaces as they appear: inotify on the directories where tools
 * bind-mount them (a new one is watched within milliseconds, a deleted one
 * forgotten at once), and a sentinel that notices an unnamed namespace
 * filling (the global conntrack object count outgrowing the watched counts). */
#ifndef CTW_NETNS_WATCH_H
#define CTW_NETNS_WATCH_H

#include <stdint.h>

#include "daemon/manager.h"

/* How often the sentinel reads the global object count (one small read):
 * as often as a flood at CTW_SENTINEL_FLOOD_RATE (or the fastest growth
 * seen) could take a new namespace to high water, at least every 100 ms
 * and at most every poll, where the poll timer does it (no extra wake-up). */
#define CTW_SENTINEL_MIN_US (100ULL * 1000)
#define CTW_SENTINEL_FLOOD_RATE 100000.0
/* "ip netns add" creates the file, then mounts: retry this often, this long. */
#define CTW_MOUNT_RETRY_US (1000ULL)
#define CTW_MOUNT_RETRY_FOR_US (2000ULL * 1000)

/* Start watching the configured directories and the sentinel. 0 or -errno;
 * a directory that does not exist yet is looked for again at every rescan. */
int ctw_netns_watch_start(struct ctw_daemon *d);
/* Add inotify watches for configured directories that appeared since. */
void ctw_netns_watch_refresh(struct ctw_daemon *d);
void ctw_netns_watch_stop(struct ctw_daemon *d);
/* From the poll timer: the sentinel's check when it has no timer of its own,
 * and its period for the max now. */
void ctw_netns_watch_after_poll(struct ctw_daemon *d, uint64_t now_us);

#endif
