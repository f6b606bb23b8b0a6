# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for ctwarden's shell tests. Source it from bash:
#   . "${TESTLIB:-$(dirname "$0")/../lib.sh}"
# Exit codes follow automake: 0 pass, 77 skip (always with a reason), else fail.
# Everything a test changes (global knobs, network namespaces, temp files) is
# registered with ctw_on_exit and undone by the EXIT trap, also on failure.

set -eEuo pipefail

CTW_TEST_NAME=$(basename "$0" .sh)
CTW_TEST_NAME=${CTW_TEST_NAME#test-}
CTW_FAILS=0
CTW_CLEANUPS=()
CTW_NETFILTER=/proc/sys/net/netfilter

# ---- outcome ------------------------------------------------------------

skip()
{
	echo "SKIP: $*"
	exit 77
}

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

# Exit with the verdict of the non-fatal asserts; call at the end of a test.
finish()
{
	if [ "$CTW_FAILS" -ne 0 ]; then
		echo "FAIL: $CTW_FAILS check(s) failed" >&2
		exit 1
	fi
	echo "PASS: $CTW_TEST_NAME"
	exit 0
}

# ---- cleanup ------------------------------------------------------------

# Register a command (one string, eval'ed) to run at exit, last registered first.
ctw_on_exit()
{
	CTW_CLEANUPS+=("$1")
}

ctw__cleanup()
{
	local rc=$? i
	trap - EXIT ERR
	trap '' INT TERM HUP PIPE   # finish undoing, whatever happens to stdout
	set +e
	for ((i = ${#CTW_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CTW_CLEANUPS[$i]}" || {
			echo "FAIL: cleanup failed: ${CTW_CLEANUPS[$i]}" >&2
			case $rc in 0 | 77) rc=1 ;; esac   # a test that leaves a mess fails
		}
	done
	exit "$rc"
}

ctw__on_err()
{
	echo "FAIL: line $1: command failed (exit $2): $3" >&2
}

ctw__err_trap()
{
	trap 'ctw__on_err "$LINENO" "$?" "$BASH_COMMAND"' ERR
}

trap ctw__cleanup EXIT
ctw__err_trap
# Also SIGPIPE: `test | head` must not leave a netns or a knob behind.
trap 'exit 130' INT TERM HUP PIPE

# A private temp dir, removed at exit. Sets CTW_TMP.
ctw_tmpdir()
{
	CTW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctw-$CTW_TEST_NAME.XXXXXX")
	ctw_on_exit "rm -rf '$CTW_TMP'"
}

# ---- requirements -------------------------------------------------------

need_root()
{
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

need_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs the command '$c'"
	done
}

# The binaries and dirs make check passes in the environment.
need_ctwarden()
{
	[ -n "${CTWARDEN:-}" ] || skip "CTWARDEN is not set (run through make check)"
	[ -x "$CTWARDEN" ] || fail "CTWARDEN=$CTWARDEN is not executable"
}

need_flood()
{
	[ -n "${CTW_FLOOD:-}" ] || skip "CTW_FLOOD is not set (run through make check)"
	[ -x "$CTW_FLOOD" ] || fail "CTW_FLOOD=$CTW_FLOOD is not executable (make check builds it)"
}

need_fixtures()
{
	[ -n "${FIXTURES:-}" ] || skip "FIXTURES is not set (run through make check)"
	[ -d "$FIXTURES/roots" ] || skip "no fixture trees in $FIXTURES/roots yet"
}

need_conntrack_kernel()
{
	[ -e "$CTW_NETFILTER/nf_conntrack_max" ] ||
		skip "nf_conntrack is not loaded (no $CTW_NETFILTER/nf_conntrack_max)"
}

# Root tests change global knobs or depend on them: one at a time, also
# across parallel make check jobs and benches.
ctw_global_lock()
{
	local lock=/run/lock/ctwarden-tests.lock
	mkdir -p /run/lock
	exec 9>"$lock"
	flock -w 600 9 || fail "could not take $lock within 10 minutes"
}

# ---- global knobs -------------------------------------------------------

# Originals of global knobs are also kept on disk while changed, so that a
# test killed before its trap ran (SIGKILL) does not turn its value into the
# next test's "original". Only touched under ctw_global_lock.
CTW_KNOB_STATE=/run/lock/ctwarden-tests.knobs

# Remember a global knob (once) and put it back at exit.
knob_save()
{
	local name=$1 path=$CTW_NETFILTER/$1 var=CTW_SAVED_$1 orig
	[ -z "${!var:-}" ] || return 0
	[ -r "$path" ] || skip "no $path"
	mkdir -p "$CTW_KNOB_STATE"
	if [ -s "$CTW_KNOB_STATE/$name" ]; then
		orig=$(cat "$CTW_KNOB_STATE/$name")
		echo "note: an earlier test left $name at $(cat "$path"); its original was $orig"
	else
		orig=$(cat "$path")
		echo "$orig" >"$CTW_KNOB_STATE/$name"
	fi
	printf -v "$var" '%s' "$orig"
	ctw_on_exit "knob_restore $name $orig"
}

knob_restore()
{
	local path=$CTW_NETFILTER/$1 got
	echo "$2" >"$path" || return 1
	got=$(cat "$path")
	[ "$got" = "$2" ] || { echo "FAIL: $path is $got after restoring $2" >&2; return 1; }
	rm -f "$CTW_KNOB_STATE/$1"
}

# Save, then write; the restore is registered before the write happens.
knob_set()
{
	knob_save "$1"
	echo "$2" >"$CTW_NETFILTER/$1"
}

knob_get()
{
	cat "$CTW_NETFILTER/$1"
}

# ---- network namespaces ------------------------------------------------

# Create ctw-test-<test>-$$, lo up, and an nft rule that
# makes conntrack track every locally sent packet. Sets NS and NS_INODE.
netns_create()
{
	NS=ctw-test-$CTW_TEST_NAME-$$
	need_cmd ip nft
	netns_reap_stale
	ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace ($NS)"
	ctw_on_exit "ip netns delete '$NS'"
	ip -n "$NS" link set lo up
	ip netns exec "$NS" nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }' ||
		skip "nft cannot add a ct state rule in $NS"
	# shellcheck disable=SC2034 # for the tests
	NS_INODE=$(netns_inode "$NS")
}

# Delete ctw-test-*-PID namespaces whose test process is gone (killed before
# its trap could run).
netns_reap_stale()
{
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^ctw-test-.*-[0-9]+$/ { print $1 }'); do
		pid=${ns##*-}
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "note: deleting $ns, left by a test that died"
			ip netns delete "$ns" || true
		fi
	done
}

# A netns's inode number, as the kernel names it in "table full in netns N".
netns_inode()
{
	local link
	link=$(ip netns exec "$1" readlink /proc/self/ns/net)
	link=${link#net:[}
	echo "${link%]}"
}

in_ns()
{
	ip netns exec "$NS" "$@"
}

# Count of this netns's table as conntrack(8) sees it.
ns_conntrack_count()
{
	in_ns conntrack -C 2>/dev/null
}

# Sum of one counter ("drop", "early_drop", ...) over CPUs from conntrack -S.
ns_conntrack_stat_sum()
{
	in_ns conntrack -S 2>/dev/null |
		awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) s += kv[2] } } END { print s + 0 }'
}

# Table-full records the kernel logged for a netns inode (kernel facility only).
kmsg_table_full_records()
{
	dmesg -r 2>/dev/null | grep -c "^<[0-7]>.*table full in netns $1," || true
}

# ---- running commands ---------------------------------------------------

# Run a command, capturing stdout, stderr and the exit code without tripping
# set -e: sets RC, OUT, ERR.
# shellcheck disable=SC2034 # RC, OUT, ERR are for the tests
run()
{
	local o e
	o=$(mktemp) e=$(mktemp)
	trap - ERR
	set +e
	"$@" >"$o" 2>"$e"
	RC=$?
	set -e
	ctw__err_trap
	OUT=$(cat "$o") ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# Show a command's stderr (after run) in the log, when it said anything.
show_err()
{
	[ -z "$ERR" ] || printf 'stderr: %s\n' "$ERR" >&2
}

# ---- waiting --------------------------------------------------------------
# A test waits for the condition it needs, with a deadline, never with a bare
# sleep that hopes it was long enough: on a loaded machine that is a race.
# A sleep that is part of a scenario (a flood's pacing, a hold) stays, and
# says so in a comment.

# wait_until SECONDS COMMAND...: run COMMAND (a command or a function) every
# 20 ms until it succeeds or SECONDS (decimals allowed) have passed. Returns
# 0 or 1, never failing the test; WAIT_LAST holds what COMMAND last printed
# (stdout and stderr, the first 2000 characters) and WAIT_S the time taken.
wait_until()
{
	local limit_us now_us start_us out
	limit_us=$(awk -v s="$1" 'BEGIN { if (s !~ /^[0-9]+(\.[0-9]+)?$/) exit 1; printf "%d", s * 1000000 }') ||
		fail "wait_until: '$1' is not a number of seconds"
	shift
	[ $# -gt 0 ] || fail "wait_until: no command to wait for"
	start_us=${EPOCHREALTIME/./}
	while :; do
		if out=$("$@" 2>&1); then
			WAIT_LAST=${out:0:2000}
			now_us=${EPOCHREALTIME/./}
			WAIT_S=$(awk -v us=$((now_us - start_us)) 'BEGIN { printf "%.2f", us / 1e6 }')
			return 0
		fi
		WAIT_LAST=${out:0:2000}
		now_us=${EPOCHREALTIME/./}
		if [ $((now_us - start_us)) -ge "$limit_us" ]; then
			WAIT_S=$(awk -v us=$((now_us - start_us)) 'BEGIN { printf "%.2f", us / 1e6 }')
			return 1
		fi
		sleep 0.02   # pace: the poll interval of the wait itself
	done
}

# wait_for DESC SECONDS COMMAND...: wait_until, and fail the test on timeout,
# saying what was awaited and what COMMAND last printed.
wait_for()
{
	local desc=$1
	shift
	wait_until "$@" && return 0
	fail "timed out after ${WAIT_S}s waiting for $desc; last saw: ${WAIT_LAST:-<nothing>}"
}

# assert_eventually DESC SECONDS COMMAND...: a non-fatal assert on a condition
# that must become true within SECONDS.
assert_eventually()
{
	local desc=$1
	shift
	if wait_until "$@"; then
		echo "ok: $desc (after ${WAIT_S}s)"
	else
		echo "not ok: $desc: not true within $1 s; last saw: ${WAIT_LAST:-<nothing>}" >&2
		CTW_FAILS=$((CTW_FAILS + 1))
	fi
}

# Conditions to wait for (each prints what it saw, so a timeout can say it).
# json_file_is FILE FILTER EXPECTED: jq -r FILTER of FILE is EXPECTED.
json_file_is()
{
	local got
	got=$(jq -r "$2" "$1" 2>/dev/null) || { echo "<$1 unreadable or not JSON>"; return 1; }
	echo "$got"
	[ "$got" = "$3" ]
}

# json_file_ge FILE FILTER MIN: jq -r FILTER of FILE is a number >= MIN.
json_file_ge()
{
	local got
	got=$(jq -r "$2" "$1" 2>/dev/null) || { echo "<$1 unreadable or not JSON>"; return 1; }
	echo "$got"
	ctw__cmp "$got" ">=" "$3"
}

# file_has FILE TEXT: FILE exists and contains TEXT (fixed string).
file_has()
{
	[ -f "$1" ] || { echo "<no $1>"; return 1; }
	grep -qF -- "$2" "$1" || { tail -3 "$1"; return 1; }
}

# pid_gone PID: the process has exited.
pid_gone()
{
	! kill -0 "$1" 2>/dev/null
}

# file_is FILE TEXT: FILE holds exactly TEXT (a knob of a fixture tree, a pid file).
file_is()
{
	local got
	got=$(cat "$1" 2>/dev/null) || { echo "<no $1>"; return 1; }
	echo "$got"
	[ "$got" = "$2" ]
}

# file_count_ge FILE MIN PATTERN: FILE has at least MIN lines matching the
# extended regex PATTERN (a journal line in a daemon log, said N times).
file_count_ge()
{
	local n
	n=$(grep -cE -- "$3" "$1" 2>/dev/null) || n=0
	echo "$n line(s) of $1 match '$3'"
	[ "$n" -ge "$2" ]
}

# knob_gt NAME MIN: the global knob is above MIN (the daemon raised it).
knob_gt()
{
	local got
	got=$(knob_get "$1")
	echo "$1 = $got"
	[ "$got" -gt "$2" ]
}

# ctw_status CONF: `ctwarden status --json` as a user runs it; its exit code
# is the daemon's level (0-2), any of which is an answer.
ctw_status()
{
	local rc=0
	"$CTWARDEN" status --json -c "$1" || rc=$?
	[ "$rc" -le 2 ]
}

# status_is CONF FILTER EXPECTED: jq -r FILTER of the daemon's status is EXPECTED.
status_is()
{
	local st got
	st=$(ctw_status "$1" 2>&1) || { echo "<ctwarden status failed: ${st:0:300}>"; return 1; }
	got=$(jq -r "$2" <<<"$st" 2>/dev/null) || { echo "<not JSON: ${st:0:300}>"; return 1; }
	echo "$2 = $got"
	[ "$got" = "$3" ]
}

# status_ge CONF FILTER MIN: jq -r FILTER of the daemon's status is a number >= MIN.
status_ge()
{
	local st got
	st=$(ctw_status "$1" 2>&1) || { echo "<ctwarden status failed: ${st:0:300}>"; return 1; }
	got=$(jq -r "$2" <<<"$st" 2>/dev/null) || { echo "<not JSON: ${st:0:300}>"; return 1; }
	echo "$2 = $got"
	ctw__cmp "$got" ">=" "$3"
}

# status_lists_netns CONF NAME: the daemon's status lists that namespace.
status_lists_netns()
{
	status_ge "$1" "[.namespaces.list[]? | select(.name == \"$2\")] | length" 1
}

# ctw__alive_and PID COMMAND...: COMMAND succeeds, or process PID has exited
# (then it says so and succeeds too, so that a wait ends at once; the caller
# tells which from WAIT_LAST).
ctw__alive_and()
{
	local pid=$1
	shift
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "<process $pid exited>"
		return 0
	fi
	"$@"
}

# wait_while_alive DESC SECONDS PID COMMAND...: wait_for, but fail at once
# when process PID exits first (a daemon that died will never publish).
wait_while_alive()
{
	local desc=$1 secs=$2 pid=$3
	shift 3
	wait_until "$secs" ctw__alive_and "$pid" "$@" ||
		fail "timed out after ${WAIT_S}s waiting for $desc; last saw: ${WAIT_LAST:-<nothing>}"
	[[ $WAIT_LAST != "<process $pid exited>" ]] || fail "process $pid exited before $desc"
}

# ---- asserts (non-fatal: they count failures, finish decides) ----------

# ctw__verdict DESC WHY CONDITION...: ok when the condition command succeeds.
ctw__verdict()
{
	local desc=$1 why=$2
	shift 2
	if "$@"; then
		echo "ok: $desc"
	else
		echo "not ok: $desc: $why" >&2
		CTW_FAILS=$((CTW_FAILS + 1))
	fi
}

# ctw__cmp A OP B: numeric comparison (decimals allowed); false for non-numbers.
ctw__cmp()
{
	[[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ && $3 =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || return 1
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		r = op == ">=" ? a >= b : op == "<=" ? a <= b : op == ">" ? a > b : 0
		exit !r }'
}

ctw__has()
{
	[[ $1 == *"$2"* ]]
}

ctw__lacks()
{
	[[ $1 != *"$2"* ]]
}

assert_eq()
{
	ctw__verdict "$1" "expected '$2', got '$3'" [ "$3" = "$2" ]
}

assert_ne()
{
	ctw__verdict "$1" "expected anything but '$2'" [ "$3" != "$2" ]
}

# assert_ge DESC MIN GOT (numbers, decimals allowed)
assert_ge()
{
	ctw__verdict "$1" "expected >= $2, got '$3'" ctw__cmp "$3" ">=" "$2"
}

assert_le()
{
	ctw__verdict "$1" "expected <= $2, got '$3'" ctw__cmp "$3" "<=" "$2"
}

assert_gt()
{
	ctw__verdict "$1" "expected > $2, got '$3'" ctw__cmp "$3" ">" "$2"
}

# assert_contains DESC HAYSTACK NEEDLE (fixed string)
assert_contains()
{
	ctw__verdict "$1" "expected to contain '$3', got: '$2'" ctw__has "$2" "$3"
}

assert_not_contains()
{
	ctw__verdict "$1" "expected not to contain '$3', got: '$2'" ctw__lacks "$2" "$3"
}

# assert_in DESC GOT ALLOWED... : got is one of the allowed values
assert_in()
{
	local desc=$1 got=$2
	shift 2
	ctw__verdict "$desc" "expected one of '$*', got '$got'" ctw__one_of "$got" "$@"
}

ctw__one_of()
{
	local got=$1 a
	shift
	for a in "$@"; do
		[ "$got" = "$a" ] && return 0
	done
	return 1
}

# ---- JSON (jq) ----------------------------------------------------------

# True when the text is exactly one valid JSON object (jq 1.6 -e accepts empty input).
json_valid()
{
	[ -n "$1" ] && jq -se 'length == 1 and (.[0] | type == "object")' >/dev/null 2>&1 <<<"$1"
}

assert_json()
{
	ctw__verdict "$1" "not a JSON object: '${2:0:200}'" json_valid "$2"
}

# json_get JSON FILTER: the value as jq -r prints it ("null" when absent,
# "<invalid json>" when the text does not parse), never failing.
json_get()
{
	jq -r "$2" 2>/dev/null <<<"$1" || echo "<invalid json>"
}

# Finding codes of an audit report, one per line.
json_finding_codes()
{
	json_get "$1" '.findings[]?.code'
}

# Before lowering the global nf_conntrack_max to $1: skip when the host's own
# netns or a named netns already holds half of it. Lowering would drop their
# traffic, and ctwarden (which watches every netns) would react to them
# rather than to the test's flood.
need_quiet_tables()
{
	local max=$1 c other
	c=$(knob_get nf_conntrack_count)
	[ "$c" -lt $((max / 2)) ] ||
		skip "the initial netns tracks $c entries; lowering nf_conntrack_max to $max would drop host traffic"
	for other in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		c=$(ip netns exec "$other" cat "$CTW_NETFILTER/nf_conntrack_count" 2>/dev/null || echo 0)
		[ "$c" -lt $((max / 2)) ] ||
			skip "netns $other tracks $c entries; lowering nf_conntrack_max to $max would drop its traffic and make ctwarden react to it"
	done
}

# ---- the daemon and its peers -------------------------------------------

# ctw_daemon_start CONF [PREFIX...]: `ctwarden run -c CONF` in the background
# (run through PREFIX, e.g. ip netns exec NS, when given), its output in
# $CTW_TMP/daemon.log (or $DAEMON_LOG); waits until it published the status
# file of the runtime_dir CONF names. Sets DAEMON_PID, stopped at exit.
ctw_daemon_start()
{
	local conf=$1 run_dir log=${DAEMON_LOG:-$CTW_TMP/daemon.log}
	shift
	run_dir=$(sed -n 's/^runtime_dir *= *//p' "$conf")
	[ -n "$run_dir" ] || fail "$conf names no runtime_dir"
	"$@" "$CTWARDEN" run -c "$conf" >"$log" 2>&1 &
	DAEMON_PID=$!
	ctw_on_exit "kill $DAEMON_PID 2>/dev/null; wait $DAEMON_PID 2>/dev/null || true"
	# Its own pid in the file: a status left by an earlier, killed daemon is not an answer.
	wait_until 20 ctw__alive_and "$DAEMON_PID" json_file_is "$run_dir/status.json" .pid "$DAEMON_PID" &&
		[[ $WAIT_LAST != "<process $DAEMON_PID exited>" ]] && return 0
	cat "$log"
	pid_gone "$DAEMON_PID" && fail "ctwarden run exited before it published its status"
	fail "ctwarden run published no status within 20 s; last saw: ${WAIT_LAST:-<nothing>}"
}

# ctw_conf NAME [INI-LINES]: a config at $CTW_TMP/NAME.conf with its own
# state and runtime directories (mode 0600, as the daemon wants); prints its path.
ctw_conf()
{
	local conf=$CTW_TMP/$1.conf
	{
		echo "[daemon]"
		echo "state_dir = $CTW_TMP/state-$1"
		echo "runtime_dir = $CTW_TMP/run-$1"
		printf '%s\n' "${2:-}"
	} >"$conf"
	chmod 0600 "$conf"
	echo "$conf"
}

# The sum of one conntrack -S counter in network namespace $1 ("drop", ...).
ns_stat_sum()
{
	ip netns exec "$1" conntrack -S 2>/dev/null |
		awk -v k="$2" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) s += kv[2] } } END { print s + 0 }'
}

# ctw_fetch URL: an HTTP GET on loopback (wget or curl); skips without either.
ctw_fetch()
{
	if command -v wget >/dev/null 2>&1; then
		wget -q -T 5 -O - "$1"
	elif command -v curl >/dev/null 2>&1; then
		curl -sf -m 5 "$1"
	else
		skip "needs wget or curl to scrape node_exporter"
	fi
}

# ctw_node_exporter DIR: a real node_exporter serving DIR's *.prom files (and
# nothing else) on a free loopback port; sets EXPORTER_PORT, stopped at exit.
ctw_node_exporter()
{
	local pid
	command -v prometheus-node-exporter >/dev/null 2>&1 ||
		skip "needs prometheus-node-exporter (Debian package prometheus-node-exporter)"
	for _ in 1 2 3 4 5 6 7 8; do
		EXPORTER_PORT=$((20000 + RANDOM % 40000))
		prometheus-node-exporter --collector.disable-defaults --collector.textfile \
			--collector.textfile.directory="$1" --web.disable-exporter-metrics \
			--web.listen-address="127.0.0.1:$EXPORTER_PORT" >"$CTW_TMP/exporter.log" 2>&1 &
		pid=$!
		ctw_on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null || :"
		# Serving, or gone (its port was taken): then another port.
		if wait_until 5 ctw__alive_and "$pid" ctw_fetch "http://127.0.0.1:$EXPORTER_PORT/metrics" >/dev/null &&
			[[ $WAIT_LAST != "<process $pid exited>" ]]; then
			return 0
		fi
		kill "$pid" 2>/dev/null || :
	done
	fail "node_exporter did not serve on loopback: $(tail -5 "$CTW_TMP/exporter.log")"
}

# prom_get TEXT SERIES: the value of the sample whose name{labels} is SERIES.
prom_get()
{
	awk -v k="$2 " 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' <<<"$1"
}
