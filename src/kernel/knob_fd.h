/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Knobs read again and again (the daemon's hot path): opened once, read with
 * pread at offset 0, so a poll costs one system call per value. */
#ifndef CTW_KNOB_FD_H
#define CTW_KNOB_FD_H

#include <stdint.h>

#include "kernel/knobs.h"

/* Open one knob under the root for repeated reads. An fd or -errno. */
int ctw_knob_open_fd(const struct ctw_knobs *k, enum ctw_knob id);
/* Read the value now. 0 or -errno (-EINVAL for junk). */
int ctw_knob_read_fd(int fd, uint64_t *out);

#endif
