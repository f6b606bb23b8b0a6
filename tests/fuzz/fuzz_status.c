/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status reader on any bytes: it must not crash, and what it accepts the
 * writer writes back in a form it accepts again, every namespace kept. */
#include <string.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stddef.h>
#include "output/status.h"

static int same_netns(const struct ctw_status *a, const struct ctw_status *b)
{
	if (a->n_netns != b->n_netns || a->netns_watched != b->netns_watched ||
	    a->netns_unwatchable != b->netns_unwatchable || a->netns_total_entries != b->netns_total_entries ||
	    a->pressure_inode != b->pressure_inode || strcmp(a->pressure_netns, b->pressure_netns) != 0)
		return 0;
	for (unsigned i = 0; i < a->n_netns; i++) {
		const struct ctw_status_netns *x = &a->netns[i], *y = &b->netns[i];

		if (strcmp(x->name, y->name) != 0 || x->inode != y->inode || x->count != y->count ||
		    x->drops != y->drops || x->early_drops != y->early_drops || x->have_rates != y->have_rates ||
		    x->have_time_to_full != y->have_time_to_full || x->have_events != y->have_events ||
		    (x->have_events && (x->events_new != y->events_new || x->events_destroy != y->events_destroy ||
					x->events_overruns != y->events_overruns)))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctw_status st, back;  /* large: not on the fuzzer's stack */
	char err[256];
	if (ctw_status_parse((const char *)data, size, &st, err, sizeof(err)) == 0) {
		struct json_object *o = ctw_status_to_json(&st);
		const char *t;
		if (!o) return 0;
		t = json_object_to_json_string(o);
		if (ctw_status_parse(t, strlen(t), &back, err, sizeof(err)) != 0) __builtin_trap();
		if (!same_netns(&st, &back)) __builtin_trap();
		json_object_put(o);
	}
	return 0;
}
