/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Outside changes: journal them, keep restore's originals true, hold back actions. */
#include "daemon/daemon_outside.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "base/log.h"

static enum ctw_outside_mode mode(const struct ctw_daemon *d)
{
	return d->cfg.outside_adopt ? CTW_OUTSIDE_ADOPT : CTW_OUTSIDE_YIELD;
}

/* The operator's value is what restore should put back now. */
static void adopt_as_original(struct ctw_daemon *d, const char *name, uint64_t value)
{
	struct ctw_state *st = &d->actuator.state;
	char err[512];

	if (!ctw_state_has_original(st, name))
		return;   /* never changed by us: the kernel's value is the original anyway */
	ctw_state_remove(st, name);
	if (ctw_state_record_original(st, name, value) < 0 || ctw_state_save(st, err, sizeof(err)) < 0)
		ctw_log(LOG_WARNING, "cannot record %s = %" PRIu64 " as the original to restore: %s", name, value,
			err);
}

static void observe(struct ctw_daemon *d, enum ctw_knob knob, uint64_t value)
{
	struct ctw_knob_claim *c = &d->claims[knob];
	uint64_t expected = c->expected;
	const char *name = ctw_knob_sysctl_name(knob);
	struct ctw_journal_entry e;

	switch (ctw_claim_observe(c, value, mode(d))) {
	case CTW_OUTSIDE_CHANGED:
		ctw_journal_entry_init(&e, CTW_EV_OUTSIDE_CHANGE,
				       "%s changed outside ctwarden: expected %" PRIu64 ", found %" PRIu64 "; %s",
				       name, expected, value,
				       c->yielded ? "ctwarden leaves it alone until it holds ctwarden's value again or "
						    "ctwarden is reloaded, and restore keeps it"
						  : "ctwarden keeps managing it from there, never below it, and restore keeps it");
		ctw_journal_entry_set_knob(&e, name);
		ctw_journal_entry_set_old_new(&e, expected, value);
		ctw_journal_entry_set_mode(&e, d->cfg.mode);
		ctw_journal_emit(&d->journal, &e);
		adopt_as_original(d, name, value);
		d->yield_said[knob] = 0;
		d->metrics_counts[CTW_EV_OUTSIDE_CHANGE]++;
		d->metrics_dirty = true;
		break;
	case CTW_OUTSIDE_RETURNED:
		ctw_log(LOG_NOTICE, "%s holds ctwarden's value %" PRIu64 " again: managing it again", name, value);
		break;
	case CTW_OUTSIDE_NONE:
	default:
		break;
	}
}

void ctw_daemon_outside_observe(struct ctw_daemon *d, const struct ctw_poll *p)
{
	/* Global knobs are ours to watch only where we could write them. */
	if (d->global_writable) {
		observe(d, CTW_KNOB_MAX, p->max);
		if (p->have_buckets)
			observe(d, CTW_KNOB_BUCKETS, p->buckets);
	}
	for (int t = 0; t < CTW_TO__COUNT; t++)
		if (p->have_timeout[t])
			observe(d, CTW_KNOB_TIMEOUT(t), p->timeout_s[t]);
}

bool ctw_daemon_outside_allows(struct ctw_daemon *d, const struct ctw_decision *dec, enum ctw_knob knob)
{
	const struct ctw_knob_claim *c = &d->claims[knob];
	const char *name = ctw_knob_sysctl_name(knob);
	struct ctw_journal_entry e;

	if (ctw_claim_allows(c, dec->new_value))
		return true;
	if (d->yield_said[knob] != dec->new_value) {
		d->yield_said[knob] = dec->new_value;
		ctw_journal_entry_init(&e, CTW_EV_ACTION_YIELDED,
				       "not setting %s %" PRIu64 " -> %" PRIu64 " (%s): %s", name, dec->old_value,
				       dec->new_value, dec->reason,
				       c->yielded ? "it was set outside ctwarden, which yields it"
						  : "that would go below the value set outside ctwarden");
		ctw_journal_entry_set_knob(&e, name);
		ctw_journal_entry_set_old_new(&e, dec->old_value, dec->new_value);
		ctw_journal_entry_set_reason(&e, "%s", dec->reason);
		ctw_journal_entry_set_mode(&e, d->cfg.mode);
		ctw_journal_emit(&d->journal, &e);
	}
	return false;
}

void ctw_daemon_outside_wrote(struct ctw_daemon *d, enum ctw_knob knob, uint64_t value)
{
	ctw_claim_wrote(&d->claims[knob], value);
}

void ctw_daemon_outside_forgive(struct ctw_daemon *d)
{
	for (int k = 0; k < CTW_KNOB__COUNT; k++)
		ctw_claim_forgive(&d->claims[k]);
}

unsigned ctw_daemon_outside_yielded(const struct ctw_daemon *d)
{
	unsigned n = 0;

	for (int k = 0; k < CTW_KNOB__COUNT; k++)
		n += d->claims[k].yielded;
	return n;
}
