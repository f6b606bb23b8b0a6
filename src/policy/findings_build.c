/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building findings: a finding's message in whole sentences, its remedy in
 * whole command lines, and the remedies several findings share (sysctl -w and
 * its sysctl.d line, a hash resize, a new max). Pure. */
#include "policy/findings_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/bounds.h"

struct ctw_finding *finding_new(struct eval *e, enum ctw_severity sev, const char *code)
{
	struct ctw_finding *f;

	if (e->out->n >= CTW_MAX_FINDINGS)
		return NULL;
	f = &e->out->item[e->out->n++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	snprintf(f->code, sizeof(f->code), "%s", code);
	return f;
}

void msg_add(struct ctw_finding *f, const char *fmt, ...)
{
	size_t used = strlen(f->message);
	char part[sizeof(f->message)];
	va_list ap;
	int n;

	/* Whole sentences or nothing: a message cut mid-word reads as a bug. */
	va_start(ap, fmt);
	n = vsnprintf(part, sizeof(part), fmt, ap);
	va_end(ap);
	if (n < 0 || used + (size_t)n >= sizeof(f->message))
		return;
	memcpy(f->message + used, part, (size_t)n + 1);
}

/* Append one command line. A line that does not fit is left out whole:
 * a command cut in the middle must never be shown. */
void remedy_add(struct ctw_finding *f, const char *fmt, ...)
{
	size_t used = strlen(f->remedy);
	char line[sizeof(f->remedy)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || used + (used ? 1 : 0) + (size_t)n >= sizeof(f->remedy))
		return;
	if (used)
		f->remedy[used++] = '\n';
	memcpy(f->remedy + used, line, (size_t)n + 1);
}

/* The global knobs can only be set from the initial netns: say where to run. */
void remedy_global_prefix(const struct eval *e, struct ctw_finding *f)
{
	if (!e->h->global_writable && !strstr(f->remedy, READONLY_PREFIX))
		remedy_add(f, READONLY_PREFIX);
}

/* sysctl -w plus the line that makes it survive a reboot. Appending (>>)
 * never erases what an earlier remedy persisted; the last line wins. */
void remedy_sysctl(struct ctw_finding *f, enum ctw_knob knob, uint64_t value)
{
	const char *name = ctw_knob_sysctl_name(knob);

	remedy_add(f, "sysctl -w %s=%" PRIu64, name, value);
	remedy_add(f, "echo '%s = %" PRIu64 "' >> " SYSCTL_D_FILE, name, value);
}

void remedy_set_buckets(const struct eval *e, struct ctw_finding *f, uint64_t buckets)
{
	remedy_global_prefix(e, f);
	remedy_add(f, RESIZE_NOTE);
	remedy_add(f, "sysctl -w %s=%" PRIu64, ctw_knob_sysctl_name(CTW_KNOB_BUCKETS), buckets);
	/* The buckets sysctl may not exist yet when sysctl.d runs (module loaded
	 * later): the module option is what sizes the hash at load. */
	remedy_add(f, "echo 'options nf_conntrack hashsize=%" PRIu64 "' >> " MODPROBE_D_FILE, buckets);
}

bool ratio_exceeded(const struct eval *e, uint64_t max, uint64_t buckets)
{
	return e->c->buckets_ratio > 0 && buckets > 0 &&
	       (double)max / (double)buckets > e->c->buckets_ratio;
}

/* Set max; grow the hash first when the new max would exceed the ratio. */
void remedy_set_max(const struct eval *e, struct ctw_finding *f, uint64_t max)
{
	const struct ctw_host *h = e->h;

	remedy_global_prefix(e, f);
	if (h->have_buckets && ratio_exceeded(e, max, h->buckets)) {
		uint64_t b = ctw_buckets_for_max(e->c, max);

		if (b > h->buckets)
			remedy_set_buckets(e, f, b);
	}
	remedy_sysctl(f, CTW_KNOB_MAX, max);
}
