/* Pure parts of watching many namespaces: container names from a cgroup,
 * and the adaptive poll schedule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/netns_name.h"
#include "policy/poll_schedule.h"

#define SEC 1000000ULL

static void names_from_cgroups(void **state)
{
	static const struct { const char *cgroup, *name; } cases[] = {
		{ "0::/system.slice/docker-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b.scope\n",
		  "docker 1a2b3c4d5e6f" },
		{ "12:pids:/docker/abcdefabcdef0123456789\n0::/docker/abcdefabcdef0123456789\n", "docker abcdefabcdef" },
		{ "0::/machine.slice/libpod-0123456789abcdef0123.scope/container\n", "podman 0123456789ab" },
		{ "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod5f1c_6a7b_4c1d_9e2f_0a1b2c3d4e5f.slice/cri-containerd-aa.scope\n",
		  "pod 5f1c-6a7b-4c1d-9e2f-0a1b2c3d4e5f" },
		{ "0::/kubepods/burstable/pod0a1b2c3d-1111-2222-3333-444455556666/abc\n",
		  "pod 0a1b2c3d-1111-2222-3333-444455556666" },
		{ "0::/lxc.payload.web01/init.scope\n", "lxc web01" },
	};
	static const char *const none[] = {
		"0::/user.slice/user-0.slice/session-1.scope\n",
		"0::/system.slice/docker.service\n",        /* the daemon itself, no id */
		"0::/system.slice/docker-12ab.scope\n",     /* too short to be an id */
		"",
	};
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(ctw_netns_name_from_cgroup(cases[i].cgroup, strlen(cases[i].cgroup), name, sizeof(name)));
		assert_string_equal(name, cases[i].name);
	}
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_false(ctw_netns_name_from_cgroup(none[i], strlen(none[i]), name, sizeof(name)));
	/* A name is cut to the buffer, never overflowing it. */
	assert_true(ctw_netns_name_from_cgroup(cases[3].cgroup, strlen(cases[3].cgroup), name, 10));
	assert_string_equal(name, "pod 5f1c-");
}

static void schedule_tracks_headroom(void **state)
{
	(void)state;
	/* Unlimited table, or at/over high water: every interval. */
	assert_int_equal(ctw_poll_gap_us(10, 0, 80, 0, SEC), SEC);
	assert_int_equal(ctw_poll_gap_us(900, 1000, 80, 0, SEC), SEC);
	/* Idle, big max: the cap, 30 intervals. */
	assert_int_equal(ctw_poll_gap_us(0, 262144, 80, 0, SEC), 30 * SEC);
	/* Headroom 200k at the fastest rate seen, 100k/s: 2 s. */
	assert_int_equal(ctw_poll_gap_us(0, 250000, 80, 100000, SEC), 2 * SEC);
	/* A flood seen anywhere shortens everyone's gap, never below the interval. */
	assert_int_equal(ctw_poll_gap_us(0, 262144, 80, 1e7, 100000), 100000);
	/* Before any rate was seen, the assumed 1000/s applies. */
	assert_int_equal(ctw_poll_gap_us(3000, 10000, 80, 0, SEC), 5 * SEC);
	/* ... but never more than 30 intervals. */
	assert_int_equal(ctw_poll_gap_us(3000, 10000, 80, 0, 100000), 3 * SEC);
}

/* The rule the schedule exists for: at the fastest rate seen, a namespace
 * polled at the gap cannot go past high water between two polls. */
static void schedule_never_misses_high_water(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		uint64_t max, count, interval, gap;
		double rate, hw;

		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		max = 1024 + seed % 4000000;
		count = (seed >> 22) % (max + 1);
		rate = (double)((seed >> 11) % 500000);
		hw = 50 + (double)((seed >> 40) % 50);
		interval = 10000 + (seed >> 5) % (10 * SEC);
		gap = ctw_poll_gap_us(count, max, hw, rate, interval);
		assert_true(gap >= interval);
		assert_true(gap <= interval * CTW_SCHEDULE_MAX_INTERVALS);
		if (gap > interval) {
			double r = rate > CTW_SCHEDULE_MIN_RATE ? rate : CTW_SCHEDULE_MIN_RATE;
			double at_next = (double)count + r * (double)gap / 1e6;

			assert_true(at_next <= hw / 100.0 * (double)max + 1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_from_cgroups),
		cmocka_unit_test(schedule_tracks_headroom),
		cmocka_unit_test(schedule_never_misses_high_water),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
