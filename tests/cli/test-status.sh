#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ctwarden status as users and monitoring see it, from status files written
# here by hand (the daemon's format, read by an outside writer): the text view
# in 80 columns, --json, and exit codes: the alert level 0/1/2 when the
# daemon is alive and its status fresh, 3 when it is not running or stale.
# No root needed.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_ctwarden
need_cmd jq date
ctw_tmpdir

RUN=$CTW_TMP/run
STATUS=$RUN/status.json
CONF=$CTW_TMP/ctwarden.conf
printf '[daemon]\nruntime_dir = %s\npoll_interval = 1s\n' "$RUN" >"$CONF"
chmod 600 "$CONF"

# iso_ago SECONDS: a UTC time that many seconds ago, as the daemon writes it.
iso_ago()
{
	date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%S.000Z
}

# write_status PID UPDATED_AGO_S LEVEL [POLL_MS]: a complete status file.
# Decisions are newest first; the newest is a raise, the older an alert.
write_status()
{
	mkdir -p "$RUN"
	cat >"$STATUS" <<-EOF
	{
	  "version": 1,
	  "pid": $1,
	  "started_at": "$(iso_ago 3700)",
	  "updated_at": "$(iso_ago "$2")",
	  "poll_interval_ms": ${4:-100},
	  "mode": "enforce",
	  "level": "$3",
	  "config": "/etc/ctwarden/ctwarden.conf",
	  "count": 249000,
	  "max": 262144,
	  "buckets": 65536,
	  "usage_percent": 95.0,
	  "fullest_netns": { "name": "pid 4243", "inode": 4026532177 },
	  "netns_watched": 3,
	  "drops": 17,
	  "time_to_full_s": 3.2,
	  "rates": { "new_per_s": 5321.5, "destroy_per_s": 1200.5, "growth_per_s": 4121.0 },
	  "events": { "new": 123456, "destroy": 120000, "overruns": 2, "receive_buffer": 4194304 },
	  "last_decisions": [
	    { "at": "$(iso_ago 5)", "kind": "raise_max", "knob": "nf_conntrack_max", "old": 131072,
	      "new": 262144, "applied": true,
	      "reason": "pressure: usage 95.0% (124500/131072) over high_water 90%, growing 4121/s, full in 1.6 s; raising max x2 (urgent) within max_ceiling 4194304 \"newest\"" },
	    { "at": "$(iso_ago 6)", "kind": "usage_critical", "knob": null, "old": 124500,
	      "new": 131072, "applied": false, "reason": "usage 95.0% (124500/131072) critical \"oldest\"" }
	  ],
	  "top": {
	    "sources": [ { "key": "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "count": 50000, "percent": 40.5 } ],
	    "destinations": [ { "key": "192.0.2.7", "count": 90000, "percent": 74.0 } ],
	    "ports": [ { "key": "udp/53", "count": 60000, "percent": 49.5 } ]
	  }
	}
	EOF
}

# with_namespaces JSON: add a "namespaces" object to the status file, with
# the older key netns_watched agreeing, as the daemon writes them.
with_namespaces()
{
	local t
	t=$(jq --argjson ns "$1" '. + {namespaces: $ns, netns_watched: $ns.watched}' "$STATUS") &&
		printf '%s\n' "$t" >"$STATUS"
}

# ns_entry NAME ENTRIES [NEW_PER_S TTF]: one namespace of the list.
ns_entry()
{
	local rates='{"new_per_s": null, "destroy_per_s": null, "growth_per_s": null}'
	[ -n "${3:-}" ] && rates="{\"new_per_s\": $3, \"destroy_per_s\": 1.0, \"growth_per_s\": 2.0}"
	printf '{"name": "%s", "inode": %d, "entries": %d, "usage_percent": null, "rates": %s,
	  "time_to_full_s": %s, "drops": 0, "early_drops": 0, "events": null}' \
		"$1" "$((4026532000 + $2 % 1000))" "$2" "$rates" "${4:-null}"
}

# A pid that no process has (any more).
dead_pid()
{
	local p
	sleep 0 &   # scenario: a process that exits at once, leaving its pid free
	p=$!
	wait "$p"
	echo "$p"
}

# shellcheck disable=SC2317 # called through ctw__verdict
lines_fit()
{
	! awk -v w="$2" 'length($0) > w { bad = 1 } END { exit !bad }' <<<"$1"
}

# shellcheck disable=SC2317
before()
{
	local a b
	a=$(grep -n -F -- "$2" <<<"$1" | head -1 | cut -d: -f1)
	b=$(grep -n -F -- "$3" <<<"$1" | head -1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

# ---- usage --------------------------------------------------------------

run "$CTWARDEN" status --help
assert_eq "status --help exits 0" 0 "$RC"
assert_contains "status --help names --json" "$OUT" --json

run "$CTWARDEN" status --frobnicate -c "$CONF"
assert_eq "unknown option: UNKNOWN" 3 "$RC"

run "$CTWARDEN" status -c "$CTW_TMP/nonexistent.conf"
assert_eq "missing -c file: UNKNOWN" 3 "$RC"

# ---- not running ---------------------------------------------------------

run "$CTWARDEN" status -c "$CONF"
assert_eq "no status file: exit 3" 3 "$RC"
assert_contains "no status file: says not running and where it looked" "$OUT" \
	"ctwarden is not running (no $STATUS)"

run "$CTWARDEN" status --json -c "$CONF"
assert_eq "no status file, --json: exit 3" 3 "$RC"
assert_eq "no status file, --json: nothing on stdout" "" "$OUT"
assert_contains "no status file, --json: the message on stderr" "$ERR" "is not running"

# ---- fresh: text --------------------------------------------------------

write_status $$ 1 warning
run "$CTWARDEN" status -c "$CONF"
show_err
assert_eq "fresh, level warning: exit 1" 1 "$RC"
assert_contains "text: running with the file's pid" "$OUT" "running (pid $$, enforce mode)"
assert_contains "text: level" "$OUT" "level warning"
assert_contains "text: count, max and usage" "$OUT" "249000 of 262144 entries (95.0%), 65536 buckets"
assert_contains "text: the fullest netns" "$OUT" "fullest is pid 4243 (inode 4026532177) of 3 watched"
assert_contains "text: drops" "$OUT" "17 packets since start"
assert_contains "text: rates" "$OUT" "new 5321.5/s, destroy 1200.5/s, growth +4121.0/s"
assert_contains "text: time to full" "$OUT" "3.2 s at the current growth"
assert_contains "text: events" "$OUT" "new 123456, destroy 120000, overruns 2, buffer 4096 KiB"
assert_contains "text: a decision with its knob" "$OUT" \
	"raise_max nf_conntrack_max 131072 -> 262144 (applied)"
ctw__verdict "text: decisions newest first" "raise_max should come before usage_critical" \
	before "$OUT" '"newest"' '"oldest"'
assert_contains "text: top destination" "$OUT" "192.0.2.7"
assert_contains "text: top port with its share" "$OUT" "udp/53"
assert_contains "text: a long IPv6 source fits" "$OUT" "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
ctw__verdict "text: every line fits in 80 columns" "$(awk 'length($0) > 80' <<<"$OUT")" \
	lines_fit "$OUT" 80
assert_eq "text: nothing on stderr" "" "$ERR"

# ---- fresh: JSON ----------------------------------------------------------

run "$CTWARDEN" status --json -c "$CONF"
assert_eq "--json, level warning: exit 1" 1 "$RC"
assert_json "--json prints one JSON object" "$OUT"
assert_eq "--json: events.new" 123456 "$(json_get "$OUT" .events.new)"
assert_eq "--json: events.overruns" 2 "$(json_get "$OUT" .events.overruns)"
assert_eq "--json: top destination" 192.0.2.7 "$(json_get "$OUT" '.top.destinations[0].key')"
assert_eq "--json: newest decision first" raise_max "$(json_get "$OUT" '.last_decisions[0].kind')"
assert_eq "--json: the file as written" "$(jq -S . "$STATUS")" "$(jq -S . <<<"$OUT")"

# The exit code follows the daemon's alert level.
write_status $$ 1 normal
run "$CTWARDEN" status -c "$CONF"
assert_eq "level normal: exit 0" 0 "$RC"
write_status $$ 1 critical
run "$CTWARDEN" status -c "$CONF"
assert_eq "level critical: exit 2" 2 "$RC"

# ---- retirement passes ----------------------------------------------------

LONG_NAME_R=k8s_POD_a-very-long-pod-name-0123456789abcdef0123456789abcdef

# with_retirements JSON: add the daemon's "retirements" array (newest last).
with_retirements()
{
	local t
	t=$(jq --argjson r "$1" '. + {retirements: $r}' "$STATUS") && printf '%s\n' "$t" >"$STATUS"
}
write_status $$ 1 normal
run "$CTWARDEN" status -c "$CONF"
assert_not_contains "no retirements: no such section" "$OUT" "Retirement passes"
with_retirements "[
  {\"netns\": \"$LONG_NAME_R\", \"inode\": 4026532177, \"timeout\": \"tcp_timeout_established\",
   \"old_s\": 432000, \"new_s\": 3600, \"running\": false, \"dry_run\": false, \"outcome\": \"done\",
   \"started_at\": \"$(iso_ago 120)\", \"ended_at\": \"$(iso_ago 118)\", \"seen\": 250000,
   \"deleted\": 200000, \"retimed\": 40000, \"skipped\": 9000, \"gone\": 700, \"failed\": 300,
   \"oldest_idle_s\": 7260, \"duration_s\": 1.884, \"max_poll_gap_s\": 0.22},
  {\"netns\": \"web\", \"inode\": 4026532300, \"timeout\": \"udp_timeout_stream\",
   \"old_s\": 120, \"new_s\": 60, \"running\": true, \"dry_run\": true, \"outcome\": \"running\",
   \"started_at\": \"$(iso_ago 3)\", \"ended_at\": null, \"seen\": 12, \"deleted\": 3,
   \"retimed\": 0, \"skipped\": 0, \"gone\": 0, \"failed\": 0, \"oldest_idle_s\": 90,
   \"duration_s\": 0.004, \"max_poll_gap_s\": 0.0}]"
run "$CTWARDEN" status -c "$CONF"
show_err
assert_eq "retirements: still level normal, exit 0" 0 "$RC"
assert_contains "retirements: a section" "$OUT" "Retirement passes, newest first:"
ctw__verdict "retirements: newest first" "the running pass should come before the done one" \
	before "$OUT" "udp_timeout_stream 120 -> 60 s: running (dry run)" "tcp_timeout_established 432000 -> 3600 s: done"
flat=$(tr -s ' \n' '  ' <<<"$OUT")
assert_contains "retirements: what it did, where" "$flat" \
	"in $LONG_NAME_R: 250000 seen, 200000 deleted, 40000 retimed, 9000 kept, 700 gone, 300 failed; oldest idle 2 h 1 min; 1.884 s"
assert_contains "retirements: the running pass's counts" "$flat" "in web: 12 seen, 3 deleted"
ctw__verdict "retirements: every line fits in 80 columns" "$(awk 'length($0) > 80' <<<"$OUT")" \
	lines_fit "$OUT" 80
run "$CTWARDEN" status --json -c "$CONF"
assert_eq "retirements --json: the file as written" "$(jq -S . "$STATUS")" "$(jq -S . <<<"$OUT")"
with_retirements '[{"netns": "web", "old_s": "many"}]'
run "$CTWARDEN" status -c "$CONF"
assert_eq "a malformed retirement: UNKNOWN" 3 "$RC"
assert_contains "and the error names the key" "$OUT$ERR" '"old_s" is not an integer'

# ---- namespaces -----------------------------------------------------------

LONG_NAME=k8s_POD_a-very-long-pod-name-0123456789abcdef0123456789abcdef
NS3="{\"watched\": 3, \"unwatchable\": 2, \"total_entries\": 261300, \"listed\": 3,
  \"pressure\": {\"name\": \"docker 1a2b3c4d5e6f\", \"inode\": 4026532177},
  \"list\": [$(ns_entry "docker 1a2b3c4d5e6f" 249000 5321.5 3.2), $(ns_entry host 12000 12.5),
  $(ns_entry "$LONG_NAME" 300)]}"
write_status $$ 1 normal
with_namespaces "$NS3"
run "$CTWARDEN" status -c "$CONF"
show_err
assert_eq "2 namespaces unwatchable, level normal: exit 1 (WARNING)" 1 "$RC"
assert_contains "unwatchable said loudly, under the first line" "$(sed -n 2p <<<"$OUT")" \
	"WARNING: 2 namespace(s) could not be watched: see journalctl -u ctwarden"
assert_contains "namespaces: the totals" "$OUT" "Namespaces: watched 3, unwatchable 2, 261300 entries in all"
assert_contains "namespaces: the one under pressure" "$OUT" \
	"the policy acts on docker 1a2b3c4d5e6f (inode 4026532177)"
assert_contains "namespaces: a row with entries, usage, new/s and time to full" \
	"$(grep -F 'docker 1a2b3c4d5e6f ' <<<"$OUT" | tail -1 | tr -s ' ')" "docker 1a2b3c4d5e6f 249000 95.0% 5321.5 3.2 s"
assert_contains "namespaces: known rates, not growing" "$(grep -E '^  host ' <<<"$OUT" | tr -s ' ')" \
	"host 12000 4.6% 12.5 not growing"
assert_contains "namespaces: a long name is cut to its column" "$OUT" "${LONG_NAME:0:36} "
ctw__verdict "namespaces: fullest first (docker before host)" "order" before "$OUT" "  docker 1a2b" "  host "
ctw__verdict "namespaces: fullest first (host before the pod)" "order" before "$OUT" "  host " "  k8s_POD"
ctw__verdict "namespaces: every line fits in 80 columns" "$(awk 'length($0) > 80' <<<"$OUT")" \
	lines_fit "$OUT" 80

run "$CTWARDEN" status --json -c "$CONF"
assert_eq "--json, 2 unwatchable, level normal: exit 1" 1 "$RC"
assert_eq "--json: the namespaces object as written" "$(jq -S .namespaces "$STATUS")" \
	"$(jq -S .namespaces <<<"$OUT")"
assert_eq "--json: namespaces.unwatchable" 2 "$(json_get "$OUT" .namespaces.unwatchable)"
assert_eq "--json: fullest listed first" "docker 1a2b3c4d5e6f" "$(json_get "$OUT" '.namespaces.list[0].name')"

# Blindness raises normal to warning only; a worse level stays.
write_status $$ 1 critical
with_namespaces "$NS3"
run "$CTWARDEN" status -c "$CONF"
assert_eq "2 unwatchable, level critical: exit 2" 2 "$RC"

# All watched: no warning, the daemon's level.
write_status $$ 1 normal
with_namespaces "$(jq '.unwatchable = 0' <<<"$NS3")"
run "$CTWARDEN" status -c "$CONF"
assert_eq "all watched, level normal: exit 0" 0 "$RC"
assert_contains "all watched: the counts" "$OUT" "watched 3, unwatchable 0"
assert_not_contains "all watched: no warning" "$OUT" "could not be watched"

# Twelve namespaces: the text shows the fullest ten and says how many more.
list=""
for i in $(seq 12 -1 1); do
	list+="${list:+, }$(ns_entry "ns$i" "$((i * 1000))")"
done
write_status $$ 1 normal
with_namespaces "{\"watched\": 40, \"unwatchable\": 0, \"total_entries\": 80000, \"listed\": 12,
  \"pressure\": null, \"list\": [$list]}"
run "$CTWARDEN" status -c "$CONF"
assert_eq "12 listed of 40: exit 0" 0 "$RC"
assert_contains "12 listed: the tenth is shown" "$OUT" "  ns3 "
assert_not_contains "12 listed: the eleventh is not" "$OUT" "  ns2 "
assert_contains "12 listed of 40: says how many more" "$OUT" "... 30 more (the fullest 12 in --json)"

# A list that is not fullest first is not the daemon's.
write_status $$ 1 normal
with_namespaces "{\"watched\": 3, \"unwatchable\": 0, \"total_entries\": 3, \"listed\": 2,
  \"list\": [$(ns_entry a 1), $(ns_entry b 2)]}"
run "$CTWARDEN" status -c "$CONF"
assert_eq "namespaces not fullest first: exit 3" 3 "$RC"
assert_contains "namespaces not fullest first: names the file and says why" "$ERR" \
	"$STATUS: namespaces.list[1]: fuller than the one before"

# ---- stale ---------------------------------------------------------------

dead=$(dead_pid)
write_status "$dead" 1 normal
run "$CTWARDEN" status -c "$CONF"
assert_eq "pid gone: exit 3" 3 "$RC"
assert_contains "pid gone: says stale and which pid" "$OUT" "stale (pid $dead is gone"

write_status $$ 60 normal
run "$CTWARDEN" status -c "$CONF"
assert_eq "not updated for 60 s (poll 100ms, 1s configured): exit 3" 3 "$RC"
assert_contains "old update: says stale" "$OUT" "status is stale"
assert_contains "old update: says for how long" "$OUT" "not updated for 1 min"

run "$CTWARDEN" status --json -c "$CONF"
assert_eq "stale, --json: exit 3" 3 "$RC"
assert_eq "stale, --json: no JSON to trust" "" "$OUT"
assert_contains "stale, --json: the message on stderr" "$ERR" "stale"

# A daemon polling every 5 s is stale only after 10 polls (50 s).
write_status $$ 30 normal 5000
run "$CTWARDEN" status -c "$CONF"
assert_eq "30 s old with a 5 s poll interval: fresh" 0 "$RC"

# ---- not ours ------------------------------------------------------------

printf '{"version": 1, "pid": ' >"$STATUS"
run "$CTWARDEN" status -c "$CONF"
assert_eq "truncated file: exit 3" 3 "$RC"
assert_contains "truncated file: names the file" "$ERR" "$STATUS"
assert_contains "truncated file: says why" "$ERR" "not valid JSON"

finish
