/* ctwarden audit: one-shot report of this host's connection tracking. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "findings.h"
#include "host.h"
#include "knobs.h"
#include "report.h"

static const char *const audit_help =
	"Usage: ctwarden audit [--json] [-c FILE] [--root DIR]\n"
	"One-shot report of this host's connection tracking with exact remedies.\n"
	"Exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (monitoring-plugin codes).\n";

/* Everything one audit run owns. */
struct audit_ctx {
	struct ctw_config cfg;
	struct ctw_knobs knobs;
	struct ctw_host host;
	struct ctw_findings findings;
	bool json;
};

int ctw_cmd_audit(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* Large (findings with remedies): static storage, still one owner. */
	static struct audit_ctx ctx;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:h", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			fputs(audit_help, stdout);
			return 0;
		default:
			fputs(audit_help, stderr);
			return CTW_EXIT_UNKNOWN;
		}
	}
	if (optind < cli->argc) {
		fprintf(stderr, "ctwarden: audit: unexpected argument '%s'\n", cli->argv[optind]);
		return CTW_EXIT_UNKNOWN;
	}
	if (ctw_cli_load_config(cli, &ctx.cfg) < 0)
		return CTW_EXIT_UNKNOWN;
	r = ctw_knobs_open(&ctx.knobs, cli->root);
	if (r < 0) {
		fprintf(stderr, "ctwarden: cannot open root %s: %s\n", cli->root, strerror(-r));
		return CTW_EXIT_UNKNOWN;
	}
	ctw_host_gather(&ctx.host, &ctx.knobs, ctw_cli_root_is_live(cli));
	ctw_findings_evaluate(&ctx.host, &ctx.cfg, &ctx.findings);
	if (ctx.json) {
		r = ctw_report_json(stdout, &ctx.host, &ctx.cfg, &ctx.findings);
		if (r < 0) {
			fprintf(stderr, "ctwarden: cannot write the JSON report: %s\n", strerror(-r));
			ctw_knobs_close(&ctx.knobs);
			return CTW_EXIT_UNKNOWN;
		}
	} else {
		ctw_report_text(stdout, &ctx.host, &ctx.cfg, &ctx.findings);
	}
	ctw_knobs_close(&ctx.knobs);
	if (fflush(stdout) != 0)
		return CTW_EXIT_UNKNOWN;
	return (int)ctx.findings.status;
}
