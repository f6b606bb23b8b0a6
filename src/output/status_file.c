/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status.json on disk: written atomically by the daemon, read by `ctwarden status`. */
#include "output/status.h"
#include "output/status_internal.h"
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <json-c/json.h>

#define TMP_SUFFIX ".tmp"
/* Pretty: the file is also read by people (cat, --json). */
#define STATUS_JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- files -------------------------------------------------------------- */

int ctw_status_path(const char *runtime_dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", runtime_dir, CTW_STATUS_FILE_NAME);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	/* The trailing newline goes with the text, in one call. */
	struct iovec iov[2] = { { (void *)text, len }, { (void *)"\n", 1 } };
	size_t left = len + 1;

	while (left > 0) {
		ssize_t n = writev(fd, iov, 2);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		left -= (size_t)n;
		for (int i = 0; i < 2 && n > 0; i++) {
			size_t take = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + take;
			iov[i].iov_len -= take;
			n -= (ssize_t)take;
		}
	}
	return 0;
}

static int open_temp(const char *runtime_dir, const char *tmp)
{
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
	int fd = open(tmp, flags, 0644);

	if (fd < 0 && errno == ENOENT) {
		int r = ctw_mkdir_p(runtime_dir, 0755);

		if (r < 0)
			return r;
		fd = open(tmp, flags, 0644);
	}
	if (fd < 0)
		return -errno;
	/* Readable by an unprivileged `ctwarden status` whatever the umask. */
	if (fchmod(fd, 0644) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int ctw_status_write(const char *runtime_dir, const struct ctw_status *st)
{
	char path[CTW_CONF_PATH_MAX + sizeof(CTW_STATUS_FILE_NAME) + 1];
	char tmp[sizeof(path) + sizeof(TMP_SUFFIX) + 1];
	struct json_object *root;
	const char *text;
	size_t len;
	int fd, r;

	r = ctw_status_path(runtime_dir, path, sizeof(path));
	if (r < 0)
		return r;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s%s", runtime_dir, CTW_STATUS_FILE_NAME, TMP_SUFFIX) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	root = ctw_status_to_json(st);
	if (!root)
		return -ENOMEM;
	text = json_object_to_json_string_length(root, STATUS_JSON_FLAGS, &len);
	if (!text) {
		json_object_put(root);
		return -ENOMEM;
	}
	fd = open_temp(runtime_dir, tmp);
	if (fd < 0) {
		json_object_put(root);
		return fd;
	}
	r = write_all(fd, text, len);
	json_object_put(root);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int ctw_status_remove(const char *runtime_dir)
{
	char path[CTW_CONF_PATH_MAX + sizeof(CTW_STATUS_FILE_NAME) + 1];
	int r = ctw_status_path(runtime_dir, path, sizeof(path));

	if (r < 0)
		return r;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int ctw_status_load(const char *path, struct ctw_status *out, char *text, size_t textlen,
		    char *err, size_t errlen)
{
	struct stat st;
	size_t limit;
	ssize_t n;
	int fd, r;

	memset(out, 0, sizeof(*out));
	if (textlen < 2)
		return -EINVAL;
	/* Read one byte more than allowed to tell "exactly full" from "too big". */
	limit = textlen - 1 < CTW_STATUS_FILE_MAX + 1 ? textlen - 1 : CTW_STATUS_FILE_MAX + 1;
	fd = ctw_open_untrusted(AT_FDCWD, path, 0, &st);  /* a FIFO must not hang "status" */
	if (fd == -EINVAL) {
		ctw_set_err(err, errlen, "not a regular file (%s)", ctw_file_kind(st.st_mode));
		return fd;
	}
	if (fd < 0) {
		r = fd;
		ctw_set_err(err, errlen, "cannot open: %s", strerror(-r));
		return r;
	}
	n = ctw_read_all(fd, text, limit);
	close(fd);
	if (n < 0) {
		ctw_set_err(err, errlen, "cannot read: %s", strerror((int)-n));
		text[0] = '\0';
		return (int)n;
	}
	if ((size_t)n == limit) {
		ctw_set_err(err, errlen, "larger than %zu bytes", limit - 1);
		text[0] = '\0';
		return -EFBIG;
	}
	text[n] = '\0';
	return ctw_status_parse(text, (size_t)n, out, err, errlen);
}
