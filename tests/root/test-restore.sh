#!/bin/bash
# Real kernel: after the daemon's changes, `ctwarden restore` returns every
# knob to its original value and forgets them; a daemon killed with SIGKILL
# and started again keeps the TRUE originals (not its own tuned values).
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

START_MAX=4096

need_root
need_cmd ip nft conntrack flock
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir

need_quiet_tables "$START_MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

conf=$CTW_TMP/ctwarden.conf
cat >"$conf" <<CONF
[daemon]
poll_interval = 100ms
state_dir = $CTW_TMP/state
runtime_dir = $CTW_TMP/run
[limits]
resize_cooldown = 1s
CONF
chmod 0600 "$conf"

daemon_start()
{
	"$CTWARDEN" run -c "$conf" >>"$CTW_TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	ctw_on_exit "kill -9 $DAEMON_PID 2>/dev/null || true"
	for _ in $(seq 100); do
		[ -s "$CTW_TMP/run/ctwarden.pid" ] && [ "$(cat "$CTW_TMP/run/ctwarden.pid")" = "$DAEMON_PID" ] && break
		sleep 0.1
	done
	sleep 0.5
}

# Wait until max moved away from a value (the daemon raised it).
wait_max_above()
{
	for _ in $(seq 50); do
		[ "$(knob_get nf_conntrack_max)" -gt "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

orig_max=$START_MAX
orig_buckets=$(knob_get nf_conntrack_buckets)
knob_set nf_conntrack_max "$orig_max"

daemon_start
in_ns "$CTW_FLOOD" -q -n 6000 -r 20000 -d 127.40.0.1 >/dev/null
wait_max_above "$orig_max" || { cat "$CTW_TMP/daemon.log"; fail "the daemon did not raise max"; }
first_tuned=$(knob_get nf_conntrack_max)
echo "daemon raised max $orig_max -> $first_tuned"

# A crash: SIGKILL leaves no chance to clean up. The state file must hold the original.
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
state=$(cat "$CTW_TMP/state/state.json")
assert_contains "the state file holds the original max" "$state" "\"net.netfilter.nf_conntrack_max\""
assert_eq "original max recorded" "$orig_max" \
	"$(jq -r '.originals["net.netfilter.nf_conntrack_max"].value' <<<"$state")"

# Restarted, it tunes further from an already tuned value...
daemon_start
in_ns "$CTW_FLOOD" -q -n 20000 -r 20000 -d 127.41.0.1 >/dev/null
wait_max_above "$first_tuned" || true
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
state=$(cat "$CTW_TMP/state/state.json")
assert_eq "after a restart the TRUE original max is kept" "$orig_max" \
	"$(jq -r '.originals["net.netfilter.nf_conntrack_max"].value' <<<"$state")"

# While the daemon runs, restore refuses (it would tune again at once).
daemon_start
run "$CTWARDEN" restore -c "$conf"
assert_eq "restore refuses while the daemon runs" 1 "$RC"
assert_contains "and says why" "$ERR" "is running"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true

# The table holds more than the original max: restore refuses without --force.
run "$CTWARDEN" restore -c "$conf"
assert_eq "restore refuses to put max under the current count" 1 "$RC"
assert_contains "and says why" "$ERR" "--force"
assert_ne "nothing was restored" "$orig_max" "$(knob_get nf_conntrack_max)"

in_ns conntrack -F >/dev/null 2>&1 || true
run "$CTWARDEN" restore -c "$conf"
echo "$OUT"
echo "$ERR" >&2
assert_eq "restore exits 0" 0 "$RC"
assert_contains "restore names what it restored" "$OUT" "restored net.netfilter.nf_conntrack_max = $orig_max"
assert_eq "max is back to its original" "$orig_max" "$(knob_get nf_conntrack_max)"
assert_eq "buckets are back to their original" "$orig_buckets" "$(knob_get nf_conntrack_buckets)"
assert_eq "the state file is gone" no "$([ -e "$CTW_TMP/state/state.json" ] && echo yes || echo no)"

run "$CTWARDEN" restore -c "$conf"
assert_eq "a second restore has nothing to do" 0 "$RC"
assert_contains "and says so" "$OUT" "nothing to restore"
echo "---- daemon log"
cat "$CTW_TMP/daemon.log"
finish
