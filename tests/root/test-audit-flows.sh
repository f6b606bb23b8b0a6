#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: N distinct UDP flows in a fresh netns; the audit run inside that
# netns must count exactly N (the table holds only what the test made: the
# ICMP port-unreachable replies on lo are RELATED to an entry, not new ones),
# know it is not the initial netns, and take its counters from netlink.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

FLOWS=5000

need_root
need_cmd ip nft conntrack jq flock
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock

max=$(knob_get nf_conntrack_max)
[ "$max" -eq 0 ] || [ "$max" -gt "$FLOWS" ] ||
	skip "nf_conntrack_max is $max, below the $FLOWS flows this test makes"

netns_create
# Unreplied UDP entries live 30 s; keep them for the whole test (per netns).
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600

assert_eq "conntrack -C in a fresh netns" 0 "$(ns_conntrack_count)"
in_ns "$CTW_FLOOD" -q -n "$FLOWS" -d 127.2.0.1 >/dev/null

run in_ns "$CTWARDEN" audit --json
assert_in "audit exit code is a status (0-2), not UNKNOWN" "$RC" 0 1 2
assert_json "audit --json prints one JSON object" "$OUT"
assert_eq "audit count == flows sent" "$FLOWS" "$(json_get "$OUT" .count)"
assert_eq "conntrack -C agrees" "$FLOWS" "$(ns_conntrack_count)"
assert_eq "init_netns is false inside a netns" false "$(json_get "$OUT" .init_netns)"
assert_eq "counters come from netlink (root)" netlink "$(json_get "$OUT" .counters_source)"
assert_eq "audit max == nf_conntrack_max" "$max" "$(json_get "$OUT" .max)"
assert_eq "no drops in a table with room" 0 "$(json_get "$OUT" .counters.drop)"
show_err

finish
