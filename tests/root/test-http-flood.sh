#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, real flood, the daemon's own endpoint ([metrics] listen on
# loopback): while ctw-flood fills a test namespace's table, scrapes of
# /metrics show that namespace's entries rising, each scrape passes
# `promtool check metrics` and uses only metrics.txt's names and types, the
# last agrees with conntrack -C in the namespace, and /healthz is 200
# throughout. Advise mode: the daemon changes no knob.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

FLOOD=30000

need_root
need_cmd ip nft conntrack flock promtool curl jq
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
[ -n "${CTW_SRCDIR:-}" ] || skip "CTW_SRCDIR is not set (run through make check)"
CONTRACT=$CTW_SRCDIR/contrib/prometheus/metrics.txt
# Advise mode decides without writing, but keep the knobs safe all the same.
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
[ "$(knob_get nf_conntrack_max)" -ge $((FLOOD * 2)) ] ||
	skip "nf_conntrack_max is $(knob_get nf_conntrack_max): a $FLOOD-entry flood would fill it"
netns_create
# Entries must outlive the test's scrapes (the default UDP timeout is 30 s).
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

daemon_up()
{
	kill -0 "$1" 2>/dev/null || { echo "<exited>"; return 1; }
	[ -s "$2" ] || { echo "<no $2 yet>"; return 1; }
}

# A free loopback port: another program may hold the one drawn.
for _ in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 40000))
	conf=$(ctw_conf http "mode = advise
poll_interval = 100ms
[metrics]
listen = 127.0.0.1:$port")
	"$CTWARDEN" run -c "$conf" >"$CTW_TMP/daemon.log" 2>&1 &
	pid=$!
	ctw_on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null || :"
	if wait_until 20 daemon_up "$pid" "$CTW_TMP/run-http/status.json"; then
		break
	fi
	grep -q "Address already in use" "$CTW_TMP/daemon.log" || { cat "$CTW_TMP/daemon.log"; fail "ctwarden run did not start"; }
	port=
done
[ -n "$port" ] || fail "no free loopback port in 5 tries"
base=http://127.0.0.1:$port
series="ctwarden_conntrack_entries{netns=\"$NS\",netns_inode=\"$NS_INODE\"}"

# scrape N: /metrics into $CTW_TMP/scrape-N.prom; prints the namespace's entries.
scrape()
{
	curl -s -m 2 -o "$CTW_TMP/scrape-$1.prom" "$base/metrics" || { echo "<no answer>"; return 1; }
	prom_get "$(cat "$CTW_TMP/scrape-$1.prom")" "$series"
}

# entries_above N MIN: a scrape shows the namespace's entries above MIN.
entries_above()
{
	local got
	got=$(scrape "$1") || { echo "$got"; return 1; }
	echo "${got:-<no $series>}"
	[ -n "$got" ] && [ "$got" -gt "$2" ]
}

healthy()
{
	local out
	out=$(curl -s -m 1 "$base/healthz") || { echo "<no answer>"; return 1; }
	echo "$out"
	[ "$out" = ok ]
}

# The flood's namespace is watched before it starts (its series is 0).
assert_eventually "the endpoint shows the new namespace, empty" 15 entries_above before -1
assert_eq "...at 0 entries" 0 "$WAIT_LAST"
assert_eventually "/healthz is 200 ok" 5 healthy

# 10k tuples/s: the flood lasts about 3 s, long enough for several scrapes.
in_ns "$CTW_FLOOD" -q -n "$FLOOD" -r 10000 -d 127.93.0.1 >/dev/null &
flood=$!
ctw_on_exit "kill $flood 2>/dev/null || :"
wait_for "a scrape during the flood to show the namespace filling" 10 entries_above during 1000
e1=$WAIT_LAST
healthy >"$CTW_TMP/healthz-during" || :
assert_eq "/healthz answers ok during the flood" ok "$(cat "$CTW_TMP/healthz-during")"
assert_eventually "a later scrape shows it higher" 15 entries_above later "$e1"
e2=$WAIT_LAST
wait "$flood"
# All FLOOD entries, and what the kernel counts there.
assert_eventually "after the flood a scrape shows all $FLOOD entries" 15 entries_above after $((FLOOD - 1))
e3=$WAIT_LAST
echo "entries in scrapes: $e1, $e2, $e3; conntrack -C: $(ns_conntrack_count)"
assert_gt "rising: the later scrape is above the first" "$e1" "$e2"
assert_eq "the last scrape agrees with conntrack -C in the namespace" "$(ns_conntrack_count)" "$e3"

for n in during later after; do
	run promtool check metrics <"$CTW_TMP/scrape-$n.prom"
	assert_eq "scrape $n passes promtool check metrics" "0 " "$RC $OUT$ERR"
	bad=$(awk -v contract="$CONTRACT" '
		BEGIN { while ((getline l < contract) > 0) { if (l ~ /^#/ || l == "") continue; split(l, f, " "); type[f[1]] = f[2] } }
		/^# TYPE / { if (!($3 in type)) print "unknown family " $3; else if (type[$3] != $4) print $3 " is " $4 }' \
		"$CTW_TMP/scrape-$n.prom")
	assert_eq "scrape $n: only metrics.txt's names and types" "" "$bad"
done
# The endpoint counts itself: the scrapes before the last render were counted.
assert_ge "the scrapes are counted as /metrics 200" 3 \
	"$(prom_get "$(cat "$CTW_TMP/scrape-after.prom")" 'ctwarden_http_requests_total{path="/metrics",code="200"}')"
assert_eq "advise mode left max alone" "$CTW_SAVED_nf_conntrack_max" "$(knob_get nf_conntrack_max)"
finish
