/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden audit: one-shot report of this host's connection tracking. */
#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/prom.h"
#include "kernel/ct_top.h"
#include "policy/budget.h"
#include "policy/findings.h"
#include "policy/retire_idle.h"
#include "kernel/host.h"
#include "kernel/knobs.h"
#include "kernel/netns.h"
#include "cli/report.h"

static const char *const audit_help =
	"Usage: ctwarden audit [--format=text|json|prometheus] [--json] [--top [N]]\n"
	"                      [--kernel-log] [-o FILE] [-c FILE] [--root DIR]\n"
	"One-shot report of this host's connection tracking with exact remedies.\n"
	"--format: text (default), json (--json is the same), or prometheus: the\n"
	"metrics node_exporter's textfile collector serves (see METRICS in ctwarden(8)).\n"
	"-o, --output FILE: write the report to FILE instead of stdout, atomically\n"
	"(a temp file renamed over it, mode 0644): a scrape never reads half a file.\n"
	"--top [N]: also dump the whole table once and show who fills it: the top N\n"
	"(default 10) sources, destinations, destination ports, protocols, TCP states.\n"
	"--kernel-log: read the kernel log's table-full records even inside a netns\n"
	"that dropped nothing (by default only the host's audit and a netns with drops\n"
	"read it: other namespaces' records are the host's to judge).\n"
	"Exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (monitoring-plugin codes).\n";

enum audit_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_PROMETHEUS };

/* Everything one audit run owns. */
struct audit_ctx {
	struct ctw_config cfg;
	struct ctw_knobs knobs;
	struct ctw_host host;
	struct ctw_findings findings;
	enum audit_format format;
	const char *output;        /* -o FILE, NULL: stdout */
	unsigned top_n;            /* 0: no --top */
	bool kernel_log;           /* --kernel-log: read it whether or not the answer needs it */
	struct ctw_ct_top top;
	struct ctw_table_idle idle;
	char netns[CTW_NETNS_NAME_MAX];   /* the netns label of the metrics */
	struct timespec started;          /* wall clock when gathering began */
	double gather_seconds;
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

static void count_idle(void *ud, const struct ctw_ct_entry *e)
{
	ctw_table_idle_add(ud, e);
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
	ctw_table_idle_init(&ctx->idle, h->have_timeout, h->timeout, &ctx->cfg);
	ctx->top.on_entry = count_idle;
	ctx->top.on_entry_ud = &ctx->idle;
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
	h->idle = &ctx->idle;
	memset(p, 0, sizeof(*p));
	p->taken = true;
	p->sampled = ctx->top.entries;
	ctw_top_dport_first(&ctx->top.top, &p->top_proto, &p->top_port, &p->top_count);
}

static int parse_format(const char *arg, enum audit_format *out)
{
	static const char *const names[] = { [FORMAT_TEXT] = "text", [FORMAT_JSON] = "json",
					     [FORMAT_PROMETHEUS] = "prometheus" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0) {
			*out = (enum audit_format)i;
			return 0;
		}
	return -EINVAL;
}

/* The scan's first namespace with the audit's inode, named as the daemon
 * names the namespaces it finds (a file in netns_dirs, a container from a
 * process's cgroup, else "pid N" of its lowest process), so the audit's
 * series and the daemon's line up. */
struct netns_match {
	uint64_t inode;
	struct ctw_netns_ref ref;
	bool found;
};

static bool netns_match(const struct ctw_netns_ref *ref, void *ud)
{
	struct netns_match *m = ud;

	/* Stopping ends only the current directory's walk: keep the first. */
	if (m->found || ref->inode != m->inode)
		return !m->found;
	m->ref = *ref;
	m->found = true;
	return false;
}

static void netns_label(struct audit_ctx *ctx)
{
	const struct ctw_host *h = &ctx->host;
	const char *dirs[CTW_NETNS_DIRS_MAX];
	struct netns_match m = { .inode = h->self_netns_inode };

	if (h->global_writable || !h->self_netns_inode) {
		snprintf(ctx->netns, sizeof(ctx->netns), "host");
		return;
	}
	for (unsigned i = 0; i < ctx->cfg.n_netns_dirs && i < CTW_NETNS_DIRS_MAX; i++)
		dirs[i] = ctx->cfg.netns_dirs[i];
	ctw_netns_scan("/proc", dirs, ctx->cfg.n_netns_dirs, netns_match, NULL, &m);
	if (m.found)
		ctw_netns_name_pid_pod("/proc", ctx->cfg.pod_log_dir, &m.ref);
	else
		snprintf(m.ref.name, sizeof(m.ref.name), "pid %ld", (long)getpid());
	snprintf(ctx->netns, sizeof(ctx->netns), "%s", m.ref.name);
}

/* Unix time to the millisecond: "1795859347.336", not 17 digits of noise. */
static double unix_ms(const struct timespec *t)
{
	return (double)t->tv_sec + (double)(t->tv_nsec / 1000000) / 1e3;
}

static int render(struct audit_ctx *ctx, FILE *out)
{
	struct ctw_report_prom_meta meta = {
		.version = PACKAGE_VERSION,
		.netns = ctx->netns,
		.poll_time = unix_ms(&ctx->started),
		.poll_duration = ctx->gather_seconds,
	};
	int r;

	switch (ctx->format) {
	case FORMAT_JSON:
		r = ctw_report_json(out, &ctx->host, &ctx->cfg, &ctx->findings);
		if (r < 0)
			fprintf(stderr, "ctwarden: cannot write the JSON report: %s\n", strerror(-r));
		return r;
	case FORMAT_PROMETHEUS:
		r = ctw_report_prometheus(out, &ctx->host, &ctx->cfg, &ctx->findings, &meta);
		if (r < 0)
			fprintf(stderr, "ctwarden: cannot write the metrics: %s\n", strerror(-r));
		return r;
	case FORMAT_TEXT:
		break;
	}
	ctw_report_text(out, &ctx->host, &ctx->cfg, &ctx->findings);
	return 0;
}

/* The report to stdout, or whole into -o FILE (built in memory first, so a
 * failure leaves the old file in place). */
static int report(struct audit_ctx *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	const char *step;
	FILE *m;
	int r;

	if (!ctx->output)
		return render(ctx, stdout);
	m = open_memstream(&buf, &len);
	if (!m) {
		fprintf(stderr, "ctwarden: cannot buffer the report: %s\n", strerror(errno));
		return -errno;
	}
	r = render(ctx, m);
	if (fclose(m) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0) {
		r = ctw_prom_write_file(ctx->output, buf, len, &step);
		if (r < 0)
			fprintf(stderr, "ctwarden: %s: %s: %s\n", ctx->output, step, strerror(-r));
	}
	free(buf);
	return r;
}

int ctw_cmd_audit(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "top", optional_argument, NULL, 't' },
		{ "kernel-log", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* Large (findings with remedies): static storage, still one owner. */
	static struct audit_ctx ctx;
	struct timespec t0, t1;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:ho:", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'j':
			ctx.format = FORMAT_JSON;
			break;
		case 'f':
			if (parse_format(optarg, &ctx.format) < 0) {
				fprintf(stderr, "ctwarden: audit: --format is text, json or prometheus, not '%s'\n",
					optarg);
				return CTW_EXIT_UNKNOWN;
			}
			break;
		case 'o':
			if (!optarg[0]) {
				fputs("ctwarden: audit: --output needs a file name\n", stderr);
				return CTW_EXIT_UNKNOWN;
			}
			ctx.output = optarg;
			break;
		case 't':
			ctx.top_n = parse_top(cli, optarg);
			if (!ctx.top_n) {
				fprintf(stderr, "ctwarden: audit: --top takes a number from 1 to %d\n", TOP_MAX);
				return CTW_EXIT_UNKNOWN;
			}
			break;
		case 'k':
			ctx.kernel_log = true;
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
	if (ctx.top_n && ctx.format == FORMAT_PROMETHEUS) {
		fputs("ctwarden: audit: --top has no Prometheus form (a breakdown by address would be unbounded labels)\n",
		      stderr);
		return CTW_EXIT_UNKNOWN;
	}
	if (ctw_cli_load_config(cli, &ctx.cfg) < 0)
		return CTW_EXIT_UNKNOWN;
	r = ctw_knobs_open(&ctx.knobs, cli->root);
	if (r < 0) {
		fprintf(stderr, "ctwarden: cannot open root %s: %s\n", cli->root, strerror(-r));
		return CTW_EXIT_UNKNOWN;
	}
	clock_gettime(CLOCK_REALTIME, &ctx.started);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ctw_host_gather(&ctx.host, &ctx.knobs, ctw_cli_root_is_live(cli));
	if (ctx.kernel_log || ctw_findings_want_kernel_log(&ctx.host))
		ctw_host_read_kernel_log(&ctx.host, &ctx.knobs, ctw_cli_root_is_live(cli));
	else
		ctx.host.kmsg_not_needed = true;
	/* Only when this netns's own table calls for the NOTRACK advice; --top
	 * dumps the whole table anyway. Taken for the metrics too: its finding
	 * counts in the verdict. */
	if (ctw_cli_root_is_live(cli) && !ctx.top_n && ctw_findings_want_sample(&ctx.host, &ctx.cfg))
		ctw_host_sample(&ctx.host);
	ctw_host_memory_compute(&ctx.host);
	if (ctx.top_n)
		gather_top(&ctx, cli);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ctx.gather_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ctw_findings_evaluate(&ctx.host, &ctx.cfg, &ctx.findings);
	if (ctx.format == FORMAT_PROMETHEUS)
		netns_label(&ctx);
	r = report(&ctx);
	ctw_ct_top_free(&ctx.top);
	ctw_knobs_close(&ctx.knobs);
	if (r < 0 || fflush(stdout) != 0)
		return CTW_EXIT_UNKNOWN;
	return (int)ctx.findings.status;
}
