/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden retire: make a shortened timeout true for the entries already in
 * the table, once, without the daemon. One pass per namespace (one dump,
 * deletes and retimes in batches: kernel/ct_retire.c), decided by the pure
 * rule (policy/retire.c) from every value the timeout is known to have held
 * there: the value now, the state file's originals and the steps the daemon
 * takes from them, --was values, the kernel default. */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/conf_values.h"
#include "base/topk.h"
#include "cli/retire_report.h"
#include "daemon/actuator.h"
#include "daemon/runlock.h"
#include "kernel/ct_retire.h"
#include "kernel/knobs.h"
#include "kernel/netns.h"
#include "policy/retire.h"
#include "policy/retire_idle.h"

static const char *const retire_help =
	"Usage: ctwarden retire --timeout NAME=DURATION [--netns NAME|PID|PATH|all]\n"
	"                       [--dry-run] [--set] [--was DURATION]... [--top N] [--json]\n"
	"                       [-c FILE]\n"
	"Deletes the entries that timeout NAME (tcp_timeout_established, udp_timeout,\n"
	"...) set to DURATION says are dead (idle at least DURATION), and shortens the\n"
	"time left of the others it governs to what DURATION leaves them. The sysctl\n"
	"itself is not changed unless --set is given (its original goes to the state\n"
	"file first, so `ctwarden restore` puts it back).\n"
	"  --netns      this namespace by default; a name under the configured netns\n"
	"               directories, a PID, a namespace file, or all of them\n"
	"  --dry-run    change nothing: count what would go, by idle age, with the\n"
	"               top sources, destinations and ports\n"
	"  --set        also write DURATION to the sysctl in each namespace\n"
	"  --was D      a value the timeout held that ctwarden did not set (repeat):\n"
	"               without it an entry refreshed under it may look idler than it is\n"
	"  --top N      rows of the top lists (default 5, 0 for none)\n"
	"  --json       one JSON document\n"
	"Exit status: 0 done (or nothing to do), 1 some requests or namespaces failed,\n"
	"2 refused before changing anything, 3 usage.\n";

#define EXIT_PARTIAL 1
#define EXIT_REFUSED 2
#define WAS_MAX 4
#define TOP_DEFAULT 5
#define TOP_CAPACITY 256

struct retire_ctx {
	struct ctw_config cfg;
	struct ctw_knobs knobs;
	struct ctw_actuator actuator;
	bool actuator_loaded;
	enum ctw_timeout timeout;
	uint64_t value_s;
	uint32_t was_s[WAS_MAX];
	unsigned n_was;
	const char *netns_arg;
	bool json;
	struct ctw_retire_run run;
	struct ctw_top top;
	struct json_object *list;
	uint64_t self_inode;
	uint64_t *done_inodes;     /* --netns all: each namespace once */
	size_t n_done, cap_done;
	unsigned handled, failed;
};

/* ---- options ------------------------------------------------------------ */

/* "tcp_timeout_established", also as nf_conntrack_... or net.netfilter.nf_conntrack_... */
static int timeout_by_any_name(const char *name)
{
	static const char *const prefixes[] = { "net.netfilter.nf_conntrack_", "nf_conntrack_" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return ctw_timeout_by_name(name + strlen(prefixes[i]));
	return ctw_timeout_by_name(name);
}

static int parse_seconds(const char *s, uint64_t *out)
{
	uint64_t us;

	if (ctw_parse_duration_us(s, &us) < 0 || us % 1000000 || us / 1000000 == 0 ||
	    us / 1000000 > CTW_STATE_TIMEOUT_MAX)
		return -EINVAL;
	*out = us / 1000000;
	return 0;
}

static bool parse_timeout_arg(struct retire_ctx *ctx, const char *arg)
{
	char name[96];
	const char *eq = strchr(arg, '=');
	int t;

	if (!eq || (size_t)(eq - arg) >= sizeof(name)) {
		fprintf(stderr, "ctwarden: retire: --timeout wants NAME=DURATION (tcp_timeout_established=1h), not '%s'\n",
			arg);
		return false;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	t = timeout_by_any_name(name);
	if (t < 0) {
		fprintf(stderr, "ctwarden: retire: '%s' is not a conntrack timeout ctwarden knows "
			"(tcp_timeout_established, udp_timeout, udp_timeout_stream, ...)\n", name);
		return false;
	}
	if (parse_seconds(eq + 1, &ctx->value_s) < 0) {
		fprintf(stderr, "ctwarden: retire: '%s' is not a duration of whole seconds from 1s to %llus\n", eq + 1,
			(unsigned long long)CTW_STATE_TIMEOUT_MAX);
		return false;
	}
	ctx->timeout = (enum ctw_timeout)t;
	ctx->run.timeout = ctw_timeout_info(ctx->timeout)->name;
	ctx->run.value_s = ctx->value_s;
	return true;
}

/* ---- what one namespace holds -------------------------------------------- */

struct ns_values {
	const struct ctw_knobs *knobs;
	enum ctw_timeout timeout;
	uint64_t now_s;            /* the timeout's value */
	uint64_t special_s[2];     /* tcp_timeout_unacknowledged, tcp_timeout_max_retrans */
	int r;
};

/* Runs inside the namespace: /proc/sys/net is its own. */
static int read_values(void *ud)
{
	struct ns_values *v = ud;

	v->r = ctw_knob_read(v->knobs, CTW_KNOB_TIMEOUT(v->timeout), &v->now_s);
	if (ctw_knob_read(v->knobs, CTW_KNOB_TIMEOUT(CTW_TO_TCP_UNACKNOWLEDGED), &v->special_s[0]) < 0)
		v->special_s[0] = 0;
	if (ctw_knob_read(v->knobs, CTW_KNOB_TIMEOUT(CTW_TO_TCP_MAX_RETRANS), &v->special_s[1]) < 0)
		v->special_s[1] = 0;
	return 0;
}

static int in_ns(const struct ctw_retire_ns *ns, int (*fn)(void *), void *ud)
{
	return ns->own ? fn(ud) : ctw_netns_enter(&ns->ref, fn, ud);
}

/* The original the state file holds for knob in this namespace, 0 when none. */
static uint64_t state_original(const struct retire_ctx *ctx, const struct ctw_retire_ns *ns, enum ctw_knob knob)
{
	const char *name = ctw_knob_sysctl_name(knob);
	uint64_t v = 0;

	if (!ctx->actuator_loaded)
		return 0;
	if (ns->own) {
		if (ctw_state_get_original(&ctx->actuator.state, name, &v) < 0)
			v = 0;
	} else if (ctw_state_netns_get(&ctx->actuator.state, ns->ref.name, ns->ref.inode, name, &v) < 0) {
		v = 0;
	}
	return v;
}

/* Every value the timeout may have held there (policy/retire_idle.c). */
static int known_values(const struct retire_ctx *ctx, struct ctw_retire_ns *ns, uint64_t original)
{
	return ctw_retire_known_values(ns->known_s, &ns->n_known, ns->before_s, original,
				       ctx->cfg.timeout_floor_s[ctx->timeout], ctx->was_s, ctx->n_was);
}

/* ---- the pass --------------------------------------------------------------- */

struct pass_ctx {
	struct retire_ctx *ctx;
	struct ctw_retire_ns *ns;
	struct ctw_retire_rule rule;
	int r;
};

static void decide(void *ud, const struct ctw_ct_entry *e, struct ctw_retire_decision *d)
{
	struct pass_ctx *pc = ud;

	ctw_retire_decide(&pc->rule, e, d);
	if (d->action != CTW_RETIRE_KEEP)
		pc->ns->bucket[ctw_retire_bucket(d->idle_s)]++;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Runs inside the namespace: the pass's sockets belong to it. */
static int run_pass(void *ud)
{
	struct pass_ctx *pc = ud;
	struct ctw_ct_retire_opts opts = {
		.l4proto = ctw_retire_l4proto(pc->ctx->timeout),
		.dry_run = pc->ctx->run.dry_run,
		.top = pc->ctx->run.top_n ? &pc->ctx->top : NULL,
	};
	struct ctw_ct_retire *p;
	struct timespec t0;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ctw_ct_retire_open(&p, &opts, decide, pc);
	if (r < 0) {
		pc->r = r;
		return 0;
	}
	do
		r = ctw_ct_retire_step(p, 0);
	while (r == 0);
	pc->ns->rep = *ctw_ct_retire_report(p);
	ctw_ct_retire_close(p);
	pc->ns->seconds = seconds_since(&t0);
	pc->r = r < 0 ? r : 0;
	return 0;
}

/* --set: the original to the state file first, then the write (the
 * actuator's rule, as the daemon does it). */
static int write_timeout(struct retire_ctx *ctx, struct ctw_retire_ns *ns)
{
	struct ctw_backoff backoff = { 0 };
	enum ctw_knob knob = CTW_KNOB_TIMEOUT(ctx->timeout);
	enum ctw_apply_result res;
	bool first;
	int errnum;

	if (ns->own)
		res = ctw_actuator_apply(&ctx->actuator, knob, ns->before_s, ctx->value_s, 0, &errnum, &first,
					 ns->err_text, sizeof(ns->err_text));
	else
		res = ctw_actuator_apply_netns(&ctx->actuator, &ns->ref, knob, ns->before_s, ctx->value_s, 0, &backoff,
					       &errnum, &first, ns->err_text, sizeof(ns->err_text));
	if (res != CTW_APPLY_DONE)
		return errnum ? -errnum : -EIO;
	ns->set_written = true;
	return 0;
}

static void fail(struct ctw_retire_ns *ns, int err, const char *what)
{
	ns->err = err;
	snprintf(ns->err_text, sizeof(ns->err_text), "%s: %s", what, strerror(-err));
}

static void handle_ns(struct retire_ctx *ctx, const struct ctw_netns_ref *ref)
{
	static struct ctw_retire_ns ns;
	struct ns_values v = { .knobs = &ctx->knobs, .timeout = ctx->timeout };
	struct pass_ctx pc = { .ctx = ctx, .ns = &ns };
	uint64_t special;
	int r;

	memset(&ns, 0, sizeof(ns));
	ns.ref = *ref;
	ns.own = ref->inode == ctx->self_inode;
	ctw_top_reset(&ctx->top);
	ns.top = &ctx->top;
	r = in_ns(&ns, read_values, &v);
	if (r == 0)
		r = v.r;
	if (r < 0) {
		fail(&ns, r, ctw_knob_sysctl_name(CTW_KNOB_TIMEOUT(ctx->timeout)));
		goto out;
	}
	ns.before_s = v.now_s;
	if (known_values(ctx, &ns, state_original(ctx, &ns, CTW_KNOB_TIMEOUT(ctx->timeout))) < 0) {
		fail(&ns, -E2BIG, "more values the timeout may have held than the rule can weigh (give fewer --was)");
		goto out;
	}
	/* The special TCP timeouts: the longest of what is in force, their
	 * originals and the kernel defaults (a longer one keeps more). */
	special = v.special_s[0] > v.special_s[1] ? v.special_s[0] : v.special_s[1];
	for (int s = CTW_TO_TCP_MAX_RETRANS; s <= CTW_TO_TCP_UNACKNOWLEDGED; s++) {
		uint64_t o = state_original(ctx, &ns, CTW_KNOB_TIMEOUT(s));

		if (o > special)
			special = o;
		if (ctw_timeout_info((enum ctw_timeout)s)->kernel_default > special)
			special = ctw_timeout_info((enum ctw_timeout)s)->kernel_default;
	}
	r = ctw_retire_rule_init(&pc.rule, ctx->timeout, (uint32_t)ctx->value_s, ns.known_s, ns.n_known,
				 (uint32_t)(special > UINT32_MAX ? UINT32_MAX : special), ctx->cfg.retire_nat);
	if (r == 0)
		r = ctw_retire_rule_exclude(&pc.rule, &ctx->cfg);
	if (r < 0) {
		fail(&ns, r, "the retirement rule");
		goto out;
	}
	/* What the report shows is what the rule weighed. */
	ns.n_known = pc.rule.n_known;
	memcpy(ns.known_s, pc.rule.known_s, sizeof(ns.known_s));
	if (ctx->run.set && !ctx->run.dry_run && ns.before_s != ctx->value_s) {
		r = write_timeout(ctx, &ns);
		if (r < 0) {
			ns.err = r;   /* err_text set by the actuator */
			goto out;
		}
	}
	r = in_ns(&ns, run_pass, &pc);
	if (r == 0)
		r = pc.r;
	if (r < 0) {
		fail(&ns, r, r == -EPERM ? "the table over ctnetlink (needs CAP_NET_ADMIN there)"
					  : "the table over ctnetlink");
	} else if (ns.rep.failed) {
		ns.err = ns.rep.first_error ? ns.rep.first_error : -EIO;
		snprintf(ns.err_text, sizeof(ns.err_text), "%" PRIu64 " request%s failed (first: %s)%s", ns.rep.failed,
			 ns.rep.failed == 1 ? "" : "s", strerror(-ns.err),
			 ns.err == -ENOBUFS ? "; their replies were lost, so their outcome is unknown" : "");
	}
out:
	ctx->handled++;
	if (ns.err)
		ctx->failed++;
	if (ctx->json)
		json_object_array_add(ctx->list, ctw_retire_ns_json(&ctx->run, &ns));
	else
		ctw_retire_print_text(stdout, &ctx->run, &ns);
}

/* ---- which namespaces ------------------------------------------------------- */

static bool seen_before(struct retire_ctx *ctx, uint64_t inode)
{
	for (size_t i = 0; i < ctx->n_done; i++)
		if (ctx->done_inodes[i] == inode)
			return true;
	if (ctx->n_done == ctx->cap_done) {
		size_t cap = ctx->cap_done ? ctx->cap_done * 2 : 64;
		uint64_t *p = realloc(ctx->done_inodes, cap * sizeof(*p));

		if (!p)
			return false;
		ctx->done_inodes = p;
		ctx->cap_done = cap;
	}
	ctx->done_inodes[ctx->n_done++] = inode;
	return false;
}

static bool on_found(const struct ctw_netns_ref *ref, void *ud)
{
	struct retire_ctx *ctx = ud;
	struct ctw_netns_ref named = *ref;

	if (seen_before(ctx, ref->inode))
		return true;
	if (strncmp(named.name, "pid ", 4) == 0)
		ctw_netns_name_pid("/proc", &named);
	handle_ns(ctx, &named);
	return true;
}

static void own_ref(const struct retire_ctx *ctx, struct ctw_netns_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->inode = ctx->self_inode;
	snprintf(ref->path, sizeof(ref->path), "/proc/self/ns/net");
	snprintf(ref->name, sizeof(ref->name), "host");
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* --netns NAME|PID|PATH into ref: 0 or -errno (said on stderr). */
static int resolve_netns(const struct retire_ctx *ctx, const char *arg, struct ctw_netns_ref *ref)
{
	char dir[160], pidname[32];
	const char *slash = strrchr(arg, '/');
	int r = -ENOENT;

	if (all_digits(arg)) {
		snprintf(dir, sizeof(dir), "/proc/%s/ns", arg);
		r = ctw_netns_ref_from_file(dir, "net", ref);
		if (r == 0) {
			snprintf(pidname, sizeof(pidname), "pid %s", arg);
			snprintf(ref->name, sizeof(ref->name), "%s", pidname);
			ctw_netns_name_pid("/proc", ref);
		}
	} else if (slash) {
		size_t n = (size_t)(slash - arg);

		if (n >= sizeof(dir)) {
			r = -ENAMETOOLONG;
		} else {
			memcpy(dir, arg, n);
			dir[n] = '\0';
			r = ctw_netns_ref_from_file(n ? dir : "/", slash + 1, ref);
		}
	} else {
		for (unsigned i = 0; i < ctx->cfg.n_netns_dirs && r < 0; i++)
			r = ctw_netns_ref_from_file(ctx->cfg.netns_dirs[i], arg, ref);
	}
	if (r < 0)
		fprintf(stderr, "ctwarden: retire: no network namespace '%s'%s: %s\n", arg,
			!all_digits(arg) && !slash ? " in the configured netns directories" : "",
			r == -EAGAIN ? "not a mounted namespace" : strerror(-r));
	return r;
}

/* ---- the command ------------------------------------------------------------ */

static int load_state(struct retire_ctx *ctx)
{
	char err[1024];
	int r = ctw_actuator_load(&ctx->actuator, &ctx->knobs, ctx->cfg.state_dir, err, sizeof(err));

	if (r < 0) {
		/* Originals we cannot read are values we cannot weigh. */
		fprintf(stderr, "ctwarden: retire: %s\n", err);
		return r;
	}
	if (ctx->actuator.other_boot) {
		if (ctx->run.set && !ctx->run.dry_run) {
			fprintf(stderr, "ctwarden: retire: %s holds originals from another boot: "
				"`ctwarden restore --forget` first\n", ctx->actuator.state.path);
			return -ESTALE;
		}
		/* Another boot's values were never in force in this one. */
		memset(&ctx->actuator.state, 0, sizeof(ctx->actuator.state));
	}
	ctx->actuator_loaded = true;
	return 0;
}

static int finish(struct retire_ctx *ctx)
{
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		if (o) {
			json_object_object_add(o, "timeout", json_object_new_string(ctx->run.timeout));
			json_object_object_add(o, "value_s", json_object_new_uint64(ctx->value_s));
			json_object_object_add(o, "dry_run", json_object_new_boolean(ctx->run.dry_run));
			json_object_object_add(o, "set", json_object_new_boolean(ctx->run.set));
			json_object_object_add(o, "namespaces", ctx->list);
			ctx->list = NULL;
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
		}
	}
	if (fflush(stdout) != 0)
		return EXIT_PARTIAL;
	return ctx->failed ? EXIT_PARTIAL : 0;
}

int ctw_cmd_retire(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "timeout", required_argument, NULL, 't' },
		{ "netns", required_argument, NULL, 'N' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "set", no_argument, NULL, 's' },
		{ "was", required_argument, NULL, 'w' },
		{ "top", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct retire_ctx ctx;
	struct ctw_netns_ref ref;
	bool have_timeout = false;
	const char *dirs[CTW_NETNS_DIRS_MAX];
	uint64_t was;
	uint32_t seed = 0x5eed1234u;
	pid_t holder;
	char *end;
	int opt, r;

	ctx.run.top_n = TOP_DEFAULT;
	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:hn", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case 't':
			if (!parse_timeout_arg(&ctx, optarg))
				return CTW_EXIT_UNKNOWN;
			have_timeout = true;
			break;
		case 'N':
			ctx.netns_arg = optarg;
			break;
		case 'n':
			ctx.run.dry_run = true;
			break;
		case 's':
			ctx.run.set = true;
			break;
		case 'w':
			if (ctx.n_was == WAS_MAX || parse_seconds(optarg, &was) < 0) {
				fprintf(stderr, "ctwarden: retire: --was takes a duration (at most %d times), not '%s'\n",
					WAS_MAX, optarg);
				return CTW_EXIT_UNKNOWN;
			}
			ctx.was_s[ctx.n_was++] = (uint32_t)was;
			break;
		case 'T':
			errno = 0;
			ctx.run.top_n = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !optarg[0] || ctx.run.top_n > 100) {
				fputs("ctwarden: retire: --top takes a number from 0 to 100\n", stderr);
				return CTW_EXIT_UNKNOWN;
			}
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			fputs(retire_help, stdout);
			return 0;
		default:
			fputs(retire_help, stderr);
			return CTW_EXIT_UNKNOWN;
		}
	}
	if (ctw_cli_extra_args(cli, "retire"))
		return CTW_EXIT_UNKNOWN;
	if (!have_timeout) {
		fputs("ctwarden: retire: --timeout NAME=DURATION is required\n", stderr);
		return CTW_EXIT_UNKNOWN;
	}
	if (!ctw_cli_root_is_live(cli)) {
		fputs("ctwarden: retire: works on the live table only, not with --root\n", stderr);
		return CTW_EXIT_UNKNOWN;
	}
	if (ctw_cli_load_config(cli, &ctx.cfg) < 0)
		return EXIT_REFUSED;
	holder = ctw_runlock_holder(ctx.cfg.runtime_dir);
	if (holder > 0 && ctx.run.set && !ctx.run.dry_run) {
		fprintf(stderr, "ctwarden: retire: ctwarden run (pid %ld) is running and tunes the timeouts itself: "
			"--set would fight it (retire without --set, or stop it first)\n", (long)holder);
		return EXIT_REFUSED;
	}
	r = ctw_knobs_open(&ctx.knobs, cli->root);
	if (r < 0) {
		fprintf(stderr, "ctwarden: cannot open root %s: %s\n", cli->root, strerror(-r));
		return EXIT_REFUSED;
	}
	if (load_state(&ctx) < 0) {
		ctw_knobs_close(&ctx.knobs);
		return EXIT_REFUSED;
	}
	ctx.self_inode = ctw_netns_self_inode();
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = 0x5eed1234u;
	if (ctw_top_init(&ctx.top, TOP_CAPACITY, seed) < 0) {
		fputs("ctwarden: retire: out of memory\n", stderr);
		ctw_knobs_close(&ctx.knobs);
		return EXIT_REFUSED;
	}
	if (ctx.json)
		ctx.list = json_object_new_array();
	if (!ctx.netns_arg || strcmp(ctx.netns_arg, "all") == 0) {
		own_ref(&ctx, &ref);
		seen_before(&ctx, ref.inode);
		handle_ns(&ctx, &ref);
	}
	if (ctx.netns_arg && strcmp(ctx.netns_arg, "all") == 0) {
		for (unsigned i = 0; i < ctx.cfg.n_netns_dirs && i < CTW_NETNS_DIRS_MAX; i++)
			dirs[i] = ctx.cfg.netns_dirs[i];
		if (ctw_netns_scan("/proc", dirs, ctx.cfg.n_netns_dirs, on_found, NULL, &ctx) < 0)
			ctx.failed++;
	} else if (ctx.netns_arg) {
		if (resolve_netns(&ctx, ctx.netns_arg, &ref) < 0) {
			r = EXIT_REFUSED;
			goto out;
		}
		handle_ns(&ctx, &ref);
	}
	r = finish(&ctx);
out:
	json_object_put(ctx.list);
	ctw_top_free(&ctx.top);
	free(ctx.done_inodes);
	ctw_knobs_close(&ctx.knobs);
	return r;
}
