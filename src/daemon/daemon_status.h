/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the daemon believes, published to runtime_dir/status.json. */
#ifndef CTW_DAEMON_STATUS_H
#define CTW_DAEMON_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/manager.h"

void ctw_daemon_status_init(struct ctw_daemon *d);
void ctw_daemon_status_decision(struct ctw_daemon *d, const struct ctw_decision *dec, bool applied);
/* Rewrite status.json when something moved (rate-limited), or after a decision. */
void ctw_daemon_status_publish(struct ctw_daemon *d, const struct ctw_poll *p, uint64_t now_us);
void ctw_daemon_status_remove(struct ctw_daemon *d);

#endif
