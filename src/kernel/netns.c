/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kernel/netns.h"
#include "kernel/netns_name.h"
#include "kernel/pod_name.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

uint64_t ctw_netns_self_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* "docker X" for Docker's sandboxes, the file's name elsewhere. */
static void name_for_file(const char *dir, const char *file, char *name, size_t len)
{
	if (strstr(dir, "docker"))
		snprintf(name, len, "docker %.40s", file);
	else
		snprintf(name, len, "%.60s", file);
}

int ctw_netns_ref_from_file(const char *dir, const char *file, struct ctw_netns_ref *ref)
{
	struct statfs fs;
	struct stat st;
	int n;

	memset(ref, 0, sizeof(*ref));
	n = snprintf(ref->path, sizeof(ref->path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(ref->path))
		return -ENAMETOOLONG;
	/* Before the bind mount the file is a plain empty file on tmpfs. */
	if (statfs(ref->path, &fs) < 0 || stat(ref->path, &st) < 0)
		return -errno;
	if (fs.f_type != NSFS_MAGIC)
		return -EAGAIN;
	ref->inode = (uint64_t)st.st_ino;
	name_for_file(dir, file, ref->name, sizeof(ref->name));
	return 0;
}

/* "pod UID" becomes "pod NAMESPACE/NAME" when the kubelet's log directory
 * has that UID; else it stays as it is. */
static void name_pod(const char *pod_log_dir, char *name, size_t len)
{
	char uid[64], ns[64], pod[256], full[sizeof(ns) + sizeof(pod) + 8];

	if (!pod_log_dir || !pod_log_dir[0] || strncmp(name, "pod ", 4) != 0)
		return;
	snprintf(uid, sizeof(uid), "%s", name + 4);
	if (ctw_pod_lookup(pod_log_dir, uid, ns, sizeof(ns), pod, sizeof(pod)) < 0)
		return;
	/* A long name is cut to the name's room, like any other. */
	snprintf(full, sizeof(full), "pod %s/%s", ns, pod);
	if (len) {
		size_t n = strnlen(full, len - 1);

		memcpy(name, full, n);
		name[n] = '\0';
	}
}

static void name_for_pid(const char *proc_dir, const char *pod_log_dir, long pid, char *name, size_t len)
{
	char path[4096], text[1024];   /* proc_dir may be a long fixture path */
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%ld/cgroup", proc_dir, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n > 0) {
			text[n] = '\0';
			if (ctw_netns_name_from_cgroup(text, (size_t)n, name, len)) {
				name_pod(pod_log_dir, name, len);
				return;
			}
		}
	}
	snprintf(name, len, "pid %ld", pid);
}

int ctw_netns_scan(const char *proc_dir, const char *const *dirs, size_t ndirs, ctw_netns_found_fn found,
		   ctw_netns_failed_fn failed, void *ud)
{
	struct ctw_netns_ref ref;
	struct dirent *de;
	DIR *dir;

	for (size_t i = 0; i < ndirs; i++) {
		dir = opendir(dirs[i]);
		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			int r;

			if (de->d_name[0] == '.')
				continue;
			r = ctw_netns_ref_from_file(dirs[i], de->d_name, &ref);
			if (r == 0) {
				if (!found(&ref, ud))
					break;
			} else if (r != -EAGAIN && r != -ENOENT && failed) {
				char name[CTW_NETNS_NAME_MAX];

				name_for_file(dirs[i], de->d_name, name, sizeof(name));
				failed(ref.path, name, r, ud);
			}
		}
		closedir(dir);
	}
	dir = opendir(proc_dir);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct stat st;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		memset(&ref, 0, sizeof(ref));
		snprintf(ref.path, sizeof(ref.path), "%s/%ld/ns/net", proc_dir, pid);
		if (stat(ref.path, &st) < 0) {
			/* Kernel threads and exited processes have none. A process
			 * we may not examine (EACCES: another user namespace's, such
			 * as a sandbox's init) tells nothing, not even whether its
			 * namespace is one we watch; a filling one still shows in
			 * the global object count. Anything else is worth saying. */
			if (errno != ENOENT && errno != ESRCH && errno != EACCES && errno != EPERM && failed) {
				char name[CTW_NETNS_NAME_MAX];

				snprintf(name, sizeof(name), "pid %ld", pid);
				failed(ref.path, name, -errno, ud);
			}
			continue;
		}
		ref.inode = (uint64_t)st.st_ino;
		/* The name is looked up by the caller's callback only when new:
		 * fill it lazily through ctw_netns_name_pid. */
		snprintf(ref.name, sizeof(ref.name), "pid %ld", pid);
		if (!found(&ref, ud))
			break;
	}
	closedir(dir);
	return 0;
}

void ctw_netns_name_pid_pod(const char *proc_dir, const char *pod_log_dir, struct ctw_netns_ref *ref)
{
	long pid;

	if (sscanf(ref->name, "pid %ld", &pid) == 1)
		name_for_pid(proc_dir, pod_log_dir, pid, ref->name, sizeof(ref->name));
}

void ctw_netns_name_pid(const char *proc_dir, struct ctw_netns_ref *ref)
{
	ctw_netns_name_pid_pod(proc_dir, NULL, ref);
}

int ctw_netns_enter(const struct ctw_netns_ref *ref, int (*fn)(void *userdata), void *userdata)
{
	int self, target, r, back;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	target = open(ref->path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		r = -errno;
		close(self);
		return r;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	r = fn(userdata);
	back = setns(self, CLONE_NEWNET);
	if (back < 0) {
		/* Stuck in the wrong netns: every later read would lie. */
		fprintf(stderr, "ctwarden: cannot return to the initial network namespace: %s\n", strerror(errno));
		abort();
	}
out:
	close(target);
	close(self);
	return r;
}
