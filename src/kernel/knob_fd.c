/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Knobs opened once and read with pread. */
#include "kernel/knob_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int ctw_knob_open_fd(const struct ctw_knobs *k, enum ctw_knob id)
{
	int fd = openat(k->root_fd, ctw_knob_path(k, id), O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

int ctw_knob_read_fd(int fd, uint64_t *out)
{
	char buf[32];
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(buf))
		return -EINVAL;
	return ctw_knob_parse_value(buf, (size_t)n, out);
}
