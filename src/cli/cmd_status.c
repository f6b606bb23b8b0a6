/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden status: what the running daemon believes now, from the status
 * file it rewrites under runtime_dir. Exits like a monitoring plugin: the
 * daemon's alert level (0 normal, 1 warning, 2 critical), 3 when it is not
 * running, its status is stale, or the file cannot be read. */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/conf.h"
#include "output/status.h"

#define WIDTH 80
#define LABEL "%-14s"
#define TEXT_DECISIONS 8  /* the text shows this many; --json has the whole ring */
#define TEXT_NETNS 10     /* namespaces the text lists; --json has CTW_STATUS_NETNS_MAX */
#define NETNS_NAME_COLS 36

static const char *const status_help =
	"Usage: ctwarden status [--json] [-c FILE]\n"
	"What the running daemon sees now: table usage, rates, time to full,\n"
	"events, its last decisions and the top talkers, read from\n"
	"<runtime_dir>/status.json. Exits 0 normal, 1 warning, 2 critical (the\n"
	"daemon's alert level; at least 1 when a namespace could not be watched),\n"
	"3 when it is not running or its status is stale.\n";

/* Everything one status run owns. */
struct status_ctx {
	struct ctw_config cfg;
	struct ctw_status st;
	char path[CTW_CONF_PATH_MAX + 32];
	char text[CTW_STATUS_FILE_MAX + 2];
	bool json;
};

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* kill(pid, 0): EPERM still means the process exists (a root daemon seen
 * by an unprivileged user). */
static bool pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* "3 s", "4 min 10 s", "2 h 5 min", "3 d 4 h": two units at most. */
static void human_duration(uint64_t us, char *buf, size_t len)
{
	uint64_t s = us / 1000000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " s", s, us % 1000000 / 100000);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 " d %" PRIu64 " h", s / 86400, s % 86400 / 3600);
}

/* Local time for people: "HH:MM:SS" when on the same day as ref_us, else
 * with the date. */
static void local_time(uint64_t us, uint64_t ref_us, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000), ref = (time_t)(ref_us / 1000000);
	struct tm tm, ref_tm;

	if (!localtime_r(&t, &tm) || !localtime_r(&ref, &ref_tm)) {
		snprintf(buf, len, "?");
		return;
	}
	if (tm.tm_year == ref_tm.tm_year && tm.tm_yday == ref_tm.tm_yday)
		strftime(buf, len, "%H:%M:%S", &tm);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Print text wrapped at WIDTH, every line indented by indent spaces; a word
 * longer than a line is cut. */
static void print_wrapped(FILE *out, const char *text, int indent)
{
	int room = WIDTH - indent;
	const char *p = text;

	while (*p == ' ')
		p++;
	while (*p) {
		int n = (int)strlen(p), cut = n;

		if (n > room) {
			for (cut = room; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = room;
		}
		fprintf(out, "%*s%.*s\n", indent, "", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

static void print_header(FILE *out, const struct status_ctx *c, uint64_t now)
{
	const struct ctw_status *st = &c->st;
	char started[32] = "?", up[32] = "?", age[32];

	if (st->started_at_us) {
		local_time(st->started_at_us, now, started, sizeof(started));
		human_duration(now > st->started_at_us ? now - st->started_at_us : 0, up, sizeof(up));
	}
	human_duration(now > st->updated_at_us ? now - st->updated_at_us : 0, age, sizeof(age));
	fprintf(out, "ctwarden is running (pid %d, %s mode), level %s\n", (int)st->pid,
		ctw_status_mode_name(st->mode), ctw_level_name(st->level));
	if (st->netns_unwatchable > 0)
		fprintf(out, "  WARNING: %u namespace(s) could not be watched: see journalctl -u ctwarden\n",
			st->netns_unwatchable);
	for (unsigned i = 0; i < st->n_yielded; i++)
		fprintf(out, "  yields %s: set outside ctwarden (systemctl reload ctwarden takes it back)\n",
			st->yielded[i]);
	fprintf(out, "  since %s (up %s), updated %s ago\n", started, up, age);
	if (st->config[0])
		fprintf(out, "  policy %s\n", st->config);
	fputc('\n', out);
}

static void print_table(FILE *out, const struct ctw_status *st)
{
	if (st->max)
		fprintf(out, LABEL "%" PRIu64 " of %" PRIu64 " entries (%.1f%%)", "table:", st->count, st->max,
			100.0 * (double)st->count / (double)st->max);
	else
		fprintf(out, LABEL "%" PRIu64 " entries, no limit (max 0)", "table:", st->count);
	if (st->buckets)
		fprintf(out, ", %" PRIu64 " buckets", st->buckets);
	fputc('\n', out);
	if (st->fullest_netns[0] || st->fullest_inode) {
		fprintf(out, LABEL "fullest is %s", "netns:", st->fullest_netns[0] ? st->fullest_netns : "?");
		if (st->fullest_inode)
			fprintf(out, " (inode %" PRIu64 ")", st->fullest_inode);
		fprintf(out, " of %u watched\n", st->netns_watched);
	}
	fprintf(out, LABEL "%" PRIu64 " packets since start\n", "drops:", st->drops);
}

static void print_flow(FILE *out, const struct ctw_status *st)
{
	char ttf[32];

	if (st->have_rates)
		fprintf(out, LABEL "new %.1f/s, destroy %.1f/s, growth %+.1f/s\n", "rates:",
			st->new_per_s, st->destroy_per_s, st->growth_per_s);
	else
		fprintf(out, LABEL "unknown (no events)\n", "rates:");
	if (st->have_time_to_full) {
		human_duration(st->time_to_full_s > 0 ? (uint64_t)(st->time_to_full_s * 1e6) : 0, ttf, sizeof(ttf));
		fprintf(out, LABEL "%s at the current growth\n", "time to full:", ttf);
	} else {
		fprintf(out, LABEL "not growing\n", "time to full:");
	}
	if (st->have_events)
		fprintf(out, LABEL "new %" PRIu64 ", destroy %" PRIu64 ", overruns %" PRIu64
			", buffer %" PRIu64 " KiB, count %" PRIu64 "\n", "events:", st->events_new,
			st->events_destroy, st->events_overruns, st->receive_buffer_bytes / 1024, st->events_count);
	else
		fprintf(out, LABEL "not subscribed\n", "events:");
}

/* A name cut to cols bytes between UTF-8 characters: bytes are at least
 * columns, so it fits. (The reader let only clean names through.) */
static void netns_name(const char *name, char *buf, size_t cols)
{
	size_t n = strnlen(name, cols);

	while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;  /* name[n] continues a character: cut before it */
	memcpy(buf, name, n);
	buf[n] = '\0';
}

/* "3.2 s", "4 min 10 s", ... in a column: past 99 days the digits would
 * push the line over; nobody plans that far. */
static void ttf_cell(const struct ctw_status_netns *n, char *buf, size_t len)
{
	if (!n->have_time_to_full)
		snprintf(buf, len, "%s", n->have_rates ? "not growing" : "-");
	else if (n->time_to_full_s >= 99.0 * 86400)
		snprintf(buf, len, "> 99 d");
	else
		human_duration(n->time_to_full_s > 0 ? (uint64_t)(n->time_to_full_s * 1e6) : 0, buf, len);
}

/* Every namespace the daemon knows: the totals, then the fullest few. */
static void print_namespaces(FILE *out, const struct ctw_status *st)
{
	unsigned shown = st->n_netns < TEXT_NETNS ? st->n_netns : TEXT_NETNS;

	if (st->n_netns == 0 && st->netns_unwatchable == 0)
		return;  /* an older daemon: the netns line above says it all */
	fprintf(out, "\nNamespaces: watched %u, unwatchable %u, %" PRIu64 " entries in all\n", st->netns_watched,
		st->netns_unwatchable, st->netns_total_entries);
	if (st->pressure_netns[0] || st->pressure_inode) {
		char name[NETNS_NAME_COLS + 1];

		netns_name(st->pressure_netns[0] ? st->pressure_netns : "?", name, NETNS_NAME_COLS);
		fprintf(out, "  the policy acts on %s", name);
		if (st->pressure_inode)
			fprintf(out, " (inode %" PRIu64 ")", st->pressure_inode);
		fputc('\n', out);
	}
	if (shown == 0)
		return;
	/* 2 + 36 + 1 + 10 + 1 + 6 + 1 + 10 + 1 + 12 = 80 columns */
	fprintf(out, "  %-*s %10s %6s %10s %12s\n", NETNS_NAME_COLS, "name", "entries", "usage", "new/s",
		"time to full");
	for (unsigned i = 0; i < shown; i++) {
		const struct ctw_status_netns *n = &st->netns[i];
		char name[NETNS_NAME_COLS + 1], usage[320] = "-", rate[320] = "-", ttf[32];  /* the widest %f */

		netns_name(n->name[0] ? n->name : "?", name, NETNS_NAME_COLS);
		if (st->max)
			snprintf(usage, sizeof(usage), "%.1f%%", 100.0 * (double)n->count / (double)st->max);
		if (n->have_rates)
			snprintf(rate, sizeof(rate), "%.1f", n->new_per_s);
		ttf_cell(n, ttf, sizeof(ttf));
		fprintf(out, "  %-*s %10" PRIu64 " %6s %10s %12s\n", NETNS_NAME_COLS, name, n->count, usage, rate,
			ttf);
	}
	if (st->netns_watched > shown)
		fprintf(out, "  ... %u more (the fullest %u in --json)\n", st->netns_watched - shown,
			st->n_netns);
}

static void print_decisions(FILE *out, const struct ctw_status *st, uint64_t now)
{
	const struct ctw_status_decision *d;

	if (st->n_decisions == 0) {
		fprintf(out, "\nNo decisions yet.\n");
		return;
	}
	fprintf(out, "\nLast decisions, newest first:\n");
	for (unsigned i = 0; (d = ctw_status_decision(st, i)); i++) {
		if (i == TEXT_DECISIONS) {
			fprintf(out, "  ... %u older (see --json)\n", st->n_decisions - i);
			break;
		}
		char when[32];

		local_time(d->at_us, now, when, sizeof(when));
		if (d->knob[0])
			fprintf(out, "  %s  %s %s %" PRIu64 " -> %" PRIu64 " (%s)\n", when, d->kind, d->knob,
				d->old_value, d->new_value, d->applied ? "applied" : "not applied");
		else
			fprintf(out, "  %s  %s\n", when, d->kind);
		print_wrapped(out, d->reason, 6);
	}
}

/* The last retirement pass of each namespace that had one, newest first
 * (all of them: the status keeps CTW_STATUS_RETIRE_MAX): what the shortened
 * timeout did to the entries already there. */
static void print_retirements(FILE *out, const struct ctw_status *st, uint64_t now)
{
	if (st->n_retire == 0)
		return;
	fprintf(out, "\nRetirement passes, newest first:\n");
	for (unsigned i = st->n_retire; i-- > 0;) {
		const struct ctw_status_retire *r = &st->retire[i];
		char when[32], idle[32], text[CTW_NETNS_NAME_MAX + 640];

		local_time(r->started_at_us, now, when, sizeof(when));
		human_duration(r->oldest_idle_s * 1000000, idle, sizeof(idle));
		fprintf(out, "  %s  %s %" PRIu64 " -> %" PRIu64 " s: %s%s\n", when,
			r->timeout[0] ? r->timeout : "?", r->old_s, r->new_s,
			r->running ? "running" : r->outcome[0] ? r->outcome : "?", r->dry_run ? " (dry run)" : "");
		snprintf(text, sizeof(text), "in %s: %" PRIu64 " seen, %" PRIu64 " deleted, %" PRIu64
			 " retimed, %" PRIu64 " kept, %" PRIu64 " gone, %" PRIu64 " failed; oldest idle %s; %.3f s",
			 r->netns[0] ? r->netns : "?", r->seen, r->deleted, r->retimed, r->skipped, r->gone,
			 r->failed, idle, r->duration_s);
		print_wrapped(out, text, 6);
	}
}

static void print_top(FILE *out, const char *title, const struct ctw_status_top *top)
{
	if (top->n == 0)
		return;
	fprintf(out, "\n%s:\n", title);
	for (unsigned i = 0; i < top->n && i < CTW_STATUS_TOP_N; i++)
		fprintf(out, "  %-45.45s %10" PRIu64 " flows %5.1f%%\n", top->t[i].key, top->t[i].count,
			top->t[i].percent);
}

static void print_text(FILE *out, const struct status_ctx *c, uint64_t now)
{
	const struct ctw_status *st = &c->st;

	print_header(out, c, now);
	print_table(out, st);
	print_flow(out, st);
	print_namespaces(out, st);
	print_decisions(out, st, now);
	print_retirements(out, st, now);
	if (st->top_sources.n + st->top_destinations.n + st->top_ports.n == 0) {
		fprintf(out, "\nNo top talkers yet.\n");
		return;
	}
	print_top(out, "Top sources", &st->top_sources);
	print_top(out, "Top destinations", &st->top_destinations);
	print_top(out, "Top destination ports", &st->top_ports);
}

/* Not running or stale: UNKNOWN, said on stdout for a monitoring system
 * (stderr with --json, whose stdout is for JSON only). */
static int unknown(const struct status_ctx *c, const char *what)
{
	fprintf(c->json ? stderr : stdout, "ctwarden %s\n", what);
	return CTW_EXIT_UNKNOWN;
}

static int check_fresh(const struct status_ctx *c, uint64_t now)
{
	struct ctw_status st = c->st;
	char what[CTW_CONF_PATH_MAX + 160], age[32];

	if (!pid_alive(st.pid)) {
		snprintf(what, sizeof(what), "is not running: its status is stale (pid %d is gone, %s)",
			 (int)st.pid, c->path);
		return unknown(c, what);
	}
	/* The daemon's own interval, or the configured one if that is longer. */
	if (c->cfg.poll_interval_us > st.poll_interval_us)
		st.poll_interval_us = c->cfg.poll_interval_us;
	if (ctw_status_is_stale(&st, now)) {
		human_duration(now - st.updated_at_us, age, sizeof(age));
		snprintf(what, sizeof(what), "status is stale: %s not updated for %s (pid %d)", c->path, age,
			 (int)st.pid);
		return unknown(c, what);
	}
	return 0;
}

static int show_status(struct status_ctx *c)
{
	char err[256], what[CTW_CONF_PATH_MAX + 64];
	uint64_t now;
	int r;

	if (ctw_status_path(c->cfg.runtime_dir, c->path, sizeof(c->path)) < 0) {
		fprintf(stderr, "ctwarden: runtime_dir %s: name too long\n", c->cfg.runtime_dir);
		return CTW_EXIT_UNKNOWN;
	}
	r = ctw_status_load(c->path, &c->st, c->text, sizeof(c->text), err, sizeof(err));
	if (r == -ENOENT || r == -ENOTDIR) {
		snprintf(what, sizeof(what), "is not running (no %s)", c->path);
		return unknown(c, what);
	}
	if (r < 0) {
		fprintf(stderr, "ctwarden: %s: %s\n", c->path, err);
		return CTW_EXIT_UNKNOWN;
	}
	now = realtime_us();
	r = check_fresh(c, now);
	if (r != 0)
		return r;
	if (c->json)
		fputs(c->text, stdout);  /* validated above; ends with a newline */
	else
		print_text(stdout, c, now);
	if (fflush(stdout) != 0)
		return CTW_EXIT_UNKNOWN;
	/* 0 normal, 1 warning, 2 critical; a namespace it cannot see is a
	 * warning at least: its table may fill unnoticed. */
	if (c->st.level == CTW_LEVEL_NORMAL && c->st.netns_unwatchable > 0)
		return (int)CTW_LEVEL_WARN;
	return (int)c->st.level;
}

int ctw_cmd_status(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* The file's text is 64 KiB: static storage, still one owner. */
	static struct status_ctx ctx;
	int opt;

	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:h", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			fputs(status_help, stdout);
			return 0;
		default:
			fputs(status_help, stderr);
			return CTW_EXIT_UNKNOWN;
		}
	}
	if (ctw_cli_extra_args(cli, "status"))
		return CTW_EXIT_UNKNOWN;
	if (ctw_cli_load_config(cli, &ctx.cfg) < 0)
		return CTW_EXIT_UNKNOWN;
	return show_status(&ctx);
}
