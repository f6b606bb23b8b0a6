#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, namespaces that appear after the daemon started (the normal
# case on a container host): a named one (ip netns add, as CNI and Podman do)
# and an unnamed one (unshare -n held by a process, as LXC does), each flooded
# at 10k new flows/s against a global max of 4096 at the default 1 s poll.
# ctwarden must find them within milliseconds and raise max before the
# kernel drops anything. Global knobs are restored and namespaces deleted at exit.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

START_MAX=4096
FLOWS=20000
RATE=10000

need_root
need_cmd ip nft conntrack flock unshare nsenter jq
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
need_quiet_tables "$START_MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
knob_set nf_conntrack_max "$START_MAX"

conf=$(ctw_conf late "mode = enforce
[limits]
max_ceiling = 262144")
ctw_daemon_start "$conf"

drops_in() { # drops_in CMD-PREFIX...: the drop counter of that netns
	"$@" conntrack -S 2>/dev/null |
		awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "drop") s += kv[2] } } END { print s + 0 }'
}

# 1. A named namespace made now, flooded at once.
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
before=$(drops_in in_ns)
in_ns "$CTW_FLOOD" -q -n "$FLOWS" -r "$RATE" -d 127.41.0.1 >/dev/null
# The kernel counts a drop as it refuses the packet: nothing to wait for.
drops=$(( $(drops_in in_ns) - before ))
count=$(ns_conntrack_count)
max_now=$(knob_get nf_conntrack_max)
echo "named late netns: $drops dropped, count $count, max $max_now"
assert_eq "a named namespace made after start and flooded drops nothing" 0 "$drops"
assert_gt "max was raised above the flood" "$count" "$max_now"
assert_eventually "the raise names the new namespace" 5 file_has "$CTW_TMP/daemon.log" "CTWARDEN_NETNS=$NS_INODE"

# 2. A namespace deleted is forgotten at once (inotify), not at the next scan.
# The bound: 2 s, far below the 30 s safety-net rescan (CTW_NETNS_RESCAN_US),
# so a pass proves inotify did it; the status is rewritten at once on news.
FORGET_S=2
GONE=ctw-test-late-gone-$$
ip netns add "$GONE"
ctw_on_exit "ip netns delete '$GONE' 2>/dev/null || true"
wait_for "the status to list $GONE" 10 status_lists_netns "$conf" "$GONE"
before=$(json_get "$(ctw_status "$conf")" .netns_watched)
ip netns delete "$GONE"
assert_eventually "a deleted namespace is forgotten within $FORGET_S s (inotify; the rescan is every 30 s)" \
	"$FORGET_S" status_is "$conf" .netns_watched $((before - 1))
assert_eq "and no longer listed" 0 \
	"$(json_get "$(ctw_status "$conf")" "[.namespaces.list[]? | select(.name == \"$GONE\")] | length")"

# The first flood's entries go, so that only the next namespace fills.
in_ns conntrack -F >/dev/null 2>&1 || true

# 3. An unnamed namespace (unshare -n, held by a sleeping process). Lowering
# max again is an operator's change, which the daemon yields to; a reload
# (systemctl reload) hands the knob back to it.
knob_set nf_conntrack_max "$START_MAX"
# A poll sees the lowered max (and yields it) before the reload hands it back.
wait_for "the status to show max $START_MAX" 10 status_is "$conf" .max "$START_MAX"
kill -HUP "$DAEMON_PID"
wait_for "the reload" 10 file_has "$CTW_TMP/daemon.log" "CTWARDEN_EVENT=reloaded"
unshare -n sleep 600 &   # scenario: the process that holds the namespace
holder=$!
ctw_on_exit "kill $holder 2>/dev/null || true"
own_netns() { [ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]; }
wait_for "the holder's own netns" 5 own_netns "$holder"
in_holder() { nsenter -t "$holder" -n "$@"; }
in_holder ip link set lo up
in_holder nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }'
in_holder sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
inode=$(stat -L -c %i /proc/$holder/ns/net)
before=$(drops_in in_holder)
in_holder "$CTW_FLOOD" -q -n "$FLOWS" -r "$RATE" -d 127.42.0.1 >/dev/null
drops=$(( $(drops_in in_holder) - before ))
count=$(in_holder conntrack -C)
max_now=$(knob_get nf_conntrack_max)
echo "unnamed late netns (inode $inode): $drops dropped, count $count, max $max_now"
assert_eq "an unnamed namespace made after start and flooded drops nothing" 0 "$drops"
assert_gt "max was raised above its flood" "$count" "$max_now"
assert_eventually "a raise names the unnamed namespace" 5 file_has "$CTW_TMP/daemon.log" "CTWARDEN_NETNS=$inode"

finish
