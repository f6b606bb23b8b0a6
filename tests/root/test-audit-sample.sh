#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: the audit takes its bounded table sample (a ctnetlink dump,
# its costliest step) only when this namespace's own table calls for it.
# Netns A overflows a lowered global max (2000, restored at exit), so the
# shared kernel log holds table-full records naming A. Netns B holds 1000
# entries, all to udp/9: 50% of max, below warn (75%), no drops of its own.
# B's audit does not read the log (it dropped nothing); with --kernel-log it
# sees A's records but must still not take the sample (JSON .sample.taken
# false, no NOTRACK advice). Then B grows to 1600 entries
# (80%, at or above warn): now the sample is taken and finds udp/9.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

MAX=2000
B_CALM=1000     # 50% of MAX
B_BUSY=1600     # 80% of MAX
SAMPLE_MIN=512  # the NOTRACK advice's smallest sample (and the sample's)

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

# ns_make NAME: a netns that tracks every locally sent packet, deleted at exit.
ns_make()
{
	ip netns add "$1" 2>/dev/null || skip "cannot create a network namespace ($1)"
	ctw_on_exit "ip netns delete '$1' 2>/dev/null || true"
	ip -n "$1" link set lo up
	ip netns exec "$1" nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }' ||
		skip "nft cannot add a ct state rule in $1"
	ip netns exec "$1" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
}

A=ctw-test-audit-sample-$$-a
B=ctw-test-audit-sample-$$-b
ns_make "$A"
ns_make "$B"
A_INODE=$(netns_inode "$A")
B_INODE=$(netns_inode "$B")

# ---- A overflows: table-full records naming A in the kernel log ----------
logged_before=$(kmsg_table_full_records "$A_INODE")
knob_set nf_conntrack_max "$MAX"
ip netns exec "$A" "$CTW_FLOOD" -q -n 10000 -d 127.3.0.1 >/dev/null
# Table-full lines are rate-limited (net_ratelimit, shared with the whole
# stack): pace the retries by the limit's interval and knock again.
for retry in 1 2 3; do
	[ "$(kmsg_table_full_records "$A_INODE")" -le "$logged_before" ] || break
	echo "no table-full record yet (rate-limited?): retry $retry"
	sleep $(($(cat /proc/sys/net/core/message_cost) + 1))   # pace: the rate limit's interval
	ip netns exec "$A" "$CTW_FLOOD" -q -n 200 -d "127.4.$retry.1" >/dev/null
done
logged_a=$(kmsg_table_full_records "$A_INODE")
assert_gt "the kernel logged table full for netns A ($A_INODE)" "$logged_before" "$logged_a"

# ---- B below warn: no sample ---------------------------------------------
ip netns exec "$B" "$CTW_FLOOD" -q -n "$B_CALM" -d 127.5.0.1 -p 9 >/dev/null
assert_eq "B holds $B_CALM entries" "$B_CALM" "$(ip netns exec "$B" conntrack -C)"

# By default B, which dropped nothing, does not even read the kernel log.
run ip netns exec "$B" "$CTWARDEN" audit --json
show_err
assert_eq "B: the kernel log is not read (no drops of its own)" false "$(json_get "$OUT" .table_full.read)"
assert_eq "B: so no sample either" false "$(json_get "$OUT" .sample.taken)"

# --kernel-log reads it: A's records are seen, and still take no sample.
run ip netns exec "$B" "$CTWARDEN" audit --json --kernel-log
show_err
json=$OUT
assert_json "B: one JSON object" "$json"
assert_eq "B: count $B_CALM" "$B_CALM" "$(json_get "$json" .count)"
assert_eq "B: max $MAX" "$MAX" "$(json_get "$json" .max)"
assert_eq "B: its own drop counter is 0" 0 "$(json_get "$json" .counters.drop)"
# (By inode the audit keeps only the 64 namespaces heard from last: on a
# machine whose log names more, A's records count in the total only.)
assert_ge "B: the log's table-full records, A's among them, are read" "$logged_a" \
	"$(json_get "$json" .table_full.records)"
# (A deleted namespace that overflowed may have had B's inode: such records
# are an earlier namespace's, never B's own.)
assert_eq "B: no record is B's own" false \
	"$(json_get "$json" "[.table_full.netns[]? | select(.inode == $B_INODE) | .self] | any")"
assert_eq "B below warn: the sample is not taken" false "$(json_get "$json" .sample.taken)"
assert_eq "B below warn: nothing sampled" null "$(json_get "$json" .sample.sampled)"
assert_not_contains "B below warn: no NOTRACK advice" "$(json_finding_codes "$json")" notrack_port
assert_not_contains "B below warn: no usage warning" "$(json_finding_codes "$json")" usage_warning

# ---- B at 80%, at or above warn: the sample is taken ---------------------
ip netns exec "$B" "$CTW_FLOOD" -q -n $((B_BUSY - B_CALM)) -d 127.6.0.1 -p 9 >/dev/null
assert_eq "B holds $B_BUSY entries" "$B_BUSY" "$(ip netns exec "$B" conntrack -C)"

run ip netns exec "$B" "$CTWARDEN" audit --json
show_err
json=$OUT
assert_json "B busy: one JSON object" "$json"
assert_contains "B busy: usage_warning (80% >= warn 75%)" "$(json_finding_codes "$json")" usage_warning
assert_eq "B busy: the sample is taken" true "$(json_get "$json" .sample.taken)"
assert_ge "B busy: at least $SAMPLE_MIN entries sampled" "$SAMPLE_MIN" "$(json_get "$json" .sample.sampled)"
assert_le "B busy: no more than the table holds" "$B_BUSY" "$(json_get "$json" .sample.sampled)"
assert_eq "B busy: every entry goes to port 9" 9 "$(json_get "$json" .sample.top_port)"
assert_eq "B busy: the dominant port holds the whole sample" "$(json_get "$json" .sample.sampled)" \
	"$(json_get "$json" .sample.top_count)"
assert_contains "B busy: NOTRACK advised for udp/9" \
	"$(json_get "$json" '.findings[] | select(.code == "notrack_port") | .remedy')" "udp dport 9 notrack"

finish
