/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing /proc/self/NAME (uid_map, gid_map, setgroups) whole, for the unit
 * tests that enter a user namespace of their own. */
#ifndef CTW_TEST_PROC_SELF_H
#define CTW_TEST_PROC_SELF_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* 0, or -errno when it cannot be opened or not all of text was written. */
static inline int write_proc_self(const char *name, const char *text)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		r = -errno;
	close(fd);
	return r;
}

#endif
