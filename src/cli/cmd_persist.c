/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden persist: keep what the daemon found across reboots, on request.
 * Writes the CURRENT kernel values of the knobs ctwarden tuned (those with an
 * original in the state file) to <root>/etc/sysctl.d/90-ctwarden.conf, which
 * systemd-sysctl applies at boot. restore never touches that file; removing
 * it undoes persist. */
#include "config.h"

#include "cli/cli.h"
#include "base/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/conf.h"
#include "base/fileio.h"
#include "daemon/actuator.h"
#include "kernel/knobs.h"

#define SYSCTL_DIR "etc/sysctl.d"
#define PERSIST_NAME "90-ctwarden.conf"
#define PERSIST_TEXT_MAX 8192

static const char *const persist_help =
	"Usage: ctwarden persist [--dry-run] [-c FILE] [--root DIR]\n"
	"Writes the values ctwarden tuned (the knobs it changed, at their current\n"
	"values) to /etc/sysctl.d/" PERSIST_NAME ", so they hold after a reboot.\n"
	"restore does not touch that file; to undo, remove it:\n"
	"  rm /etc/sysctl.d/" PERSIST_NAME "\n"
	"  --dry-run  print the file instead of writing it\n"
	"Exit status: 0 written (or nothing to persist), 1 failed, 2 refused (bad\n"
	"state file, state from another boot), 3 usage.\n";

/* The file's text; 0 lines of values means nothing to persist. -errno with
 * err when a tuned knob cannot be read (nothing is written then). */
static int build(const struct ctw_actuator *a, const struct ctw_knobs *k, char *text, size_t len, size_t *used,
		 unsigned *values, char *err, size_t errlen)
{
	const struct ctw_state *s = &a->state;
	char when[64], path[4200];
	time_t now = time(NULL);
	struct tm tm;
	size_t in_netns = ctw_state_count(s) - s->n;

	*used = 0;
	*values = 0;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	ctw_root_display_path(k, SYSCTL_DIR "/" PERSIST_NAME, path, sizeof(path));
	ctw_appendf(text, len, used,
	       "# Written by `ctwarden persist` (ctwarden %s) at %s.\n"
	       "# The values ctwarden tuned on this host, applied at every boot by systemd-sysctl.\n"
	       "# `ctwarden restore` does not touch this file. To undo: rm %s\n",
	       PACKAGE_VERSION, when, path);
	for (size_t i = 0; i < s->n; i++) {
		int id = ctw_state_knob_by_name(s->originals[i].name);
		uint64_t v;
		int r;

		if (id < 0)
			continue;
		if (id == CTW_KNOB_BUCKETS && k->buckets_via_hashsize) {
			ctw_appendf(text, len, used, "# nf_conntrack_buckets is the hashsize module parameter on this "
			       "kernel: set it in /etc/modprobe.d (options nf_conntrack hashsize=N)\n");
			continue;
		}
		r = ctw_knob_read(k, (enum ctw_knob)id, &v);
		if (r < 0) {
			ctw_knob_describe_error(k, (enum ctw_knob)id, r, err, errlen);
			return r;
		}
		ctw_appendf(text, len, used, "%s = %" PRIu64 "\n", s->originals[i].name, v);
		(*values)++;
	}
	if (in_netns)
		ctw_appendf(text, len, used, "# Not here: %zu value%s tuned inside other network namespaces "
		       "(sysctl.d sets the host's).\n", in_netns, in_netns == 1 ? "" : "s");
	if (*used + 1 >= len) {
		snprintf(err, errlen, "the file would be larger than %zu bytes", len);
		return -EFBIG;
	}
	return 0;
}

int ctw_cmd_persist(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct ctw_actuator actuator;
	char text[PERSIST_TEXT_MAX], err[1024], dir[4200];
	struct ctw_config cfg;
	struct ctw_knobs knobs;
	bool dry_run = false;
	const char *step;
	unsigned values;
	size_t used;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:hn", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		if (opt == 'n') {
			dry_run = true;
			continue;
		}
		if (opt == 'h') {
			fputs(persist_help, stdout);
			return 0;
		}
		fputs(persist_help, stderr);
		return CTW_EXIT_UNKNOWN;
	}
	if (ctw_cli_extra_args(cli, "persist"))
		return CTW_EXIT_UNKNOWN;
	if (ctw_cli_load_config(cli, &cfg) < 0)
		return 2;
	r = ctw_knobs_open(&knobs, cli->root);
	if (r < 0) {
		fprintf(stderr, "ctwarden: cannot open root %s: %s\n", cli->root, strerror(-r));
		return 2;
	}
	r = ctw_actuator_load(&actuator, &knobs, cfg.state_dir, err, sizeof(err));
	if (r < 0 || actuator.other_boot) {
		if (r == 0)
			fprintf(stderr, "ctwarden: %s: the originals are from another boot (%s): ctwarden has tuned "
				"nothing in this one; nothing to persist\n", actuator.state.path,
				actuator.state_boot_id[0] ? actuator.state_boot_id : "written before this boot");
		else
			fprintf(stderr, "ctwarden: %s\n", err);
		ctw_knobs_close(&knobs);
		return 2;
	}
	r = build(&actuator, &knobs, text, sizeof(text), &used, &values, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ctwarden: %s; nothing written\n", err);
		ctw_knobs_close(&knobs);
		return 1;
	}
	if (values == 0) {
		printf("nothing to persist: ctwarden has tuned no host value (%s)\n", actuator.state.path);
		ctw_knobs_close(&knobs);
		return 0;
	}
	if (dry_run) {
		fputs(text, stdout);
		ctw_knobs_close(&knobs);
		return 0;
	}
	ctw_root_display_path(&knobs, SYSCTL_DIR, dir, sizeof(dir));
	ctw_knobs_close(&knobs);
	r = ctw_mkdir_p(dir, 0755);
	if (r == 0)
		r = ctw_write_file_atomic(dir, PERSIST_NAME, text, used, 0644, &step);
	else
		step = "creating the directory";
	if (r < 0) {
		fprintf(stderr, "ctwarden: %s/%s: %s: %s; nothing written\n", dir, PERSIST_NAME, step, strerror(-r));
		return 1;
	}
	printf("wrote %u value%s to %s/%s (undo: rm %s/%s)\n", values, values == 1 ? "" : "s", dir, PERSIST_NAME,
	       dir, PERSIST_NAME);
	return 0;
}
