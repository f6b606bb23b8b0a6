/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden run: the daemon's life (set-up, the loop, reload, exit). */
#ifndef CTW_DAEMON_H
#define CTW_DAEMON_H

#include <stdbool.h>

#include "base/conf.h"
#include "daemon/manager.h"

/* Set up everything; messages for the operator go to the journal or stderr.
 * 0 or -errno. */
int ctw_daemon_init(struct ctw_daemon *d, const char *config_path, bool config_explicit,
		    const struct ctw_config *cfg, const char *root);
/* Run until SIGTERM/SIGINT. Returns 0 or -errno. */
int ctw_daemon_run(struct ctw_daemon *d);
void ctw_daemon_fini(struct ctw_daemon *d);

#endif
