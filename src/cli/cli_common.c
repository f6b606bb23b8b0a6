/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "base/conf.h"

bool ctw_cli_common_option(struct ctw_cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case 'c':
		cli->config_path = arg;
		cli->config_explicit = true;
		return true;
	case 0x100:
		cli->root = arg;
		return true;
	default:
		return false;
	}
}

bool ctw_cli_extra_args(const struct ctw_cli *cli, const char *command)
{
	if (optind >= cli->argc)
		return false;
	fprintf(stderr, "ctwarden: %s: unexpected argument '%s'\n", command, cli->argv[optind]);
	return true;
}

int ctw_cli_load_config(const struct ctw_cli *cli, struct ctw_config *cfg)
{
	char err[512];
	int r = ctw_config_load(cli->config_path, cli->config_explicit, cfg, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "ctwarden: %s\n", err);
	return r;
}

bool ctw_cli_root_is_live(const struct ctw_cli *cli)
{
	return strcmp(cli->root, "/") == 0;
}
