#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, closed loop: a flood in a netns grows the table well past a
# lowered global nf_conntrack_max. Without ctwarden the kernel drops packets;
# with `ctwarden run` (enforce, poll 100 ms) nothing is dropped and max ends
# within the ceiling. With a ceiling too low, ctwarden says "limit reached"
# and shortens a timeout inside the namespace under pressure, never the
# host's. Global knobs are restored at exit.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

START_MAX=4096
FLOWS=30000
RATE=15000

need_root
need_cmd ip nft conntrack flock
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir

need_quiet_tables "$START_MAX"

knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
knob_save nf_conntrack_tcp_timeout_established
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

# ctwarden run in the background, its log lines in $CTW_TMP/<name>.log.
daemon_start()
{
	local name=$1 conf=$2
	DAEMON_LOG=$CTW_TMP/$name.log ctw_daemon_start "$conf"
	# The first poll and the namespace scan: the status lists the test's netns.
	wait_for "the status to list $NS" 10 status_lists_netns "$conf" "$NS"
}

daemon_stop()
{
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || true
}

write_conf()
{
	local conf=$CTW_TMP/$1.conf ceiling=$2
	cat >"$conf" <<CONF
[daemon]
mode = enforce
poll_interval = 100ms
state_dir = $CTW_TMP/state-$1
runtime_dir = $CTW_TMP/run-$1
[limits]
max_ceiling = $ceiling
resize_cooldown = 1s
[timeouts]
shorten = tcp_timeout_established
CONF
	chmod 0600 "$conf"
	echo "$conf"
}

# An empty table and the low max, before a daemon starts.
reset_table()
{
	in_ns conntrack -F >/dev/null 2>&1 || true
	knob_set nf_conntrack_max "$START_MAX"
}

flood_phase()
{
	local before after
	before=$(ns_conntrack_stat_sum drop)
	in_ns "$CTW_FLOOD" -q -n "$FLOWS" -r "$RATE" -d "$1" >/dev/null
	# The kernel counts a drop as it refuses the packet: nothing to wait for.
	after=$(ns_conntrack_stat_sum drop)
	echo $((after - before))
}

# (a) no daemon: the kernel drops.
reset_table
drops=$(flood_phase 127.10.0.1)
echo "without ctwarden: $drops packets dropped"
assert_gt "without ctwarden the flood is dropped (conntrack -S drop)" 0 "$drops"

# (b) ctwarden enforcing, ceiling well above the flood: nothing dropped.
CEILING=262144
conf=$(write_conf enforce $CEILING)
reset_table
daemon_start enforce "$conf"
drops=$(flood_phase 127.20.0.1)
max_now=$(knob_get nf_conntrack_max)
count_now=$(ns_conntrack_count)
daemon_stop
echo "with ctwarden: $drops packets dropped, max $max_now, count $count_now"
cat "$CTW_TMP/enforce.log"
assert_eq "with ctwarden nothing is dropped" 0 "$drops"
assert_gt "max was raised above the flood's size" "$count_now" "$max_now"
assert_le "max stays within the ceiling" "$CEILING" "$max_now"
assert_contains "the raise is logged as max_raised" "$(cat "$CTW_TMP/enforce.log")" "CTWARDEN_EVENT=max_raised"
assert_contains "the log names the netns under pressure" "$(cat "$CTW_TMP/enforce.log")" "CTWARDEN_NETNS=$NS_INODE"

# (c) a ceiling too low: limit reached, said; a timeout step inside the
# namespace under pressure, and the host's timeouts left alone (timeouts are
# per namespace: shortening the host's cannot help the one that is full);
# restore puts the namespace's back.
CEILING=8192
conf=$(write_conf low $CEILING)
reset_table
daemon_start low "$conf"
est_before=$(knob_get nf_conntrack_tcp_timeout_established)
ns_est_before=$(in_ns cat "$CTW_NETFILTER/nf_conntrack_tcp_timeout_established")
drops=$(flood_phase 127.30.0.1)
# The ceiling is reached and said, then a timeout step follows (steps are at
# least 5 s apart).
wait_for "limit_reached in the log" 10 file_has "$CTW_TMP/low.log" "CTWARDEN_EVENT=limit_reached"
wait_until 15 file_has "$CTW_TMP/low.log" "CTWARDEN_EVENT=timeout_shortened" ||
	echo "no timeout step within 15 s; last saw: $WAIT_LAST"
max_now=$(knob_get nf_conntrack_max)
est_after=$(knob_get nf_conntrack_tcp_timeout_established)
ns_est_after=$(in_ns cat "$CTW_NETFILTER/nf_conntrack_tcp_timeout_established")
daemon_stop
log=$(cat "$CTW_TMP/low.log")
echo "$log"
assert_le "max stays within the low ceiling" "$CEILING" "$max_now"
assert_contains "limit reached is said" "$log" "CTWARDEN_EVENT=limit_reached"
assert_contains "limit reached names the namespace under pressure" "$log" "CTWARDEN_NETNS=$NS_INODE"
assert_contains "a timeout step is logged" "$log" "CTWARDEN_EVENT=timeout_shortened"
assert_contains "it says which namespace" "$log" "in netns $NS (inode $NS_INODE)"
assert_gt "the namespace's tcp_timeout_established was shortened inside it" "$ns_est_after" "$ns_est_before"
assert_ge "never below its floor" 3600 "$ns_est_after"
assert_eq "the host's tcp_timeout_established is untouched" "$est_before" "$est_after"
run "$CTWARDEN" restore -c "$conf" --force
echo "$OUT$ERR"
assert_eq "restore succeeds" 0 "$RC"
assert_eq "restore puts the namespace's timeout back inside it" "$ns_est_before" \
	"$(in_ns cat "$CTW_NETFILTER/nf_conntrack_tcp_timeout_established")"
assert_eq "and leaves the host's as it was" "$est_before" "$(knob_get nf_conntrack_tcp_timeout_established)"
finish
