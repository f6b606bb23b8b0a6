#!/bin/bash
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
for _ in $(seq 50); do [ -S "$CTW_TMP/notify.sock" ] && break; sleep 0.1; done
env -u WATCHDOG_PID NOTIFY_SOCKET=$CTW_TMP/notify.sock WATCHDOG_USEC=200000 \
	ip netns exec "$NS" "$CTWARDEN" run -c "$conf" >"$CTW_TMP/daemon.log" 2>&1 &
pid=$!
ctw_on_exit "kill -9 $pid 2>/dev/null || true"
sleep 1
in_ns "$CTW_FLOOD" -q -n 3000 -d 127.50.0.1 >/dev/null
sleep 2
log=$(cat "$CTW_TMP/daemon.log")
echo "$log"
assert_eq "the daemon keeps running after failed writes" yes "$(kill -0 $pid 2>/dev/null && echo yes || echo no)"
assert_contains "the failure is logged as action_failed" "$log" "CTWARDEN_EVENT=action_failed"
assert_contains "with the reason" "$log" "Permission denied"
assert_eq "logged once, not once per poll or retry" 1 \
	"$(grep -c 'CTWARDEN_EVENT=action_failed.*CTWARDEN_KNOB=net.netfilter.nf_conntrack_max' <<<"$log")"
pings_before=$(grep -o 'WATCHDOG=1' "$CTW_TMP/notify.out" | wc -l)
sleep 1
pings_after=$(grep -o 'WATCHDOG=1' "$CTW_TMP/notify.out" | wc -l)
assert_ge "the watchdog is pinged (several per second at WatchdogSec=0.2s)" 3 $((pings_after - pings_before))
assert_contains "READY was sent" "$(cat "$CTW_TMP/notify.out")" "READY=1"

# A bad config on SIGHUP: refused with FILE:LINE, the old one kept.
printf '[daemon]\nmode = enforce\npoll_interval = often\n' >"$conf"
kill -HUP $pid
sleep 0.5
log=$(cat "$CTW_TMP/daemon.log")
assert_contains "the bad reload is logged" "$log" "CTWARDEN_EVENT=reload_failed"
assert_contains "naming FILE:LINE" "$log" "$conf:3:"
assert_eq "still running" yes "$(kill -0 $pid 2>/dev/null && echo yes || echo no)"
status_before=$(grep -o 'STATUS=[^=]*' "$CTW_TMP/notify.out" | tail -1)
assert_not_contains "still in enforce mode" "$status_before" "advise"

# A good config reloads: advise mode shows in the status line.
write_conf advise
kill -HUP $pid
sleep 0.5
in_ns "$CTW_FLOOD" -q -n 100 -d 127.51.0.1 >/dev/null
sleep 0.5
log=$(cat "$CTW_TMP/daemon.log")
assert_contains "the good reload is logged" "$log" "CTWARDEN_EVENT=reloaded"
assert_contains "RELOADING was notified" "$(cat "$CTW_TMP/notify.out")" "RELOADING=1"
assert_contains "the new mode is in effect" "$(cat "$CTW_TMP/notify.out")" "advise mode"
kill -TERM $pid
rc=0
wait $pid 2>/dev/null || rc=$?
assert_eq "SIGTERM exits cleanly" 0 "$rc"
assert_contains "STOPPING was notified" "$(cat "$CTW_TMP/notify.out")" "STOPPING=1"
finish
