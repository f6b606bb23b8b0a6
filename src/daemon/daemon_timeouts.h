/* Timeouts where the pressure is. Timeouts are per network namespace: the
 * namespace under pressure gets its own shortened (inside it), and each
 * namespace's are restored when its own usage stayed low; the host's are
 * never changed because a container is full. */
#ifndef CTW_DAEMON_TIMEOUTS_H
#define CTW_DAEMON_TIMEOUTS_H

#include "daemon/manager.h"
#include "daemon/poller.h"

/* After the round's global decisions (max, hash, alerts): run the policy's
 * timeout rules for the namespace under pressure and for every namespace
 * with timeouts still shortened. global: the round's snapshot, max updated. */
void ctw_daemon_timeouts_round(struct ctw_daemon *d, const struct ctw_snapshot *global, const struct ctw_poll *p);

#endif
