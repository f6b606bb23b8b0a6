/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden check-config: validate the policy, say "configuration OK". */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "kernel/knobs.h"

static const char *const check_config_help =
	"Usage: ctwarden check-config [-c FILE] [--root DIR]\n"
	"Validates the policy file. Exits 0 when it is valid, 1 when it is not.\n";

/* Facts worth saying that are not errors: a ceiling below the current max is
 * allowed (ctwarden then never raises max, and never lowers it either). */
static void note_against_kernel(const struct ctw_cli *cli, const struct ctw_config *cfg)
{
	struct ctw_knobs knobs;
	uint64_t cur_max;

	if (ctw_knobs_open(&knobs, cli->root) < 0)
		return;
	if (ctw_knob_read(&knobs, CTW_KNOB_MAX, &cur_max) == 0 && cur_max > cfg->max_ceiling)
		printf("%s: note: max_ceiling %" PRIu64 " is below the current nf_conntrack_max %" PRIu64
		       "; ctwarden will not raise max (and does not lower it)\n",
		       cfg->source, cfg->max_ceiling, cur_max);
	ctw_knobs_close(&knobs);
}

int ctw_cmd_check_config(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctw_config cfg;
	int opt;

	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:h", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		if (opt == 'h') {
			fputs(check_config_help, stdout);
			return 0;
		}
		fputs(check_config_help, stderr);
		return CTW_EXIT_UNKNOWN;
	}
	if (ctw_cli_extra_args(cli, "check-config"))
		return CTW_EXIT_UNKNOWN;
	if (ctw_cli_load_config(cli, &cfg) < 0)
		return 1;
	note_against_kernel(cli, &cfg);
	printf("%s: configuration OK\n", cfg.source);
	return 0;
}
