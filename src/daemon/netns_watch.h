/* Finding namespaces as they appear: inotify on the directories where tools
 * bind-mount them (a new one is watched within milliseconds, a deleted one
 * forgotten at once), and a sentinel that notices an unnamed namespace
 * filling (the global conntrack object count outgrowing the watched counts). */
#ifndef CTW_NETNS_WATCH_H
#define CTW_NETNS_WATCH_H

#include <stdint.h>

#include "daemon/manager.h"

/* How often the sentinel reads the global object count (one small read). */
#define CTW_SENTINEL_US (100ULL * 1000)
/* "ip netns add" creates the file, then mounts: retry this often, this long. */
#define CTW_MOUNT_RETRY_US (1000ULL)
#define CTW_MOUNT_RETRY_FOR_US (2000ULL * 1000)

/* Start watching the configured directories and the sentinel. 0 or -errno;
 * a directory that does not exist yet is looked for again at every rescan. */
int ctw_netns_watch_start(struct ctw_daemon *d);
/* Add inotify watches for configured directories that appeared since. */
void ctw_netns_watch_refresh(struct ctw_daemon *d);
void ctw_netns_watch_stop(struct ctw_daemon *d);

#endif
