/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One dump entry message parsed for a retirement pass: the entry, and where
 * its original tuple lies in the message, so a delete or an update can send
 * the tuple back exactly as the kernel gave it. */
#ifndef CTW_CT_ENTRY_MSG_H
#define CTW_CT_ENTRY_MSG_H

#include <stddef.h>

#include <netlink/attr.h>

#include "base/ct_entry.h"

/* Also declared in kernel/ct_retire.h, the pass's interface (this file is
 * its implementation's: ct_entry.c includes only this header, so the two
 * files do not depend on each other in a loop). 0, -ENOENT, -EINVAL. */
int ctw_ct_entry_parse(const void *msg, size_t len, struct ctw_ct_entry *e);

/* As ctw_ct_entry_parse; *tuple points at the CTA_TUPLE_ORIG attribute
 * inside msg (header included). */
int ctw_ct_entry_parse_msg(const void *msg, size_t len, struct ctw_ct_entry *e, const struct nlattr **tuple);

#endif
