/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kubernetes pods by name, from the kubelet's log directory on the node: one
 * directory per pod, /var/log/pods/<namespace>_<name>_<uid> (read-only, no
 * API server needed). A pod's cgroup gives only its UID. */
#ifndef CTW_POD_NAME_H
#define CTW_POD_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* One entry of the log directory: true when it is "<namespace>_<name>_<uid>"
 * with a valid namespace (DNS label) and name (DNS subdomain) and its UID is
 * exactly uid; then writes both, NUL-terminated (false when they do not fit).
 * Pure (fuzzed). */
bool ctw_pod_log_entry_match(const char *entry, size_t len, const char *uid, char *ns, size_t nslen, char *pod,
			     size_t podlen);

/* The pod whose UID is uid, from the directory log_dir: 0, -ENOENT when no
 * entry names it, or -errno when log_dir cannot be read (absent is normal on
 * a host that is no Kubernetes node). */
int ctw_pod_lookup(const char *log_dir, const char *uid, char *ns, size_t nslen, char *pod, size_t podlen);

#endif
