#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The command line as users and monitoring see it: exit codes, FILE:LINE
# config errors, and audits of the fixture kernel trees (--root), in JSON and
# text. No root needed.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_ctwarden
need_cmd jq
[ -n "${FIXTURES:-}" ] || skip "FIXTURES is not set (run through make check)"
SRCDIR=$(cd "$FIXTURES/../.." && pwd)
ROOTS=$FIXTURES/roots
ctw_tmpdir

# write_conf NAME MODE: stdin to $CTW_TMP/NAME with MODE; prints the path.
write_conf()
{
	local f=$CTW_TMP/$1
	cat >"$f"
	chmod "$2" "$f"
	echo "$f"
}

# assert_err_at DESC FILE LINE...: stderr has a line "FILE:LINE: reason" (after
# an optional "ctwarden: "), LINE being one of the given numbers.
assert_err_at()
{
	local desc=$1 file=$2
	shift 2
	ctw__verdict "$desc" "expected a line '$file:{$*}: ...' on stderr, got: '$ERR'" \
		err_has_line_at "$file" "$@"
}

# shellcheck disable=SC2317 # called through ctw__verdict
err_has_line_at()
{
	local file=$1 l quoted
	shift
	quoted=$(printf '%s' "$file" | sed 's/[][\.*^$]/\\&/g')
	for l in "$@"; do
		grep -qE "^(ctwarden: )?$quoted:$l: .+" <<<"$ERR" && return 0
	done
	return 1
}

# ---- usage and exit codes -----------------------------------------------

run "$CTWARDEN" --help
assert_eq "--help exits 0" 0 "$RC"
assert_contains "--help names the audit command" "$OUT" audit
assert_contains "--help names check-config" "$OUT" check-config

run "$CTWARDEN" --version
assert_eq "--version exits 0" 0 "$RC"
assert_contains "--version prints the name" "$OUT" ctwarden

run "$CTWARDEN" audit --help
assert_eq "audit --help exits 0" 0 "$RC"

run "$CTWARDEN" frobnicate
assert_eq "unknown command exits 3" 3 "$RC"
assert_contains "unknown command is named on stderr" "$ERR" frobnicate

run "$CTWARDEN" --frobnicate
assert_eq "unknown global option exits 3" 3 "$RC"
assert_ne "unknown global option says something" "" "$ERR"

run "$CTWARDEN" audit --frobnicate
assert_eq "unknown audit option exits 3" 3 "$RC"
assert_ne "unknown audit option says something" "" "$ERR"

run "$CTWARDEN"
assert_eq "no command exits 3" 3 "$RC"

# ---- check-config ---------------------------------------------------------

[ -f "$SRCDIR/etc/ctwarden.conf" ] || fail "no $SRCDIR/etc/ctwarden.conf"
good=$(write_conf good.conf 0600 <"$SRCDIR/etc/ctwarden.conf")
run "$CTWARDEN" check-config -c "$good"
assert_eq "shipped config: check-config exits 0" 0 "$RC"
assert_contains "shipped config: configuration OK" "$OUT" "$good: configuration OK"

# Line numbers count comments and blank lines too.
bad=$(write_conf unknown-key.conf 0600 <<'EOF'
# a comment

[daemon]
no_such_key = 1
EOF
)
run "$CTWARDEN" check-config -c "$bad"
assert_eq "unknown key: exit 1" 1 "$RC"
assert_err_at "unknown key: FILE:LINE on stderr" "$bad" 4
assert_contains "unknown key: the key is named" "$ERR" no_such_key
assert_not_contains "unknown key: no configuration OK" "$OUT" "configuration OK"

bad=$(write_conf bad-duration.conf 0600 <<'EOF'
[daemon]
poll_interval = 10parsecs
EOF
)
run "$CTWARDEN" check-config -c "$bad"
assert_eq "bad duration: exit 1" 1 "$RC"
assert_err_at "bad duration: FILE:LINE on stderr" "$bad" 2
assert_contains "bad duration: the value is named" "$ERR" 10parsecs

bad=$(write_conf unknown-section.conf 0600 <<'EOF'
[daemon]
poll_interval = 5s
[nosuchsection]
EOF
)
run "$CTWARDEN" check-config -c "$bad"
assert_eq "unknown section: exit 1" 1 "$RC"
assert_err_at "unknown section: FILE:LINE on stderr" "$bad" 3 4

bad=$(write_conf warn-above-crit.conf 0600 <<'EOF'
[thresholds]
warn = 95%
crit = 90%
EOF
)
run "$CTWARDEN" check-config -c "$bad"
assert_eq "warn above crit: exit 1" 1 "$RC"
assert_err_at "warn above crit: FILE:LINE of one of the two keys" "$bad" 2 3

# The same error stops an audit: UNKNOWN, and no half report on stdout.
run "$CTWARDEN" -c "$bad" audit --root "$ROOTS/host-6.18" --json
assert_eq "audit with a bad config exits 3" 3 "$RC"
assert_eq "audit with a bad config prints nothing on stdout" "" "$OUT"
assert_err_at "audit with a bad config: same FILE:LINE message" "$bad" 2 3

gw=$(write_conf group-writable.conf 0620 <"$good")
run "$CTWARDEN" check-config -c "$gw"
assert_eq "group-writable config refused: exit 1" 1 "$RC"
assert_contains "group-writable config: the file is named" "$ERR" "$gw"
ow=$(write_conf other-writable.conf 0602 <"$good")
run "$CTWARDEN" check-config -c "$ow"
assert_eq "world-writable config refused: exit 1" 1 "$RC"

run "$CTWARDEN" check-config -c "$CTW_TMP/missing.conf"
assert_eq "an explicit missing config: exit 1" 1 "$RC"
assert_contains "an explicit missing config is named" "$ERR" "$CTW_TMP/missing.conf"

# ---- audit of fixture trees -----------------------------------------------

[ -d "$ROOTS" ] || fail "no fixture trees in $ROOTS"

# audit_both TREE [CONF]: run the JSON and the text audit; sets JSON, JRC,
# TEXT, TRC; checks what must hold for every tree.
audit_both()
{
	local tree=$1 conf=${2:-$good} name
	name=$(basename "$tree")
	run "$CTWARDEN" -c "$conf" audit --root "$tree" --json
	JSON=$OUT JRC=$RC
	assert_json "$name: --json output parses" "$JSON"
	run "$CTWARDEN" -c "$conf" audit --root "$tree"
	TEXT=$OUT TRC=$RC
	assert_eq "$name: text and JSON audits exit the same" "$JRC" "$TRC"
	assert_eq "$name: JSON status matches the exit code" \
		"$(json_get "$JSON" .status)" "$(status_name "$JRC")"
	assert_text_width "$name" "$TEXT" "$JSON"
}

status_name()
{
	case $1 in 0) echo OK ;; 1) echo WARNING ;; 2) echo CRITICAL ;; *) echo UNKNOWN ;; esac
}

# Text lines fit 80 columns, except the remedy commands (copied verbatim).
assert_text_width()
{
	local name=$1 text=$2 json=$3 line long=""
	local -A cmd=()
	while IFS= read -r line; do
		[ -n "$line" ] && cmd["$line"]=1
	done < <(json_get "$json" '.findings[]?.remedy // empty | split("\n")[] | gsub("^\\s+|\\s+$"; "")')
	while IFS= read -r line; do
		[ ${#line} -le 80 ] && continue
		local trimmed=${line#"${line%%[![:space:]]*}"}
		trimmed=${trimmed%"${trimmed##*[![:space:]]}"}
		[ -n "${cmd[$trimmed]:-}" ] && continue
		long+="${long:+ | }$line"
	done <<<"$text"
	assert_eq "$name: text lines <= 80 columns (remedy commands aside)" "" "$long"
}

# Every nf_conntrack_max value a remedy sets, one per line.
remedy_max_values()
{
	json_get "$1" '.findings[]?.remedy // empty' |
		grep -oE 'net\.netfilter\.nf_conntrack_max=[0-9]+' | cut -d= -f2 || true
}

audit_both "$ROOTS/host-6.18"
assert_eq "host-6.18: exit 0" 0 "$JRC"
assert_eq "host-6.18: count" 1234 "$(json_get "$JSON" .count)"
assert_eq "host-6.18: max" 262144 "$(json_get "$JSON" .max)"
# 1234 / 262144 = 0.4707%, to one decimal at least.
assert_eq "host-6.18: usage_percent is count/max" true \
	"$(json_get "$JSON" '(.usage_percent - 0.4707) | fabs <= 0.05')"
assert_contains "host-6.18: text shows the count" "$TEXT" 1234
# The table's memory, from the tree's facts: 256-byte entries, 262144 buckets of 8 B.
assert_eq "host-6.18: memory now is count x entry + buckets x 8" $((1234 * 256 + 262144 * 8)) \
	"$(json_get "$JSON" .memory.bytes_now)"
assert_eq "host-6.18: memory at max is max x entry + buckets x 8" $((262144 * 256 + 262144 * 8)) \
	"$(json_get "$JSON" .memory.bytes_at_max)"

ceiling=4194304
roomy=$(write_conf ceiling-high.conf 0600 <<EOF
[limits]
max_ceiling = $ceiling
EOF
)
audit_both "$ROOTS/full-table" "$roomy"
full_max=65536
assert_eq "full-table: exit 2" 2 "$JRC"
assert_eq "full-table: max" "$full_max" "$(json_get "$JSON" .max)"
assert_eq "full-table: count == max" "$full_max" "$(json_get "$JSON" .count)"
# tests/fixtures/README.md: 5 kernel table-full records (2 naming netns
# 4026532177), 1 spoofed from user space; drop 6987.
assert_eq "full-table: kernel table-full records (spoofed one ignored)" 5 \
	"$(json_get "$JSON" .table_full.records)"
assert_eq "full-table: the spoofed record is counted as ignored" 1 \
	"$(json_get "$JSON" .table_full.ignored_spoofed)"
assert_eq "full-table: the netns 4026532177 records are listed" 2 \
	"$(json_get "$JSON" '[.table_full.netns[]? | select(.inode == 4026532177) | .records] | add')"
assert_eq "full-table: counters.drop is the sum over CPUs" 6987 "$(json_get "$JSON" .counters.drop)"
codes=$(json_finding_codes "$JSON")
for c in usage_critical drops_seen table_full_logged; do
	assert_contains "full-table: finding $c" "$codes" "$c"
done
values=$(remedy_max_values "$JSON")
assert_ne "full-table: a remedy raises nf_conntrack_max with sysctl -w" "" \
	"$(json_get "$JSON" '.findings[]?.remedy // empty' | grep -F 'sysctl -w net.netfilter.nf_conntrack_max=' || true)"
for v in $values; do
	assert_le "full-table: remedy max $v within max_ceiling" "$ceiling" "$v"
	assert_gt "full-table: remedy max $v above the current max" "$full_max" "$v"
done

# A ceiling below the current max: nothing may be proposed above it.
low=$((full_max / 2))
lowc=$(write_conf ceiling-low.conf 0600 <<EOF
[limits]
max_ceiling = $low
EOF
)
audit_both "$ROOTS/full-table" "$lowc"
assert_eq "full-table, low ceiling: still exit 2" 2 "$JRC"
for v in $(remedy_max_values "$JSON"); do
	assert_le "full-table, low ceiling: remedy max $v within max_ceiling $low" "$low" "$v"
done

audit_both "$ROOTS/no-conntrack"
assert_eq "no-conntrack: exit 3" 3 "$JRC"
assert_contains "no-conntrack: the report says nf_conntrack is not loaded" \
	"$(tr '[:upper:]' '[:lower:]' <<<"$TEXT $ERR")" "not loaded"

audit_both "$ROOTS/old-kernel"
assert_in "old-kernel: parses to a status" "$JRC" 0 1 2
assert_eq "old-kernel: count" 321 "$(json_get "$JSON" .count)"
assert_eq "old-kernel: max" 65536 "$(json_get "$JSON" .max)"
assert_eq "old-kernel: buckets" 16384 "$(json_get "$JSON" .buckets)"
assert_eq "old-kernel: old-style table-full lines are recognised" 2 \
	"$(json_get "$JSON" .table_full.records)"
assert_ne "old-kernel: drop counter read despite the old stat header" null \
	"$(json_get "$JSON" .counters.drop)"

audit_both "$ROOTS/hashsize-only"
assert_eq "hashsize-only: exit 0 (healthy)" 0 "$JRC"
assert_eq "hashsize-only: buckets read from the module parameter" 131072 "$(json_get "$JSON" .buckets)"
assert_eq "hashsize-only: count" 2048 "$(json_get "$JSON" .count)"

# A netns view: the global knobs are 0444 there.
cp -a "$ROOTS/host-6.18" "$CTW_TMP/readonly"
chmod 0444 "$CTW_TMP/readonly/proc/sys/net/netfilter/nf_conntrack_max"
audit_both "$CTW_TMP/readonly"
assert_contains "read-only max: finding netns_readonly" "$(json_finding_codes "$JSON")" netns_readonly
assert_eq "read-only max: init_netns false" false "$(json_get "$JSON" .init_netns)"

run "$CTWARDEN" -c "$good" audit --root "$CTW_TMP/no-such-dir" --json
assert_eq "a missing --root: exit 3" 3 "$RC"
assert_contains "a missing --root is named" "$ERR" no-such-dir

finish
