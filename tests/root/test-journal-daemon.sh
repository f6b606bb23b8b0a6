#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, real journald: `ctwarden run` (enforce, poll 100 ms) reacts to a
# flood in a test netns that pushes usage past high_water with the global max
# lowered, and `journalctl -o json` shows what it did: the started entry, the
# max_raised decisions with CTWARDEN_OLD/NEW/KNOB/REASON/COUNT/MAX that chain
# up to the max the kernel ends with, usage alerts with their PRIORITY, said
# once per change of level (never once per poll), and the stopping entry.
#
# journald runs standalone in a private mount namespace with tmpfs over
# /run/systemd, /run/log (and /var/log/journal), so the host's journal is
# never touched. Global knobs
# are restored, the daemon, journald and the netns are gone at exit.
# Needs root, unshare and /lib/systemd/systemd-journald.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
START_MAX=4096
FLOWS=20000
RATE=5000   # 12% of max per 100 ms poll, under the 20% band from high_water to full
CEILING=262144

# The published contract (src/daemon/journal.h, systemd/ctwarden.catalog), written
# out here on purpose rather than read from the code under test.
MID_STARTED=9ed117e50b844cdca4badb1bc88941dd
MID_STOPPING=0c2d006e565c4edfa5d984cefafeddd2
MID_MAX_RAISED=0f696f28c08846d0b21095c72d0a44e1
MID_WARNING=5f566a1ebbb1491f9edea874a9e9726a
MID_CRITICAL=0eb2dfc3bb674938bda164bb4201af06
MID_NORMAL=c41e066ef26540ab831fc9402437b138
MID_DROPS=cf184f83c92345899e6fe22ec89cd8f1

# ---- outside: lock, knobs and the netns, then the rest in a mount namespace
if [ "${1:-}" != --inner ]; then
	need_root
	need_cmd unshare journalctl jq mount ip nft conntrack flock
	need_ctwarden
	need_flood
	need_conntrack_kernel
	[ -x "$JOURNALD" ] || skip "no $JOURNALD (package systemd)"
	ctw_global_lock
	need_quiet_tables "$START_MAX"
	# Undone by this shell's trap once the inner one (and its daemon) is gone.
	knob_save nf_conntrack_max
	knob_save nf_conntrack_buckets
	knob_save nf_conntrack_tcp_timeout_established
	netns_create
	# Unreplied UDP entries must outlive the test (30 s by default in a new netns).
	in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
	in_ns conntrack -F >/dev/null 2>&1 || true
	knob_set nf_conntrack_max "$START_MAX"
	export JOURNALD TESTLIB CTWARDEN CTW_FLOOD NS NS_INODE
	rc=0
	unshare --mount --propagation private -- bash "$0" --inner || rc=$?
	exit "$rc"
fi

# ---- inside the private mount namespace -----------------------------------
# journald gets its own /run/systemd and /run/log (the rest of /run, with the
# test lock, the knob state and /run/netns, stays the host's).
private_tmpfs()
{
	mkdir -p "$1"
	mount -t tmpfs -o mode=0755,size=64m ctw-journal-daemon "$1"
}

ctw_tmpdir
private_tmpfs /run/systemd
private_tmpfs /run/log
mkdir -p /run/systemd/journal /run/log/journal
# A persistent journal directory would receive our entries: hide it too.
[ -d /var/log/journal ] && private_tmpfs /var/log/journal

"$JOURNALD" >/dev/null 2>&1 9>&- &
JOURNALD_PID=$!
ctw_on_exit "kill $JOURNALD_PID; wait $JOURNALD_PID 2>/dev/null || true"
wait_until 5 ctw__alive_and "$JOURNALD_PID" test -S /run/systemd/journal/socket ||
	skip "$JOURNALD did not create its socket within 5 s"
[[ $WAIT_LAST != "<process $JOURNALD_PID exited>" ]] || skip "$JOURNALD exited at once (cannot run standalone here)"

conf=$CTW_TMP/ctwarden.conf
cat >"$conf" <<CONF
[daemon]
mode = enforce
poll_interval = 100ms
all_netns = yes
state_dir = $CTW_TMP/state
runtime_dir = $CTW_TMP/run
[limits]
max_ceiling = $CEILING
resize_cooldown = 1s
CONF
chmod 0600 "$conf"

# daemon_entries [jq filter]: this daemon's entries, one JSON object a line.
daemon_entries()
{
	journalctl -o json --no-pager _PID="$DAEMON_PID" 2>/dev/null | jq -c "select(${1:-true})" || true
}

# has_entry MESSAGE_ID: the daemon's entry with that id is readable.
has_entry()
{
	local e
	e=$(daemon_entries ".MESSAGE_ID == \"$1\"")
	[ -n "$e" ] || { echo "no entry $1 yet"; return 1; }
}

drops_before=$(ns_conntrack_stat_sum drop)

# No JOURNAL_STREAM: the daemon must find journald from its socket alone.
env -u JOURNAL_STREAM -u NOTIFY_SOCKET "$CTWARDEN" run -c "$conf" >"$CTW_TMP/daemon.out" 2>&1 9>&- &
DAEMON_PID=$!
ctw_on_exit "kill $DAEMON_PID 2>/dev/null; wait $DAEMON_PID 2>/dev/null || true"
wait_until 5 has_entry $MID_STARTED || { cat "$CTW_TMP/daemon.out"; fail "no started entry in the journal within 5 s"; }
# The first poll and the namespace scan: the status lists the test's netns.
wait_for "the status to list $NS" 10 status_lists_netns "$conf" "$NS"

in_ns "$CTW_FLOOD" -q -n "$FLOWS" -r "$RATE" -d 127.40.0.1 >/dev/null
# The last raise: max at least count / high_water (80%), so the policy has
# no raise left to make, and the status shows the max the kernel has.
settled()
{
	local count max
	count=$(ns_conntrack_count) max=$(knob_get nf_conntrack_max)
	echo "count $count, max $max"
	[ $((count * 100)) -lt $((max * 80)) ] && status_is "$conf" .max "$max" >/dev/null
}
wait_for "the raises to settle" 10 settled
drops=$(( $(ns_conntrack_stat_sum drop) - drops_before ))
max_now=$(knob_get nf_conntrack_max)
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "ctwarden run exited with $? on SIGTERM"
wait_until 5 has_entry $MID_STOPPING || fail "no stopping entry in the journal within 5 s"

all=$(daemon_entries)
echo "journal entries of ctwarden run (pid $DAEMON_PID):"
jq -r '"  \(.PRIORITY) \(.CTWARDEN_EVENT) \(.MESSAGE)"' <<<"$all"
echo "drops in the netns: $drops; nf_conntrack_max now $max_now"
assert_not_contains "no entry fell back to stderr (journald was used)" "$(cat "$CTW_TMP/daemon.out")" "CTWARDEN_EVENT="

# started / stopping
started=$(daemon_entries ".MESSAGE_ID == \"$MID_STARTED\"")
assert_eq "one started entry" 1 "$(grep -c . <<<"$started" || true)"
assert_eq "started: PRIORITY info, SYSLOG_IDENTIFIER, CTWARDEN_EVENT, CTWARDEN_MODE" "6 ctwarden started enforce" \
	"$(json_get "$(head -1 <<<"$started")" '"\(.PRIORITY) \(.SYSLOG_IDENTIFIER) \(.CTWARDEN_EVENT) \(.CTWARDEN_MODE)"')"
assert_contains "started names the config" "$(json_get "$(head -1 <<<"$started")" .MESSAGE)" "$conf"
assert_eq "one stopping entry" 1 "$(daemon_entries ".MESSAGE_ID == \"$MID_STOPPING\"" | grep -c . || true)"

# max_raised: every field, and the chain of raises ends at the kernel's max.
raised=$(daemon_entries ".MESSAGE_ID == \"$MID_MAX_RAISED\"")
n_raised=$(grep -c . <<<"$raised" || true)
assert_ge "max was raised at least once" 1 "$n_raised"
prev=$START_MAX
while read -r e; do
	[ -n "$e" ] || continue
	read -r prio knob old new count max netns reason <<<"$(json_get "$e" \
		'"\(.PRIORITY) \(.CTWARDEN_KNOB) \(.CTWARDEN_OLD) \(.CTWARDEN_NEW) \(.CTWARDEN_COUNT) \(.CTWARDEN_MAX) \(.CTWARDEN_NETNS) \(.CTWARDEN_REASON)"')"
	assert_eq "max_raised: PRIORITY notice" 5 "$prio"
	assert_eq "max_raised: CTWARDEN_KNOB" net.netfilter.nf_conntrack_max "$knob"
	assert_eq "max_raised: CTWARDEN_OLD is the max before this raise" "$prev" "$old"
	assert_gt "max_raised: CTWARDEN_NEW ($new) above CTWARDEN_OLD" "$old" "$new"
	assert_le "max_raised: CTWARDEN_NEW within max_ceiling" "$CEILING" "$new"
	assert_eq "max_raised: CTWARDEN_MAX is the max it saw" "$old" "$max"
	assert_ge "max_raised: CTWARDEN_COUNT ($count) at least low_water of the old max" $((old / 2)) "$count"
	assert_eq "max_raised: CTWARDEN_NETNS names the flooded netns" "$NS_INODE" "$netns"
	assert_ne "max_raised: CTWARDEN_REASON is given" null "${reason:-null}"
	prev=$new
done <<<"$raised"
assert_eq "the last CTWARDEN_NEW is the kernel's nf_conntrack_max" "$max_now" "$prev"
assert_eq "nothing was dropped" 0 "$drops"
# Drops are said as drops_seen (PRIORITY err) with the count, or not at all.
seen=$(daemon_entries ".MESSAGE_ID == \"$MID_DROPS\"")
if [ "$drops" -eq 0 ]; then
	assert_eq "no drops_seen entry without drops" "" "$seen"
else
	e=$(head -1 <<<"$seen")
	assert_eq "drops_seen: said with PRIORITY err" 3 "$(json_get "$e" .PRIORITY)"
	assert_gt "drops_seen: CTWARDEN_DROPS counts them" 0 "$(json_get "$e" .CTWARDEN_DROPS)"
fi

# Usage alerts: the right PRIORITY, count and max, and one per change of level
# (alert_reminder is 1 h: the same level twice in a row is a duplicate).
levels=$(daemon_entries ".MESSAGE_ID == \"$MID_WARNING\" or .MESSAGE_ID == \"$MID_CRITICAL\" or .MESSAGE_ID == \"$MID_NORMAL\"")
n_levels=$(grep -c . <<<"$levels" || true)
# The projection (time to full < horizon) may raise max before usage ever
# reaches warn: then there is no usage alert, and the raise says why.
if [ "$n_levels" -eq 0 ]; then
	first_raise=$(daemon_entries ".MESSAGE_ID == \"$MID_MAX_RAISED\"" | head -1)
	assert_contains "no usage alert: max was raised ahead, on the projection" \
		"$(json_get "$first_raise" .CTWARDEN_REASON)" "horizon"
fi
while read -r e; do
	[ -n "$e" ] || continue
	read -r id prio event count max <<<"$(json_get "$e" '"\(.MESSAGE_ID) \(.PRIORITY) \(.CTWARDEN_EVENT) \(.CTWARDEN_COUNT) \(.CTWARDEN_MAX)"')"
	case $id in
	"$MID_WARNING") want="4 usage_warning" ;;
	"$MID_CRITICAL") want="2 usage_critical" ;;
	*) want="5 usage_normal" ;;
	esac
	assert_eq "usage alert: PRIORITY and CTWARDEN_EVENT" "$want" "$prio $event"
	assert_gt "usage alert: CTWARDEN_MAX given" 0 "$max"
	assert_ge "usage alert: CTWARDEN_COUNT given" 0 "$count"
done <<<"$levels"
repeats=$(jq -r .CTWARDEN_EVENT <<<"$levels" | uniq -d | tr '\n' ' ')
assert_eq "no usage alert repeats its level (deduplicated, not per poll)" "" "$repeats"
if [ "$n_levels" -gt 0 ]; then
	first_level=$(jq -r .CTWARDEN_EVENT <<<"$levels" | head -1)
	assert_in "the first usage alert is a warning or critical" "$first_level" usage_warning usage_critical
fi
# Per poll: no two entries of one kind with the same count and max (same snapshot).
dups=$(jq -r 'select(.CTWARDEN_EVENT != null) | "\(.CTWARDEN_EVENT) \(.CTWARDEN_COUNT) \(.CTWARDEN_MAX) \(.CTWARDEN_KNOB)"' <<<"$all" |
	sort | uniq -d | tr '\n' ';')
assert_eq "no entry is emitted twice for one poll" "" "$dups"
finish
