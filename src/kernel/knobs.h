/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel knobs of nf_conntrack, read and written relative to a root directory
 * (default "/"; tests point it at a fixture tree). Every write is read back. */
#ifndef CTW_KNOBS_H
#define CTW_KNOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/knob_names.h"  /* enum ctw_knob, sysctl names, scope */
#include "base/timeouts.h"

struct ctw_knobs {
	int root_fd;              /* O_PATH|O_DIRECTORY fd of the root */
	char root[4096];          /* the root as given, for messages */
	bool buckets_via_hashsize;/* nf_conntrack_buckets absent: use the module parameter */
};

/* Open the root. -errno on failure. */
int ctw_knobs_open(struct ctw_knobs *k, const char *root);
void ctw_knobs_close(struct ctw_knobs *k);

/* Path relative to the root in use ("proc/sys/net/netfilter/nf_conntrack_max"). */
const char *ctw_knob_path(const struct ctw_knobs *k, enum ctw_knob id);

/* Is nf_conntrack loaded (its sysctl directory exists)? */
bool ctw_knobs_conntrack_loaded(const struct ctw_knobs *k);
/* Are the global knobs writable from here (initial netns)? Decided from the
 * knob's file mode (0444 outside the initial netns), not from privileges. */
bool ctw_knobs_global_writable(const struct ctw_knobs *k);

/* Parse a knob's text: strict decimal, one optional trailing newline. 0,
 * -EINVAL for anything else, -ERANGE above UINT64_MAX. Pure (fuzzed). */
int ctw_knob_parse_value(const char *buf, size_t len, uint64_t *out);

/* Read a decimal value. 0 or -errno (-EINVAL for junk). */
int ctw_knob_read(const struct ctw_knobs *k, enum ctw_knob id, uint64_t *out);
/* Write a value then read it back into *readback (may be NULL). 0, -errno from
 * the write, or -EIO when the kernel kept a different value (readback says which). */
int ctw_knob_write(const struct ctw_knobs *k, enum ctw_knob id, uint64_t value, uint64_t *readback);

/* Read a whole small file under the root into buf (NUL-terminated). Returns
 * bytes read or -errno; -EFBIG if it does not fit. */
ssize_t ctw_root_read_file(const struct ctw_knobs *k, const char *relpath, char *buf, size_t len);

/* "<root>/<relpath>" for messages ("/proc/slabinfo" for the root "/"). Returns buf. */
const char *ctw_root_display_path(const struct ctw_knobs *k, const char *relpath, char *buf, size_t len);

/* "<root>/<knob path>: <strerror(-err)>", the form every caller reports a knob
 * error in ("/proc/sys/net/netfilter/nf_conntrack_max: Permission denied").
 * For -EIO from ctw_knob_write the caller should add the value read back. Returns buf. */
const char *ctw_knob_describe_error(const struct ctw_knobs *k, enum ctw_knob id, int err, char *buf, size_t len);

#endif
