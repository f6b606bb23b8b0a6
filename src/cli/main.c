/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden: entry point. Parses the global options and dispatches to a subcommand. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/conf.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ctwarden [OPTIONS] COMMAND [COMMAND OPTIONS]\n"
		"\n"
		"Keeps the netfilter connection-tracking table from overflowing.\n"
		"\n"
		"Commands:\n"
		"  audit          one-shot report of this host's connection tracking, with\n"
		"                 exact remedies; exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
		"  check-config   validate the policy file and say \"configuration OK\"\n"
		"  run            the daemon: watch the table and tune it within the policy\n"
		"  restore        put back every kernel value ctwarden changed, all or nothing\n"
		"  persist        keep the tuned values across reboots (/etc/sysctl.d)\n"
		"  status         what the running daemon sees now (--json)\n"
		"  retire         delete the entries a shortened timeout says are dead\n"
		"                 (--timeout NAME=DURATION, see ctwarden retire --help)\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   policy file (default %s)\n"
		"      --root DIR      read kernel files below DIR instead of / (testing,\n"
		"                      or a host /proc mounted elsewhere); disables netlink\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"\n"
		"audit options:\n"
		"      --json          machine-readable report\n"
		"      --top [N]       dump the table once: the top N sources, destinations,\n"
		"                      ports, protocols and TCP states (default 10)\n"
		"      --kernel-log    read the kernel log even in a netns that dropped nothing\n"
		"restore options:\n"
		"      --dry-run       print what would be written, write nothing\n"
		"      --force         restore max even below the current entry count\n"
		"      --forget        delete the state file, write no knob\n"
		"                      exits 0 restored, 1 failed and rolled back, 2 refused\n"
		"                      before writing, 3 usage, 4 failed and not all put back\n"
		"persist options:\n"
		"      --dry-run       print the sysctl.d file instead of writing it\n"
		"status options:\n"
		"      --json          the daemon's status file as JSON\n"
		"\n"
		"See ctwarden(8) and ctwarden.conf(5).\n",
		CTW_DEFAULT_CONFIG_PATH);
}

struct subcommand {
	const char *name;
	int (*run)(struct ctw_cli *cli);
};

static const struct subcommand subcommands[] = {
	{ "audit", ctw_cmd_audit },
	{ "check-config", ctw_cmd_check_config },
	{ "run", ctw_cmd_run },
	{ "restore", ctw_cmd_restore },
	{ "persist", ctw_cmd_persist },
	{ "status", ctw_cmd_status },
	{ "retire", ctw_cmd_retire },
};

int main(int argc, char **argv)
{
	static const struct option global_options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct ctw_cli cli = {
		.config_path = CTW_DEFAULT_CONFIG_PATH,
		.root = "/",
	};
	int opt;

	/* '+': stop at the subcommand; it parses its own options (and -c again). */
	while ((opt = getopt_long(argc, argv, "+c:hV", global_options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ctwarden %s\n", PACKAGE_VERSION);
			return 0;
		default:
			if (ctw_cli_common_option(&cli, opt, optarg))
				break;
			usage(stderr);
			return CTW_EXIT_UNKNOWN;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTW_EXIT_UNKNOWN;
	}
	cli.argc = argc - optind;
	cli.argv = argv + optind;
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(cli.argv[0], subcommands[i].name) == 0)
			return subcommands[i].run(&cli);
	fprintf(stderr, "ctwarden: unknown command '%s' (try --help)\n", cli.argv[0]);
	return CTW_EXIT_UNKNOWN;
}
