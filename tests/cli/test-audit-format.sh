#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `ctwarden audit --format=text|json|prometheus` and `-o FILE` on the fixture
# trees, as cron + node_exporter's textfile collector use them: the metrics
# carry the tree's values and the audit's verdict, the exit code stays the
# audit's, --json is --format=json, -o replaces the file whole (mode 0644,
# nothing on stdout, no temp file left) and leaves it alone on failure.
# No root needed; promtool, when installed, also lints the output.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_ctwarden
need_cmd jq
[ -n "${FIXTURES:-}" ] || skip "FIXTURES is not set (run through make check)"
ROOTS=$FIXTURES/roots
ctw_tmpdir

# A config with the built-in defaults, independent of /etc.
conf=$CTW_TMP/ctwarden.conf
printf '[thresholds]\nwarn = 75%%\ncrit = 90%%\n' >"$conf"
chmod 600 "$conf"

# prom_get TEXT SERIES: the value of the sample whose name{labels} is exactly
# SERIES ("" when absent).
prom_get()
{
	awk -v k="$2 " 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' <<<"$1"
}

# Findings of one severity in a JSON audit.
json_severity_count()
{
	json_get "$1" "[.findings[] | select(.severity == \"$2\")] | length"
}

# promtool_check DESC TEXT: promtool check metrics accepts TEXT. Without
# promtool this one check is skipped, and says so: it never prints ok.
promtool_check()
{
	if ! command -v promtool >/dev/null 2>&1; then
		echo "SKIP: $1: needs promtool (Debian package prometheus)"
		return 0
	fi
	run promtool check metrics <<<"$2"
	assert_eq "$1 (promtool said: ${OUT:0:300}${ERR:0:300})" 0 "$RC"
}

ns='netns="host",netns_inode="0"'   # fixture trees have no proc/self/ns/net

# ---- a full table: every value from the tree --------------------------------
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/full-table" --format=prometheus
PROM=$OUT PRC=$RC
show_err
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/full-table" --json
JSON=$OUT
assert_eq "full-table: prometheus exits like --json (CRITICAL)" "2 2" "$PRC $RC"
promtool_check "full-table: promtool check metrics accepts the output" "$PROM"
assert_eq "full-table: ctwarden_up" 1 "$(prom_get "$PROM" ctwarden_up)"
assert_eq "full-table: entries = nf_conntrack_count" 65536 "$(prom_get "$PROM" "ctwarden_conntrack_entries{$ns}")"
assert_eq "full-table: limit = nf_conntrack_max" 65536 "$(prom_get "$PROM" "ctwarden_conntrack_limit{$ns}")"
assert_eq "full-table: usage ratio" 1 "$(prom_get "$PROM" "ctwarden_conntrack_usage_ratio{$ns}")"
assert_eq "full-table: drops_total = drop summed over CPUs" 6987 \
	"$(prom_get "$PROM" "ctwarden_conntrack_drops_total{$ns}")"
assert_eq "full-table: early_drops_total" 169 "$(prom_get "$PROM" "ctwarden_conntrack_early_drops_total{$ns}")"
assert_eq "full-table: buckets" 65536 "$(prom_get "$PROM" ctwarden_conntrack_buckets)"
assert_eq "full-table: knob nf_conntrack_max" 65536 \
	"$(prom_get "$PROM" 'ctwarden_knob_value{knob="nf_conntrack_max",netns="host"}')"
assert_eq "full-table: knob tcp_timeout_established (shortened by default)" 432000 \
	"$(prom_get "$PROM" 'ctwarden_knob_value{knob="nf_conntrack_tcp_timeout_established",netns="host"}')"
assert_eq "full-table: audit_status = exit code" 2 "$(prom_get "$PROM" ctwarden_audit_status)"
for sev in info warning critical unknown; do
	assert_eq "full-table: findings{severity=$sev} = the JSON's" "$(json_severity_count "$JSON" "$sev")" \
		"$(prom_get "$PROM" "ctwarden_audit_findings{severity=\"$sev\"}")"
done
assert_eq "full-table: build_info carries the version" 1 \
	"$(prom_get "$PROM" "ctwarden_build_info{version=\"$("$CTWARDEN" --version | awk '{ print $2 }')\"}")"
now=$(date +%s)
ts=$(prom_get "$PROM" ctwarden_last_poll_timestamp_seconds)
assert_ge "full-table: last poll timestamp is recent" $((now - 60)) "${ts%.*}"
assert_le "full-table: last poll timestamp is not in the future" "$now" "${ts%.*}"

# ---- a healthy host: OK, and 0 findings that matter -------------------------
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --format=prometheus
assert_eq "host-6.18: exit 0" 0 "$RC"
assert_eq "host-6.18: audit_status 0" 0 "$(prom_get "$OUT" ctwarden_audit_status)"
assert_eq "host-6.18: no critical finding" 0 "$(prom_get "$OUT" 'ctwarden_audit_findings{severity="critical"}')"
assert_eq "host-6.18: entries 1234" 1234 "$(prom_get "$OUT" "ctwarden_conntrack_entries{$ns}")"
assert_eq "host-6.18: drops 0 (a counter that is read, not absent)" 0 \
	"$(prom_get "$OUT" "ctwarden_conntrack_drops_total{$ns}")"

# ---- nf_conntrack not loaded: UNKNOWN, and no table metrics at all ----------
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/no-conntrack" --format=prometheus
assert_eq "no-conntrack: exit 3 (UNKNOWN)" 3 "$RC"
assert_eq "no-conntrack: audit_status 3" 3 "$(prom_get "$OUT" ctwarden_audit_status)"
assert_not_contains "no-conntrack: no table metrics" "$OUT" ctwarden_conntrack_
assert_eq "no-conntrack: still up (the writer works)" 1 "$(prom_get "$OUT" ctwarden_up)"
promtool_check "no-conntrack: promtool accepts the output" "$OUT"

# ---- --json is --format=json; text stays the default ----------------------
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --json
JSON=$OUT
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --format=json
assert_eq "--format=json prints the same as --json" "$JSON" "$OUT"
assert_eq "--format=json: count" 1234 "$(json_get "$OUT" .count)"
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --format=text
TEXT=$OUT
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18"
assert_eq "--format=text is the default" "$TEXT" "$OUT"
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --format prometheus
assert_contains "--format VALUE (separate) works too" "$OUT" "ctwarden_conntrack_entries{$ns} 1234"

# ---- usage errors: UNKNOWN, nothing on stdout --------------------------------
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --format=xml
assert_eq "--format=xml exits 3" 3 "$RC"
assert_eq "--format=xml prints nothing on stdout" "" "$OUT"
assert_contains "--format=xml says what is accepted" "$ERR" "text, json or prometheus"
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --format=prometheus --top
assert_eq "--top with prometheus exits 3" 3 "$RC"
assert_contains "--top with prometheus says why" "$ERR" "--top"

# ---- -o FILE: atomic replacement ---------------------------------------------
dir=$CTW_TMP/textfile
mkdir "$dir"
echo "stale 1" >"$dir/ctwarden.prom"
exec 8<"$dir/ctwarden.prom"   # a reader holding the old file, as a scrape would
run bash -c "umask 077; exec \"\$0\" \"\$@\"" "$CTWARDEN" -c "$conf" audit --root "$ROOTS/full-table" \
	--format=prometheus -o "$dir/ctwarden.prom"
assert_eq "-o: exit code is the audit's" 2 "$RC"
assert_eq "-o: nothing on stdout" "" "$OUT"
assert_eq "-o: the file holds the metrics" 65536 \
	"$(prom_get "$(cat "$dir/ctwarden.prom")" "ctwarden_conntrack_entries{$ns}")"
assert_eq "-o: mode 0644 whatever the umask" 644 "$(stat -c %a "$dir/ctwarden.prom")"
assert_eq "-o: no temp file left" "ctwarden.prom" "$(ls -A "$dir")"
assert_eq "-o: a reader of the old file still reads it whole" "stale 1" "$(cat <&8)"
exec 8<&-
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --json --output="$dir/audit.json"
assert_eq "--output=FILE works for JSON too" 1234 "$(jq -r .count "$dir/audit.json")"
before=$(cat "$dir/ctwarden.prom")
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --format=prometheus -o "$CTW_TMP/missing/x.prom"
assert_eq "-o into a missing directory exits 3" 3 "$RC"
assert_contains "-o failure names the file" "$ERR" "$CTW_TMP/missing/x.prom"
assert_contains "-o failure says what failed" "$ERR" "creating a temp file"
run "$CTWARDEN" -c "$conf" audit --root "$ROOTS/host-6.18" --format=prometheus -o "$dir"
assert_eq "-o onto a directory exits 3" 3 "$RC"
assert_eq "-o failure leaves the old file alone" "$before" "$(cat "$dir/ctwarden.prom")"
assert_eq "-o failure leaves no temp file" "" "$(find "$CTW_TMP" -name '.*.??????')"

finish
