#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: `ctwarden retire` on dead ESTABLISHED entries made by real TCP
# connections whose FIN and RST never reach conntrack (an nft chain at
# output priority -300 drops them). In the test netns:
#   DEAD4 IPv4 and DEAD6 IPv6 (::1) dead entries to port 8080;
#   one tuple 127.0.0.1:45000 -> 127.0.0.1:8090 dead in zone 0 AND in zone 1
#     (nft ct zone set 1 before conntrack, added between the two connections);
#   NATED dead entries whose destination an nft dnat rule rewrote;
#   one live flow sending a byte a second to port 9100;
# and QUIET dead entries in a second, quiet namespace.
# Expected, from the rule's words (idle >= 5 s is dead; NAT kept with
# retire_nat = no): DEAD4 + DEAD6 + 2 deleted, NATED kept as NATed, the live
# flow never deleted (its DESTROY never comes), the quiet namespace untouched.
# --dry-run changes nothing and counts what the real run then deletes; --set
# writes the sysctl there, records the original, and restore puts it back.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

DEAD4=300
DEAD6=100
NATED=20
QUIET=50
DEAD=$((DEAD4 + DEAD6 + 2))
LIVE_SECONDS=60

need_root
need_cmd ip nft conntrack jq
need_ctwarden
need_conntrack_kernel
if [ ! -x "${CTW_TCP:-}" ] || [ ! -x "${CTW_EVENTS_COUNT:-}" ]; then
	skip "needs tests/tools/ctw-tcp and ctw-events-count (make check builds them)"
fi

# The FIN/RST drop rule of KERNEL-NOTES, in namespace $1.
drop_fin_rst()
{
	ip netns exec "$1" nft 'table inet ctwr { chain early { type filter hook output priority -300; tcp flags & (fin|rst) != 0 drop; }; }'
}

netns_create
drop_fin_rst "$NS"
QNS=ctw-test-$CTW_TEST_NAME-q-$$
ip netns add "$QNS"
ctw_on_exit "ip netns delete '$QNS'"
ip -n "$QNS" link set lo up
ip netns exec "$QNS" nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }'
drop_fin_rst "$QNS"

ctw_tmpdir
conf=$(ctw_conf retire "[timeouts]
retire_nat = no")

# DESTROY events of the test netns, counted by ctwarden's own listener
# (tests/tools/ctw-events-count: a large buffer, overruns counted) from
# before any entry exists: events reach only listeners present when the
# entry was created. conntrack -E lost more than half of 400 DESTROY events
# here even with -b 16 MiB.
ip netns exec "$NS" "$CTW_EVENTS_COUNT" -t 600 -R "$CTW_TMP/events.ready" >"$CTW_TMP/events.json" 2>&1 &
events_pid=$!
ctw_on_exit "kill $events_pid 2>/dev/null; wait $events_pid 2>/dev/null || true"
wait_for "the event listener in $NS" 10 test -e "$CTW_TMP/events.ready"

# The live flow: a byte a second through the whole test.
ip netns exec "$NS" "$CTW_TCP" -a 127.0.0.1 -p 9100 -k "$LIVE_SECONDS" >"$CTW_TMP/live.port" 2>"$CTW_TMP/live.err" &
live_pid=$!
ctw_on_exit "kill $live_pid 2>/dev/null; wait $live_pid 2>/dev/null || true"
wait_for "the live flow's source port" 10 test -s "$CTW_TMP/live.port"
live_port=$(head -1 "$CTW_TMP/live.port")

# Dead entries.
in_ns "$CTW_TCP" -a 127.0.0.1 -p 8080 -n "$DEAD4"
in_ns "$CTW_TCP" -a ::1 -p 8080 -n "$DEAD6"
in_ns "$CTW_TCP" -a 127.0.0.1 -p 8090 -n 1 -s 45000
in_ns nft 'table inet ctwz { chain zone { type filter hook output priority -300; tcp dport 8090 ct zone set 1; tcp sport 8090 ct zone set 1; }; }'
in_ns "$CTW_TCP" -a 127.0.0.1 -p 8090 -n 1 -s 45000
in_ns nft 'table ip ctwn { chain out { type nat hook output priority -100; ip daddr 127.0.0.2 tcp dport 9090 dnat to 127.0.0.1; }; }'
in_ns "$CTW_TCP" -a 127.0.0.2 -l 127.0.0.1 -p 9090 -n "$NATED"
ip netns exec "$QNS" "$CTW_TCP" -a 127.0.0.1 -p 8080 -n "$QUIET"

assert_eq "conntrack: dead IPv4 entries to 8080" "$DEAD4" \
	"$(in_ns conntrack -L -f ipv4 -p tcp --dport 8080 --state ESTABLISHED 2>/dev/null | wc -l)"
assert_eq "conntrack: dead IPv6 entries to 8080" "$DEAD6" \
	"$(in_ns conntrack -L -f ipv6 -p tcp --dport 8080 --state ESTABLISHED 2>/dev/null | wc -l)"
zones=$(in_ns conntrack -L -p tcp --sport 45000 --dport 8090 2>/dev/null | grep -c ESTABLISHED || true)
assert_eq "conntrack: the same tuple twice (zones 0 and 1)" 2 "$zones"
assert_eq "conntrack: the zone-1 one says so" 1 \
	"$(in_ns conntrack -L -p tcp --sport 45000 2>/dev/null | grep -c 'zone=1' || true)"
assert_eq "conntrack: NATed entries" "$NATED" "$(in_ns conntrack -L -p tcp --dst-nat 2>/dev/null | wc -l)"
assert_eq "conntrack: the quiet namespace's dead entries" "$QUIET" "$(ip netns exec "$QNS" conntrack -C)"
total=$(ns_conntrack_count)

# Dead means idle >= 5 s: wait until every dead entry has at most
# 432000 - 7 s left (CTA_TIMEOUT is rounded down; the rule subtracts 1 s).
oldest_fresh_left()
{
	in_ns conntrack -L -p tcp --dport 8080 2>/dev/null | awk '{ if ($3 > m) m = $3 } END { print m + 0 }'
}
least_left()
{
	in_ns conntrack -L -p tcp --dport 8080 2>/dev/null | awk 'NR == 1 || $3 < m { m = $3 } END { print m + 0 }'
}
dead_long_enough() { [ "$(oldest_fresh_left)" -le 431993 ]; }
wait_for "the dead entries to be idle 7 s" 30 dead_long_enough

# audit --top: the same dump's idle ages. Every ESTABLISHED entry here (dead,
# zones, NATed, live) is idle less than a minute and none past the 1 h floor.
run in_ns "$CTWARDEN" -c "$conf" audit --top --json
assert_json "audit --top prints JSON" "$OUT"
assert_eq "audit: ESTABLISHED entries idle < 1 min" $((DEAD + NATED + 1)) \
	"$(json_get "$OUT" '.top.idle.tcp_timeout_established.under_1m')"
assert_eq "audit: none past the 1 h floor" 0 "$(json_get "$OUT" '.top.idle.tcp_timeout_established.beyond_floor')"
assert_eq "audit: no table_stale finding on a table this empty" "" \
	"$(json_get "$OUT" '[.findings[] | select(.code == "table_stale")] | .[0].code // ""')"

run "$CTWARDEN" -c "$conf" retire --timeout tcp_timeout_established=5s --netns "$NS" --dry-run --json
show_err
assert_eq "dry run exit code" 0 "$RC"
assert_json "dry run prints JSON" "$OUT"
dry=$OUT
assert_eq "dry run: one namespace, the one asked for" "$NS" "$(json_get "$dry" '.namespaces[0].name')"
assert_eq "dry run: would delete the dead ones" "$DEAD" "$(json_get "$dry" '.namespaces[0].deleted')"
assert_eq "dry run: NATed kept" "$NATED" "$(json_get "$dry" '.namespaces[0].kept.nat')"
assert_eq "dry run: all in the < 1 min bucket (deleted and retimed)" "$(json_get "$dry" '.namespaces[0] | .deleted + .retimed')" \
	"$(json_get "$dry" '.namespaces[0].idle_buckets.under_1m')"
assert_eq "dry run: top port tcp/8080" "tcp/8080 $((DEAD4 + DEAD6))" \
	"$(json_get "$dry" '.namespaces[0].top.ports[0] | "\(.key) \(.count)"')"
assert_eq "dry run: the live flow is not among the deleted (retimed or kept unacked)" 1 \
	"$(json_get "$dry" '.namespaces[0] | .retimed + .kept.unacked')"
assert_eq "dry run: nothing deleted" "$total" "$(ns_conntrack_count)"
assert_ge "dry run: nothing retimed (dead entries keep days)" 431000 "$(least_left)"
assert_eq "dry run: the sysctl is untouched" 432000 \
	"$(in_ns cat "$CTW_NETFILTER/nf_conntrack_tcp_timeout_established")"

# Text form, same facts.
run "$CTWARDEN" -c "$conf" retire --timeout nf_conntrack_tcp_timeout_established=5s --netns "$NS" --dry-run
assert_contains "text dry run counts" "$OUT" "dry run: would delete $DEAD,"
assert_contains "text names the NATed ones" "$OUT" "$NATED NATed"

host_established=$(cat "$CTW_NETFILTER/nf_conntrack_tcp_timeout_established")
# The real run, with --set: the original goes to the state file first.
run "$CTWARDEN" -c "$conf" retire --timeout tcp_timeout_established=5s --netns "$NS" --set --json
show_err
assert_eq "retire exit code" 0 "$RC"
assert_json "retire prints JSON" "$OUT"
assert_eq "deleted == what the dry run counted" "$(json_get "$dry" '.namespaces[0].deleted')" \
	"$(json_get "$OUT" '.namespaces[0].deleted')"
assert_eq "none gone meanwhile (each zone's delete found its own entry)" 0 "$(json_get "$OUT" '.namespaces[0].gone')"
assert_eq "no failures" 0 "$(json_get "$OUT" '.namespaces[0].failed')"
assert_eq "--set wrote it" true "$(json_get "$OUT" '.namespaces[0].set_written')"
assert_eq "sysctl now 5 in $NS" 5 "$(in_ns cat "$CTW_NETFILTER/nf_conntrack_tcp_timeout_established")"
assert_eq "the host's sysctl is not touched" "$host_established" \
	"$(cat "$CTW_NETFILTER/nf_conntrack_tcp_timeout_established")"
assert_eq "state file: the original, under the namespace" 432000 \
	"$(jq -r --arg n "$NS" '.netns[] | select(.name == $n) | .originals["net.netfilter.nf_conntrack_tcp_timeout_established"].value' \
		"$CTW_TMP/state-retire/state.json")"
assert_eq "no dead entry to 8080 left" 0 "$(in_ns conntrack -L -p tcp --dport 8080 2>/dev/null | wc -l)"
assert_eq "neither zone's entry of the shared tuple left" 0 \
	"$(in_ns conntrack -L -p tcp --sport 45000 2>/dev/null | wc -l)"
assert_eq "the NATed entries stay" "$NATED" "$(in_ns conntrack -L -p tcp --dst-nat 2>/dev/null | wc -l)"
assert_eq "the quiet namespace's dead entries stay" "$QUIET" "$(ip netns exec "$QNS" conntrack -C)"
live_entry() { in_ns conntrack -L -p tcp --sport "$live_port" --dport 9100 2>/dev/null | grep -q ESTABLISHED; }
assert_eq "the live flow's entry is there" 0 "$(live_entry && echo 0 || echo 1)"
kill -0 "$live_pid" 2>/dev/null || fail "the live flow broke: $(cat "$CTW_TMP/live.err")"

# Again: nothing left to delete; the live flow is refreshed by its traffic
# under the 5 s now in force, so it stays.
run "$CTWARDEN" -c "$conf" retire --timeout tcp_timeout_established=5s --netns "$NS" --json
assert_eq "second pass: nothing to delete" 0 "$(json_get "$OUT" '.namespaces[0].deleted')"
assert_eq "the live flow's entry is still there" 0 "$(live_entry && echo 0 || echo 1)"

# The kernel destroyed exactly the entries deleted: one more would be the
# live flow's (it was created after the listener, so its DESTROY would come).
kill -TERM "$events_pid"
wait "$events_pid" || true
assert_json "the event listener's counts" "$(cat "$CTW_TMP/events.json")"
assert_eq "no events lost" 0 "$(jq -r .overruns "$CTW_TMP/events.json")"
assert_eq "NEW events: every entry made (dead, zones, NATed, live)" $((DEAD + NATED + 1)) \
	"$(jq -r .new "$CTW_TMP/events.json")"
assert_eq "DESTROY events: exactly the deleted ones, not the live flow" "$DEAD" "$(jq -r .destroy "$CTW_TMP/events.json")"

# restore puts the sysctl back in that namespace.
run "$CTWARDEN" -c "$conf" restore
show_err
assert_eq "restore exit code" 0 "$RC"
assert_eq "sysctl back to 432000 in $NS" 432000 "$(in_ns cat "$CTW_NETFILTER/nf_conntrack_tcp_timeout_established")"

# Usage errors.
run "$CTWARDEN" -c "$conf" retire --timeout bogus_timeout=5s
assert_eq "unknown timeout: usage (3)" 3 "$RC"
run "$CTWARDEN" -c "$conf" retire --timeout tcp_timeout_established=0
assert_eq "zero duration: usage (3)" 3 "$RC"
run "$CTWARDEN" -c "$conf" retire --timeout tcp_timeout_established=5s --netns ctw-no-such-ns-$$
assert_eq "unknown namespace: refused (2)" 2 "$RC"

kill "$live_pid" 2>/dev/null || true
finish
