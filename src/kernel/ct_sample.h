/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bounded sample of the conntrack table over ctnetlink: reads the first
 * `limit` entries of a dump and stops, so the cost does not grow with the table. */
#ifndef CTW_CT_SAMPLE_H
#define CTW_CT_SAMPLE_H

#include "kernel/host.h"

#define CTW_SAMPLE_LIMIT 1024

/* Fill *out with the dominant (protocol, destination port) of the sample. -errno. */
int ctw_ct_sample_ports(struct ctw_port_sample *out, unsigned limit);

#endif
