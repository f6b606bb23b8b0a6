/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names for network namespaces an operator recognizes: the container runtime's
 * name where a process's cgroup tells it cheaply, else "pid N". */
#ifndef CTW_NETNS_NAME_H
#define CTW_NETNS_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* From the text of /proc/PID/cgroup: "docker 1a2b3c4d5e6f" (docker-<id>.scope or
 * /docker/<id>), "podman 1a2b3c4d5e6f" (libpod-<id>.scope), "pod <uid>"
 * (kubepods ... pod<uid>, before any container under it), "lxc <name>" (lxc.payload.<name>). Writes a
 * NUL-terminated name and returns true, or false when the cgroup names no
 * container. Pure (fuzzed). */
bool ctw_netns_name_from_cgroup(const char *text, size_t len, char *name, size_t namelen);

/* A name "pod NAMESPACE/NAME" (a pod found in the kubelet's log directory,
 * see kernel/pod_name.h) split into its two parts; false for any other name
 * or when a part does not fit. */
bool ctw_netns_name_pod(const char *name, char *ns, size_t nslen, char *pod, size_t podlen);

#endif
