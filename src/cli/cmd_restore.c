/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden restore: put every knob the daemon changed back to its original,
 * all or nothing. */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/actuator.h"
#include "base/conf.h"
#include "kernel/knobs.h"
#include "kernel/netns.h"
#include "daemon/runlock.h"

static const char *const restore_help =
	"Usage: ctwarden restore [--dry-run] [--force] [--forget] [-c FILE] [--root DIR]\n"
	"Puts every kernel value ctwarden changed back to what it was before, and\n"
	"forgets them. All or nothing: every entry of the state file is checked\n"
	"first, and when a write fails the values already written are put back.\n"
	"Stop the daemon first (systemctl stop ctwarden).\n"
	"  --dry-run  check everything and print what would be written; write nothing\n"
	"  --force    restore nf_conntrack_max even below the current entry count\n"
	"  --forget   delete the state file without writing any knob (e.g. a state\n"
	"             from another boot, which restore refuses)\n"
	"Exit status: 0 restored (or nothing to do), 1 a write failed and every value\n"
	"already written was put back, 2 refused before writing anything (bad state\n"
	"file, another boot, max below the entry count, daemon running), 3 usage,\n"
	"4 a write failed and putting back failed too (the values are listed).\n";

#define EXIT_REFUSED CTW_RESTORE_REFUSED

static void say(bool error, const char *line, void *userdata)
{
	(void)userdata;
	if (error)
		fprintf(stderr, "ctwarden: %s\n", line);
	else
		printf("%s\n", line);
}

/* The fullest netns found so far, and the namespaces already looked at (a
 * sorted set of inodes: the scan reports a namespace once per process in it). */
struct fullest_scan {
	const struct ctw_knobs *knobs;
	uint64_t self_inode;
	uint64_t *seen;
	size_t n_seen, cap_seen;
	bool out_of_memory;
	uint64_t fullest;
	char *name;
	size_t namelen;
};

struct count_read {
	const struct ctw_knobs *knobs;
	uint64_t count;
};

/* Runs inside a netns: /proc/sys/net shows the caller's netns. */
static int read_count(void *userdata)
{
	struct count_read *cr = userdata;

	return ctw_knob_read(cr->knobs, CTW_KNOB_COUNT, &cr->count);
}

/* Add inode to the set; false when it was there already. */
static bool first_sight(struct fullest_scan *fs, uint64_t inode)
{
	size_t lo = 0, hi = fs->n_seen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fs->seen[mid] == inode)
			return false;
		if (fs->seen[mid] < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (fs->n_seen == fs->cap_seen) {
		size_t cap = fs->cap_seen ? fs->cap_seen * 2 : 256;
		uint64_t *bigger = realloc(fs->seen, cap * sizeof(*bigger));

		if (!bigger) {
			fs->out_of_memory = true;
			return false;
		}
		fs->seen = bigger;
		fs->cap_seen = cap;
	}
	memmove(fs->seen + lo + 1, fs->seen + lo, (fs->n_seen - lo) * sizeof(*fs->seen));
	fs->seen[lo] = inode;
	fs->n_seen++;
	return true;
}

static bool on_netns(const struct ctw_netns_ref *ref, void *ud)
{
	struct fullest_scan *fs = ud;
	struct ctw_netns_ref named = *ref;
	struct count_read cr = { .knobs = fs->knobs };

	if (ref->inode == fs->self_inode || !first_sight(fs, ref->inode))
		return !fs->out_of_memory;
	if (ctw_netns_enter(ref, read_count, &cr) == 0 && cr.count > fs->fullest) {
		fs->fullest = cr.count;
		ctw_netns_name_pid("/proc", &named);
		snprintf(fs->name, fs->namelen, "netns %s", named.name);
	}
	return true;
}

/* The fullest netns: the limit is checked per netns. Every namespace the
 * daemon would watch (the same scan, no limit on how many); only our own
 * when the root is not the live one or the others cannot be entered. */
static uint64_t fullest_count(const struct ctw_knobs *k, const struct ctw_config *cfg, bool live, char *name,
			      size_t namelen)
{
	const char *dirs[CTW_NETNS_DIRS_MAX];
	struct fullest_scan fs = { .knobs = k, .self_inode = ctw_netns_self_inode(), .name = name,
				   .namelen = namelen };

	snprintf(name, namelen, "host");
	if (ctw_knob_read(k, CTW_KNOB_COUNT, &fs.fullest) < 0)
		fs.fullest = 0;
	for (unsigned i = 0; i < cfg->n_netns_dirs && i < CTW_NETNS_DIRS_MAX; i++)
		dirs[i] = cfg->netns_dirs[i];
	if (live && fs.self_inode)
		ctw_netns_scan("/proc", dirs, cfg->n_netns_dirs < CTW_NETNS_DIRS_MAX ? cfg->n_netns_dirs : CTW_NETNS_DIRS_MAX,
			       on_netns, NULL, &fs);
	if (fs.out_of_memory)
		fprintf(stderr, "ctwarden: out of memory while looking into every network namespace: "
			"the live count may miss some\n");
	free(fs.seen);
	return fs.fullest;
}

/* --forget: the state file goes, no knob is written. Works on a file that
 * does not load (it says why), since that is one way out of it. */
static int forget(struct ctw_actuator *a, const struct ctw_knobs *k, const char *state_dir)
{
	char err[512], path[4200];
	int r = ctw_actuator_load(a, k, state_dir, err, sizeof(err));

	snprintf(path, sizeof(path), "%s/%s", state_dir, CTW_STATE_FILE_NAME);
	if (r == 0 && ctw_state_empty(&a->state)) {
		printf("nothing to forget (%s)\n", path);
		return 0;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "ctwarden: %s: cannot remove: %s\n", path, strerror(errno));
		return 1;
	}
	if (r == 0)
		printf("forgot %zu original%s from %s (boot %s); no kernel value was written\n",
		       ctw_state_count(&a->state), ctw_state_count(&a->state) == 1 ? "" : "s", path,
		       a->state_boot_id[0] ? a->state_boot_id : "unknown");
	else
		printf("removed %s (%s); no kernel value was written\n", path, err);
	return 0;
}

static void print_plan(const struct ctw_actuator *a, const struct ctw_restore_plan *p)
{
	char name[256];

	for (size_t g = 0; g < p->n_gone; g++) {
		const struct ctw_state_netns *ns = &a->state.netns[p->gone[g]];

		printf("would forget netns %s (inode %" PRIu64 "): it is gone\n", ns->name, ns->inode);
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct ctw_restore_step *st = &p->steps[i];

		ctw_restore_step_name(a, st, name, sizeof(name));
		if (st->from == st->to)
			printf("would leave %s = %" PRIu64 " (already the original)\n", name, st->to);
		else
			printf("would write %s = %" PRIu64 " (now %" PRIu64 ")\n", name, st->to, st->from);
	}
	printf("dry run: nothing written\n");
}

int ctw_cmd_restore(struct ctw_cli *cli)
{
	static const struct option options[] = {
		CTW_CLI_COMMON_OPTIONS,
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "forget", no_argument, NULL, 0x200 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct ctw_actuator actuator;
	static struct ctw_restore_plan plan;
	struct ctw_restore_opts opts = { .say = say };
	struct ctw_config cfg;
	struct ctw_knobs knobs;
	bool dry_run = false, force = false, do_forget = false;
	char err[1024], where[96];
	pid_t holder;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(cli->argc, cli->argv, "c:fhn", options, NULL)) != -1) {
		if (ctw_cli_common_option(cli, opt, optarg))
			continue;
		if (opt == 'f') {
			force = true;
			continue;
		}
		if (opt == 'n') {
			dry_run = true;
			continue;
		}
		if (opt == 0x200) {
			do_forget = true;
			continue;
		}
		if (opt == 'h') {
			fputs(restore_help, stdout);
			return 0;
		}
		fputs(restore_help, stderr);
		return CTW_EXIT_UNKNOWN;
	}
	if (ctw_cli_extra_args(cli, "restore"))
		return CTW_EXIT_UNKNOWN;
	if (ctw_cli_load_config(cli, &cfg) < 0)
		return EXIT_REFUSED;
	holder = ctw_runlock_holder(cfg.runtime_dir);
	if (holder > 0 && !dry_run) {
		fprintf(stderr, "ctwarden: ctwarden run (pid %ld) is running and would tune again: "
			"stop it first (systemctl stop ctwarden)\n", (long)holder);
		return EXIT_REFUSED;
	}
	r = ctw_knobs_open(&knobs, cli->root);
	if (r < 0) {
		fprintf(stderr, "ctwarden: cannot open root %s: %s\n", cli->root, strerror(-r));
		return EXIT_REFUSED;
	}
	if (do_forget) {
		r = forget(&actuator, &knobs, cfg.state_dir);
		ctw_knobs_close(&knobs);
		return r;
	}
	r = ctw_actuator_load(&actuator, &knobs, cfg.state_dir, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ctwarden: %s\n", err);
		ctw_knobs_close(&knobs);
		return EXIT_REFUSED;
	}
	if (ctw_state_empty(&actuator.state)) {
		printf("nothing to restore: ctwarden has changed no kernel value (%s)\n", actuator.state.path);
		ctw_knobs_close(&knobs);
		return 0;
	}
	opts.live = ctw_cli_root_is_live(cli);
	opts.force = force;
	if (!force && ctw_state_has_original(&actuator.state, ctw_knob_sysctl_name(CTW_KNOB_MAX)))
		opts.live_count = fullest_count(&knobs, &cfg, opts.live, where, sizeof(where));
	opts.count_where = where;
	r = ctw_restore_plan(&actuator, &opts, &plan, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ctwarden: %s\nctwarden: nothing was written\n", err);
		ctw_knobs_close(&knobs);
		return EXIT_REFUSED;
	}
	if (dry_run) {
		print_plan(&actuator, &plan);
		ctw_knobs_close(&knobs);
		return 0;
	}
	r = (int)ctw_restore_apply(&actuator, &opts, &plan);
	ctw_knobs_close(&knobs);
	return r;
}
