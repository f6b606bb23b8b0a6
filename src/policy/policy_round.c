/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Recording a decision in one round's output: the helper policy_decide.c,
 * policy_raise.c and policy_timeouts.c share. Pure. */
#include "policy/policy_round.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 7, 8)))
struct ctw_decision *policy_add(struct round *r, enum ctw_decision_kind kind, int prio,
				enum ctw_target target, uint64_t old_value, uint64_t new_value,
				const char *fmt, ...)
{
	struct ctw_decision *d;
	va_list ap;

	if (r->out->n >= CTW_DECISIONS_MAX)
		return NULL;
	d = &r->out->d[r->out->n++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->priority = prio;
	d->target = target;
	d->old_value = old_value;
	d->new_value = new_value;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	return d;
}
