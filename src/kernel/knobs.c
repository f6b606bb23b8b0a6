/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nf_conntrack knobs under a root directory. All I/O goes through openat() and
 * fstatat() on the root's fd, so a fixture tree stands in for the real "/". */
#include "kernel/knobs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NF_DIR "proc/sys/net/netfilter/"
#define HASHSIZE_PATH "sys/module/nf_conntrack/parameters/hashsize"

#define KNOB_PATH(id, leaf, scope) [id] = NF_DIR leaf,

/* Paths relative to the root, from the one list in base/knob_names.h. */
static const char *const knob_paths[CTW_KNOB__COUNT] = {
	CTW_KNOB_LEAVES(KNOB_PATH)
};

static const char *knob_path(enum ctw_knob id)
{
	return (unsigned)id < CTW_KNOB__COUNT ? knob_paths[id] : NULL;
}

/* openat() ignores the dirfd for absolute paths: keep every path under the root. */
static const char *strip_slashes(const char *relpath)
{
	while (*relpath == '/')
		relpath++;
	return *relpath ? relpath : ".";
}

int ctw_knobs_open(struct ctw_knobs *k, const char *root)
{
	struct stat st;
	int fd;

	memset(k, 0, sizeof(*k));
	k->root_fd = -1;
	if (!root || !*root)
		root = "/";
	if (strlen(root) >= sizeof(k->root))
		return -ENAMETOOLONG;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	k->root_fd = fd;
	memcpy(k->root, root, strlen(root) + 1);

	/* Kernels before the writable nf_conntrack_buckets sysctl only have the
	 * module parameter; both resize the same hash. */
	if (fstatat(fd, knob_paths[CTW_KNOB_BUCKETS], &st, 0) < 0 && errno == ENOENT &&
	    fstatat(fd, HASHSIZE_PATH, &st, 0) == 0)
		k->buckets_via_hashsize = true;
	return 0;
}

void ctw_knobs_close(struct ctw_knobs *k)
{
	if (k->root_fd >= 0)
		close(k->root_fd);
	k->root_fd = -1;
}

const char *ctw_knob_path(const struct ctw_knobs *k, enum ctw_knob id)
{
	const char *path = knob_path(id);

	if (!path)
		return "";
	if (id == CTW_KNOB_BUCKETS && k && k->buckets_via_hashsize)
		return HASHSIZE_PATH;
	return path;
}

bool ctw_knobs_conntrack_loaded(const struct ctw_knobs *k)
{
	struct stat st;

	return fstatat(k->root_fd, knob_paths[CTW_KNOB_MAX], &st, 0) == 0;
}

bool ctw_knobs_global_writable(const struct ctw_knobs *k)
{
	struct stat st;

	if (fstatat(k->root_fd, knob_paths[CTW_KNOB_MAX], &st, 0) < 0)
		return false;
	return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0;
}

ssize_t ctw_root_read_file(const struct ctw_knobs *k, const char *relpath, char *buf, size_t len)
{
	size_t used = 0;
	int fd, err = 0;

	if (!buf || len == 0)
		return -EINVAL;
	fd = openat(k->root_fd, strip_slashes(relpath), O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* procfs reports size 0: read until EOF, never trust st_size. */
	for (;;) {
		char probe;
		ssize_t n;

		if (used < len - 1)
			n = read(fd, buf + used, len - 1 - used);
		else
			n = read(fd, &probe, 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		if (used == len - 1) {
			err = -EFBIG;
			break;
		}
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	return err ? err : (ssize_t)used;
}

int ctw_knob_parse_value(const char *buf, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		d = (unsigned)(buf[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int ctw_knob_read(const struct ctw_knobs *k, enum ctw_knob id, uint64_t *out)
{
	char buf[32];
	ssize_t n;

	if (!knob_path(id))
		return -EINVAL;
	n = ctw_root_read_file(k, ctw_knob_path(k, id), buf, sizeof(buf));
	if (n == -EFBIG)
		return -EINVAL;  /* no u64 takes 31 characters: junk */
	if (n < 0)
		return (int)n;
	return ctw_knob_parse_value(buf, (size_t)n, out);
}

int ctw_knob_write(const struct ctw_knobs *k, enum ctw_knob id, uint64_t value, uint64_t *readback)
{
	char buf[24];
	uint64_t now;
	ssize_t n;
	int fd, len, r;

	if (!knob_path(id) || id == CTW_KNOB_COUNT)
		return -EINVAL;
	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", value);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -EINVAL;

	/* O_TRUNC does nothing to procfs/sysfs but keeps a fixture file exact. */
	fd = openat(k->root_fd, ctw_knob_path(k, id), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* One write: the kernel parses each write() as a whole value. */
	do
		n = write(fd, buf, (size_t)len);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : n != len ? -EIO : 0;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return r;

	r = ctw_knob_read(k, id, &now);
	if (r < 0)
		return r;
	if (readback)
		*readback = now;
	return now == value ? 0 : -EIO;
}

/* Bounded concatenation: snprintf("%s") of unknown lengths trips -Wformat-truncation=2. */
static void append(char *buf, size_t len, size_t *used, const char *s)
{
	size_t n = strlen(s);

	if (*used + 1 >= len)
		return;
	if (n > len - 1 - *used)
		n = len - 1 - *used;
	memcpy(buf + *used, s, n);
	*used += n;
	buf[*used] = '\0';
}

const char *ctw_root_display_path(const struct ctw_knobs *k, const char *relpath, char *buf, size_t len)
{
	const char *root = k && k->root[0] ? k->root : "/";
	size_t rl = strlen(root), used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	while (*relpath == '/')
		relpath++;
	append(buf, len, &used, root);
	if (root[rl - 1] != '/')
		append(buf, len, &used, "/");
	append(buf, len, &used, relpath);
	return buf;
}

const char *ctw_knob_describe_error(const struct ctw_knobs *k, enum ctw_knob id, int err, char *buf, size_t len)
{
	size_t used;

	if (len == 0)
		return buf;
	ctw_root_display_path(k, ctw_knob_path(k, id), buf, len);
	used = strlen(buf);
	append(buf, len, &used, ": ");
	append(buf, len, &used, strerror(err < 0 ? -err : err));
	return buf;
}
