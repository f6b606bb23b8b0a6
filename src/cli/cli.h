/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Subcommands of the ctwarden binary and what they share. */
#ifndef CTW_CLI_H
#define CTW_CLI_H

#include <getopt.h>
#include <stdbool.h>

struct ctw_config;

/* Exit code for usage and set-up errors: UNKNOWN in monitoring-plugin terms. */
#define CTW_EXIT_UNKNOWN 3

/* Options shared by every subcommand (accepted before or after its name). */
struct ctw_cli {
	const char *config_path;   /* -c FILE, or the default path */
	bool config_explicit;      /* -c given: the file must exist */
	const char *root;          /* --root DIR, "/" by default */
	int argc;                  /* the subcommand's own arguments (argv[0] = its name) */
	char **argv;
};

/* getopt_long entries for -c/--config and --root, to put in a subcommand's table. */
#define CTW_CLI_COMMON_OPTIONS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "root", required_argument, NULL, 0x100 }

/* Handle a common option; true when opt was one. */
bool ctw_cli_common_option(struct ctw_cli *cli, int opt, const char *arg);

/* After a subcommand's getopt loop: say and refuse a stray argument. */
bool ctw_cli_extra_args(const struct ctw_cli *cli, const char *command);

/* Load the policy named by the CLI; prints FILE:LINE errors. 0 or -errno. */
int ctw_cli_load_config(const struct ctw_cli *cli, struct ctw_config *cfg);

/* True when reading the real kernel (root "/"), where netlink can be used. */
bool ctw_cli_root_is_live(const struct ctw_cli *cli);

int ctw_cmd_audit(struct ctw_cli *cli);
int ctw_cmd_check_config(struct ctw_cli *cli);
int ctw_cmd_run(struct ctw_cli *cli);
int ctw_cmd_restore(struct ctw_cli *cli);
int ctw_cmd_persist(struct ctw_cli *cli);
int ctw_cmd_status(struct ctw_cli *cli);
int ctw_cmd_retire(struct ctw_cli *cli);

#endif
