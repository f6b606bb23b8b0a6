/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Outside changes to managed knobs: notice, yield or adopt, never lower. */
#include "policy/outside.h"

enum ctw_outside_event ctw_claim_observe(struct ctw_knob_claim *c, uint64_t value, enum ctw_outside_mode mode)
{
	if (!c->known) {
		c->known = true;
		c->expected = value;
		return CTW_OUTSIDE_NONE;
	}
	if (value == c->expected)
		return CTW_OUTSIDE_NONE;
	if (c->yielded && c->wrote && value == c->ours) {
		/* The operator put back what the daemon had set. */
		c->yielded = false;
		c->operator_set = false;
		c->expected = value;
		return CTW_OUTSIDE_RETURNED;
	}
	c->expected = value;
	c->operator_set = true;
	c->operator_value = value;
	c->yielded = mode == CTW_OUTSIDE_YIELD;
	return CTW_OUTSIDE_CHANGED;
}

bool ctw_claim_allows(const struct ctw_knob_claim *c, uint64_t value)
{
	if (c->yielded)
		return false;
	return !c->operator_set || value >= c->operator_value;
}

void ctw_claim_wrote(struct ctw_knob_claim *c, uint64_t value)
{
	c->known = true;
	c->expected = value;
	c->wrote = true;
	c->ours = value;
}

void ctw_claim_forgive(struct ctw_knob_claim *c)
{
	c->yielded = false;
}
