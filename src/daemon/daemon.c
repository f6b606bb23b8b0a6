/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's life: set-up, the sd-event loop (poll timer, signals,
 * watchdog), reload on SIGHUP, notifications to systemd. */
#include "daemon/daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "daemon/daemon_http.h"
#include "daemon/daemon_kmsg.h"
#include "daemon/daemon_metrics.h"
#include "daemon/daemon_outside.h"
#include "daemon/daemon_retire.h"
#include "daemon/daemon_round.h"
#include "daemon/daemon_status.h"
#include "daemon/netns_watch.h"
#include "kernel/memory.h"

static void say(struct ctw_daemon *d, enum ctw_event kind, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void say(struct ctw_daemon *d, enum ctw_event kind, const char *reason, const char *fmt, ...)
{
	struct ctw_journal_entry e;
	char msg[CTW_JOURNAL_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctw_journal_entry_init(&e, kind, "%s", msg);
	ctw_journal_entry_set_mode(&e, d->cfg.mode);
	if (reason)
		ctw_journal_entry_set_reason(&e, "%s", reason);
	ctw_journal_emit(&d->journal, &e);
}

static void read_memory_facts(struct ctw_daemon *d)
{
	struct ctw_memory m;
	char note[256] = "";

	memset(&m, 0, sizeof(m));
	if (ctw_memory_read(&d->knobs, &m, note, sizeof(note)) == 0) {
		d->objsize = m.object_size;
		d->memtotal = m.memtotal_bytes;
	} else {
		d->objsize = CTW_OBJSIZE_ESTIMATE;
		d->memtotal = 0;
	}
	if (note[0])
		ctw_log(LOG_NOTICE, "%s", note);
}

/* Every watched namespace costs about three descriptors (count file,
 * statistics and event sockets): take all the hard limit allows, so a host
 * with thousands of containers is not watched only in part. */
static void raise_nofile(struct ctw_daemon *d)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit want = { rl.rlim_max, rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	d->nofile_limit = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

int ctw_daemon_init(struct ctw_daemon *d, const char *config_path, bool config_explicit,
		    const struct ctw_config *cfg, const char *root)
{
	char err[512];
	int r;

	memset(d, 0, sizeof(*d));
	d->config_path = config_path;
	d->config_explicit = config_explicit;
	d->cfg = *cfg;
	d->live = strcmp(root, "/") == 0;
	ctw_journal_init(&d->journal, CTW_JOURNAL_AUTO, stderr);

	r = ctw_knobs_open(&d->knobs, root);
	if (r < 0) {
		ctw_log(LOG_ERR, "cannot open root %s: %s", root, strerror(-r));
		return r;
	}
	if (!ctw_knobs_conntrack_loaded(&d->knobs)) {
		ctw_log(LOG_ERR, "nf_conntrack is not loaded (no %s): nothing to watch",
			ctw_knob_path(&d->knobs, CTW_KNOB_MAX));
		return -ENOENT;
	}
	r = ctw_actuator_init(&d->actuator, &d->knobs, d->cfg.state_dir, err, sizeof(err));
	if (r < 0) {
		ctw_log(LOG_ERR, "%s; refusing to start (it holds the original kernel values)", err);
		return r;
	}
	if (d->actuator.discarded)
		ctw_log(LOG_NOTICE, "discarded %zu original value%s of boot %s from %s: the kernel started from "
			"its boot values since (this boot is %s)", d->actuator.discarded,
			d->actuator.discarded == 1 ? "" : "s",
			d->actuator.state_boot_id[0] ? d->actuator.state_boot_id : "unknown (written before this boot)",
			d->actuator.state.path, d->actuator.boot_id[0] ? d->actuator.boot_id : "unknown");
	d->global_writable = ctw_knobs_global_writable(&d->knobs);
	raise_nofile(d);
	r = ctw_poller_open(&d->poller, &d->knobs, d->live, &d->cfg);
	if (r == 0)
		d->poller.fd_limit = d->nofile_limit == UINT64_MAX ? 0 : d->nofile_limit;
	if (r < 0) {
		ctw_log(LOG_ERR, "cannot open %s: %s", ctw_knob_path(&d->knobs, CTW_KNOB_COUNT), strerror(-r));
		return r;
	}
	if (d->poller.note[0])
		ctw_log(LOG_NOTICE, "%s", d->poller.note);
	read_memory_facts(d);
	ctw_policy_state_init(&d->policy);
	ctw_daemon_status_init(d);
	return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ctw_daemon *d = userdata;
	uint64_t now;

	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	ctw_daemon_poll_round(d, now);
	/* Directories that appeared since (docker started after us). */
	if (now - d->poller.last_scan_us < d->cfg.poll_interval_us)
		ctw_netns_watch_refresh(d);
	ctw_netns_watch_after_poll(d, now);
	sd_event_source_set_time_relative(s, d->cfg.poll_interval_us);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* Events in a namespace project a full table (or were lost): act now. */
static void on_watcher_pressure(struct ctw_watcher *w, uint64_t now_us, void *userdata)
{
	ctw_daemon_poll_round(userdata, now_us);
}

/* Said once per namespace and reason: never claim it does not exist. */
static void on_unwatchable(const struct ctw_unwatchable *u, void *userdata)
{
	struct ctw_daemon *d = userdata;
	struct ctw_journal_entry e;
	const char *hint = u->err == -EMFILE || u->err == -ENFILE ? " (the file descriptor limit: raise LimitNOFILE=)" : "";

	ctw_journal_entry_init(&e, CTW_EV_NETNS_UNWATCHABLE,
			       "cannot watch network namespace %s (%s, inode %" PRIu64 "): %s%s; "
			       "it can fill up unseen, trying again at the next scan",
			       u->name, u->path, u->inode, strerror(-u->err), hint);
	ctw_journal_entry_set_reason(&e, "%s%s", strerror(-u->err), hint);
	ctw_journal_entry_set_mode(&e, d->cfg.mode);
	if (u->inode)
		ctw_journal_entry_set_netns(&e, u->inode);
	ctw_journal_emit(&d->journal, &e);
}

static void reload(struct ctw_daemon *d)
{
	struct ctw_config fresh;
	char err[512];
	int r;

	sd_notify(0, "RELOADING=1");
	r = ctw_config_load(d->config_path, d->config_explicit, &fresh, err, sizeof(err));
	if (r < 0) {
		say(d, CTW_EV_RELOAD_FAILED, err, "reload failed, keeping the running configuration: %s", err);
	} else {
		ctw_daemon_http_reload(d, &fresh);
		d->cfg = fresh;
		ctw_poller_set_config(&d->poller);
		ctw_daemon_outside_forgive(d);
		ctw_netns_watch_stop(d);
		if (ctw_netns_watch_start(d) < 0)
			ctw_log(LOG_WARNING, "cannot watch the namespace directories again; the rescan still finds them");
		read_memory_facts(d);
		sd_event_source_set_time_relative(d->poll_timer, d->cfg.poll_interval_us);
		say(d, CTW_EV_RELOADED, NULL, "configuration reloaded from %s (mode %s, poll every %" PRIu64 " ms)",
		    d->cfg.source, d->cfg.mode == CTW_MODE_ADVISE ? "advise" : "enforce",
		    d->cfg.poll_interval_us / 1000);
	}
	sd_notify(0, "READY=1");
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	reload(userdata);
	return 0;
}

int ctw_daemon_run(struct ctw_daemon *d)
{
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&d->event);
	if (r < 0)
		return r;
	/* NULL handlers: sd-event exits the loop on SIGTERM/SIGINT. */
	if ((r = sd_event_add_signal(d->event, NULL, SIGTERM, NULL, NULL)) < 0 ||
	    (r = sd_event_add_signal(d->event, NULL, SIGINT, NULL, NULL)) < 0 ||
	    (r = sd_event_add_signal(d->event, NULL, SIGHUP, on_sighup, d)) < 0)
		return r;
	/* Pings WATCHDOG=1 from the loop when WATCHDOG_USEC is set: a stuck loop is restarted. */
	r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		return r;
	/* Accuracy a tenth of the interval: wake-ups can coalesce, the loop stays prompt. */
	r = sd_event_add_time_relative(d->event, &d->poll_timer, CLOCK_MONOTONIC, 0,
				       d->cfg.poll_interval_us / 10, on_poll, d);
	if (r < 0)
		return r;
	r = ctw_daemon_watch_kmsg(d);
	if (r < 0)
		return r;
	r = ctw_poller_attach(&d->poller, d->event, on_watcher_pressure, on_unwatchable, d);
	if (r < 0)
		return r;
	r = ctw_netns_watch_start(d);
	if (r < 0)
		return r;
	r = ctw_daemon_http_start(d);
	if (r < 0)
		return r;

	say(d, CTW_EV_STARTED, NULL, "ctwarden started: mode %s, poll every %" PRIu64 " ms, max ceiling %" PRIu64
	    ", config %s", d->cfg.mode == CTW_MODE_ADVISE ? "advise" : "enforce", d->cfg.poll_interval_us / 1000,
	    d->cfg.max_ceiling, d->cfg.source);
	r = sd_event_loop(d->event);
	sd_notify(0, "STOPPING=1");
	ctw_daemon_retire_fini(d);
	ctw_daemon_status_remove(d);
	say(d, CTW_EV_STOPPING, NULL, "ctwarden stopping; tuned values stay (ctwarden restore puts the originals back)");
	return r < 0 ? r : 0;
}

void ctw_daemon_fini(struct ctw_daemon *d)
{
	ctw_daemon_retire_fini(d);
	ctw_netns_watch_stop(d);
	ctw_daemon_http_stop(d);
	ctw_daemon_metrics_fini(d);
	d->kmsg_source = sd_event_source_unref(d->kmsg_source);
	d->poll_timer = sd_event_source_unref(d->poll_timer);
	d->event = sd_event_unref(d->event);
	ctw_poller_close(&d->poller);
	ctw_knobs_close(&d->knobs);
}
