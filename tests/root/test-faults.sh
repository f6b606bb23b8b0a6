#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, faults: (1) a knob that cannot be written (nf_conntrack_max is
# read-only outside the initial netns: EACCES) is logged once, and the daemon
# keeps running with its watchdog pinged; (2) a bad config on SIGHUP is
# refused with FILE:LINE and the running config is kept; a good one reloads.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_root
need_cmd ip nft socat flock
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

conf=$CTW_TMP/ctwarden.conf
write_conf()
{
	cat >"$conf" <<CONF
[daemon]
mode = $1
poll_interval = 100ms
all_netns = no
state_dir = $CTW_TMP/state
runtime_dir = $CTW_TMP/run
[thresholds]
warn = 1%
crit = 2%
high_water = 1%
low_water = 0.5%
CONF
	chmod 0600 "$conf"
}
write_conf enforce

# The daemon inside the netns: max is 0444 there, every raise fails.
socat -u UNIX-RECV:"$CTW_TMP/notify.sock" - >"$CTW_TMP/notify.out" 2>/dev/null &
ctw_on_exit "kill $! 2>/dev/null || true"
wait_for "socat's notify socket" 5 test -S "$CTW_TMP/notify.sock"
env -u WATCHDOG_PID NOTIFY_SOCKET=$CTW_TMP/notify.sock WATCHDOG_USEC=200000 \
	ip netns exec "$NS" "$CTWARDEN" run -c "$conf" >"$CTW_TMP/daemon.log" 2>&1 &
pid=$!
ctw_on_exit "kill -9 $pid 2>/dev/null || true"
wait_while_alive "READY from the daemon" 10 "$pid" file_has "$CTW_TMP/notify.out" "READY=1"
in_ns "$CTW_FLOOD" -q -n 3000 -d 127.50.0.1 >/dev/null
wait_while_alive "the failed raise in the log" 10 "$pid" file_has "$CTW_TMP/daemon.log" "CTWARDEN_EVENT=action_failed"
pings_before=$(grep -o 'WATCHDOG=1' "$CTW_TMP/notify.out" | wc -l)
sleep 1   # hold: ten polls at 100 ms, each of which would retry the raise and ping the watchdog
pings_after=$(grep -o 'WATCHDOG=1' "$CTW_TMP/notify.out" | wc -l)
log=$(cat "$CTW_TMP/daemon.log")
echo "$log"
assert_eq "the daemon keeps running after failed writes" yes "$(kill -0 $pid 2>/dev/null && echo yes || echo no)"
assert_contains "the failure is logged as action_failed" "$log" "CTWARDEN_EVENT=action_failed"
assert_contains "with the reason" "$log" "Permission denied"
assert_eq "logged once, not once per poll or retry" 1 \
	"$(grep -c 'CTWARDEN_EVENT=action_failed.*CTWARDEN_KNOB=net.netfilter.nf_conntrack_max' <<<"$log")"
assert_ge "the watchdog is pinged (several per second at WatchdogSec=0.2s)" 3 $((pings_after - pings_before))
assert_contains "READY was sent" "$(cat "$CTW_TMP/notify.out")" "READY=1"

# The last STATUS= sent. socat writes the datagrams back to back, without a
# newline: split before each field name sd_notify uses here.
last_status()
{
	sed -E 's/(READY|STATUS|WATCHDOG|RELOADING|STOPPING|MONOTONIC_USEC|ERRNO|MAINPID)=/\n&/g' "$CTW_TMP/notify.out" |
		grep '^STATUS=' | tail -1
}
# status_says TEXT: the last STATUS= line sent contains TEXT.
status_says() { local s; s=$(last_status); echo "$s"; [[ $s == *"$1"* ]]; }

# A bad config on SIGHUP: refused with FILE:LINE, the old one kept. It asks
# for advise mode before its bad line, so a half-applied or wrongly taken
# config would show: the next STATUS line would say "advise mode".
printf '[daemon]\nmode = advise\npoll_interval = often\n' >"$conf"
kill -HUP $pid
wait_while_alive "the refused reload in the log" 10 "$pid" file_has "$CTW_TMP/daemon.log" "CTWARDEN_EVENT=reload_failed"
log=$(cat "$CTW_TMP/daemon.log")
assert_contains "naming FILE:LINE" "$log" "$conf:3:"
assert_not_contains "nothing was reloaded" "$log" "CTWARDEN_EVENT=reloaded"
# New entries change the count: the daemon sends a new STATUS line, made with
# the configuration it runs.
in_ns "$CTW_FLOOD" -q -n 100 -d 127.52.0.1 >/dev/null
count=$(ns_conntrack_count)
wait_while_alive "a STATUS line with the count $count" 10 "$pid" status_says "count $count/"
assert_not_contains "still in enforce mode (the bad config's advise was not taken)" "$(last_status)" "advise"
assert_eq "still running" yes "$(kill -0 $pid 2>/dev/null && echo yes || echo no)"

# A good config reloads: advise mode shows in the status line.
write_conf advise
kill -HUP $pid
wait_while_alive "the reload in the log" 10 "$pid" file_has "$CTW_TMP/daemon.log" "CTWARDEN_EVENT=reloaded"
in_ns "$CTW_FLOOD" -q -n 100 -d 127.51.0.1 >/dev/null
assert_eventually "the new mode is in effect" 5 status_says "advise mode"
assert_contains "RELOADING was notified" "$(cat "$CTW_TMP/notify.out")" "RELOADING=1"
kill -TERM $pid
rc=0
wait $pid 2>/dev/null || rc=$?
assert_eq "SIGTERM exits cleanly" 0 "$rc"
assert_contains "STOPPING was notified" "$(cat "$CTW_TMP/notify.out")" "STOPPING=1"
finish
