#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: ctwarden's events module (through tests/tools/ctw-events-count)
# in a fresh netns.
# - entries made before the listener existed send no events, not even DESTROY
#   (nf_conntrack_events=2, the default since 5.19);
# - N flows at a moderate rate: exactly N NEW events, each with its flow key
#   (destination port), and N DESTROY events when the table is flushed;
# - a slow listener with a tiny fixed buffer: overruns reported, the buffer
#   stays at its limit; with room to grow: it grows, up to the limit.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

FLOWS=5000
OLD=1000
CTW_EVENTS_COUNT=${CTW_EVENTS_COUNT:-${CTW_BUILDDIR:-.}/tests/tools/ctw-events-count}

need_root
need_cmd ip nft conntrack jq flock
need_flood
[ -x "$CTW_EVENTS_COUNT" ] || skip "no ctw-events-count at $CTW_EVENTS_COUNT (make check builds it)"
need_conntrack_kernel
ctw_global_lock

max=$(knob_get nf_conntrack_max)
[ "$max" -eq 0 ] || [ "$max" -gt 60000 ] ||
	skip "nf_conntrack_max is $max, below the 60000 entries this test makes"

netns_create
ctw_tmpdir
# Unreplied UDP entries live 30 s; keep them for the whole test (per netns).
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
events_mode=$(in_ns sysctl -n net.netfilter.nf_conntrack_events)

LISTENER_PID=
LISTENER_OUT=

# listen NAME ARGS...: start a listener in the netns and wait until it is
# subscribed. It stops 1.5 s after the last event (60 s at most, or -t).
listen()
{
	local name=$1
	shift
	LISTENER_OUT=$CTW_TMP/$name.json
	ip netns exec "$NS" "$CTW_EVENTS_COUNT" -t 60 -i 1500 -R "$CTW_TMP/$name.ready" "$@" >"$LISTENER_OUT" &
	LISTENER_PID=$!
	ctw_on_exit "[ \"\$(cat /proc/$LISTENER_PID/comm 2>/dev/null)\" != ctw-events-coun ] || kill $LISTENER_PID"
	wait_while_alive "ctw-events-count $name to subscribe" 5 "$LISTENER_PID" test -e "$CTW_TMP/$name.ready"
}

# Wait for the listener; its JSON goes to OUT.
listened()
{
	wait "$LISTENER_PID" || fail "ctw-events-count failed: $(cat "$LISTENER_OUT")"
	OUT=$(cat "$LISTENER_OUT")
	assert_json "ctw-events-count prints one JSON object" "$OUT"
}

# Netlink sockets in the netns subscribed to a conntrack event group
# (NETLINK_NETFILTER is protocol 12; groups NEW, UPDATE, DESTROY are bits 0-2).
# Another process's (a daemon watching every netns, as ctwarden run does, also
# enters this one) makes the kernel give new entries the event extension.
event_listeners()
{
	local n=0 g
	for g in $(in_ns cat /proc/net/netlink | awk '$2 == 12 { print $4 }'); do
		[ $((16#$g & 7)) -eq 0 ] || n=$((n + 1))
	done
	echo "$n"
}

# 1. Entries from before the subscription: no NEW (they are old), and no
# DESTROY when they go (no event extension), unless events=1 (always).
# Watch for such a listener the whole time the old entries are made (they
# come and go: a daemon of another test or bench finds this netns, or leaves).
while :; do event_listeners; sleep 0.01; done >"$CTW_TMP/listeners" &   # pace of the watch
watch_pid=$!
ctw_on_exit "kill $watch_pid 2>/dev/null || true"
wait_for "the listener watch to start" 5 test -s "$CTW_TMP/listeners"
in_ns "$CTW_FLOOD" -q -n "$OLD" -d 127.5.0.1 >/dev/null
n=$(wc -l <"$CTW_TMP/listeners")
wait_for "the listener watch to look again after the flood" 5 file_count_ge "$CTW_TMP/listeners" $((n + 1)) .
kill "$watch_pid"; wait "$watch_pid" 2>/dev/null || true
foreign=$(sort -n "$CTW_TMP/listeners" | tail -1)
listen old -t 3   # no event may come at all: do not wait for 60 s
in_ns conntrack -F >/dev/null 2>&1
listened
assert_eq "no NEW for entries older than the listener" 0 "$(json_get "$OUT" .new)"
if [ "$events_mode" = 1 ]; then
	assert_eq "nf_conntrack_events=1: old entries send DESTROY" "$OLD" "$(json_get "$OUT" .destroy)"
elif [ "$foreign" -ne 0 ]; then
	echo "SKIP: old entries' DESTROY: another process listened to conntrack events in $NS while they were made (up to $foreign sockets), so they carry the event extension"
else
	assert_eq "nf_conntrack_events=$events_mode: old entries send no DESTROY" 0 "$(json_get "$OUT" .destroy)"
fi

# 2. N flows at a moderate rate: every event, every key.
listen moderate -b $((4 << 20)) -p 9
in_ns "$CTW_FLOOD" -q -n "$FLOWS" -r 20000 -d 127.6.0.1 -p 9 >/dev/null
assert_eq "conntrack -C == flows sent" "$FLOWS" "$(ns_conntrack_count)"
in_ns conntrack -F >/dev/null 2>&1
listened
assert_eq "exactly N NEW events" "$FLOWS" "$(json_get "$OUT" .new)"
assert_eq "a flow key for every NEW" "$FLOWS" "$(json_get "$OUT" .keyed)"
assert_eq "every key has the flood's destination port" "$FLOWS" "$(json_get "$OUT" .matched)"
assert_eq "N DESTROY events after the flush" "$FLOWS" "$(json_get "$OUT" .destroy)"
assert_eq "no overruns at a moderate rate" 0 "$(json_get "$OUT" .overruns)"
assert_eq "the buffer asked for is granted (SO_RCVBUFFORCE)" $((4 << 20)) "$(json_get "$OUT" .rcvbuf)"

# 3. Overload: a listener that stalls 5 ms per wakeup, 64 KiB fixed buffer.
listen tiny -b 65536 -m 65536 -s 5000
in_ns "$CTW_FLOOD" -q -n 50000 -d 127.7.0.1 -P 1000:1009 >/dev/null
listened
assert_gt "overruns reported under overload" 0 "$(json_get "$OUT" .overruns)"
assert_le "events were lost: fewer NEW than flows" 49999 "$(json_get "$OUT" .new)"
assert_gt "but some arrived" 0 "$(json_get "$OUT" .new)"
assert_eq "a fixed buffer does not grow" 65536 "$(json_get "$OUT" .rcvbuf)"
in_ns conntrack -F >/dev/null 2>&1

# 4. The same with room to grow: the buffer doubles on overruns, up to the limit.
listen growing -b 65536 -m 1048576 -s 5000
in_ns "$CTW_FLOOD" -q -n 50000 -d 127.8.0.1 -P 1000:1009 >/dev/null
listened
assert_gt "overruns reported" 0 "$(json_get "$OUT" .overruns)"
assert_gt "the buffer grew" 65536 "$(json_get "$OUT" .rcvbuf)"
assert_le "up to its limit" 1048576 "$(json_get "$OUT" .rcvbuf)"
in_ns conntrack -F >/dev/null 2>&1

finish
