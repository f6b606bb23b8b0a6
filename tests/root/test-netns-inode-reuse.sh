#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: the kernel names a netns in "table full in netns N" by its
# inode and gives a deleted namespace's inode to a new one. Fill netns A past a
# lowered global max (restored at exit) so that the kernel logs table-full
# records naming A's inode; the audit in A is CRITICAL. Delete A, make
# namespaces until one gets A's inode (bounded; skip if the kernel never
# reuses it): the audit there must not blame it (it never dropped a packet),
# must say the records were an earlier namespace's, and exit with the status
# it would have without them.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

MAX=2000
FLOWS=10000
TRIES=60

need_root
need_cmd ip nft conntrack jq dmesg flock
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock

host_count=$(knob_get nf_conntrack_count)
[ "$host_count" -lt $((MAX / 2)) ] ||
	skip "the initial netns tracks $host_count entries; lowering nf_conntrack_max to $MAX would drop host traffic"
netns_reap_stale

# Namespaces made here: deleted at exit whether or not the test deleted them.
ns_make()
{
	ip netns add "$1" 2>/dev/null || skip "cannot create a network namespace ($1)"
	ctw_on_exit "ip netns delete '$1' 2>/dev/null || true"
}

# Kernel-facility table-full lines (syslog(2) keeps the facility in "<N>"),
# those naming inode $1 (or, with -v, all the others).
kmsg_full_lines()
{
	local grep_opt=
	[ "$1" = -v ] && { grep_opt=-v; shift; }
	dmesg -S -r 2>/dev/null | grep '^<[0-7]>.*nf_conntrack: .*table full' |
		grep -c $grep_opt "table full in netns $1," || true
}

# ---- A: fill it, the audit there is CRITICAL ------------------------------
A=ctw-test-inode-reuse-$$-a
ns_make "$A"
ip -n "$A" link set lo up
ip netns exec "$A" nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }' ||
	skip "nft cannot add a ct state rule in $A"
ip netns exec "$A" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
A_INODE=$(netns_inode "$A")
logged_before=$(kmsg_full_lines "$A_INODE")

knob_set nf_conntrack_max "$MAX"
ip netns exec "$A" "$CTW_FLOOD" -q -n "$FLOWS" -d 127.3.0.1
# Table-full lines are rate-limited (shared with the whole stack): knock again.
for retry in 1 2 3; do
	[ "$(kmsg_full_lines "$A_INODE")" -le "$logged_before" ] || break
	echo "no table-full record yet (rate-limited?): retry $retry"
	sleep $(($(cat /proc/sys/net/core/message_cost) + 1))   # hold: a fresh rate-limit window
	ip netns exec "$A" "$CTW_FLOOD" -q -n 200 -d "127.4.$retry.1" >/dev/null
done
logged=$(kmsg_full_lines "$A_INODE")
assert_gt "the kernel logged table full for netns $A_INODE" "$logged_before" "$logged"

run ip netns exec "$A" "$CTWARDEN" audit --json
show_err
assert_eq "in A: audit exits 2 (CRITICAL)" 2 "$RC"
assert_json "in A: one JSON object" "$OUT"
codes=$(json_finding_codes "$OUT")
assert_contains "in A: table_full_logged" "$codes" table_full_logged
assert_not_contains "in A: no earlier-namespace note" "$codes" table_full_earlier_netns
assert_eq "in A: its records are marked self" true \
	"$(json_get "$OUT" "[.table_full.netns[]? | select(.inode == $A_INODE) | .self] | first")"
assert_eq "in A: not earlier" false \
	"$(json_get "$OUT" "[.table_full.netns[]? | select(.inode == $A_INODE) | .earlier] | first")"

# ---- delete A, find a namespace with A's inode ----------------------------
ip netns delete "$A"
B=
for ((i = 0; i < TRIES; i++)); do
	n=ctw-test-inode-reuse-$$-b$i
	ns_make "$n"
	if [ "$(netns_inode "$n")" = "$A_INODE" ]; then
		B=$n
		break
	fi
	# Kept until the end: the kernel hands out the lowest free inode, so a
	# try deleted at once gives its own number to the next one, which then
	# never climbs to A's; kept, each takes the next free number up.
	# pace: netns cleanup (and the inode's release) runs in a kernel worker;
	# the next try is only worth making once it had a chance to run.
	sleep 0.1   # pace between tries
done
[ -n "$B" ] || skip "no new namespace got inode $A_INODE back in $TRIES tries: nothing to test on this kernel"
echo "namespace $B has inode $A_INODE, as deleted $A had"

# B dropped nothing, so by default its audit does not read the kernel log
# (none of the records can be its own; the host's audit judges the others):
# OK, nothing said about A's records.
run ip netns exec "$B" "$CTWARDEN" audit --json
show_err
assert_eq "in B: exit 0, the log not read" 0 "$RC"
assert_eq "in B: table_full.read is false" false "$(json_get "$OUT" .table_full.read)"
assert_eq "in B: because it dropped nothing" no_own_drops "$(json_get "$OUT" .table_full.not_read_because)"
assert_not_contains "in B: no kernel-log finding" "$(json_finding_codes "$OUT")" table_full
assert_not_contains "in B: and no kmsg_unavailable" "$(json_finding_codes "$OUT")" kmsg_unavailable

# With --kernel-log it reads the log: A's records are an earlier namespace's.
# The status without A's records: OK, or WARNING when the log also holds
# other namespaces' table-full records (a neighbour's full table).
others=$(kmsg_full_lines -v "$A_INODE")
want=0
[ "$others" -eq 0 ] || want=1

run ip netns exec "$B" "$CTWARDEN" audit --json --kernel-log
show_err
json=$OUT
assert_eq "in B: exit $want (the status without A's records; $others other record(s))" "$want" "$RC"
assert_json "in B: one JSON object" "$json"
assert_eq "in B: drop counter 0" 0 "$(json_get "$json" .counters.drop)"
assert_ge "in B: the records naming $A_INODE are read" "$logged" \
	"$(json_get "$json" "[.table_full.netns[]? | select(.inode == $A_INODE) | .records] | add // 0")"
assert_eq "in B: A's records are not marked self" false \
	"$(json_get "$json" "[.table_full.netns[]? | select(.inode == $A_INODE) | .self] | first")"
assert_eq "in B: but earlier" true \
	"$(json_get "$json" "[.table_full.netns[]? | select(.inode == $A_INODE) | .earlier] | first")"
assert_eq "in B: no critical finding" 0 \
	"$(json_get "$json" '[.findings[] | select(.severity == "critical")] | length')"
assert_eq "in B: the earlier-namespace note is info" info \
	"$(json_get "$json" '.findings[] | select(.code == "table_full_earlier_netns") | .severity')"
assert_contains "in B: it names the earlier namespace" \
	"$(json_get "$json" '.findings[] | select(.code == "table_full_earlier_netns") | .message')" \
	"earlier namespace with inode $A_INODE"
if [ "$want" -eq 0 ]; then
	assert_not_contains "in B: no table_full_logged" "$(json_finding_codes "$json")" table_full_logged
else
	assert_not_contains "in B: table_full_logged does not blame this netns" \
		"$(json_get "$json" '.findings[] | select(.code == "table_full_logged") | .message')" "this netns ("
fi

run ip netns exec "$B" "$CTWARDEN" audit --kernel-log
assert_eq "in B: text audit exits $want too" "$want" "$RC"
assert_contains "in B: the text report mentions the earlier namespace" "$OUT" \
	"earlier namespace with inode $A_INODE"
assert_not_contains "in B: the text report does not call it this netns" "$OUT" "netns $A_INODE (this)"

finish
