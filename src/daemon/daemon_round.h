/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One round of the daemon: observe -> decide -> act -> tell. */
#ifndef CTW_DAEMON_ROUND_H
#define CTW_DAEMON_ROUND_H

#include <stdint.h>

#include "daemon/manager.h"

/* Read every watcher, run the policy, carry its decisions out, journal them,
 * publish the status. For the poll timer, the kernel-log watch and watchers
 * under pressure. 0 or -errno (the own count or max unreadable). */
int ctw_daemon_poll_round(struct ctw_daemon *d, uint64_t now_us);

#endif
