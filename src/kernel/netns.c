#include "kernel/netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t ctw_netns_self_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static bool known(const struct ctw_netns_ref *refs, size_t n, uint64_t inode)
{
	for (size_t i = 0; i < n; i++)
		if (refs[i].inode == inode)
			return true;
	return false;
}

static void add(struct ctw_netns_ref *out, size_t max, size_t *n, const char *path, const char *name)
{
	struct stat st;

	if (*n >= max || stat(path, &st) < 0 || known(out, *n, (uint64_t)st.st_ino))
		return;
	out[*n].inode = (uint64_t)st.st_ino;
	snprintf(out[*n].path, sizeof(out[*n].path), "%s", path);
	snprintf(out[*n].name, sizeof(out[*n].name), "%s", name);
	(*n)++;
}

int ctw_netns_discover(const char *proc_dir, const char *run_netns_dir, struct ctw_netns_ref *out, size_t max)
{
	char path[96], name[CTW_NETNS_NAME_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/self/ns/net", proc_dir);
	add(out, max, &n, path, "host");
	if (n == 0)
		return -ENOENT;
	/* Named first, so a netns with a name is reported by it. */
	dir = opendir(run_netns_dir);
	if (dir) {
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%.40s", run_netns_dir, de->d_name);
			snprintf(name, sizeof(name), "%.40s", de->d_name);
			add(out, max, &n, path, name);
		}
		closedir(dir);
	}
	dir = opendir(proc_dir);
	if (!dir)
		return (int)n;
	while ((de = readdir(dir))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%ld/ns/net", proc_dir, pid);
		snprintf(name, sizeof(name), "pid %ld", pid);
		add(out, max, &n, path, name);
	}
	closedir(dir);
	return (int)n;
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
