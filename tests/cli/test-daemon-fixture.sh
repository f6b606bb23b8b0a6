#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon against a fixture root (no root, no kernel needed): on a full
# table it raises max within the ceiling and resizes the hash, records the
# originals first, and `restore` puts them back. Unprivileged, a read-only
# knob is logged once as action_failed and the daemon keeps running.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_ctwarden
need_fixtures
ctw_tmpdir
root=$CTW_TMP/root
cp -r "$FIXTURES/roots/full-table" "$root"
nf=$root/proc/sys/net/netfilter
conf=$CTW_TMP/ctwarden.conf
cat >"$conf" <<CONF
[daemon]
poll_interval = 100ms
state_dir = $CTW_TMP/state
runtime_dir = $CTW_TMP/run
[limits]
max_ceiling = 131072
CONF
chmod 0600 "$conf"
orig_max=$(cat "$nf/nf_conntrack_max")
orig_buckets=$(cat "$nf/nf_conntrack_buckets")

"$CTWARDEN" run -c "$conf" --root "$root" >"$CTW_TMP/daemon.log" 2>&1 &
pid=$!
ctw_on_exit "kill $pid 2>/dev/null || true"
# Done when both knobs reached the ceiling (the resize follows the raise).
tuned() { file_is "$nf/nf_conntrack_max" 131072 && file_is "$nf/nf_conntrack_buckets" 131072; }
wait_until 10 ctw__alive_and "$pid" tuned || echo "not tuned within 10 s: $WAIT_LAST"
kill -TERM $pid
rc=0
wait $pid || rc=$?
log=$(cat "$CTW_TMP/daemon.log")
assert_eq "the daemon exits 0 on SIGTERM" 0 "$rc"
assert_contains "it raised max" "$log" "CTWARDEN_EVENT=max_raised"
assert_eq "to the ceiling, not beyond" 131072 "$(cat "$nf/nf_conntrack_max")"
assert_contains "and resized the hash for the new max" "$log" "CTWARDEN_EVENT=hash_resized"
assert_eq "buckets follow the ratio" 131072 "$(cat "$nf/nf_conntrack_buckets")"
state=$(cat "$CTW_TMP/state/state.json")
assert_eq "the original max was recorded" "$orig_max" \
	"$(jq -r '.originals["net.netfilter.nf_conntrack_max"].value' <<<"$state")"

run "$CTWARDEN" restore -c "$conf" --root "$root"
assert_eq "restore exits 0" 0 "$RC"
assert_eq "max is back" "$orig_max" "$(cat "$nf/nf_conntrack_max")"
assert_eq "buckets are back" "$orig_buckets" "$(cat "$nf/nf_conntrack_buckets")"

# A knob that cannot be written (0444). Root writes it anyway (CAP_DAC_OVERRIDE):
# as root the daemon runs without that capability, as an unprivileged user would.
chmod 0444 "$nf/nf_conntrack_max"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
	need_cmd setpriv
	# shellcheck disable=SC2054 # the commas are setpriv's own lists
	as_user=(setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search)
fi
"${as_user[@]}" "$CTWARDEN" run -c "$conf" --root "$root" >"$CTW_TMP/ro.log" 2>&1 &
pid=$!
ctw_on_exit "kill $pid 2>/dev/null || true"
wait_while_alive "the failed write in the log" 10 "$pid" file_has "$CTW_TMP/ro.log" "CTWARDEN_EVENT=action_failed"
sleep 1   # hold: ten polls at 100 ms, each of which would retry the write
assert_eq "the daemon keeps running" yes "$(kill -0 $pid 2>/dev/null && echo yes || echo no)"
kill -TERM $pid; wait $pid || true
log=$(cat "$CTW_TMP/ro.log")
assert_eq "the failed write is said once" 1 \
	"$(grep -c 'CTWARDEN_EVENT=action_failed.*CTWARDEN_KNOB=net.netfilter.nf_conntrack_max' <<<"$log" || true)"
assert_contains "with the reason" "$log" "Permission denied"
assert_eq "the knob is unchanged" "$orig_max" "$(cat "$nf/nf_conntrack_max")"
finish
