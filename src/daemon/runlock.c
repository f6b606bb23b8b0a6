/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"

static int lock_path(const char *runtime_dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", runtime_dir, CTW_LOCK_FILE_NAME);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static pid_t read_pid(int fd)
{
	char buf[24] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? (pid_t)strtol(buf, NULL, 10) : 0;
}

int ctw_runlock_acquire(const char *runtime_dir, pid_t *holder)
{
	char path[4096], pid[24];
	int fd, r, n;

	*holder = 0;
	r = ctw_mkdir_p(runtime_dir, 0755);
	if (r < 0)
		return r;
	r = lock_path(runtime_dir, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		*holder = read_pid(fd);
		close(fd);
		return r;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

pid_t ctw_runlock_holder(const char *runtime_dir)
{
	char path[4096];
	pid_t pid = 0;
	int fd, r;

	r = lock_path(runtime_dir, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			pid = read_pid(fd);
		else
			pid = -errno;
	}
	close(fd);
	return pid;
}
