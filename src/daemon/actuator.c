/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/actuator.h"

#include <errno.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

int ctw_knob_by_sysctl_name(const char *name)
{
	for (int id = 0; id < CTW_KNOB__COUNT; id++)
		if (strcmp(ctw_knob_sysctl_name((enum ctw_knob)id), name) == 0)
			return id;
	return -1;
}

void ctw_boot_id_read(const struct ctw_knobs *k, char *buf, size_t len)
{
	char text[64];
	ssize_t n = ctw_root_read_file(k, CTW_BOOT_ID_PATH, text, sizeof(text));

	if (len == 0)
		return;
	buf[0] = '\0';
	if (n <= 0)
		return;
	if (text[n - 1] == '\n')
		text[--n] = '\0';
	if (ctw_state_boot_id_valid(text) && len > CTW_STATE_BOOT_ID_LEN)
		memcpy(buf, text, CTW_STATE_BOOT_ID_LEN + 1);
}

bool ctw_actuator_boot_same(const char *state_boot_id, time_t mtime, const char *boot_id, time_t boot_started)
{
	if (state_boot_id[0] && boot_id[0])
		return strcmp(state_boot_id, boot_id) == 0;
	/* One ID is unknown: the file's age decides. A file written before this
	 * boot began cannot hold this boot's originals. */
	return boot_started <= 0 || mtime >= boot_started;
}

/* When this boot began, in Unix time (0 when unknown). */
static time_t boot_started_at(void)
{
	struct timespec real, boot;

	if (clock_gettime(CLOCK_REALTIME, &real) < 0 || clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return 0;
	/* One second of slack for the rounding of both clocks. */
	return real.tv_sec - boot.tv_sec - 1;
}

static int load(struct ctw_actuator *a, const struct ctw_knobs *k, const char *state_dir, bool discard,
		char *err, size_t errlen)
{
	int r;

	memset(a, 0, sizeof(*a));
	a->knobs = k;
	ctw_boot_id_read(k, a->boot_id, sizeof(a->boot_id));
	r = ctw_state_load(&a->state, state_dir, err, errlen);
	if (r < 0)
		return r;
	snprintf(a->state_boot_id, sizeof(a->state_boot_id), "%s", a->state.boot_id);
	if (!ctw_state_empty(&a->state) &&
	    !ctw_actuator_boot_same(a->state.boot_id, a->state.mtime, a->boot_id, boot_started_at()))
		a->other_boot = true;
	if (a->other_boot && discard) {
		size_t n = ctw_state_count(&a->state);

		r = ctw_state_clear(&a->state, err, errlen);
		if (r < 0)
			return r;
		a->discarded = n;
		a->other_boot = false;
	}
	/* From now on the originals recorded are this boot's. */
	if (!a->other_boot)
		snprintf(a->state.boot_id, sizeof(a->state.boot_id), "%s", a->boot_id);
	return 0;
}

int ctw_actuator_init(struct ctw_actuator *a, const struct ctw_knobs *k, const char *state_dir,
		      char *err, size_t errlen)
{
	return load(a, k, state_dir, true, err, errlen);
}

int ctw_actuator_load(struct ctw_actuator *a, const struct ctw_knobs *k, const char *state_dir,
		      char *err, size_t errlen)
{
	return load(a, k, state_dir, false, err, errlen);
}

void ctw_backoff_failed(struct ctw_backoff *b, uint64_t now_us, int errnum, bool *first_report)
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
			ctw_backoff_failed(b, now_us, -r, first_report);
			return CTW_APPLY_FAILED;
		}
	} else if (r < 0) {
		snprintf(err, errlen, "%s: cannot record the original value: %s", name, strerror(-r));
		*errnum = -r;
		ctw_backoff_failed(b, now_us, -r, first_report);
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
		ctw_backoff_failed(b, now_us, -r, first_report);
		return CTW_APPLY_FAILED;
	}
	memset(b, 0, sizeof(*b));
	forget_if_original(a, name, value);
	return CTW_APPLY_DONE;
}

