/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One daemon per runtime_dir: a lock file holding the daemon's pid, so that
 * a second daemon and `ctwarden restore` can tell one is running. */
#ifndef CTW_RUNLOCK_H
#define CTW_RUNLOCK_H

#include <sys/types.h>

#define CTW_LOCK_FILE_NAME "ctwarden.pid"

/* Create runtime_dir if needed, lock its pid file and write our pid.
 * Returns the fd to keep open, -EBUSY when another process holds it
 * (*holder = its pid), or -errno. */
int ctw_runlock_acquire(const char *runtime_dir, pid_t *holder);
/* The pid of a running daemon holding the lock, 0 when none, or -errno. */
pid_t ctw_runlock_holder(const char *runtime_dir);

#endif
