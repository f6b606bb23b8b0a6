/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The knobs' sysctl names and scopes, from the one list in knob_names.h. */
#include "base/knob_names.h"

#include <stddef.h>

struct knob_name {
	const char *sysctl;
	enum ctw_knob_scope scope;
};

#define KNOB_NAME(id, leaf, scope_) [id] = { "net.netfilter." leaf, scope_ },

static const struct knob_name knob_names[CTW_KNOB__COUNT] = {
	CTW_KNOB_LEAVES(KNOB_NAME)
};

static const struct knob_name *knob_name(enum ctw_knob id)
{
	if ((unsigned)id >= CTW_KNOB__COUNT || !knob_names[id].sysctl)
		return NULL;
	return &knob_names[id];
}

const char *ctw_knob_sysctl_name(enum ctw_knob id)
{
	const struct knob_name *n = knob_name(id);

	return n ? n->sysctl : "";
}

enum ctw_knob_scope ctw_knob_scope(enum ctw_knob id)
{
	const struct knob_name *n = knob_name(id);

	return n ? n->scope : CTW_SCOPE_NETNS;
}
