/* ctwarden audit: one-shot report of this host's connection tracking. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "kernel/ct_top.h"
#include "policy/findings.h"
#include "kernel/host.h"
#include "kernel/knobs.h"
#include "cli/report.h"

static const char *const audit_help =
	"Usage: ctwarden audit [--json] [--top [N]] [-c FILE] [--root DIR]\n"
	"One-shot report of this host's connection tracking with exact remedies.\n"
	"--top [N]: also dump the whole table once and show who fills it: the top N\n"
	"(default 10) sources, destinations, destination ports, protocols, TCP states.\n"
	"Exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (monitoring-plugin codes).\n";

/* Everything one audit run owns. */
struct audit_ctx {
	struct ctw_config cfg;
	struct ctw_knobs knobs;
	struct ctw_host host;
	struct ctw_findings findings;
	bool json;
	unsigned top_n;            /* 0: no --top */
	struct ctw_ct_top top;
};

#define TOP_DEFAULT 10
#define TOP_MAX 100

/* N of --top N / --top=N; the separate form takes the next argument only
 * when it is a number. 0 when invalid. */
static unsigned parse_top(struct ctw_cli *cli, const char *arg)
{
	char *end;
	unsigned long n;

	if (!arg && optind < cli->argc && cli->argv[optind][0] >= '0' && cli->argv[optind][0] <= '9')
		arg = cli->argv[optind++];
	if (!arg)
		return TOP_DEFAULT;
	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || *end || arg[0] < '0' || arg[0] > '9' || n < 1 || n > TOP_MAX)
		return 0;
	return (unsigned)n;
}

/* One full dump for --top; its dominant port replaces the bounded sample's,
 * so the notrack advice is judged on the whole table. Failures are notes:
 * the audit goes on without the breakdown. */
static void gather_top(struct audit_ctx *ctx, const struct ctw_cli *cli)
{
	struct ctw_host *h = &ctx->host;
	struct ctw_port_sample *p = &h->ports;
	int r;

	if (!h->loaded)
		return;
	if (!ctw_cli_root_is_live(cli)) {
		ctw_host_note(h, "--top dumps the live table: not with --root");
		return;
	}
	r = ctw_ct_top_init(&ctx->top, CTW_CT_TOP_CAPACITY);
	if (r == 0)
		r = ctw_ct_top_dump(&ctx->top);
	if (r < 0) {
		ctw_host_note(h, "table dump over netlink: %s%s: no --top breakdown", strerror(-r),
			      r == -EPERM ? " (needs CAP_NET_ADMIN in this network namespace)" : "");
		return;
	}
	if (ctx->top.interrupted)
		ctw_host_note(h, "the table changed during the dump: the --top counts are approximate");
	h->top = &ctx->top;
	h->top_n = ctx->top_n;
	memset(p, 0, sizeof(*p));
	p->taken = true;
	p->sampled = ctx->top.entries;
	ctw_top_dport_first(&ctx->top.top, &p->top_proto, &p->top_port, &p->top_count);
}

static int report(struct audit_ctx *ctx)
{
	int r;

	if (!ctx->json) {
		ctw_report_text(stdout, &ctx->host, &ctx->cfg, &ctx->findings);
		return 0;
	}
	r = ctw_report_json(stdout, &ctx->host, &ctx->cfg, &ctx->findings);
	if (r < 0)
		fprintf(stderr, "ctwarden: cannot write the JSON report: %s\n", strerror(-r));
	return r;
}

int ctw_cmd_audit(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "top", optional_argument, NULL, 't' },
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
		case 't':
			ctx.top_n = parse_top(cli, optarg);
			if (!ctx.top_n) {
				fprintf(stderr, "ctwarden: audit: --top takes a number from 1 to %d\n", TOP_MAX);
				return CTW_EXIT_UNKNOWN;
			}
			break;
		case 'h':
			fputs(audit_help, stdout);
			return 0;
		default:
			fputs(audit_help, stderr);
			return CTW_EXIT_UNKNOWN;
		}
	}
	if (ctw_cli_extra_args(cli, "audit"))
		return CTW_EXIT_UNKNOWN;
	if (ctw_cli_load_config(cli, &ctx.cfg) < 0)
		return CTW_EXIT_UNKNOWN;
	r = ctw_knobs_open(&ctx.knobs, cli->root);
	if (r < 0) {
		fprintf(stderr, "ctwarden: cannot open root %s: %s\n", cli->root, strerror(-r));
		return CTW_EXIT_UNKNOWN;
	}
	/* --top dumps the whole table anyway: no sample before it. */
	ctw_host_gather(&ctx.host, &ctx.knobs, ctw_cli_root_is_live(cli), ctx.top_n ? -1.0 : ctx.cfg.warn_pct);
	if (ctx.top_n)
		gather_top(&ctx, cli);
	ctw_findings_evaluate(&ctx.host, &ctx.cfg, &ctx.findings);
	r = report(&ctx);
	ctw_ct_top_free(&ctx.top);
	ctw_knobs_close(&ctx.knobs);
	if (r < 0 || fflush(stdout) != 0)
		return CTW_EXIT_UNKNOWN;
	return (int)ctx.findings.status;
}
