/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replacing a textfile-collector file atomically (see prom.h): node_exporter
 * reads *.prom files in its directory on every scrape, so the new content is
 * written to a temp file beside it and renamed over it in one step. */
#include "base/prom.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"

/* dir and base of path ("." for a bare name). false when it does not fit. */
static bool split_path(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		*base = path;
		return (size_t)snprintf(dir, dirlen, ".") < dirlen;
	}
	*base = slash + 1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= dirlen)
		return false;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return true;
}

/* "DIR/.BASE.XXXXXX" for mkostemp. false when it does not fit. */
static bool temp_name(const char *dir, const char *base, char *out, size_t len)
{
	static const char suffix[] = ".XXXXXX";
	size_t d = strlen(dir), b = strlen(base);

	if (d + 2 + b + sizeof(suffix) > len)
		return false;
	memcpy(out, dir, d);
	memcpy(out + d, "/.", 2);
	memcpy(out + d + 2, base, b);
	memcpy(out + d + 2 + b, suffix, sizeof(suffix));
	return true;
}

int ctw_prom_write_file(const char *path, const char *data, size_t len, const char **step)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base, *dummy;
	int fd = -1, dfd = -1, r;

	if (!step)
		step = &dummy;
	*step = "checking the path";
	if (!path || !split_path(path, dir, sizeof(dir), &base))
		return -ENAMETOOLONG;
	if (!base[0])
		return -EISDIR;
	if (!temp_name(dir, base, tmp, sizeof(tmp)))
		return -ENAMETOOLONG;
	*step = "creating a temp file";
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*step = "writing the temp file";
	r = ctw_write_all(fd, data, len);
	if (r < 0)
		goto fail;
	/* mkostemp made it 0600; the collector may run as another user. */
	*step = "setting the temp file's mode";
	if (fchmod(fd, 0644) < 0)
		goto fail_errno;
	*step = "syncing the temp file";
	if (fsync(fd) < 0)
		goto fail_errno;
	*step = "closing the temp file";
	r = close(fd);
	fd = -1;
	if (r < 0)
		goto fail_errno;
	*step = "renaming the temp file over it";
	if (rename(tmp, path) < 0)
		goto fail_errno;
	/* The new content is in place; make the rename survive a crash too. */
	*step = "syncing the directory";
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	close(dfd);
	*step = "";
	return 0;

fail_errno:
	r = -errno;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}
