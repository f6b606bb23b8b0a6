/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t ctw_read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int ctw_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctw_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			return 0;
	}
}

int ctw_open_untrusted(int dirfd, const char *path, unsigned flags, struct stat *st)
{
	int fd, oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

	if (flags & CTW_OPEN_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = openat(dirfd, path, oflags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (S_ISREG(st->st_mode) || ((flags & CTW_OPEN_CHARDEV) && S_ISCHR(st->st_mode)))
		return fd;
	close(fd);
	return -EINVAL;
}

const char *ctw_file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symlink";
	default: return "of unknown type";
	}
}

bool ctw_file_mode_trusted(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int ctw_write_file_atomic(const char *dir, const char *name, const void *buf, size_t len, mode_t mode,
			  const char **step)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int dfd, fd = -1, r;

	*step = "naming the files";
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	*step = "opening the directory";
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	*step = "creating a temp file";
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		tmp[0] = '\0';
		goto fail;
	}
	*step = "setting the temp file's mode";
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto fail;
	}
	*step = "writing the temp file";
	r = ctw_write_all(fd, buf, len);
	if (r < 0)
		goto fail;
	*step = "syncing the temp file";
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	*step = "closing the temp file";
	r = close(fd);
	fd = -1;
	if (r < 0) {
		r = -errno;
		goto fail;
	}
	*step = "renaming the temp file over it";
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	tmp[0] = '\0';
	*step = "syncing the directory";
	r = fsync(dfd) < 0 ? -errno : 0;
	close(dfd);
	return r;
fail:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp);
	close(dfd);
	return r;
}
