/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The operator's policy: /etc/ctwarden/ctwarden.conf (INI), strictly parsed.
 * Defaults are set before parsing so that no file is needed. */
#ifndef CTW_CONF_H
#define CTW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf_values.h"
#include "base/timeouts.h"

#define CTW_DEFAULT_CONFIG_PATH "/etc/ctwarden/ctwarden.conf"
#define CTW_CONF_PATH_MAX 256

enum ctw_mode { CTW_MODE_ENFORCE, CTW_MODE_ADVISE };
/* Which namespaces get a conntrack event socket. */
enum ctw_events_scope { CTW_EVENTS_ALL, CTW_EVENTS_OWN, CTW_EVENTS_NONE };

#define CTW_NETNS_DIRS_MAX 8
/* Marks and zones [timeouts] retire_exclude_mark / retire_exclude_zone may list. */
#define CTW_RETIRE_EXCLUDES_MAX 8

struct ctw_config {
	/* [daemon] */
	enum ctw_mode mode;
	uint64_t poll_interval_us;
	char state_dir[CTW_CONF_PATH_MAX];
	char runtime_dir[CTW_CONF_PATH_MAX];
	uint64_t alert_reminder_us;  /* how often a still-active alert is repeated */
	bool all_netns;              /* watch every network namespace, not only our own */
	char netns_dirs[CTW_NETNS_DIRS_MAX][CTW_CONF_PATH_MAX]; /* where tools bind-mount namespaces */
	unsigned n_netns_dirs;
	char pod_log_dir[CTW_CONF_PATH_MAX]; /* the kubelet's /var/log/pods: pod names by UID; "" = none */
	enum ctw_events_scope events_scope;
	bool outside_adopt;          /* on_outside_change = adopt (else yield) */

	/* [thresholds], percent of max (0 < x <= 100) */
	double warn_pct;
	double crit_pct;
	double high_water_pct;
	double low_water_pct;
	uint64_t low_water_hold_us;  /* under low_water this long before timeouts are restored */

	/* [limits] */
	uint64_t max_ceiling;        /* entries */
	double memory_budget_pct;    /* percent of MemTotal the table may use at its max */
	double buckets_ratio;        /* target max/buckets */
	uint64_t resize_cooldown_us;
	bool allow_lower_max;        /* may the daemon lower nf_conntrack_max */

	/* [timeouts]: floors in seconds, and which ones the daemon may shorten */
	uint64_t timeout_floor_s[CTW_TO__COUNT];
	bool timeout_shorten[CTW_TO__COUNT];
	bool retire;                 /* retire what a shortened timeout says is dead */
	bool retire_nat;             /* ... NATed entries too */
	struct ctw_mark_mask { uint32_t value, mask; } retire_exclude_mark[CTW_RETIRE_EXCLUDES_MAX];
	unsigned n_retire_exclude_mark;
	uint16_t retire_exclude_zone[CTW_RETIRE_EXCLUDES_MAX];
	unsigned n_retire_exclude_zone;

	/* [events] */
	uint64_t receive_buffer_bytes;     /* initial netlink receive buffer */
	uint64_t receive_buffer_max_bytes; /* the buffer grows on overrun up to this */
	uint64_t horizon_us;               /* act when the projected time to full is shorter */
	uint32_t event_batch;              /* events handled per wakeup */

	/* [metrics] */
	char metrics_textfile[CTW_CONF_PATH_MAX]; /* node_exporter textfile, "" = off */
	uint64_t metrics_interval_us;      /* rewritten at least this often, else only on change */
	struct ctw_listen metrics_listen;  /* the HTTP endpoint (/metrics, /healthz); .set false = off */

	/* Where the values came from, for messages: the file (or "(defaults)"). */
	char source[CTW_CONF_PATH_MAX];
};

/* Built-in defaults. */
void ctw_config_defaults(struct ctw_config *c);

/* Load a config file into *out. On any error *out is left untouched, err gets
 * "FILE:LINE: what is wrong" (or "FILE: ...") and a negative errno is returned.
 * If the file does not exist and must_exist is false, *out gets the defaults.
 * Refuses files writable by group or others. */
int ctw_config_load(const char *path, bool must_exist, struct ctw_config *out, char *err, size_t errlen);

/* Parse config text (no file-permission checks); name is used in messages. */
int ctw_config_parse_buffer(const char *name, const char *buf, size_t len, struct ctw_config *out,
			    char *err, size_t errlen);

#endif
