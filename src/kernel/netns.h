/* Network namespaces to watch. The table limit is checked per netns against
 * the global max, so a container's netns can be full while the host's is
 * empty: the daemon looks into every netns it can find (named ones under
 * /run/netns and those of running processes), one file and socket each. */
#ifndef CTW_NETNS_H
#define CTW_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTW_NETNS_NAME_MAX 64

struct ctw_netns_ref {
	uint64_t inode;                   /* as in "table full in netns N" */
	char path[96];                    /* how to open it: /run/netns/X or /proc/PID/ns/net */
	char name[CTW_NETNS_NAME_MAX];    /* "X" for /run/netns/X, "pid N", or "host" */
};

/* Find the network namespaces on this host (the caller's own first), each
 * once. Returns how many were stored (at most max) or -errno. proc_dir and
 * run_netns_dir are parameters so tests can point them at fixtures. */
int ctw_netns_discover(const char *proc_dir, const char *run_netns_dir, struct ctw_netns_ref *out, size_t max);

/* Run fn inside the netns of ref (setns and back). Needs CAP_SYS_ADMIN;
 * the caller must be single-threaded. Returns fn's result or -errno. */
int ctw_netns_enter(const struct ctw_netns_ref *ref, int (*fn)(void *userdata), void *userdata);

/* The inode of the caller's netns, 0 when unknown. */
uint64_t ctw_netns_self_inode(void);

#endif
