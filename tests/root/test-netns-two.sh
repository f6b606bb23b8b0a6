#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: two namespaces flood at once against a lowered global max.
# Nothing is dropped in either, and `ctwarden status` names the fuller one,
# with that namespace's own top destination (its own event socket), and lists
# both with their entries. Knobs are restored and namespaces deleted at exit.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

START_MAX=4096

need_root
need_cmd ip nft conntrack flock jq
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
need_quiet_tables "$START_MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
knob_set nf_conntrack_max "$START_MAX"

netns_create
A=$NS A_INODE=$NS_INODE
netns_create_second() {
	B=ctw-test-two-b-$$
	ip netns add "$B"
	ctw_on_exit "ip netns delete '$B'"
	ip -n "$B" link set lo up
	ip netns exec "$B" nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }'
}
netns_create_second
for ns in "$A" "$B"; do ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120; done

both_listed() { status_lists_netns "$conf" "$A" && status_lists_netns "$conf" "$B"; }
conf=$(ctw_conf two "mode = enforce
[limits]
max_ceiling = 262144")
ctw_daemon_start "$conf"
wait_for "the status to list $A and $B" 10 both_listed

a0=$(ns_stat_sum "$A" drop) b0=$(ns_stat_sum "$B" drop)
ip netns exec "$A" "$CTW_FLOOD" -q -n 24000 -r 12000 -d 127.81.0.1 >/dev/null &
fa=$!
ip netns exec "$B" "$CTW_FLOOD" -q -n 8000 -r 4000 -d 127.82.0.1 >/dev/null &
fb=$!
wait $fa $fb
da=$(( $(ns_stat_sum "$A" drop) - a0 )) db=$(( $(ns_stat_sum "$B" drop) - b0 ))
# The last flows reach the status within a poll or two (it is rewritten at
# most every 500 ms while the numbers move): wait for the kernel's count.
want=$(ip netns exec "$A" conntrack -C)
wait_until 5 status_is "$conf" '.namespaces.list[0].entries' "$want" || true
st=$(ctw_status "$conf")
echo "$st" | jq -c '{fullest_netns, top_dst: .top.destinations[0].key, namespaces: [.namespaces.list[] | {name, entries}]}'
echo "drops: $da in $A, $db in $B; max now $(knob_get nf_conntrack_max)"
assert_eq "nothing dropped in the first namespace" 0 "$da"
assert_eq "nothing dropped in the second namespace" 0 "$db"
assert_eq "status names the fuller namespace" "$A" "$(json_get "$st" .fullest_netns.name)"
assert_eq "with its inode" "$A_INODE" "$(json_get "$st" .fullest_netns.inode)"
top=$(json_get "$st" '.top.destinations[0].key')
assert_contains "its own top destination (127.81.x, not the other's 127.82.x)" "$top" "127.81."
assert_eq "the namespace list has the fuller one first" "$A" "$(json_get "$st" '.namespaces.list[0].name')"
assert_eq "with the kernel's count" "$want" "$(json_get "$st" '.namespaces.list[0].entries')"
assert_contains "the other one is listed too" "$(echo "$st" | jq -r '.namespaces.list[].name')" "$B"
finish
