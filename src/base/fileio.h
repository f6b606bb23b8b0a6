/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole reads and writes on a file descriptor, retrying on EINTR and short counts. */
#ifndef CTW_FILEIO_H
#define CTW_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Up to len bytes until EOF: the count read, or -errno. */
ssize_t ctw_read_all(int fd, char *buf, size_t len);
/* All of buf: 0 or -errno. */
int ctw_write_all(int fd, const void *buf, size_t len);
/* mkdir -p: the missing parents too (each with mode). 0 or -errno. */
int ctw_mkdir_p(const char *path, mode_t mode);

/* Open a file that might not be what it claims (config, state, status,
 * fixtures) for reading, without ever hanging: O_NONBLOCK, so a FIFO planted
 * at the path cannot block the open itself, then fstat on the open fd, so
 * the type checked is the type read. Anything but a regular file (or, with
 * CTW_OPEN_CHARDEV, a character device such as /dev/kmsg) is closed and
 * refused with -EINVAL; *st is filled then, so the caller can say what it is
 * (ctw_file_kind). CTW_OPEN_NOFOLLOW refuses a symlink (-ELOOP). path is
 * relative to dirfd (AT_FDCWD for the working directory). The fd keeps
 * O_NONBLOCK (no effect on regular files; what /dev/kmsg readers want).
 * Returns the fd or -errno. Every such open in ctwarden goes through here. */
#define CTW_OPEN_NOFOLLOW 0x1
#define CTW_OPEN_CHARDEV 0x2
int ctw_open_untrusted(int dirfd, const char *path, unsigned flags, struct stat *st);
/* "a FIFO", "a directory", "a character device"...: for "not a regular file (%s)". */
const char *ctw_file_kind(mode_t mode);
/* Owned by root or by the effective user, and not writable by group or
 * others: what a file (or directory) that steers the kernel as root needs. */
bool ctw_file_mode_trusted(const struct stat *st);

/* Replace dir/name with buf atomically: a temp file in dir (mode), fsync,
 * rename over name, fsync dir. On failure the old file is intact, no temp
 * file is left, -errno is returned and *step says what failed. */
int ctw_write_file_atomic(const char *dir, const char *name, const void *buf, size_t len, mode_t mode,
			  const char **step);

#endif
