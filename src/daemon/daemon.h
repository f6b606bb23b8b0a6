/* ctwarden run: the daemon. One struct owns the sd-event loop, its sources,
 * the config and every module's state (after systemd-oomd's Manager). */
#ifndef CTW_DAEMON_H
#define CTW_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "daemon/actuator.h"
#include "base/conf.h"
#include "kernel/events.h"
#include "policy/rates.h"
#include "base/topk.h"
#include "daemon/journal.h"
#include "kernel/knobs.h"
#include "policy/policy.h"
#include "daemon/poller.h"
#include "daemon/status.h"

struct ctw_daemon {
	sd_event *event;
	sd_event_source *poll_timer;
	sd_event_source *kmsg_source;

	const char *config_path;
	bool config_explicit;
	struct ctw_config cfg;

	struct ctw_knobs knobs;
	bool live;                    /* root is "/": netlink and namespaces usable */
	struct ctw_poller poller;
	struct ctw_actuator actuator;
	struct ctw_policy_state policy;
	struct ctw_journal journal;

	uint64_t objsize, memtotal;   /* memory facts, read at start and on reload */
	bool ready;                   /* READY=1 sent after the first good poll */
	bool poll_failing;            /* the last poll failed (said once) */
	uint64_t drops_total;         /* drops seen since start, for STATUS */
	char status[512];             /* last STATUS= sent */

	/* Conntrack events of our own netns (daemon_events.c). */
	struct ctw_events *events;    /* NULL: not subscribed */
	sd_event_source *events_source, *events_resume;
	struct ctw_rates rates;
	struct ctw_top top;           /* who fills the table, recent NEW flows */
	bool top_ready;
	bool events_failing;
	uint64_t top_halved_us, event_round_us;
	uint64_t last_max;            /* max at the last poll, for projections */

	struct ctw_status status_file;/* what `ctwarden status` reads */
	bool status_dirty;            /* a decision since the last write */
	bool status_failing;          /* the last write failed (said once) */
	uint64_t status_written_us;
};

/* Set up everything; messages for the operator go to the journal or stderr.
 * 0 or -errno. */
int ctw_daemon_init(struct ctw_daemon *d, const char *config_path, bool config_explicit,
		    const struct ctw_config *cfg, const char *root);
/* Run until SIGTERM/SIGINT. Returns 0 or -errno. */
int ctw_daemon_run(struct ctw_daemon *d);
void ctw_daemon_fini(struct ctw_daemon *d);

/* One poll round: read, decide, act, tell. For the timer and the watchers. */
int ctw_daemon_poll_round(struct ctw_daemon *d, uint64_t now_us);

/* runtime_dir/status.json (daemon_status.c). */
void ctw_daemon_status_init(struct ctw_daemon *d);
void ctw_daemon_status_decision(struct ctw_daemon *d, const struct ctw_decision *dec, bool applied);
void ctw_daemon_status_publish(struct ctw_daemon *d, const struct ctw_poll *p, uint64_t now_us);
void ctw_daemon_status_remove(struct ctw_daemon *d);
/* Events, rates and top talkers (daemon_events.c). */
int ctw_daemon_watch_events(struct ctw_daemon *d);
void ctw_daemon_events_fini(struct ctw_daemon *d);
void ctw_daemon_events_anchor(struct ctw_daemon *d, uint64_t own_count);
bool ctw_daemon_events_growth(const struct ctw_daemon *d, double *growth_per_s);
void ctw_daemon_status_fill_events(struct ctw_daemon *d, struct ctw_status *st);
bool ctw_daemon_events_moved(const struct ctw_daemon *d, const struct ctw_status *st);

/* Watch /dev/kmsg for new table-full records (daemon_kmsg.c). */
int ctw_daemon_watch_kmsg(struct ctw_daemon *d);

/* "top sources: ...; top ports: ..." from the recent NEW events, "" when
 * events are not watched. */
void ctw_daemon_top_line(struct ctw_daemon *d, char *buf, size_t len);

#endif
