#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: the daemon never fights the operator. A flood makes it raise
# nf_conntrack_max; the operator then sets a value by hand (sysctl -w); the
# table drains. The operator's value stays (even with allow_lower_max = yes),
# the change is one journal entry (outside_change: knob, expected, found),
# `ctwarden status` and the journal say the knob is yielded, and `ctwarden
# restore` keeps the operator's value instead of the one from before the
# daemon started. Global knobs are restored and the namespace deleted at exit.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

START_MAX=4096
OPERATOR_MAX=200000

need_root
need_cmd ip nft conntrack flock sysctl
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
need_quiet_tables "$START_MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3
knob_set nf_conntrack_max "$START_MAX"

conf=$(ctw_conf outside "poll_interval = 100ms
[thresholds]
low_water_hold = 1s
[limits]
allow_lower_max = yes
resize_cooldown = 1s
max_ceiling = 131072")
ctw_daemon_start "$conf"
# The first poll and the namespace scan: the status lists the test's netns.
wait_for "the status to list $NS" 10 status_lists_netns "$conf" "$NS"

# A flood: the daemon raises max.
in_ns "$CTW_FLOOD" -q -n 20000 -r 20000 -d 127.71.0.1 >/dev/null
assert_eventually "the daemon raised max under the flood" 5 knob_gt nf_conntrack_max "$START_MAX"

# The operator decides.
sysctl -qw net.netfilter.nf_conntrack_max=$OPERATOR_MAX
# The flood's entries expire (udp timeout 3 s): usage falls far under low
# water for longer than low_water_hold, where the daemon would lower max:
# it says it yields that lowering to the operator.
wait_until 30 file_has "$CTW_TMP/daemon.log" "CTWARDEN_EVENT=action_yielded" ||
	echo "no action_yielded within 30 s; last saw: $WAIT_LAST"
now=$(knob_get nf_conntrack_max)
log=$(cat "$CTW_TMP/daemon.log")
echo "$log" | grep -E 'outside_change|action_yielded|max_lowered' || true
assert_eq "the operator's value stays" "$OPERATOR_MAX" "$now"
assert_eq "the outside change is one journal entry" 1 "$(grep -c 'CTWARDEN_EVENT=outside_change' "$CTW_TMP/daemon.log")"
change=$(grep 'CTWARDEN_EVENT=outside_change' "$CTW_TMP/daemon.log")
assert_contains "it names knob, expected and found" "$change" "net.netfilter.nf_conntrack_max changed outside ctwarden: expected "
assert_contains "it names the value found" "$change" ", found $OPERATOR_MAX;"
after_change=$(sed -n '/CTWARDEN_EVENT=outside_change/,$p' "$CTW_TMP/daemon.log")
assert_not_contains "max is never lowered from the operator's value" "$after_change" "CTWARDEN_EVENT=max_lowered"
assert_contains "the lowering the policy wanted is said, not done" "$after_change" "CTWARDEN_EVENT=action_yielded"

# status shows the knob it yields.
st=$({ "$CTWARDEN" status --json -c "$conf" || true; })
assert_eq "status --json lists the yielded knob" net.netfilter.nf_conntrack_max "$(json_get "$st" '.yielded_knobs[0]')"
assert_contains "status says it yields the knob" "$({ "$CTWARDEN" status -c "$conf" || true; })" \
	"yields net.netfilter.nf_conntrack_max: set outside ctwarden"

# restore keeps the operator's decision.
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
run "$CTWARDEN" restore -c "$conf"
echo "$OUT$ERR"
assert_eq "restore succeeds" 0 "$RC"
assert_eq "restore keeps the operator's value" "$OPERATOR_MAX" "$(knob_get nf_conntrack_max)"
finish
