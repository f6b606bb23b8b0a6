#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Pods by name on a real kernel: two namespaces whose processes sit in
# cgroups named as the kubelet names a pod's (cgroupfs: kubepods/besteffort/
# pod<uid>; systemd: kubepods-besteffort-pod<uid with _>.slice), and a
# /var/log/pods-like directory naming those UIDs. One namespace is a file
# under /run/netns found before its process runs (as containerd's cni-<uuid>),
# the other is held only by a process (found by the /proc scan its flood
# triggers). The daemon names both "pod NAMESPACE/NAME" in its status and its
# metrics (ctwarden_netns_pod_info with pod_namespace and pod), and the audit
# run inside one names it the same. mode = advise and no timeout shortening:
# nothing on the host is changed.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_root
need_cmd ip nft unshare nsenter jq stat
need_ctwarden
need_flood
need_conntrack_kernel
ctw_tmpdir

# A cgroup hierarchy where a test may make kubepods directories.
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	CG=/sys/fs/cgroup
elif [ -f /sys/fs/cgroup/pids/cgroup.procs ]; then
	CG=/sys/fs/cgroup/pids
else
	skip "no cgroup v2 root and no v1 pids hierarchy to make a pod's cgroup in"
fi

UID_A=0f3c9d2e-7b1a-4c5d-9e8f-a1b2c3d4e5f6
UID_B=6e5d4c3b-2a19-4807-b6a5-f4e3d2c1b0a9
PODS=$CTW_TMP/pods
# As the kubelet makes them: <namespace>_<name>_<uid>/<container>/0.log; and
# one whose UID only starts like B's, which must not name it.
mkdir -p "$PODS/default_web-a_$UID_A/web" "$PODS/shop_cart-b-7d9f_$UID_B/cart" "$PODS/default_impostor_${UID_B}0/x"

# pod_cgroup_make DIR: make the cgroup DIR, removed at exit (after the
# processes started later, whose cleanups run first).
pod_cgroup_make()
{
	local part path=$CG
	for part in ${1//\// }; do
		path=$path/$part
		if [ ! -d "$path" ]; then
			mkdir "$path" || skip "cannot make the cgroup $path"
			ctw_on_exit "rmdir '$path'"
		fi
	done
}
# pod_cgroup DIR PID: put PID in the cgroup DIR.
pod_cgroup()
{
	echo "$2" >"$CG/$1/cgroup.procs" || skip "cannot move a process into $CG/$1"
}
CG_A=kubepods/besteffort/pod$UID_A
CG_B=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_B//-/_}.slice
pod_cgroup_make "$CG_A"
pod_cgroup_make "$CG_B"

METRICS=$CTW_TMP/metrics/ctwarden.prom
mkdir -p "$(dirname "$METRICS")"
conf=$(ctw_conf pods "mode = advise
netns_dirs = /run/netns
pod_log_dir = $PODS
[timeouts]
shorten = none
[metrics]
textfile = $METRICS")
ctw_daemon_start "$conf"

# A: the file first (inotify names it after the file), then its process, in
# a cgroupfs-driver pod cgroup.
netns_create
ip netns exec "$NS" sleep 600 &   # scenario: the process that holds the namespace
holder_a=$!
ctw_on_exit "kill $holder_a 2>/dev/null; wait $holder_a 2>/dev/null || true"
pod_cgroup "$CG_A" "$holder_a"
wait_for "A's holder in its pod cgroup" 5 grep -q "pod$UID_A" "/proc/$holder_a/cgroup"
wait_for "A's holder in $NS" 5 sh -c '[ "$(stat -L -c %i "/proc/$1/ns/net")" = "$2" ]' - "$holder_a" "$NS_INODE"

# B: only a process, in a systemd-driver pod cgroup (the UID's dashes as
# underscores); its flood makes the daemon scan /proc.
unshare -n sleep 600 &   # scenario: the process that holds the namespace
holder_b=$!
ctw_on_exit "kill $holder_b 2>/dev/null; wait $holder_b 2>/dev/null || true"
pod_cgroup "$CG_B" "$holder_b"
wait_for "B's own namespace" 5 sh -c '[ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]' - "$holder_b"
in_b() { nsenter -t "$holder_b" -n "$@"; }
in_b ip link set lo up
in_b nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }'
in_b sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
INODE_B=$(stat -L -c %i "/proc/$holder_b/ns/net")
in_b "$CTW_FLOOD" -q -n 3000 -r 20000 -d 127.44.0.1 >/dev/null

# Worked out by hand from the fixture names: namespace, name, inode.
want_a="ctwarden_netns_pod_info{netns=\"pod default/web-a\",netns_inode=\"$NS_INODE\",pod_namespace=\"default\",pod=\"web-a\"} 1"
want_b="ctwarden_netns_pod_info{netns=\"pod shop/cart-b-7d9f\",netns_inode=\"$INODE_B\",pod_namespace=\"shop\",pod=\"cart-b-7d9f\"} 1"
# The /proc scan runs when B's entries show up unaccounted for, at the latest
# at the 30 s safety net.
assert_eventually "the metrics name the process-only pod's namespace with its pod labels" 40 file_has "$METRICS" "$want_b"
assert_eventually "the file-first namespace is renamed after its pod" 40 file_has "$METRICS" "$want_a"
assert_contains "its series carry the pod's name in netns" "$(cat "$METRICS")" \
	"ctwarden_conntrack_entries{netns=\"pod default/web-a\",netns_inode=\"$NS_INODE\"}"

# ctwarden status exits with the alert level: any answer will do.
status_lists() { { "$CTWARDEN" status --json -c "$conf" || true; } | jq -r '.namespaces.list[].name' | grep -Fx "$1"; }
assert_eventually "ctwarden status lists the flooded pod by name" 10 status_lists "pod shop/cart-b-7d9f"
assert_not_contains "the impostor (a longer UID) names nothing" "$(cat "$METRICS")" "impostor"

# The audit, run inside B's namespace, names it the same way.
run in_b "$CTWARDEN" -c "$conf" audit --format=prometheus
assert_contains "the audit inside the pod's namespace names it" "$OUT" \
	"ctwarden_conntrack_entries{netns=\"pod shop/cart-b-7d9f\",netns_inode=\"$INODE_B\"}"
finish
