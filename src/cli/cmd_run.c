/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden run: the daemon, in the foreground (systemd supervises it). */
#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "daemon/daemon.h"
#include "daemon/runlock.h"

static const char *const run_help =
	"Usage: ctwarden run [-c FILE] [--root DIR]\n"
	"Watches the conntrack table and tunes it within the policy's limits.\n"
	"Runs in the foreground; SIGHUP reloads the policy, SIGTERM stops.\n";

int ctw_cmd_run(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct ctw_daemon daemon;   /* large; one per process */
	struct ctw_config cfg;
	pid_t holder;
	int opt, lock_fd, r;

	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:h", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		if (opt == 'h') {
			fputs(run_help, stdout);
			return 0;
		}
		fputs(run_help, stderr);
		return CTW_EXIT_UNKNOWN;
	}
	if (ctw_cli_extra_args(cli, "run"))
		return CTW_EXIT_UNKNOWN;
	if (ctw_cli_load_config(cli, &cfg) < 0)
		return 1;
	lock_fd = ctw_runlock_acquire(cfg.runtime_dir, &holder);
	if (lock_fd == -EBUSY) {
		fprintf(stderr, "ctwarden: another ctwarden run (pid %ld) holds %s/%s\n", (long)holder,
			cfg.runtime_dir, CTW_LOCK_FILE_NAME);
		return 1;
	}
	if (lock_fd < 0) {
		fprintf(stderr, "ctwarden: cannot lock %s/%s: %s\n", cfg.runtime_dir, CTW_LOCK_FILE_NAME,
			strerror(-lock_fd));
		return 1;
	}
	r = ctw_daemon_init(&daemon, cli->config_path, cli->config_explicit, &cfg, cli->root);
	daemon.version = PACKAGE_VERSION;
	if (r == 0)
		r = ctw_daemon_run(&daemon);
	if (r < 0 && r != -ENOENT && !daemon.fatal_said)
		fprintf(stderr, "ctwarden: run: %s\n", strerror(-r));
	ctw_daemon_fini(&daemon);
	close(lock_fd);
	return r < 0 ? 1 : 0;
}
