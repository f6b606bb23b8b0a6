#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The HTTP endpoint ([metrics] listen) of a daemon on a fixture root, on
# loopback, no root needed. What a scraper and a probe would see:
#  - a bad listen value is refused with FILE:LINE by check-config and run;
#  - without listen the daemon has no TCP socket at all;
#  - /healthz 200 "ok"; /metrics 200, byte for byte the textfile's exposition
#    (one render, two outlets), passing promtool check metrics;
#  - HEAD has the headers and no body; POST, PUT, DELETE 405 with Allow;
#    a body 413 and the connection closed; a 10 KB path 414; other paths 404;
#    each counted in ctwarden_http_requests_total;
#  - 200 idle connections from one address: at most 16 (the per-address
#    limit, ctwarden(8)) are kept, the daemon keeps polling, another address
#    is still answered, and after they close /healthz answers again;
#  - stopped with SIGSTOP no answer within a probe's 1 s; after SIGCONT it
#    answers; the count file made unreadable: 503 with the reason, then 200;
#  - the port in use: a clear start-up error naming the address; [::1] works.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_ctwarden
need_fixtures
need_cmd curl python3 jq ss
ctw_tmpdir
root=$CTW_TMP/root
cp -r "$FIXTURES/roots/host-6.18" "$root"
nf=$root/proc/sys/net/netfilter

# ---- a bad listen value: FILE:LINE, from check-config and from run -------
for bad in "localhost:9747|not an IPv4 address" "127.0.0.1:70000|the port must be a number from 1 to 65535" \
	"::1:9747|an IPv6 address must be in brackets"; do
	value=${bad%%|*} why=${bad#*|}
	conf=$(ctw_conf bad "[metrics]
listen = $value")
	line=$(grep -n '^listen' "$conf" | cut -d: -f1)
	run "$CTWARDEN" check-config -c "$conf" --root "$root"
	assert_eq "check-config refuses listen = $value" 1 "$RC"
	assert_contains "...naming the file and line" "$ERR" "$conf:$line: listen = $value: $why"
	run timeout -k 5 10 "$CTWARDEN" run -c "$conf" --root "$root"
	assert_eq "run refuses it too, at once" 1 "$RC"
	assert_contains "...with the same FILE:LINE" "$ERR" "$conf:$line: listen = $value: $why"
done

# ---- helpers ---------------------------------------------------------------
# start_daemon NAME LISTEN [EXTRA]: a daemon on the fixture root; sets PID.
# Fails the test if it exits or publishes no status within 20 s.
start_daemon()
{
	local conf
	conf=$(ctw_conf "$1" "poll_interval = 100ms
[metrics]
listen = $2
${3:-}")
	"$CTWARDEN" run -c "$conf" --root "$root" >"$CTW_TMP/$1.log" 2>&1 &
	PID=$!
	ctw_on_exit "kill -CONT $PID 2>/dev/null; kill $PID 2>/dev/null; wait $PID 2>/dev/null || :"
	wait_until 20 daemon_up "$PID" "$CTW_TMP/run-$1/status.json"
}

daemon_up()
{
	kill -0 "$1" 2>/dev/null || { echo "<exited>"; return 1; }
	[ -s "$2" ] || { echo "<no $2 yet>"; return 1; }
}

# http [CURL ARGS...] URL: prints "CODE" then the body; never fails. Each
# answer's code and path also go to $CTW_TMP/answers, to count them.
http()
{
	local code
	rm -f "$CTW_TMP/body"
	code=$(curl -s -m 2 -o "$CTW_TMP/body" -w '%{http_code} %{url_effective}' "$@" || :)
	echo "$code" >>"$CTW_TMP/answers"
	echo "${code%% *}"
	cat "$CTW_TMP/body" 2>/dev/null || :
}

# scrape_value SERIES CURL-ARGS...: the value a scrape shows for SERIES.
scrape_value()
{
	local series=$1
	shift
	curl -s -m 2 "$@" | awk -v k="$series " 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }'
}

# metric_is SERIES EXPECTED CURL-ARGS...: the scrape shows SERIES at EXPECTED.
metric_is()
{
	local got
	got=$(scrape_value "$1" "${@:3}")
	echo "$1 = ${got:-<absent>}"
	[ "$got" = "$2" ]
}

# metric_ge SERIES MIN CURL-ARGS...
metric_ge()
{
	local got
	got=$(scrape_value "$1" "${@:3}")
	echo "$1 = ${got:-<absent>}"
	[ -n "$got" ] && [ "$got" -ge "$2" ]
}

answers_ok()
{
	local out
	out=$(http "$@")
	echo "$out"
	[ "$out" = "200
ok" ]
}

# ---- without listen: no IP socket ------------------------------------------
conf=$(ctw_conf quiet "poll_interval = 100ms")
"$CTWARDEN" run -c "$conf" --root "$root" >"$CTW_TMP/quiet.log" 2>&1 &
quiet=$!
ctw_on_exit "kill $quiet 2>/dev/null; wait $quiet 2>/dev/null || :"
wait_for "the listen-less daemon's status" 20 daemon_up "$quiet" "$CTW_TMP/run-quiet/status.json"
assert_eq "without listen the daemon has no TCP socket" "" "$(ss -Htanp 2>/dev/null | grep "pid=$quiet," || :)"
kill "$quiet"
wait "$quiet" || :

# ---- a daemon serving on loopback ---------------------------------------------
# A free port: another test or program may hold the one drawn, so try a few.
for _ in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 40000))
	if start_daemon web "127.0.0.1:$port" "textfile = $CTW_TMP/ctwarden.prom"; then
		break
	fi
	grep -q "Address already in use" "$CTW_TMP/web.log" || { cat "$CTW_TMP/web.log"; fail "the daemon did not start"; }
	port=
done
[ -n "$port" ] || fail "no free loopback port found in 5 tries"
base=http://127.0.0.1:$port
status=$CTW_TMP/run-web/status.json
echo "serving on $base (pid $PID)"
assert_contains "it says where it serves" "$(cat "$CTW_TMP/web.log")" "serving /metrics and /healthz on 127.0.0.1:$port"
# The check above that a listen-less daemon has no socket can see one.
assert_contains "ss shows its listening socket" "$(ss -Hltnp 2>/dev/null | grep "pid=$PID," || :)" "127.0.0.1:$port"

assert_eq "/healthz is 200 ok" "200
ok" "$(http "$base/healthz")"
out=$(http -D "$CTW_TMP/headers" "$base/metrics")
assert_eq "/metrics is 200" 200 "$(head -1 <<<"$out")"
assert_contains "...the exposition's content type" "$(cat "$CTW_TMP/headers")" "Content-Type: text/plain; version=0.0.4"
assert_contains "...with the daemon's metrics" "$out" "ctwarden_up 1"
assert_contains "...and the fixture's count" "$out" 'ctwarden_conntrack_entries{netns="host",netns_inode="0"} 1234'
if command -v promtool >/dev/null 2>&1; then
	curl -s -m 2 "$base/metrics" >"$CTW_TMP/scrape.prom"
	run promtool check metrics <"$CTW_TMP/scrape.prom"
	assert_eq "promtool check metrics passes on the scrape" "0 " "$RC $OUT$ERR"
else
	echo "note: no promtool (package prometheus): the scrape's lint is checked by the root test"
fi

# One render, two outlets: when the textfile did not change around a
# scrape, the scrape is that file byte for byte.
same_as_textfile()
{
	local before after
	before=$(cat "$CTW_TMP/ctwarden.prom")
	curl -s -m 2 "$base/metrics" >"$CTW_TMP/scrape.txt"
	after=$(cat "$CTW_TMP/ctwarden.prom")
	[ "$before" = "$after" ] || { echo "<the file changed during the scrape>"; return 1; }
	cmp "$CTW_TMP/ctwarden.prom" "$CTW_TMP/scrape.txt" && echo "identical, $(wc -c <"$CTW_TMP/scrape.txt") bytes"
}
assert_eventually "/metrics serves the textfile's exposition byte for byte" 10 same_as_textfile

# ---- what is refused ------------------------------------------------------------
run curl -s -m 2 -I "$base/metrics"
assert_contains "HEAD /metrics is 200" "$OUT" "HTTP/1.1 200"
assert_contains "...with the length of the exposition" "$OUT" "Content-Length:"
run curl -s -m 2 -o "$CTW_TMP/head-body" -w '%{size_download}' --head "$base/healthz"
assert_eq "...and no body" 0 "$OUT"
for m in POST PUT DELETE; do
	run curl -s -m 2 -D - -o /dev/null -X "$m" "$base/metrics"
	assert_contains "$m /metrics is 405" "$OUT" "HTTP/1.1 405"
	assert_contains "...saying what is allowed" "$OUT" "Allow: GET, HEAD"
done
run curl -s -m 2 -D - -X GET --data-binary 'x=1' "$base/metrics"
assert_contains "a GET with a body is 413" "$OUT" "HTTP/1.1 413"
assert_contains "...and the connection is closed" "$OUT" "Connection: close"
long=/$(head -c 10240 /dev/zero | tr '\0' a)
assert_eq "a 10 KB path is 414" 414 "$(http "$base$long" | head -1)"
assert_eq "another path is 404" 404 "$(http "$base/" | head -1)"
assert_eq "...as is /metrics/ with a slash" 404 "$(http "$base/metrics/" | head -1)"

# Counted by path and code (the next render shows them).
assert_eventually "the 405s are counted" 10 metric_is \
	'ctwarden_http_requests_total{path="/metrics",code="405"}' 3 "$base/metrics"
assert_eventually "the 413 is counted" 10 metric_is \
	'ctwarden_http_requests_total{path="/metrics",code="413"}' 1 "$base/metrics"
assert_eventually "the 414 is counted" 10 metric_is \
	'ctwarden_http_requests_total{path="other",code="414"}' 1 "$base/metrics"
assert_eventually "the 404s are counted" 10 metric_is \
	'ctwarden_http_requests_total{path="other",code="404"}' 2 "$base/metrics"
assert_eventually "the /healthz answers are counted" 10 metric_ge \
	'ctwarden_http_requests_total{path="/healthz",code="200"}' 2 "$base/metrics"

# ---- 200 idle connections from 127.0.0.1 -----------------------------------------
cat >"$CTW_TMP/idle.py" <<'EOF'
# Open N connections to PORT and send nothing; report how many the server
# still holds when STOPFILE appears (at most 8 s: the server's idle timeout is 10 s).
import os, socket, sys, time
port, n, stopfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for _ in range(n):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError as e:
        print("connect failed:", e, flush=True)
print("opened", len(socks), flush=True)
deadline = time.monotonic() + 8
while not os.path.exists(stopfile) and time.monotonic() < deadline:
    time.sleep(0.05)  # hold: the scenario keeps them idle until told
held = 0
for s in socks:
    s.setblocking(False)
    try:
        held += s.recv(1) != b""
    except BlockingIOError:
        held += 1
    except OSError:
        pass
    s.close()
print("held", held, flush=True)
EOF
python3 "$CTW_TMP/idle.py" "$port" 200 "$CTW_TMP/stop-idle" >"$CTW_TMP/idle.out" 2>&1 &
idle=$!
ctw_on_exit "kill $idle 2>/dev/null || :"
wait_for "200 connections opened" 10 file_has "$CTW_TMP/idle.out" "opened 200"
# The daemon keeps polling: a new count in the fixture reaches its status.
echo 4321 >"$nf/nf_conntrack_count"
assert_eventually "while they are open the daemon keeps polling (status shows the new count)" 5 \
	json_file_is "$status" .count 4321
# Another address is still served (the limit is per address): 127.0.0.2 is loopback too.
assert_eventually "another address still gets /healthz" 5 answers_ok --interface 127.0.0.2 "$base/healthz"
assert_eventually "...and sees the held connections counted" 5 metric_ge \
	ctwarden_http_connections 16 --interface 127.0.0.2 "$base/metrics"
touch "$CTW_TMP/stop-idle"
wait "$idle" || :
held=$(sed -n 's/^held //p' "$CTW_TMP/idle.out")
assert_le "at most 16 connections from one address are kept" 16 "${held:-none}"
assert_ge "...and up to that many are" 16 "${held:-0}"
assert_eventually "after they close, /healthz answers 127.0.0.1 again" 5 answers_ok "$base/healthz"
assert_eq "the daemon is still running" yes "$(kill -0 "$PID" 2>/dev/null && echo yes || echo no)"

# ---- stopped: no answer within a probe's timeout ---------------------------------
kill -STOP "$PID"
run curl -s -m 1 "$base/healthz"
assert_eq "stopped with SIGSTOP, a 1 s probe gets no answer (curl: timeout)" 28 "$RC"
kill -CONT "$PID"
assert_eventually "after SIGCONT it answers again" 5 answers_ok "$base/healthz"

# ---- the table cannot be read: 503 and why ------------------------------------
# The daemon keeps the count file open (one pread per round), so removing it
# or its permissions changes nothing: what it reads must be unreadable.
echo "not a number" >"$nf/nf_conntrack_count"
healthz_503()
{
	local out
	out=$(http "$base/healthz")
	echo "$out"
	[ "$(head -1 <<<"$out")" = 503 ]
}
assert_eventually "a count that cannot be read gives 503" 5 healthz_503
assert_contains "...with the reason, one line" "$WAIT_LAST" "cannot read the conntrack count or max: Invalid argument"
assert_eq "...one line only" 2 "$(wc -l <<<"$WAIT_LAST")"
echo 1234 >"$nf/nf_conntrack_count"
assert_eventually "readable again: 200" 5 answers_ok "$base/healthz"
# Every 503 the probes above got, and no other.
n503=$(grep -c '^503 .*/healthz$' "$CTW_TMP/answers" || :)
assert_ge "the probes got a 503" 1 "$n503"
assert_eventually "each 503 was counted ($n503)" 10 metric_is \
	'ctwarden_http_requests_total{path="/healthz",code="503"}' "$n503" "$base/metrics"

# ---- the port in use; IPv6 ---------------------------------------------------------
conf=$(ctw_conf busy "[metrics]
listen = 127.0.0.1:$port")
run timeout -k 5 20 "$CTWARDEN" run -c "$conf" --root "$root"
assert_eq "a second daemon on the same port exits with an error" 1 "$RC"
assert_contains "...naming the address and why" "$ERR" "cannot listen on 127.0.0.1:$port: Address already in use"
assert_contains "...and where it is configured" "$ERR" "[metrics] listen in $conf"
assert_eventually "the first one still answers" 5 answers_ok "$base/healthz"
if [ -n "$(ip -6 addr show dev lo 2>/dev/null | grep 'inet6 ::1')" ]; then
	start_daemon six "[::1]:$port" || { cat "$CTW_TMP/six.log"; fail "the daemon on [::1]:$port did not start"; }
	assert_eventually "[::1]:$port answers /healthz over IPv6" 5 answers_ok -g "http://[::1]:$port/healthz"
else
	echo "note: no ::1 on lo; the IPv6 listen is checked by the unit test only"
fi
finish
