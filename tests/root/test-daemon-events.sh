#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, event-driven daemon: `ctwarden run` inside a netns (its events
# are those of its own netns) counts exactly the NEW events of N flows, shows
# rates, time to full and the flooding port in `ctwarden status`; with a tiny
# receive buffer a flood overruns it, the overruns are reported and the count
# is re-anchored on the kernel's.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_root
need_cmd ip nft jq
need_ctwarden
need_flood
need_conntrack_kernel
# A conntrack event listener anywhere makes the kernel add the event
# extension to new entries in every netns; other root tests count on
# there being none of theirs: one at a time.
ctw_global_lock
ctw_tmpdir
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

# mode advise: max is read-only in a netns anyway; this test is about seeing.
write_conf()
{
	cat >"$CTW_TMP/$1.conf" <<CONF
[daemon]
mode = advise
poll_interval = ${4:-100ms}
all_netns = no
state_dir = $CTW_TMP/state-$1
runtime_dir = $CTW_TMP/run-$1
[events]
receive_buffer = $2
receive_buffer_max = $2
batch = $3
CONF
	chmod 0600 "$CTW_TMP/$1.conf"
}

daemon_start()
{
	# ip netns exec execs: $DAEMON_PID is the daemon itself, not a subshell.
	DAEMON_LOG=$CTW_TMP/$1.log ctw_daemon_start "$CTW_TMP/$1.conf" ip netns exec "$NS"
}

status_json()
{
	ctw_status "$CTW_TMP/$1.conf"
}

# rates_during_flood NAME PID: the status shows a new/s rate above 100 and a
# time to full, or the flood (PID) ended first (said, so the wait ends).
rates_during_flood()
{
	local st
	pid_gone "$2" && { echo "the flood ended first"; return 0; }
	st=$(status_json "$1")
	echo "$st" | jq -c '{rates, time_to_full_s}'
	ctw__cmp "$(json_get "$st" .rates.new_per_s)" ">" 100 && [ "$(json_get "$st" .time_to_full_s)" != null ]
}

# 1. N flows at a moderate rate (2 s of flood): exactly N NEW events, the port that floods.
N=4000
write_conf exact 8MiB 2048
daemon_start exact
in_ns "$CTW_FLOOD" -q -n "$N" -r 2000 -p 5353 -d 127.80.0.1 >/dev/null &
flood=$!
wait_until 10 rates_during_flood exact "$flood" || true
echo "during the flood: $WAIT_LAST"
mid=$(status_json exact)
assert_ne "the rates were seen while the flood ran" "the flood ended first" "$WAIT_LAST"
wait $flood
# The last events reach the daemon a little after the kernel counted the
# flows (status.json is rewritten within 500 ms of a change).
assert_eventually "exactly N NEW events" 5 status_is "$CTW_TMP/exact.conf" .events.new "$N"
st=$(status_json exact)
echo "$st" | jq -c '{count, events, rates, time_to_full_s, top_ports: .top.ports[0]}'
assert_eq "no overruns at a moderate rate" 0 "$(json_get "$st" .events.overruns)"
assert_eq "the count is the kernel's" "$(in_ns conntrack -C)" "$(json_get "$st" .count)"
assert_gt "during the flood a new/s rate is shown" 100 "$(json_get "$mid" .rates.new_per_s)"
assert_ne "during the flood a time to full is shown" null "$(json_get "$mid" .time_to_full_s)"
assert_eq "the flooding port is the top destination port" "udp/5353" "$(json_get "$st" '.top.ports[0].key')"
assert_ge "with (nearly) all the flows" $((N * 99 / 100)) "$(json_get "$st" '.top.ports[0].count')"
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
in_ns conntrack -F >/dev/null 2>&1 || true

# 2. At the default 1 s poll, a full-speed flood still reaches the daemon
# whole: between batches the socket pauses for 1 ms, not until the next poll.
write_conf fast 8MiB 2048 1s
daemon_start fast
in_ns "$CTW_FLOOD" -q -n 30000 -d 127.85.0.1 >/dev/null
assert_eventually "a full-speed flood at poll 1s: every NEW event" 5 status_is "$CTW_TMP/fast.conf" .events.new 30000
st=$(status_json fast)
assert_eq "and no overrun" 0 "$(json_get "$st" .events.overruns)"
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
in_ns conntrack -F >/dev/null 2>&1 || true

# 3. A tiny buffer that cannot grow, read one event per wakeup: overruns.
write_conf tiny 64KiB 1
daemon_start tiny
in_ns "$CTW_FLOOD" -q -n 60000 -d 127.90.0.1 >/dev/null
real=$(in_ns conntrack -C)
# The polls (100 ms) that follow the flood re-anchor the count on the kernel's.
wait_until 5 status_is "$CTW_TMP/tiny.conf" .events.count "$real" || true
st=$(status_json tiny)
echo "$st" | jq -c '{count, events}'
assert_gt "the flood overran the 64 KiB buffer" 0 "$(json_get "$st" .events.overruns)"
assert_gt "so fewer NEW events than flows arrived" "$(json_get "$st" .events.new)" 60000
assert_eq "the polled count is the kernel's" "$real" "$(json_get "$st" .count)"
# Lost events left the event-derived count short: re-anchored on the kernel's.
assert_eq "the event-derived count was re-anchored on the kernel's" "$real" "$(json_get "$st" .events.count)"
assert_le "the buffer stayed within its limit" 65536 "$(json_get "$st" .events.receive_buffer)"
finish
