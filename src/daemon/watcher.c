/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One watched network namespace: count, counters, events, rates, top talkers. */
#include "daemon/watcher.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/knob_fd.h"

/* ---- opening, inside the netns --------------------------------------------- */

struct open_ctx {
	struct ctw_watcher *w;
	char *note;
	size_t notelen;
};

/* Runs inside the target netns: what is opened here stays bound to it. */
static int open_here(void *userdata)
{
	struct open_ctx *ctx = userdata;
	struct ctw_watcher *w = ctx->w;
	int fd = ctw_knob_open_fd(w->knobs, CTW_KNOB_COUNT);
	int r;

	if (fd < 0)
		return fd;   /* no conntrack in that netns (or not permitted) */
	w->count_fd = fd;
	r = w->opts.netlink ? ctw_stats_nl_open(&w->nl) : 0;
	/* Out of descriptors: half a watcher (no drops, no events) would look
	 * watched while blind; better to say it cannot be watched. */
	if (r == -EMFILE || r == -ENFILE)
		return r;
	if (r < 0) {
		w->nl = NULL;
		snprintf(ctx->note, ctx->notelen, "netlink statistics: %s%s", strerror(-r),
			 w->opts.own ? "; using /proc/net/stat/nf_conntrack" : "; drops are not counted there");
	}
	if (w->opts.events) {
		r = ctw_events_open_shared(&w->events, w->opts.rcvbuf, w->opts.rcvbuf_max, w->opts.batch);
		if (r == -EMFILE || r == -ENFILE)
			return r;
		if (r < 0) {
			w->events = NULL;
			snprintf(ctx->note, ctx->notelen, "cannot subscribe to conntrack events: %s; polls only",
				 strerror(-r));
		}
	}
	return 0;
}

int ctw_watcher_open(struct ctw_watcher **out, const struct ctw_netns_ref *ref, const struct ctw_knobs *k,
		     const struct ctw_watcher_opts *opts, char *note, size_t notelen)
{
	struct ctw_watcher *w = calloc(1, sizeof(*w));
	struct open_ctx ctx = { w, note, notelen };
	int r;

	if (notelen)
		note[0] = '\0';
	if (!w)
		return -ENOMEM;
	w->ref = *ref;
	w->opts = *opts;
	w->knobs = k;
	w->count_fd = -1;
	ctw_rates_init(&w->rates, 0);
	r = opts->own ? open_here(&ctx) : ctw_netns_enter(ref, open_here, &ctx);
	if (r < 0) {
		ctw_watcher_close(w);
		return r;
	}
	*out = w;
	return 0;
}

void ctw_watcher_close(struct ctw_watcher *w)
{
	if (!w)
		return;
	w->events_resume = sd_event_source_disable_unref(w->events_resume);
	w->events_source = sd_event_source_disable_unref(w->events_source);
	if (w->events)
		ctw_events_close(w->events);
	if (w->nl)
		ctw_stats_nl_close(w->nl);
	if (w->count_fd >= 0)
		close(w->count_fd);
	if (w->top_ready)
		ctw_top_free(&w->top);
	free(w);
}

/* ---- polls ----------------------------------------------------------------- */

int ctw_watcher_read_count(struct ctw_watcher *w, uint64_t now_us)
{
	uint64_t count;
	int r = ctw_knob_read_fd(w->count_fd, &count);

	if (r < 0)
		return r;
	if (w->count_at_us && now_us > w->count_at_us) {
		double dt = (double)(now_us - w->count_at_us);
		double rate = ((double)count - (double)w->count) * 1e6 / dt;
		double alpha = dt / ((double)CTW_GROWTH_TAU_US + dt);

		w->growth_per_s += alpha * (rate - w->growth_per_s);
	}
	w->count = count;
	w->count_at_us = now_us;
	return 0;
}

int ctw_watcher_read_counters(struct ctw_watcher *w, uint64_t now_us, bool due, uint64_t *drops,
			      uint64_t *early_drops)
{
	struct ctw_stats st;
	int r;

	if (!due && w->have_prev)
		return -EAGAIN;
	w->counters_at_us = now_us;
	memset(&st, 0, sizeof(st));
	if (w->nl)
		r = ctw_stats_nl_read(w->nl, &st);
	else if (w->opts.own)
		r = ctw_stats_read_procfs(w->knobs, &st);
	else
		r = -ENOTCONN;
	if (r < 0)
		return r;
	if (w->have_prev) {
		uint64_t d = ctw_counter_delta(w->prev.value[CTW_CTR_DROP], st.counters.value[CTW_CTR_DROP]);
		uint64_t e = ctw_counter_delta(w->prev.value[CTW_CTR_EARLY_DROP],
					       st.counters.value[CTW_CTR_EARLY_DROP]);

		w->drops += d;
		w->early_drops += e;
		*drops += d;
		*early_drops += e;
	}
	w->prev = st.counters;
	w->have_prev = true;
	return 0;
}

int ctw_watcher_peek_drops(const struct ctw_watcher *w, uint64_t *drop)
{
	struct ctw_stats st;
	int r;

	memset(&st, 0, sizeof(st));
	if (w->nl)
		r = ctw_stats_nl_read(w->nl, &st);
	else if (w->opts.own)
		r = ctw_stats_read_procfs(w->knobs, &st);
	else
		r = -ENOTCONN;
	if (r == 0 && !(st.counters.present & (1u << CTW_CTR_DROP)))
		r = -ENODATA;
	if (r == 0)
		*drop = st.counters.value[CTW_CTR_DROP];
	return r;
}

void ctw_watcher_anchor(struct ctw_watcher *w, uint64_t max)
{
	struct ctw_event_counts c;

	w->last_max = max;
	if (!w->events)
		return;
	ctw_events_counts(w->events, &c);
	ctw_rates_anchor(&w->rates, w->count, c.new, c.destroy);
}

/* ---- events ---------------------------------------------------------------- */

static void on_new_flow(const struct ctw_flow_key *key, void *ud)
{
	struct ctw_watcher *w = ud;

	/* Allocated on the first NEW flow: a quiet namespace costs no top-K. */
	if (!w->top_ready) {
		if (ctw_top_init(&w->top, CTW_WATCHER_TOP_CAPACITY, 0x5eed ^ (uint32_t)w->ref.inode) < 0)
			return;
		w->top_ready = true;
	}
	ctw_top_add(&w->top, key);
}

static bool pressure_projected(const struct ctw_watcher *w, const struct ctw_event_counts *c)
{
	uint64_t count = ctw_rates_derived_count(&w->rates, c->new, c->destroy);
	uint64_t max = w->last_max;
	double ttf;

	if (max == 0)
		return false;
	if (100.0 * (double)count >= w->opts.high_water_pct * (double)max)
		return true;
	ttf = ctw_rates_time_to_full_s(&w->rates, count, max);
	return isfinite(ttf) && ttf * 1e6 < (double)w->opts.horizon_us;
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ctw_watcher *w = userdata;

	return sd_event_source_set_enabled(w->events_source, SD_EVENT_ON);
}

static int on_events(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ctw_watcher *w = userdata;
	struct ctw_event_counts c;
	uint64_t now;
	int n;

	sd_event_now(w->loop, CLOCK_MONOTONIC, &now);
	n = ctw_events_drain(w->events, w->opts.event_batch, on_new_flow, w);
	w->events_failing = n < 0;
	ctw_events_counts(w->events, &c);
	ctw_rates_update(&w->rates, now, c.new, c.destroy);
	if (w->top_ready && now - w->top_halved_us >= CTW_WATCHER_TOP_HALF_LIFE_US) {
		ctw_top_halve(&w->top);
		w->top_halved_us = now;
	}
	/* A partial batch: let more events gather for a moment instead of
	 * waking per event (the cost per event drops several fold). */
	if (n > 0 && (unsigned)n < w->opts.event_batch) {
		sd_event_source_set_enabled(w->events_source, SD_EVENT_OFF);
		sd_event_source_set_time_relative(w->events_resume, CTW_EVENTS_COALESCE_US);
		sd_event_source_set_enabled(w->events_resume, SD_EVENT_ONESHOT);
	}
	/* Lost events: the derived count is wrong until anchored on the real one. */
	if (ctw_events_take_overrun(w->events) || pressure_projected(w, &c)) {
		if (now - w->pressure_at_us >= CTW_WATCHER_PRESSURE_MIN_US && w->on_pressure) {
			w->pressure_at_us = now;
			w->poll_now = true;
			/* Last: the owner may close this watcher (a rescan in its round). */
			w->on_pressure(w, now, w->ud);
		}
	}
	return 0;
}

int ctw_watcher_attach(struct ctw_watcher *w, sd_event *loop, ctw_watcher_pressure_fn on_pressure, void *ud)
{
	int r;

	w->loop = loop;
	w->on_pressure = on_pressure;
	w->ud = ud;
	sd_event_now(loop, CLOCK_MONOTONIC, &w->top_halved_us);
	if (!w->events)
		return 0;
	r = sd_event_add_io(loop, &w->events_source, ctw_events_fd(w->events), EPOLLIN, on_events, w);
	if (r < 0)
		return r;
	/* Re-enables the io source after a short pause (armed by on_events).
	 * Accuracy 1 us: 0 would mean sd-event's default of 250 ms, and the
	 * socket would stay off long enough to overflow. */
	r = sd_event_add_time_relative(loop, &w->events_resume, CLOCK_MONOTONIC, CTW_EVENTS_COALESCE_US, 1,
				       on_resume, w);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(w->events_resume, SD_EVENT_OFF);
}

/* ---- what it knows --------------------------------------------------------- */

void ctw_watcher_summary(const struct ctw_watcher *w, uint64_t max, struct ctw_watcher_summary *s)
{
	double ttf;

	memset(s, 0, sizeof(*s));
	s->count = w->count;
	s->growth_per_s = w->growth_per_s;
	s->drops = w->drops;
	s->early_drops = w->early_drops;
	s->have_events = w->events != NULL;
	if (!w->events) {
		/* Without events, the growth the polls saw. */
		s->have_time_to_full = max > 0 && (w->count >= max || w->growth_per_s > 0);
		if (s->have_time_to_full)
			s->time_to_full_s = w->count >= max ? 0 : (double)(max - w->count) / w->growth_per_s;
		return;
	}
	ctw_events_counts(w->events, &s->events);
	s->events_count = ctw_rates_derived_count(&w->rates, s->events.new, s->events.destroy);
	s->have_rates = ctw_rates_have_rate(&w->rates);
	if (!s->have_rates)
		return;
	/* Event growth is the sharper signal. */
	s->new_per_s = ctw_rates_new_per_s(&w->rates);
	s->destroy_per_s = ctw_rates_destroy_per_s(&w->rates);
	s->growth_per_s = ctw_rates_growth_per_s(&w->rates);
	ttf = ctw_rates_time_to_full_s(&w->rates, s->events_count, max);
	s->have_time_to_full = isfinite(ttf);
	s->time_to_full_s = ttf;
}

void ctw_watcher_top_line(const struct ctw_watcher *w, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	if (w->top_ready && w->top.total > 0)
		ctw_top_format_alert(&w->top, 3, buf, len);
}

bool ctw_watcher_events_moved(const struct ctw_watcher *w, const struct ctw_event_counts *c)
{
	struct ctw_event_counts now;

	if (!w->events)
		return false;
	ctw_events_counts(w->events, &now);
	return now.new != c->new || now.destroy != c->destroy || now.overruns != c->overruns;
}
