#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: fill a netns's table (global nf_conntrack_max lowered to 2000,
# restored at exit) and check that the audit sees what the kernel did: real
# drops (equal to conntrack -S), table-full kernel log records naming this
# netns, CRITICAL status; and that the initial netns's audit names it too.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

MAX=2000
FLOWS=10000

need_root
need_cmd ip nft conntrack jq dmesg flock
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock

# max is global: lowering it must not cost the host its own connections.
host_count=$(knob_get nf_conntrack_count)
[ "$host_count" -lt $((MAX / 2)) ] ||
	skip "the initial netns tracks $host_count entries; lowering nf_conntrack_max to $MAX would drop host traffic"

netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
logged_before=$(kmsg_table_full_records "$NS_INODE")
drops_before=$(ns_conntrack_stat_sum drop)

knob_set nf_conntrack_max "$MAX"
flood=$(in_ns "$CTW_FLOOD" -q -n "$FLOWS" -d 127.3.0.1)
echo "$flood"
# Table-full lines are rate-limited (net_ratelimit, shared with the whole
# stack and every netns); if the burst was spent elsewhere, wait out the
# interval and knock again, a few times.
for retry in 1 2 3; do
	[ "$(kmsg_table_full_records "$NS_INODE")" -le "$logged_before" ] || break
	echo "no table-full record yet (rate-limited?): retry $retry"
	sleep $(($(cat /proc/sys/net/core/message_cost) + 1))   # hold: a fresh rate-limit window
	in_ns "$CTW_FLOOD" -q -n 200 -d "127.4.$retry.1" >/dev/null
done
logged_after=$(kmsg_table_full_records "$NS_INODE")
drops=$(($(ns_conntrack_stat_sum drop) - drops_before))
assert_gt "the kernel dropped packets (conntrack -S drop)" 0 "$drops"
assert_contains "the flood saw refused datagrams" "$flood" "refused"
assert_gt "the kernel logged table full for netns $NS_INODE" "$logged_before" "$logged_after"

run in_ns "$CTWARDEN" audit --json
json=$OUT
show_err
assert_eq "audit exits 2 (CRITICAL) on a full table" 2 "$RC"
assert_json "audit --json prints one JSON object" "$json"
assert_eq "status CRITICAL" CRITICAL "$(json_get "$json" .status)"
assert_eq "max is the lowered global max" "$MAX" "$(json_get "$json" .max)"
assert_ge "count at least 95% of max" $((MAX * 95 / 100)) "$(json_get "$json" .count)"
assert_eq "init_netns false" false "$(json_get "$json" .init_netns)"
assert_eq "counters.drop == conntrack -S drop sum" "$(ns_conntrack_stat_sum drop)" \
	"$(json_get "$json" .counters.drop)"
assert_gt "counters.drop > 0" 0 "$(json_get "$json" .counters.drop)"
assert_ge "table_full.records >= 1" 1 "$(json_get "$json" .table_full.records)"
ours=".table_full.netns[]? | select(.inode == $NS_INODE)"
assert_ge "table_full lists this netns ($NS_INODE) with its records" "$logged_after" \
	"$(json_get "$json" "[$ours | .records] | add // 0")"
assert_eq "that netns entry is marked self" true "$(json_get "$json" "[$ours | .self] | first")"
codes=$(json_finding_codes "$json")
assert_contains "finding drops_seen" "$codes" drops_seen
assert_contains "finding table_full_logged" "$codes" table_full_logged
# Every flow went to udp/9: the bounded sample sees one port holding the table.
assert_contains "finding notrack_port (one port holds the table)" "$codes" notrack_port
assert_contains "its remedy is the nft notrack rule for udp/9" \
	"$(json_get "$json" '.findings[] | select(.code == "notrack_port") | .remedy')" "udp dport 9 notrack"

# From the initial netns the same records are seen, but not as "self".
run "$CTWARDEN" audit --json
assert_in "initial-netns audit exit code is a status" "$RC" 0 1 2
assert_eq "initial-netns audit: init_netns true" true "$(json_get "$OUT" .init_netns)"
assert_eq "initial-netns audit lists netns $NS_INODE, not as self" false \
	"$(json_get "$OUT" "[$ours | .self] | first")"

finish
