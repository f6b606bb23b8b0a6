/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Restore as a transaction: check everything, then write in a safe order,
 * and put back what was written when a write fails. */
#include "daemon/actuator.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void say(const struct ctw_restore_opts *o, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(const struct ctw_restore_opts *o, bool error, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!o->say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->say(error, line, o->userdata);
}


const char *ctw_restore_step_name(const struct ctw_actuator *a, const struct ctw_restore_step *st, char *buf,
				  size_t len)
{
	const char *name = ctw_knob_sysctl_name(st->knob);

	if (st->ns < 0)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s in netns %s (inode %" PRIu64 ")", name, a->state.netns[st->ns].name,
			 a->state.netns[st->ns].inode);
	return buf;
}

/* ---- one knob, in the host's namespace or in another ------------------- */

struct ns_io {
	const struct ctw_knobs *knobs;
	enum ctw_knob knob;
	uint64_t inode;      /* the namespace we must be in */
	bool write;
	uint64_t value;      /* to write, or read */
	uint64_t readback;
};

/* Runs inside the namespace (ctw_netns_enter). The path was checked before,
 * but a namespace can go and its inode be reused in between: check where we
 * really are before touching anything. */
static int ns_io_fn(void *userdata)
{
	struct ns_io *io = userdata;

	if (ctw_netns_self_inode() != io->inode)
		return -ESTALE;
	if (io->write)
		return ctw_knob_write(io->knobs, io->knob, io->value, &io->readback);
	return ctw_knob_read(io->knobs, io->knob, &io->value);
}

static int knob_io(struct ctw_actuator *a, int ns, enum ctw_knob knob, bool write, uint64_t *value)
{
	struct ns_io io = { .knobs = a->knobs, .knob = knob, .write = write, .value = *value };
	struct ctw_netns_ref ref;
	int r;

	if (ns < 0) {
		if (write)
			return ctw_knob_write(a->knobs, knob, *value, NULL);
		return ctw_knob_read(a->knobs, knob, value);
	}
	memset(&ref, 0, sizeof(ref));
	ref.inode = a->state.netns[ns].inode;
	snprintf(ref.path, sizeof(ref.path), "%s", a->state.netns[ns].path);
	snprintf(ref.name, sizeof(ref.name), "%s", a->state.netns[ns].name);
	io.inode = ref.inode;
	r = ctw_netns_enter(&ref, ns_io_fn, &io);
	if (r == 0 && !write)
		*value = io.value;
	return r;
}

/* Does the namespace's path still lead to the namespace recorded? */
static bool netns_present(const struct ctw_state_netns *ns)
{
	struct stat st;

	return stat(ns->path, &st) == 0 && (uint64_t)st.st_ino == ns->inode;
}

/* ---- the plan ---------------------------------------------------------- */

/* The order of the writes. Only max and buckets depend on each other:
 * max caps the entries, buckets size the hash that holds them. Going down
 * (the usual restore: the daemon had raised both), lower max first: a big
 * hash under a small max only costs memory for a moment, while a small hash
 * under a still big max lets a flood build long chains that every packet
 * walks. Going up (the daemon had lowered max), raise buckets first, for the
 * same reason. Either way the table in between never allows more entries
 * per bucket than it did before or will after, and a failure of the second
 * write leaves the safer half in place until the rollback. Timeouts that
 * get shorter go first (they only relieve the table), timeouts that get
 * longer and expect_max last, once the table is as large as it will be. */
static int rank(const struct ctw_restore_step *st, bool max_goes_down)
{
	switch (st->knob) {
	case CTW_KNOB_MAX:
		return max_goes_down ? 1 : 2;
	case CTW_KNOB_BUCKETS:
		return max_goes_down ? 2 : 1;
	case CTW_KNOB_EXPECT_MAX:
		return 3;
	default:
		return st->to < st->from ? 0 : 3;
	}
}

static void order_steps(struct ctw_restore_plan *p)
{
	bool max_goes_down = true;

	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i].ns < 0 && p->steps[i].knob == CTW_KNOB_MAX)
			max_goes_down = p->steps[i].to <= p->steps[i].from;
	/* Insertion sort: stable, and there are few steps. */
	for (size_t i = 1; i < p->n; i++) {
		struct ctw_restore_step cur = p->steps[i];
		size_t j = i;

		while (j > 0 && rank(&p->steps[j - 1], max_goes_down) > rank(&cur, max_goes_down)) {
			p->steps[j] = p->steps[j - 1];
			j--;
		}
		p->steps[j] = cur;
	}
}

static int add_step(struct ctw_actuator *a, struct ctw_restore_plan *p, int ns, enum ctw_knob knob,
		    uint64_t to, char *err, size_t errlen)
{
	struct ctw_restore_step *st;
	char name[CTW_STATE_NAME_MAX + CTW_NETNS_NAME_MAX + 48];
	char why[128];
	uint64_t now = 0;
	int r;

	if (p->n >= CTW_RESTORE_STEPS_MAX)
		return -ENOSPC;
	st = &p->steps[p->n];
	memset(st, 0, sizeof(*st));
	st->ns = ns;
	st->knob = knob;
	st->to = to;
	ctw_restore_step_name(a, st, name, sizeof(name));
	/* The loader checked these already; a plan never trusts that it did. */
	if (ctw_state_check_value(knob, to, why, sizeof(why)) < 0) {
		ctw_set_err(err, errlen, "%s: %s = %" PRIu64 " %s", a->state.path, name, to, why);
		return -ERANGE;
	}
	r = knob_io(a, ns, knob, false, &now);
	if (r < 0) {
		ctw_set_err(err, errlen, "%s: cannot read %s before restoring it: %s", a->state.path, name,
			strerror(-r));
		return r;
	}
	st->from = now;
	p->n++;
	return 0;
}

int ctw_restore_plan(struct ctw_actuator *a, const struct ctw_restore_opts *opts, struct ctw_restore_plan *plan,
		     char *err, size_t errlen)
{
	const struct ctw_state *s = &a->state;
	int r;

	plan->n = 0;
	plan->n_gone = 0;
	if (a->other_boot) {
		ctw_set_err(err, errlen, "%s: these originals are from another boot (state boot ID %s, this boot %s): "
			"the kernel started from its boot values since, and writing them would undo whatever "
			"set the knobs at this boot; discard them with `ctwarden restore --forget`",
			s->path, a->state_boot_id[0] ? a->state_boot_id : "unknown, written before this boot",
			a->boot_id[0] ? a->boot_id : "unknown");
		return -ESTALE;
	}
	for (size_t i = 0; i < s->n; i++) {
		int id = ctw_state_knob_by_name(s->originals[i].name);

		if (id < 0) {
			ctw_set_err(err, errlen, "%s: \"%s\" is not a knob ctwarden manages", s->path, s->originals[i].name);
			return -EINVAL;
		}
		if (id == CTW_KNOB_MAX && !opts->force && s->originals[i].value < opts->live_count) {
			ctw_set_err(err, errlen, "%s: net.netfilter.nf_conntrack_max = %" PRIu64 ": the table of %s holds "
				"%" PRIu64 " entries, more than that; restoring it would drop new flows until the "
				"table drains; use --force to restore anyway", s->path, s->originals[i].value,
				opts->count_where ? opts->count_where : "host", opts->live_count);
			return -EBUSY;
		}
		r = add_step(a, plan, -1, (enum ctw_knob)id, s->originals[i].value, err, errlen);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < s->n_netns; i++) {
		const struct ctw_state_netns *ns = &s->netns[i];

		if (!ctw_state_netns_path_valid(ns->path)) {
			ctw_set_err(err, errlen, "%s: netns %s: \"%s\" is not /run/netns/NAME or /proc/PID/ns/net",
				s->path, ns->name, ns->path);
			return -EINVAL;
		}
		if (!opts->live) {
			ctw_set_err(err, errlen, "%s: netns %s: originals inside a namespace can only be restored on the "
				"live kernel (not with --root)", s->path, ns->name);
			return -EOPNOTSUPP;
		}
		if (!netns_present(ns)) {
			plan->gone[plan->n_gone++] = (int)i;
			continue;
		}
		for (size_t j = 0; j < ns->n; j++) {
			r = add_step(a, plan, (int)i, ns->originals[j].knob, ns->originals[j].value, err, errlen);
			if (r < 0)
				return r;
		}
	}
	order_steps(plan);
	return 0;
}

/* ---- carrying it out --------------------------------------------------- */

static enum ctw_restore_result roll_back(struct ctw_actuator *a, const struct ctw_restore_opts *opts,
					 struct ctw_restore_plan *p)
{
	enum ctw_restore_result res = CTW_RESTORE_ROLLED_BACK;
	char name[CTW_STATE_NAME_MAX + CTW_NETNS_NAME_MAX + 48];

	for (size_t i = p->n; i-- > 0;) {
		struct ctw_restore_step *st = &p->steps[i];
		uint64_t v = st->from, now = 0;
		int r;

		if (!st->written)
			continue;
		ctw_restore_step_name(a, st, name, sizeof(name));
		r = knob_io(a, st->ns, st->knob, true, &v);
		if (r == 0) {
			st->written = false;
			say(opts, true, "put back %s = %" PRIu64, name, st->from);
			continue;
		}
		res = CTW_RESTORE_PARTIAL;
		if (knob_io(a, st->ns, st->knob, false, &now) == 0)
			say(opts, true, "could NOT put back %s = %" PRIu64 " (%s): it is now %" PRIu64, name, st->from,
			    strerror(-r), now);
		else
			say(opts, true, "could NOT put back %s = %" PRIu64 " (%s)", name, st->from, strerror(-r));
	}
	return res;
}

static int forget_restored(struct ctw_actuator *a, const struct ctw_restore_opts *opts,
			   const struct ctw_restore_plan *p)
{
	struct ctw_state *s = &a->state;
	char err[512];
	int r;

	/* Namespaces first by identity (name and inode): indexes move as entries go. */
	for (size_t i = 0; i < p->n; i++) {
		const struct ctw_restore_step *st = &p->steps[i];

		if (st->ns < 0)
			ctw_state_remove(s, ctw_knob_sysctl_name(st->knob));
	}
	for (size_t i = s->n_netns; i-- > 0;) {
		bool drop = false;

		for (size_t g = 0; g < p->n_gone; g++)
			drop = drop || p->gone[g] == (int)i;
		for (size_t k = 0; k < p->n && !drop; k++)
			drop = p->steps[k].ns == (int)i;
		if (drop)
			ctw_state_netns_forget(s, s->netns[i].name, s->netns[i].inode);
	}
	r = ctw_state_empty(s) ? ctw_state_clear(s, err, sizeof(err)) : ctw_state_save(s, err, sizeof(err));
	if (r < 0)
		say(opts, true, "the knobs are restored, but the state file could not be updated: %s", err);
	return r;
}

enum ctw_restore_result ctw_restore_apply(struct ctw_actuator *a, const struct ctw_restore_opts *opts,
					  struct ctw_restore_plan *plan)
{
	char name[CTW_STATE_NAME_MAX + CTW_NETNS_NAME_MAX + 48];

	for (size_t g = 0; g < plan->n_gone; g++) {
		const struct ctw_state_netns *ns = &a->state.netns[plan->gone[g]];

		say(opts, false, "netns %s (inode %" PRIu64 ") is gone (%s no longer leads to it): forgetting its "
		    "%zu original%s", ns->name, ns->inode, ns->path, ns->n, ns->n == 1 ? "" : "s");
	}
	for (size_t i = 0; i < plan->n; i++) {
		struct ctw_restore_step *st = &plan->steps[i];
		uint64_t v = st->to;
		int r;

		ctw_restore_step_name(a, st, name, sizeof(name));
		if (st->from == st->to) {
			say(opts, false, "restored %s = %" PRIu64 " (it already was)", name, st->to);
			continue;
		}
		r = knob_io(a, st->ns, st->knob, true, &v);
		if (r < 0) {
			say(opts, true, "cannot restore %s to %" PRIu64 ": %s%s", name, st->to,
			    r == -ESTALE ? "the namespace changed under us" : strerror(-r),
			    i > 0 ? "; putting back what was already written" : "; nothing was written");
			/* A failed write may still have changed the knob (the kernel kept
			 * another value: -EIO): put it back too. */
			st->written = r == -EIO;
			return roll_back(a, opts, plan);
		}
		st->written = true;
		say(opts, false, "restored %s = %" PRIu64, name, st->to);
	}
	return forget_restored(a, opts, plan) < 0 ? CTW_RESTORE_ROLLED_BACK : CTW_RESTORE_OK;
}
