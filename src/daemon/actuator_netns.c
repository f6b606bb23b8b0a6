/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes inside another network namespace: a container's timeouts. */
#include "daemon/actuator.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct write_ctx {
	const struct ctw_knobs *knobs;
	enum ctw_knob id;
	uint64_t value, readback;
	int r;
};

/* Runs inside the namespace: /proc/sys/net resolves to its own sysctls. */
static int write_here(void *userdata)
{
	struct write_ctx *w = userdata;

	w->r = ctw_knob_write(w->knobs, w->id, w->value, &w->readback);
	return 0;
}

enum ctw_apply_result ctw_actuator_apply_netns(struct ctw_actuator *a, const struct ctw_netns_ref *ref,
					       enum ctw_knob id, uint64_t old_value, uint64_t value, uint64_t now_us,
					       struct ctw_backoff *b, int *errnum, bool *first_report,
					       char *err, size_t errlen)
{
	const char *name = ctw_knob_sysctl_name(id);
	struct write_ctx w = { a->knobs, id, value, 0, 0 };
	char key[CTW_NETNS_NAME_MAX];
	uint64_t original;
	int r;

	*errnum = 0;
	*first_report = false;
	if (b->failures && now_us < b->next_try_us)
		return CTW_APPLY_BACKOFF;
	ctw_state_netns_key(ref->path, key, sizeof(key));
	/* The original goes to disk before the first write, or not at all. */
	r = ctw_state_netns_record(&a->state, key, ref->inode, ref->path, name, old_value);
	if (r == 1)
		r = ctw_state_save(&a->state, err, errlen);
	else if (r < 0)
		snprintf(err, errlen, "%s in netns %s: cannot record the original value: %s", name, ref->name,
			 strerror(-r));
	if (r < 0) {
		ctw_state_netns_remove(&a->state, key, ref->inode, name);
		*errnum = -r;
		ctw_backoff_failed(b, now_us, -r, first_report);
		return CTW_APPLY_FAILED;
	}
	r = ctw_netns_enter(ref, write_here, &w);
	if (r == 0)
		r = w.r;
	if (r < 0) {
		snprintf(err, errlen, "%s in netns %s: %s", name, ref->name, strerror(-r));
		if (r == -EIO) {
			size_t used = strlen(err);
			snprintf(err + used, errlen - used, " (wrote %llu, the kernel kept %llu)",
				 (unsigned long long)value, (unsigned long long)w.readback);
		}
		*errnum = -r;
		ctw_backoff_failed(b, now_us, -r, first_report);
		return CTW_APPLY_FAILED;
	}
	memset(b, 0, sizeof(*b));
	/* Back at its original: nothing left to restore there. */
	if (ctw_state_netns_get(&a->state, key, ref->inode, name, &original) == 0 && original == value &&
	    ctw_state_netns_remove(&a->state, key, ref->inode, name) == 0)
		ctw_state_save(&a->state, err, errlen);
	return CTW_APPLY_DONE;
}
