#include "daemon/actuator.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ctw_knob_by_sysctl_name(const char *name)
{
	for (int id = 0; id < CTW_KNOB__COUNT; id++)
		if (strcmp(ctw_knob_sysctl_name((enum ctw_knob)id), name) == 0)
			return id;
	return -1;
}

int ctw_actuator_init(struct ctw_actuator *a, const struct ctw_knobs *k, const char *state_dir,
		      char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->knobs = k;
	return ctw_state_load(&a->state, state_dir, err, errlen);
}

static void backoff_failed(struct ctw_backoff *b, uint64_t now_us, int errnum, bool *first_report)
{
	uint64_t delay = CTW_BACKOFF_MIN_US;

	for (unsigned i = 0; i < b->failures && delay < CTW_BACKOFF_MAX_US; i++)
		delay *= 2;
	if (delay > CTW_BACKOFF_MAX_US)
		delay = CTW_BACKOFF_MAX_US;
	b->failures++;
	b->next_try_us = now_us + delay;
	*first_report = b->last_err != errnum;
	b->last_err = errnum;
}

/* After a knob went back to its original value it needs no restoring. */
static void forget_if_original(struct ctw_actuator *a, const char *name, uint64_t value)
{
	uint64_t original;
	char err[256];

	if (ctw_state_get_original(&a->state, name, &original) == 0 && original == value &&
	    ctw_state_remove(&a->state, name) == 0)
		ctw_state_save(&a->state, err, sizeof(err));
}

enum ctw_apply_result ctw_actuator_apply(struct ctw_actuator *a, enum ctw_knob id, uint64_t old_value,
					 uint64_t value, uint64_t now_us, int *errnum, bool *first_report,
					 char *err, size_t errlen)
{
	struct ctw_backoff *b = &a->backoff[id];
	const char *name = ctw_knob_sysctl_name(id);
	uint64_t readback = 0;
	int r;

	*errnum = 0;
	*first_report = false;
	if (b->failures && now_us < b->next_try_us)
		return CTW_APPLY_BACKOFF;

	/* The original goes to disk before the first write, or not at all. */
	r = ctw_state_record_original(&a->state, name, old_value);
	if (r == 1) {
		r = ctw_state_save(&a->state, err, errlen);
		if (r < 0) {
			ctw_state_remove(&a->state, name);
			*errnum = -r;
			backoff_failed(b, now_us, -r, first_report);
			return CTW_APPLY_FAILED;
		}
	} else if (r < 0) {
		snprintf(err, errlen, "%s: cannot record the original value: %s", name, strerror(-r));
		*errnum = -r;
		backoff_failed(b, now_us, -r, first_report);
		return CTW_APPLY_FAILED;
	}

	r = ctw_knob_write(a->knobs, id, value, &readback);
	if (r < 0) {
		ctw_knob_describe_error(a->knobs, id, r, err, errlen);
		if (r == -EIO) {
			size_t used = strlen(err);
			snprintf(err + used, errlen - used, " (wrote %llu, the kernel kept %llu)",
				 (unsigned long long)value, (unsigned long long)readback);
		}
		*errnum = -r;
		backoff_failed(b, now_us, -r, first_report);
		return CTW_APPLY_FAILED;
	}
	memset(b, 0, sizeof(*b));
	forget_if_original(a, name, value);
	return CTW_APPLY_DONE;
}

int ctw_actuator_restore_all(struct ctw_actuator *a,
			     void (*report)(const char *name, uint64_t original, int err, void *userdata),
			     void *userdata, char *err, size_t errlen)
{
	struct ctw_state_original todo[CTW_STATE_MAX_ENTRIES];
	size_t n = a->state.n;
	int first_err = 0, r;

	/* Walk a copy: restoring removes entries from the state. */
	memcpy(todo, a->state.originals, n * sizeof(todo[0]));
	for (size_t i = 0; i < n; i++) {
		int id = ctw_knob_by_sysctl_name(todo[i].name);
		uint64_t readback;

		r = id < 0 ? -ENOENT : ctw_knob_write(a->knobs, (enum ctw_knob)id, todo[i].value, &readback);
		if (report)
			report(todo[i].name, todo[i].value, -r, userdata);
		if (r == 0)
			ctw_state_remove(&a->state, todo[i].name);
		else if (!first_err)
			first_err = r;
	}
	if (a->state.n == 0)
		r = ctw_state_clear(&a->state, err, errlen);
	else
		r = ctw_state_save(&a->state, err, errlen);
	return first_err ? first_err : r;
}
