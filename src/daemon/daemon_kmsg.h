/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's kernel-log watch (table-full records). */
#ifndef CTW_DAEMON_KMSG_H
#define CTW_DAEMON_KMSG_H

#include "daemon/manager.h"

/* Watch /dev/kmsg from its end. 0 (also when it cannot be watched: said once) or -errno. */
int ctw_daemon_watch_kmsg(struct ctw_daemon *d);

#endif
