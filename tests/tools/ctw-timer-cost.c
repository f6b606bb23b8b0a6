/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What waking N namespaces every GAP seconds costs the loop, by two designs:
 *   heap:    one timer every second (the daemon's poll round), which pops
 *            the due ones from a base/heap.h heap (what the poller does);
 *   sources: one sd-event time source per namespace, each re-armed GAP
 *            seconds later when it fires (accuracy ACC_MS).
 * The callbacks do nothing else, so only the scheduling is measured: CPU
 * time of this process (getrusage) over SECONDS, and the wake-ups.
 * Usage: ctw-timer-cost heap|sources N SECONDS [GAP_S [ACC_MS]] */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <systemd/sd-event.h>

#include "base/heap.h"

struct item {
	struct ctw_heap_node node;
	uint64_t due;
	unsigned id;
	sd_event_source *src;
};

static struct ctw_heap heap;
static uint64_t gap_us, fired, wakeups;

static bool before(const struct ctw_heap_node *a, const struct ctw_heap_node *b)
{
	const struct item *x = ctw_container_of(a, struct item, node), *y = ctw_container_of(b, struct item, node);

	return x->due != y->due ? x->due < y->due : x->id < y->id;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *ud __attribute__((unused)))
{
	struct ctw_heap_node *n;

	wakeups++;
	while ((n = ctw_heap_top(&heap)) && ctw_container_of(n, struct item, node)->due <= usec) {
		ctw_container_of(n, struct item, node)->due = usec + gap_us;
		ctw_heap_fix(&heap, n);
		fired++;
	}
	sd_event_source_set_time(s, usec + 1000000);
	return 0;
}

static int on_item(sd_event_source *s, uint64_t usec, void *ud __attribute__((unused)))
{
	fired++;
	sd_event_source_set_time(s, usec + gap_us);
	return 0;
}

static int on_post(sd_event_source *s __attribute__((unused)), void *ud __attribute__((unused)))
{
	wakeups++;   /* once per loop iteration that dispatched something */
	return 0;
}

static int on_end(sd_event_source *s, uint64_t usec __attribute__((unused)), void *ud __attribute__((unused)))
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
	bool sources = argc > 1 && strcmp(argv[1], "sources") == 0;
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 1000;
	unsigned secs = argc > 3 ? (unsigned)atoi(argv[3]) : 30;
	uint64_t acc_us = (argc > 5 ? (uint64_t)atoi(argv[5]) : 1) * 1000, now;
	struct item *items = calloc(n, sizeof(*items));
	sd_event_source *tick = NULL, *end = NULL, *post = NULL;
	sd_event *e = NULL;
	double c0;

	gap_us = (argc > 4 ? (uint64_t)atoi(argv[4]) : 30) * 1000000ULL;
	if (!items || argc < 2 || sd_event_new(&e) < 0)
		return 2;
	sd_event_now(e, CLOCK_MONOTONIC, &now);
	ctw_heap_init(&heap, before);
	for (unsigned i = 0; i < n; i++) {
		items[i].id = i;
		items[i].due = now + (uint64_t)i * gap_us / n;   /* spread, as polls settle */
		if (sources) {
			if (sd_event_add_time(e, &items[i].src, CLOCK_MONOTONIC, items[i].due, acc_us, on_item, NULL) < 0 ||
			    sd_event_source_set_enabled(items[i].src, SD_EVENT_ON) < 0)
				return 2;
		} else if (ctw_heap_push(&heap, &items[i].node) < 0) {
			return 2;
		}
	}
	/* The daemon's own round every second exists in both designs. */
	if (sd_event_add_time(e, &tick, CLOCK_MONOTONIC, now + 1000000, 100000, on_tick, NULL) < 0 ||
	    sd_event_source_set_enabled(tick, SD_EVENT_ON) < 0 ||
	    sd_event_add_time(e, &end, CLOCK_MONOTONIC, now + secs * 1000000ULL, 1, on_end, NULL) < 0 ||
	    (sources && sd_event_add_post(e, &post, on_post, NULL) < 0))
		return 2;
	c0 = cpu_ms();
	sd_event_loop(e);
	printf("%-8s n=%u gap=%llus accuracy=%llums: %.1f ms CPU over %us (%.4f%%), %llu fired, %llu wake-ups\n",
	       sources ? "sources" : "heap", n, (unsigned long long)(gap_us / 1000000),
	       (unsigned long long)(sources ? acc_us / 1000 : 100),   /* heap: the round's own 100 ms */
	       cpu_ms() - c0, secs, (cpu_ms() - c0) / 10.0 / secs, (unsigned long long)fired,
	       (unsigned long long)wakeups);
	return 0;
}
