/* ctwarden restore: put every knob the daemon changed back to its original. */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/actuator.h"
#include "base/conf.h"
#include "kernel/knobs.h"
#include "kernel/netns.h"
#include "daemon/runlock.h"

static const char *const restore_help =
	"Usage: ctwarden restore [--force] [-c FILE] [--root DIR]\n"
	"Puts every kernel value ctwarden changed back to what it was before, and\n"
	"forgets them. Stop the daemon first (systemctl stop ctwarden).\n"
	"--force: restore nf_conntrack_max even below the current entry count.\n";

struct restore_ctx {
	const struct ctw_knobs *knobs;
	unsigned restored, failed;
};

static void report(const char *name, uint64_t original, int err, void *userdata)
{
	struct restore_ctx *ctx = userdata;

	if (err == 0) {
		printf("restored %s = %" PRIu64 "\n", name, original);
		ctx->restored++;
	} else {
		fprintf(stderr, "ctwarden: cannot restore %s to %" PRIu64 ": %s\n", name, original, strerror(err));
		ctx->failed++;
	}
}

struct count_read {
	const struct ctw_knobs *knobs;
	uint64_t count;
};

/* Runs inside a netns: /proc/sys/net shows the caller's netns. */
static int read_count(void *userdata)
{
	struct count_read *cr = userdata;

	return ctw_knob_read(cr->knobs, CTW_KNOB_COUNT, &cr->count);
}

/* The fullest netns: the limit is checked per netns. Only our own when the
 * root is not the live one or the others cannot be entered. */
static uint64_t fullest_count(const struct ctw_knobs *k, bool live, char *name, size_t namelen)
{
	static struct ctw_netns_ref refs[512];
	struct count_read cr = { .knobs = k };
	uint64_t fullest = 0;
	int n = live ? ctw_netns_discover("/proc", "/run/netns", refs, 512) : 0;

	snprintf(name, namelen, "host");
	if (ctw_knob_read(k, CTW_KNOB_COUNT, &fullest) < 0)
		fullest = 0;
	for (int i = 1; i < n; i++) {
		if (ctw_netns_enter(&refs[i], read_count, &cr) == 0 && cr.count > fullest) {
			fullest = cr.count;
			snprintf(name, namelen, "netns %s", refs[i].name);
		}
	}
	return fullest;
}

/* Restoring max under the current count makes the table full at once. */
static bool max_restore_is_safe(const struct ctw_actuator *a, const struct ctw_knobs *k, bool live)
{
	uint64_t original, count;
	char where[96];

	if (ctw_state_get_original(&a->state, ctw_knob_sysctl_name(CTW_KNOB_MAX), &original) < 0 || original == 0)
		return true;
	count = fullest_count(k, live, where, sizeof(where));
	if (count <= original)
		return true;
	fprintf(stderr, "ctwarden: the table of %s holds %" PRIu64 " entries, more than the original "
		"nf_conntrack_max %" PRIu64 ": restoring it would drop new flows until the table drains; "
		"use --force to restore anyway\n", where, count, original);
	return false;
}

int ctw_cmd_restore(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct ctw_actuator actuator;
	struct restore_ctx ctx = { 0 };
	struct ctw_config cfg;
	struct ctw_knobs knobs;
	bool force = false;
	char err[512];
	pid_t holder;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:fh", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		if (opt == 'f') {
			force = true;
			continue;
		}
		if (opt == 'h') {
			fputs(restore_help, stdout);
			return 0;
		}
		fputs(restore_help, stderr);
		return CTW_EXIT_UNKNOWN;
	}
	if (ctw_cli_load_config(cli, &cfg) < 0)
		return 1;
	holder = ctw_runlock_holder(cfg.runtime_dir);
	if (holder > 0) {
		fprintf(stderr, "ctwarden: ctwarden run (pid %ld) is running and would tune again: "
			"stop it first (systemctl stop ctwarden)\n", (long)holder);
		return 1;
	}
	r = ctw_knobs_open(&knobs, cli->root);
	if (r < 0) {
		fprintf(stderr, "ctwarden: cannot open root %s: %s\n", cli->root, strerror(-r));
		return 1;
	}
	r = ctw_actuator_init(&actuator, &knobs, cfg.state_dir, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ctwarden: %s\n", err);
		ctw_knobs_close(&knobs);
		return 1;
	}
	if (actuator.state.n == 0) {
		printf("nothing to restore: ctwarden has changed no kernel value (%s)\n", actuator.state.path);
		ctw_knobs_close(&knobs);
		return 0;
	}
	if (!force && !max_restore_is_safe(&actuator, &knobs, ctw_cli_root_is_live(cli))) {
		ctw_knobs_close(&knobs);
		return 1;
	}
	ctx.knobs = &knobs;
	r = ctw_actuator_restore_all(&actuator, report, &ctx, err, sizeof(err));
	if (r < 0 && ctx.failed == 0)
		fprintf(stderr, "ctwarden: %s\n", err);
	ctw_knobs_close(&knobs);
	return r < 0 ? 1 : 0;
}
