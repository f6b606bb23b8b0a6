#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: `ctwarden audit --top` names who fills the table. A fresh netns
# gets FLOWS flows to udp/5353 and OTHERS to ten other ports; the breakdown of
# one dump must name udp/5353 first with exactly FLOWS entries and the right
# percent, agree with conntrack -L, count every entry, and base the notrack
# advice on the whole table. Without --top the table is not walked; without
# CAP_NET_ADMIN the dump is refused, the notes say so and the audit exits as
# it would have.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

FLOWS=4000
OTHERS=200
TOTAL=$((FLOWS + OTHERS))
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

need_root
need_cmd ip nft conntrack jq flock awk setpriv
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock

max=$(knob_get nf_conntrack_max)
[ "$max" -eq 0 ] || [ "$max" -gt "$TOTAL" ] ||
	skip "nf_conntrack_max is $max, below the $TOTAL flows this test makes"

netns_create
# Unreplied UDP entries live 30 s; keep them for the whole test (per netns).
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
in_ns "$CTW_FLOOD" -q -n "$FLOWS" -d 127.6.0.1 -p 5353 >/dev/null
in_ns "$CTW_FLOOD" -q -n "$OTHERS" -d 127.7.0.1 -P 7000:7009 >/dev/null
assert_eq "conntrack -C: every flow has its entry" "$TOTAL" "$(ns_conntrack_count)"

ctw_tmpdir
chmod 0755 "$CTW_TMP"
conf=$CTW_TMP/ctwarden.conf
: >"$conf"
chmod 0644 "$conf"

run in_ns "$CTWARDEN" -c "$conf" audit --top --json
show_err
assert_in "audit --top exit code is a status (0-2)" "$RC" 0 1 2
assert_json "audit --top --json prints one JSON object" "$OUT"
assert_eq "top.entries == every entry of the table" "$TOTAL" "$(json_get "$OUT" .top.entries)"
assert_eq "first destination port" udp/5353 "$(json_get "$OUT" '.top.by_dport[0].key')"
assert_eq "udp/5353 count == flows sent to it" "$FLOWS" "$(json_get "$OUT" '.top.by_dport[0].count')"
assert_eq "udp/5353 count is exact (error 0)" 0 "$(json_get "$OUT" '.top.by_dport[0].error')"
want_pct=$(awk -v a="$FLOWS" -v b="$TOTAL" 'BEGIN { printf "%.2f", 100 * a / b }')
got_pct=$(json_get "$OUT" '.top.by_dport[0].percent')
assert_eq "udp/5353 percent of all entries" "$want_pct" "$(awk -v p="$got_pct" 'BEGIN { printf "%.2f", p }')"
assert_eq "ten other ports listed next, 20 each" 20 "$(json_get "$OUT" '.top.by_dport[1].count')"
assert_eq "default N is 10 rows" 10 "$(json_get "$OUT" '.top.by_destination | length')"
assert_eq "by protocol: all udp" "udp $TOTAL" "$(json_get "$OUT" '.top.by_protocol[0] | "\(.key) \(.count)"')"
assert_eq "no TCP entries, no TCP states" 0 "$(json_get "$OUT" '.top.by_tcp_state | length')"
assert_eq "one source: 127.0.0.1 for all" "127.0.0.1 $TOTAL" \
	"$(json_get "$OUT" '.top.by_source[0] | "\(.key) \(.count)"')"
# The 20 destinations of the other ports each hold 10 entries: more than any
# of the 4000 one-off destinations, so they lead even in the approximate list
# (Space-Saving, 1024 counters: a newcomer starts at the smallest count plus
# one, and the smallest is at most TOTAL/1024 = 4). Its count is an upper
# bound, count - error a lower bound, and the error at most that smallest
# count: how far the lower bound falls short depends on the dump's order.
top_count=$(json_get "$OUT" '.top.by_destination[0].count')
top_error=$(json_get "$OUT" '.top.by_destination[0].error')
echo "top destination: count $top_count, error $top_error"
assert_ge "top destination: the count bounds its 10 entries from above" 10 "$top_count"
assert_le "top destination: count - error bounds them from below" 10 $((top_count - top_error))
assert_le "top destination: the error is at most $TOTAL/1024" $((TOTAL / 1024)) "$top_error"
assert_contains "top destination is one of the multi-port ones" \
	"$(json_get "$OUT" '.top.by_destination[0].key')" 127.7.0.
# The notrack advice reads the whole table now.
assert_eq "sample replaced by the dump" "$TOTAL" "$(json_get "$OUT" .sample.sampled)"
assert_eq "dominant port from the dump" 5353 "$(json_get "$OUT" .sample.top_port)"

# conntrack(8) agrees, entry by entry.
ct_5353=$(in_ns conntrack -L -p udp --dport 5353 2>/dev/null | wc -l)
assert_eq "conntrack -L: entries to udp/5353" "$FLOWS" "$ct_5353"
ct_top_port=$(in_ns conntrack -L 2>/dev/null |
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^dport=/) { n[$1 "/" substr($i, 7)]++; break } }
	     END { for (k in n) print n[k], k }' | sort -rn | head -1)
assert_eq "conntrack -L | awk: same first port and count" "$FLOWS udp/5353" "$ct_top_port"

# Text for 80 columns.
run in_ns "$CTWARDEN" -c "$conf" audit --top 3
assert_in "text audit --top exit code is a status" "$RC" 0 1 2
assert_contains "text names the dump" "$OUT" "Who fills the table (one dump: $TOTAL entries)"
assert_contains "text names udp/5353" "$OUT" "udp/5353"
# (remedy commands are never wrapped; the breakdown must fit)
section=$(awk '/^Who fills the table/ { on = 1 } /^Findings/ { on = 0 } on' <<<"$OUT")
assert_contains "the breakdown lists the sources" "$section" "by source"
assert_eq "no breakdown line over 80 columns" 0 "$(awk 'length > 80' <<<"$section" | wc -l)"

# Without --top: no dump, no "top".
run in_ns "$CTWARDEN" -c "$conf" audit --json
plain_rc=$RC
assert_eq "plain audit: top is null" null "$(json_get "$OUT" .top)"
assert_ne "plain audit does not claim the whole table" "$TOTAL" "$(json_get "$OUT" .sample.sampled)"

# Unprivileged: the dump is refused; say so, exit as the audit would.
if ! in_ns "${NOBODY[@]}" test -x "$CTWARDEN"; then
	cp "$CTWARDEN" "$CTW_TMP/ctwarden"
	chmod 0755 "$CTW_TMP/ctwarden"
	CTWARDEN=$CTW_TMP/ctwarden
fi
run in_ns "${NOBODY[@]}" "$CTWARDEN" -c "$conf" audit --json
unpriv_rc=$RC
run in_ns "${NOBODY[@]}" "$CTWARDEN" -c "$conf" audit --top --json
show_err
assert_eq "unprivileged --top exits as the plain audit" "$unpriv_rc" "$RC"
assert_json "unprivileged --top prints JSON" "$OUT"
assert_eq "unprivileged: top is null" null "$(json_get "$OUT" .top)"
assert_contains "unprivileged: notes say the dump was refused" \
	"$(json_get "$OUT" '.notes | join("\n")')" "table dump over netlink: Operation not permitted"
echo "exit codes: root plain $plain_rc, unprivileged $unpriv_rc"

finish
