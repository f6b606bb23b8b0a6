#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: in advise mode a retirement pass is a dry run. A namespace
# holds dead ESTABLISHED entries (FIN and RST dropped before conntrack) made
# under tcp_timeout_established = 80 and left idle 46 s (a hold); ctwarden runs
# inside it (all_netns = no: no other table is touched, no global knob
# changes) in advise mode with high water under the table's usage, so it
# would halve the timeout to 40 s. It journals one retire_pass entry with
# CTWARDEN_RETIRED_DRY_RUN=yes that counts every dead entry as one it would
# delete (idle 46 s >= 40 s), and changes nothing: the count and the sysctl
# stay, and the dry run is not repeated while the advice stays the same.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

DEAD=500
T0=80
HOLD=46

need_root
need_cmd ip nft conntrack jq
need_ctwarden
need_conntrack_kernel
# It changes no global knob, but its thresholds depend on nf_conntrack_max.
ctw_global_lock
[ -n "${CTW_TCP:-}" ] && [ -x "$CTW_TCP" ] || skip "CTW_TCP is not set (run through make check)"
ctw_tmpdir
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=$T0 \
	net.netfilter.nf_conntrack_tcp_timeout_unacknowledged=1 \
	net.netfilter.nf_conntrack_tcp_timeout_max_retrans=1
in_ns nft 'table inet ctwdead { chain out { type filter hook output priority -300; tcp flags & (fin | rst) != 0 drop; }; }'

in_ns "$CTW_TCP" -a 127.0.5.1 -l 0.0.0.0 -p 7001 -n $DEAD -s 20000 >/dev/null
made=${EPOCHREALTIME/./}
count=$(ns_conntrack_count)
assert_eq "the dead entries are there" $DEAD "$count"
max=$(knob_get nf_conntrack_max)
# High water at half the usage now, thresholds below it.
hw=$(awk -v c="$count" -v m="$max" 'BEGIN { printf "%.4f", 50 * c / m }')

sleep $HOLD   # hold: the scenario needs entries idle 46 s (they expire at 80 s)
conf=$(ctw_conf advise "mode = advise
poll_interval = 200ms
all_netns = no
[thresholds]
warn = $(awk -v h="$hw" 'BEGIN { printf "%.4f", h / 3 }')%
crit = $(awk -v h="$hw" 'BEGIN { printf "%.4f", h / 2 }')%
high_water = ${hw}%
low_water = $(awk -v h="$hw" 'BEGIN { printf "%.4f", h / 10 }')%
[limits]
max_ceiling = $max
[timeouts]
shorten = tcp_timeout_established
tcp_timeout_established = 15s")
ctw_daemon_start "$conf" ip netns exec "$NS"
log=$CTW_TMP/daemon.log
wait_for "the dry run's journal entry" 30 file_has "$log" "CTWARDEN_EVENT=retire_pass"
idle_s=$(( (${EPOCHREALTIME/./} - made) / 1000000 ))
entry=$(grep 'CTWARDEN_EVENT=retire_pass' "$log" | head -1)
echo "$entry"
[ "$idle_s" -lt $T0 ] || fail "the daemon took too long: the entries may have expired on their own (${idle_s}s)"
assert_contains "a dry run" "$entry" "CTWARDEN_RETIRED_DRY_RUN=yes"
assert_contains "the message says it would retire" "$entry" "advise: a retirement pass would retire"
assert_contains "for 80 -> 40" "$entry" "CTWARDEN_OLD=$T0 CTWARDEN_NEW=$((T0 / 2))"
assert_contains "every dead entry would be deleted" "$entry" "CTWARDEN_RETIRED_DELETED=$DEAD "
assert_contains "in advise mode" "$entry" "CTWARDEN_MODE=advise"
assert_eq "nothing was deleted" $DEAD "$(ns_conntrack_count)"
assert_eq "the timeout is unchanged" $T0 "$(in_ns sysctl -n net.netfilter.nf_conntrack_tcp_timeout_established)"
# The policy may advise again at its next step (5 s later): the dry run is not repeated.
sleep 6   # hold: one more step interval of the policy
echo "advice lines: $(grep -c 'advise: would set' "$log" || true)"
assert_eq "one dry run for that advice" 1 "$(grep -c 'CTWARDEN_EVENT=retire_pass' "$log")"
st=$(jq -c '.retirements | last' "$CTW_TMP/run-advise/status.json")
assert_eq "status: a dry run" true "$(json_get "$st" .dry_run)"
assert_eq "status: would delete" $DEAD "$(json_get "$st" .deleted)"
finish
