#!/bin/bash
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
	# exec: $! is the daemon itself (ip netns exec execs it), not a subshell.
	ip netns exec "$NS" "$CTWARDEN" run -c "$CTW_TMP/$1.conf" >"$CTW_TMP/$1.log" 2>&1 &
	DAEMON_PID=$!
	ctw_on_exit "kill $DAEMON_PID 2>/dev/null; wait $DAEMON_PID 2>/dev/null || true"
	for _ in $(seq 100); do
		[ -s "$CTW_TMP/run-$1/status.json" ] && break
		sleep 0.1
	done
	[ -s "$CTW_TMP/run-$1/status.json" ] || { cat "$CTW_TMP/$1.log"; fail "no status.json from the daemon"; }
}

status_json()
{
	run "$CTWARDEN" status --json -c "$CTW_TMP/$1.conf"
	echo "$OUT"
}

# 1. N flows at a moderate rate: exactly N NEW events, the port that floods.
N=4000
write_conf exact 8MiB 2048
daemon_start exact
in_ns "$CTW_FLOOD" -q -n "$N" -r 4000 -p 5353 -d 127.80.0.1 >/dev/null &
flood=$!
sleep 0.6
mid=$(status_json exact)
wait $flood
# The last events reach the daemon a little after the kernel counted the
# flows: give it up to 5 s (status.json is rewritten within 500 ms of a change).
for _ in $(seq 50); do
	st=$(status_json exact)
	[ "$(json_get "$st" .events.new)" = "$N" ] && break
	sleep 0.1
done
echo "$st" | jq -c '{count, events, rates, time_to_full_s, top_ports: .top.ports[0]}'
assert_eq "exactly N NEW events" "$N" "$(json_get "$st" .events.new)"
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
for _ in $(seq 50); do
	st=$(status_json fast)
	[ "$(json_get "$st" .events.new)" = 30000 ] && break
	sleep 0.1
done
assert_eq "a full-speed flood at poll 1s: every NEW event" 30000 "$(json_get "$st" .events.new)"
assert_eq "and no overrun" 0 "$(json_get "$st" .events.overruns)"
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
in_ns conntrack -F >/dev/null 2>&1 || true

# 3. A tiny buffer that cannot grow, read one event per wakeup: overruns.
write_conf tiny 64KiB 1
daemon_start tiny
in_ns "$CTW_FLOOD" -q -n 60000 -d 127.90.0.1 >/dev/null
sleep 1
st=$(status_json tiny)
echo "$st" | jq -c '{count, events}'
real=$(in_ns conntrack -C)
assert_gt "the flood overran the 64 KiB buffer" 0 "$(json_get "$st" .events.overruns)"
assert_gt "so fewer NEW events than flows arrived" "$(json_get "$st" .events.new)" 60000
assert_eq "the polled count is the kernel's" "$real" "$(json_get "$st" .count)"
# Lost events left the event-derived count short: re-anchored on the kernel's.
assert_eq "the event-derived count was re-anchored on the kernel's" "$real" "$(json_get "$st" .events.count)"
assert_le "the buffer stayed within its limit" 65536 "$(json_get "$st" .events.receive_buffer)"
finish
