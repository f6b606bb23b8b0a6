#!/bin/bash
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
sleep 0.3
drops=$(( $(drops_in in_ns) - before ))
count=$(ns_conntrack_count)
max_now=$(knob_get nf_conntrack_max)
echo "named late netns: $drops dropped, count $count, max $max_now"
assert_eq "a named namespace made after start and flooded drops nothing" 0 "$drops"
assert_gt "max was raised above the flood" "$count" "$max_now"
log=$(cat "$CTW_TMP/daemon.log")
assert_contains "the raise names the new namespace" "$log" "CTWARDEN_NETNS=$NS_INODE"

# 2. A namespace deleted is forgotten at once (inotify), not at the next scan.
watched() { # the daemon's level is its exit code: any of 0-2 is an answer
	{ "$CTWARDEN" status --json -c "$conf" || true; } | jq .netns_watched
}
GONE=ctw-test-late-gone-$$
ip netns add "$GONE"
ctw_on_exit "ip netns delete '$GONE' 2>/dev/null || true"
sleep 0.5
before=$(watched)
ip netns delete "$GONE"
sleep 0.5
after=$(watched)
echo "watched before/after deleting $GONE: $before/$after"
assert_eq "a deleted namespace is forgotten within half a second" $((before - 1)) "$after"

# The first flood's entries go, so that only the next namespace fills.
in_ns conntrack -F >/dev/null 2>&1 || true

# 3. An unnamed namespace (unshare -n, held by a sleeping process). Lowering
# max again is an operator's change, which the daemon yields to; a reload
# (systemctl reload) hands the knob back to it.
knob_set nf_conntrack_max "$START_MAX"
sleep 1.2   # a poll sees the lowered max before the next flood
kill -HUP "$DAEMON_PID"
sleep 0.3
unshare -n sleep 600 &
holder=$!
ctw_on_exit "kill $holder 2>/dev/null || true"
for _ in $(seq 50); do
	[ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.02
done
in_holder() { nsenter -t "$holder" -n "$@"; }
in_holder ip link set lo up
in_holder nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }'
in_holder sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
inode=$(stat -L -c %i /proc/$holder/ns/net)
before=$(drops_in in_holder)
in_holder "$CTW_FLOOD" -q -n "$FLOWS" -r "$RATE" -d 127.42.0.1 >/dev/null
sleep 0.3
drops=$(( $(drops_in in_holder) - before ))
count=$(in_holder conntrack -C)
max_now=$(knob_get nf_conntrack_max)
echo "unnamed late netns (inode $inode): $drops dropped, count $count, max $max_now"
assert_eq "an unnamed namespace made after start and flooded drops nothing" 0 "$drops"
assert_gt "max was raised above its flood" "$count" "$max_now"
log=$(cat "$CTW_TMP/daemon.log")
assert_contains "a raise names the unnamed namespace" "$log" "CTWARDEN_NETNS=$inode"

finish
