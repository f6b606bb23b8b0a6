#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every kind of ctwarden journal entry reaches a real systemd-journald with its
# MESSAGE_ID, PRIORITY and CTWARDEN_* fields, and the catalog explains it.
#
# journald runs in a private mount namespace on tmpfs (/run, the journal and
# catalog directories), so the host's journal and catalog are never touched;
# it is killed at exit. Needs root, unshare and /lib/systemd/systemd-journald.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
CATALOG=${CTW_CATALOG:-$(dirname "$TESTLIB")/../systemd/ctwarden.catalog}

# kind MESSAGE_ID PRIORITY: the published contract, written out here on
# purpose rather than read from the code under test.
EXPECTED=(
	"started 9ed117e50b844cdca4badb1bc88941dd 6"
	"reloaded c0fd6ad6d59c413cbeaf18b37903bd5a 6"
	"reload_failed 1249a208ed96468590fa8f069c2b01cc 3"
	"stopping 0c2d006e565c4edfa5d984cefafeddd2 6"
	"drops_seen cf184f83c92345899e6fe22ec89cd8f1 3"
	"usage_warning 5f566a1ebbb1491f9edea874a9e9726a 4"
	"usage_critical 0eb2dfc3bb674938bda164bb4201af06 2"
	"usage_normal c41e066ef26540ab831fc9402437b138 5"
	"max_raised 0f696f28c08846d0b21095c72d0a44e1 5"
	"max_lowered 9d8d34d58f914c8c94099f66fbd80ab6 5"
	"hash_resized 701c5ba11e184d4c950b801335558922 5"
	"timeout_shortened 0bace2c22f7d47cdb7c9d3f0de73d5a9 5"
	"timeout_restored 7f5ab0f154484131b84a25c77971866d 5"
	"limit_reached 5d157368d1d449209f6f8babfb81b531 4"
	"action_failed b48218a6a1bb42c4a8d054158d487b5f 3"
	"table_full df3b98528e764cfea34f99e171fdfc28 3"
	"netns_unwatchable 35eef459a03f4370aaaff0e10028a5d4 4"
	"outside_change 3ef7e54f939a456fb1d4ecc451417fa4 5"
	"action_yielded e00ee0f8af104e0298620b80585d4971 4"
	"retire_pass e82d1bf9cfee40f492f86fd1ab6320c5 5"
)

# ---- outside: check what is needed, then rerun inside a mount namespace ----
if [ "${1:-}" != --inner ]; then
	need_root
	need_cmd unshare journalctl jq mount
	[ -x "$JOURNALD" ] || skip "no $JOURNALD (package systemd)"
	[ -n "${CTW_JOURNAL_EMIT:-}" ] || skip "CTW_JOURNAL_EMIT is not set (run through make check)"
	[ -x "$CTW_JOURNAL_EMIT" ] || fail "CTW_JOURNAL_EMIT=$CTW_JOURNAL_EMIT is not executable"
	[ -r "$CATALOG" ] || fail "no catalog at $CATALOG"
	trap - EXIT ERR
	export JOURNALD CATALOG CTW_JOURNAL_EMIT TESTLIB
	exec unshare --mount --propagation private -- bash "$0" --inner
fi

# ---- inside the private mount namespace -----------------------------------
private_tmpfs()
{
	mount -t tmpfs -o mode=0755,size=64m ctw-journal-test "$1"
}

# /run first: nothing below it is created on the host.
private_tmpfs /run
mkdir -p /run/systemd/journal /run/log/journal
# A persistent journal directory would receive our entries: hide it too.
[ -d /var/log/journal ] && private_tmpfs /var/log/journal

"$JOURNALD" >/dev/null 2>&1 &
JOURNALD_PID=$!
ctw_on_exit "kill $JOURNALD_PID; wait $JOURNALD_PID 2>/dev/null || true"
wait_until 5 ctw__alive_and "$JOURNALD_PID" test -S /run/systemd/journal/socket ||
	skip "$JOURNALD did not create its socket within 5 s"
[[ $WAIT_LAST != "<process $JOURNALD_PID exited>" ]] || skip "$JOURNALD exited at once (cannot run standalone here)"

TAG=tag$$-$RANDOM
# No JOURNAL_STREAM: the emitter must find journald from its socket alone.
run env -u JOURNAL_STREAM "$CTW_JOURNAL_EMIT" "$TAG"
assert_eq "emitter exit code (stderr: $ERR)" 0 "$RC"
assert_eq "the journal module picked journald and sent every kind" "journald ${#EXPECTED[@]}" "$OUT"

# journald stores datagrams asynchronously: wait until all are readable.
tagged_entries()
{
	journalctl -o json --no-pager SYSLOG_IDENTIFIER=ctwarden 2>/dev/null |
		jq -c --arg tag "$TAG" 'select(.MESSAGE | endswith($tag))' || true
}
all_stored() { local n; n=$(tagged_entries | grep -c .) || true; echo "$n entries"; [ "$n" -ge "${#EXPECTED[@]}" ]; }
wait_until 5 all_stored || true
entries=$(tagged_entries)
assert_eq "entries stored" "${#EXPECTED[@]}" "$(grep -c . <<<"$entries" || true)"

for row in "${EXPECTED[@]}"; do
	read -r kind id prio <<<"$row"
	e=$(jq -c --arg id "$id" 'select(.MESSAGE_ID == $id)' <<<"$entries")
	assert_eq "$kind: one entry with MESSAGE_ID $id" 1 "$(grep -c . <<<"$e" || true)"
	[ -n "$e" ] || continue
	assert_eq "$kind: MESSAGE" "test $kind $TAG" "$(json_get "$e" .MESSAGE)"
	assert_eq "$kind: PRIORITY" "$prio" "$(json_get "$e" .PRIORITY)"
	assert_eq "$kind: CTWARDEN_EVENT" "$kind" "$(json_get "$e" .CTWARDEN_EVENT)"
	assert_eq "$kind: fields" \
		"850 1000 1024 111 222 net.netfilter.nf_conntrack_max|reason of $kind|advise 13 7 4026531840" \
		"$(json_get "$e" '"\(.CTWARDEN_COUNT) \(.CTWARDEN_MAX) \(.CTWARDEN_BUCKETS) \(.CTWARDEN_OLD) \(.CTWARDEN_NEW) \(.CTWARDEN_KNOB)|\(.CTWARDEN_REASON)|\(.CTWARDEN_MODE) \(.CTWARDEN_ERRNO) \(.CTWARDEN_DROPS) \(.CTWARDEN_NETNS)"')"
	assert_eq "$kind: retirement fields" "5 6 7 unacked=7 18 99 12 250 no|127.0.0.1 100%" \
		"$(json_get "$e" '"\(.CTWARDEN_RETIRED_DELETED) \(.CTWARDEN_RETIRED_RETIMED) \(.CTWARDEN_RETIRED_SKIPPED) \(.CTWARDEN_RETIRED_SKIPPED_BY) \(.CTWARDEN_RETIRED_SEEN) \(.CTWARDEN_RETIRED_OLDEST_IDLE) \(.CTWARDEN_RETIRED_DURATION_MS) \(.CTWARDEN_RETIRED_MAX_POLL_GAP_MS) \(.CTWARDEN_RETIRED_DRY_RUN)|\(.CTWARDEN_RETIRED_TOP_DESTINATIONS)"')"
	assert_eq "$kind: _PID is the emitter's, not journald's" 1 \
		"$(json_get "$e" "if (._PID | tonumber) != $JOURNALD_PID then 1 else 0 end")"
done

# The catalog, built with --root in a private tree (never the host's): an
# entry for every id of the contract and every MESSAGE_ID the journal holds,
# and journalctl -x explains an entry with its fields filled in.
croot=/run/ctw-catalog   # /run is this mount namespace's own tmpfs
mkdir -p "$croot/usr/lib/systemd/catalog" "$croot/var/lib/systemd/catalog"
cp "$CATALOG" "$croot/usr/lib/systemd/catalog/ctwarden.catalog"
run journalctl --root="$croot" --update-catalog
assert_eq "journalctl --update-catalog takes the catalog (stderr: $ERR)" 0 "$RC"
want_ids=$(for row in "${EXPECTED[@]}"; do read -r _ id _ <<<"$row"; echo "$id"; done | sort)
file_ids=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$CATALOG" | sort)
listed_ids=$(journalctl --root="$croot" --list-catalog 2>/dev/null | awk '$2 == "ctwarden:" { print $1 }' | sort)
journal_ids=$(jq -r .MESSAGE_ID <<<"$entries" | sort -u)
assert_eq "the catalog file has a section for each id of the contract, and no other" "$want_ids" "$file_ids"
assert_eq "journalctl --list-catalog lists each of them as ctwarden's" "$want_ids" "$listed_ids"
assert_eq "the journal holds an entry for each id" "${#EXPECTED[@]}" "$(grep -c . <<<"$journal_ids" || true)"
assert_eq "every MESSAGE_ID in the journal has a catalog entry" "" \
	"$(comm -23 <(echo "$journal_ids") <(echo "$listed_ids") | tr '\n' ' ')"

# journalctl -x reads /var/lib/systemd/catalog/database: put ours there, in
# this mount namespace only (over the deepest directory of that path that exists).
for dir in /var/lib/systemd/catalog /var/lib/systemd /var/lib /var; do
	[ -d "$dir" ] && break
done
private_tmpfs "$dir"
mkdir -p /var/lib/systemd/catalog
cp "$croot/var/lib/systemd/catalog/database" /var/lib/systemd/catalog/database
explained=$(journalctl -x --no-pager -o short MESSAGE_ID=0f696f28c08846d0b21095c72d0a44e1 2>&1)
assert_contains "journalctl -x explains max_raised" "$explained" "ctwarden raised nf_conntrack_max"
assert_contains "catalog fields are substituted" "$explained" \
	"net.netfilter.nf_conntrack_max was raised from 111 to 222"

finish
