/* SPDX-License-Identifier: GPL-2.0-or-later */
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
	char path[160];                    /* how to open it: /run/netns/X or /proc/PID/ns/net */
	char name[CTW_NETNS_NAME_MAX];    /* "X" for /run/netns/X, "pid N", or "host" */
};

/* Called for each namespace found; return false to stop the scan. */
typedef bool (*ctw_netns_found_fn)(const struct ctw_netns_ref *ref, void *ud);
/* Called for a namespace that exists but could not be looked at (stat failed
 * with something other than ENOENT: EACCES, EMFILE...). */
typedef void (*ctw_netns_failed_fn)(const char *path, const char *name, int err, void *ud);

/* Every namespace bind-mounted in dirs (named after the file: "X" for
 * /run/netns/X, "docker X" under a directory whose path contains "docker"),
 * then those of processes under proc_dir (named after their container when
 * their cgroup tells, else "pid N"). The same namespace may be reported more
 * than once (the caller keeps a set by inode); a file in dirs that is not a
 * namespace yet (ip netns add creates it, then mounts) is skipped. No limit
 * on how many. 0 or -errno when proc_dir cannot be read. */
int ctw_netns_scan(const char *proc_dir, const char *const *dirs, size_t ndirs, ctw_netns_found_fn found,
		   ctw_netns_failed_fn failed, void *ud);

/* A process's namespace found by ctw_netns_scan is named "pid N"; name it
 * after its container when its cgroup tells (one small read). */
void ctw_netns_name_pid(const char *proc_dir, struct ctw_netns_ref *ref);
/* The same, and a Kubernetes pod "pod NAMESPACE/NAME" when pod_log_dir (the
 * kubelet's /var/log/pods; NULL or "" for none) has its UID, else "pod UID". */
void ctw_netns_name_pid_pod(const char *proc_dir, const char *pod_log_dir, struct ctw_netns_ref *ref);

/* One file of a namespace directory: fills ref when path is a mounted
 * network namespace. 0, -EAGAIN when it exists but is not mounted yet, or
 * -errno. */
int ctw_netns_ref_from_file(const char *dir, const char *file, struct ctw_netns_ref *ref);

/* Run fn inside the netns of ref (setns and back). Needs CAP_SYS_ADMIN;
 * the caller must be single-threaded. Returns fn's result or -errno. */
int ctw_netns_enter(const struct ctw_netns_ref *ref, int (*fn)(void *userdata), void *userdata);

/* The inode of the caller's netns, 0 when unknown. */
uint64_t ctw_netns_self_inode(void);

#endif
