/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure parts of watching many namespaces: container names from a cgroup,
 * pods by name from a fixture /var/log/pods, and the adaptive poll schedule. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/netns.h"
#include "kernel/netns_name.h"
#include "kernel/pod_name.h"
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
		/* Under kubepods a docker scope is a pod's container (cri-dockerd). */
		{ "0::/kubepods.slice/kubepods-pod0a1b2c3d_1111_2222_3333_444455556666.slice/docker-0123456789abcdef0123.scope\n",
		  "pod 0a1b2c3d-1111-2222-3333-444455556666" },
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

/* The kubelet's "<namespace>_<name>_<uid>": the UID must be the whole last
 * part, the two names valid Kubernetes names. */
static void pod_log_entries(void **state)
{
	static const char uid[] = "0a1b2c3d-1111-2222-3333-444455556666";
	static const struct { const char *entry, *ns, *pod; } cases[] = {
		{ "kube-system_coredns-5d78c9869d-x7k2p_0a1b2c3d-1111-2222-3333-444455556666", "kube-system",
		  "coredns-5d78c9869d-x7k2p" },
		{ "default_web.v1-0_0a1b2c3d-1111-2222-3333-444455556666", "default", "web.v1-0" },
		{ "a_b_0a1b2c3d-1111-2222-3333-444455556666", "a", "b" },
		{ "kube-system_coredns-1_0a1b2c3d-1111-2222-3333-4444555566660", NULL, NULL },   /* longer UID */
		{ "kube-system_coredns-1_0a1b2c3d-1111-2222-3333-44445555666", NULL, NULL },     /* shorter */
		{ "kube-system_coredns-1_0A1B2C3D-1111-2222-3333-444455556666", NULL, NULL },    /* case */
		{ "_coredns-1_0a1b2c3d-1111-2222-3333-444455556666", NULL, NULL },               /* no namespace */
		{ "kube-system__0a1b2c3d-1111-2222-3333-444455556666", NULL, NULL },             /* no name */
		{ "kube-system_0a1b2c3d-1111-2222-3333-444455556666", NULL, NULL },              /* one part */
		{ "kube_system_coredns_0a1b2c3d-1111-2222-3333-444455556666", NULL, NULL },      /* '_' in a name */
		{ "Kube-System_coredns_0a1b2c3d-1111-2222-3333-444455556666", NULL, NULL },      /* upper case */
		{ "kube.system_coredns_0a1b2c3d-1111-2222-3333-444455556666", NULL, NULL },      /* '.' in a namespace */
		{ "0a1b2c3d-1111-2222-3333-444455556666", NULL, NULL },
		{ "", NULL, NULL },
	};
	char ns[64], pod[256], name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = ctw_pod_log_entry_match(cases[i].entry, strlen(cases[i].entry), uid, ns, sizeof(ns), pod,
						  sizeof(pod));

		assert_int_equal(ok, cases[i].ns != NULL);
		if (ok) {
			assert_string_equal(ns, cases[i].ns);
			assert_string_equal(pod, cases[i].pod);
		}
	}
	/* Too small a buffer is a miss, not a cut name. */
	assert_false(ctw_pod_log_entry_match(cases[0].entry, strlen(cases[0].entry), uid, ns, 5, pod, sizeof(pod)));
	/* The name the daemon shows splits back for the metric's labels. */
	assert_true(ctw_netns_name_pod("pod kube-system/coredns-1", ns, sizeof(ns), pod, sizeof(pod)));
	assert_string_equal(ns, "kube-system");
	assert_string_equal(pod, "coredns-1");
	assert_false(ctw_netns_name_pod("pod 0a1b2c3d-1111-2222-3333-444455556666", ns, sizeof(ns), pod, sizeof(pod)));
	assert_false(ctw_netns_name_pod("pod /x", ns, sizeof(ns), pod, sizeof(pod)));
	assert_false(ctw_netns_name_pod("pod x/", ns, sizeof(ns), pod, sizeof(pod)));
	assert_false(ctw_netns_name_pod("cni-1/x", ns, sizeof(ns), pod, sizeof(pod)));
	snprintf(name, sizeof(name), "pod a/b");
	assert_false(ctw_netns_name_pod(name, ns, 1, pod, sizeof(pod)));
}

/* A process's namespace named from the fixture /proc/PID/cgroup and the
 * fixture /var/log/pods tree (tests/fixtures/pods). */
static const char *pod_name_of(long pid, const char *log_dir)
{
	static struct ctw_netns_ref ref;

	memset(&ref, 0, sizeof(ref));
	snprintf(ref.name, sizeof(ref.name), "pid %ld", pid);
	ctw_netns_name_pid_pod(CTW_FIXTURES "/pods/proc", log_dir, &ref);
	return ref.name;
}

static void pods_by_name(void **state)
{
	const char *logs = CTW_FIXTURES "/pods/var/log/pods";
	char ns[64], pod[256];

	(void)state;
	/* systemd cgroup driver: the UID's dashes escaped as underscores. */
	assert_string_equal(pod_name_of(4242, logs), "pod kube-system/coredns-5d78c9869d-x7k2p");
	/* cgroupfs driver, cgroup v1 lines. */
	assert_string_equal(pod_name_of(4243, logs), "pod default/web-0");
	/* Only directories whose UID is one digit longer or shorter: no match. */
	assert_string_equal(pod_name_of(4244, logs), "pod 9b1c2d3e-4f50-4a6b-8c7d-0e1f2a3b4c5d");
	/* A static pod (UID a hash, no dashes) run by cri-dockerd. */
	assert_string_equal(pod_name_of(4245, logs), "pod kube-system/kube-apiserver-node1");
	/* Not a pod: the log directory is not consulted. */
	assert_string_equal(pod_name_of(4246, logs), "docker 0123456789ab");
	/* No log directory (not a node, or pod_log_dir = ""): the UID stays. */
	assert_string_equal(pod_name_of(4242, CTW_FIXTURES "/pods/var/log/absent"),
			    "pod 0a1b2c3d-1111-2222-3333-444455556666");
	assert_string_equal(pod_name_of(4242, ""), "pod 0a1b2c3d-1111-2222-3333-444455556666");
	assert_string_equal(pod_name_of(4242, NULL), "pod 0a1b2c3d-1111-2222-3333-444455556666");
	/* No such process: its pid. */
	assert_string_equal(pod_name_of(4999, logs), "pid 4999");
	/* The lookup by itself. */
	assert_int_equal(ctw_pod_lookup(logs, "7e57ab1e-0000-4000-8000-00000000000a", ns, sizeof(ns), pod, sizeof(pod)), 0);
	assert_string_equal(pod, "web-0");
	assert_int_equal(ctw_pod_lookup(logs, "7e57ab1e", ns, sizeof(ns), pod, sizeof(pod)), -ENOENT);
	assert_int_equal(ctw_pod_lookup(CTW_FIXTURES "/pods/none", "x", ns, sizeof(ns), pod, sizeof(pod)), -ENOENT);
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
		cmocka_unit_test(pod_log_entries),
		cmocka_unit_test(pods_by_name),
		cmocka_unit_test(schedule_tracks_headroom),
		cmocka_unit_test(schedule_never_misses_high_water),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
