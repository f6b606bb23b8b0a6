#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Prometheus side shipped in contrib/prometheus: the alert rules pass
# `promtool check rules` and their unit tests (`promtool test rules`: each
# alert fires over its threshold and stays quiet below it), the Grafana
# dashboard is valid JSON with queries in every panel and the decisions as
# annotations, and the rules, the dashboard and the audit's real output use
# only the metric names, types and labels of metrics.txt, the contract the
# daemon writes too: they cannot drift apart. No root needed.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_ctwarden
need_cmd jq python3
command -v promtool >/dev/null 2>&1 || skip "needs promtool (Debian package prometheus)"
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml"
[ -n "${CTW_SRCDIR:-}" ] || skip "CTW_SRCDIR is not set (run through make check)"
PROMDIR=$CTW_SRCDIR/contrib/prometheus
ROOTS=$FIXTURES/roots
ctw_tmpdir

# ---- promtool ---------------------------------------------------------------
run promtool check rules "$PROMDIR/ctwarden.rules.yml"
assert_eq "promtool check rules passes" 0 "$RC"
assert_contains "promtool found the 11 rules" "$OUT" "SUCCESS: 11 rules found"
show_err
# promtool resolves rule_files relative to the test file.
run promtool test rules "$PROMDIR/ctwarden.rules.test.yml"
assert_eq "promtool test rules passes" 0 "$RC"
[ "$RC" -eq 0 ] || printf '%s\n%s\n' "$OUT" "$ERR" >&2

# Every alert of the rules has a unit test that expects it to fire.
alerts=$(python3 -c 'import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        print(r["alert"])' "$PROMDIR/ctwarden.rules.yml" | sort)
fired=$(python3 -c 'import sys, yaml
for t in yaml.safe_load(open(sys.argv[1]))["tests"]:
    for a in t.get("alert_rule_test", []):
        if a.get("exp_alerts"):
            print(a["alertname"])' "$PROMDIR/ctwarden.rules.test.yml" | sort -u)
assert_eq "every alert is tested firing" "$alerts" "$fired"
# ... and each tells the operator what to run.
run python3 -c 'import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        a = r.get("annotations", {})
        if not a.get("summary") or "`ctwarden " not in a.get("description", ""):
            print(r["alert"])
        if r["labels"].get("severity") not in ("warning", "critical"):
            print(r["alert"], "severity")' "$PROMDIR/ctwarden.rules.yml"
assert_eq "every alert has a summary, a severity and a ctwarden command to run" "" "$OUT$ERR"
assert_contains "the rules point to the journal" "$(cat "$PROMDIR/ctwarden.rules.yml")" "journalctl -u ctwarden -x"

# ---- thresholds: the daemon's defaults ---------------------------------------
# From the shipped config's commented defaults, which tests/unit/test_conf
# keeps equal to the code's.
conf=$CTW_SRCDIR/etc/ctwarden.conf
warn=$(sed -n 's/^#warn = \([0-9]*\)%$/\1/p' "$conf")
crit=$(sed -n 's/^#crit = \([0-9]*\)%$/\1/p' "$conf")
horizon=$(sed -n 's/^#horizon = \([0-9]*\)s$/\1/p' "$conf")
rules=$(cat "$PROMDIR/ctwarden.rules.yml")
assert_contains "usage warning at warn = $warn%" "$rules" "ctwarden_conntrack_usage_ratio >= 0.$warn < 0.$crit"
assert_contains "usage critical at crit = $crit%" "$rules" "ctwarden_conntrack_usage_ratio >= 0.$crit"
assert_contains "time to full under horizon = ${horizon}s" "$rules" "ctwarden_conntrack_time_to_full_seconds < $horizon"

# ---- the dashboard -------------------------------------------------------
dash=$PROMDIR/ctwarden-dashboard.json
assert_eq "dashboard parses as one JSON object" true "$(jq -e 'type == "object"' "$dash" 2>&1)"
assert_eq "dashboard has a title and a uid" true "$(jq '(.title | length > 0) and (.uid | length > 0)' "$dash")"
assert_eq "every panel but rows has a query" "" \
	"$(jq -r '.panels[] | select(.type != "row") | select(([.targets[]?.expr | select(length > 0)] | length) == 0) | .title' "$dash")"
assert_eq "panel ids are unique" "$(jq '.panels | length' "$dash")" "$(jq '[.panels[].id] | unique | length' "$dash")"
assert_contains "decisions are annotations" "$(jq -r '.annotations.list[].expr // empty' "$dash")" ctwarden_decisions_total
assert_contains "usage per namespace is drawn" "$(jq -r '.panels[].targets[]?.expr' "$dash")" ctwarden_conntrack_usage_ratio
assert_contains "...against the limit" "$(jq -r '.panels[].targets[]?.expr' "$dash")" ctwarden_conntrack_limit

# Every query of the dashboard is valid PromQL: promtool parses them as
# recording rules, with Grafana's variables given values.
# shellcheck disable=SC2016 # Python, with Grafana's $variables
run python3 -c 'import json, sys, yaml
d = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
exprs += [a["expr"] for a in d["annotations"]["list"] if "expr" in a]
subst = {"$__rate_interval": "5m", "$__interval": "1m", "$instance": ".*", "$netns": ".*"}
rules = []
for i, e in enumerate(exprs):
    for k, v in subst.items():
        e = e.replace(k, v)
    rules.append({"record": "dashboard:query_%d" % i, "expr": e})
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
print(len(rules))' "$dash" "$CTW_TMP/dashboard-queries.yml"
queries=$OUT
assert_ge "the dashboard has queries" 10 "$queries"
run promtool check rules "$CTW_TMP/dashboard-queries.yml"
assert_eq "every dashboard query parses as PromQL" "0" "$RC"
assert_contains "...all $queries of them" "$OUT" "SUCCESS: $queries rules found"
show_err

# ---- names, types and labels against metrics.txt ---------------------------
# check-contract: every ctwarden_* name in the rules' expressions and
# annotations and in the dashboard's queries is in metrics.txt; every label a
# query selects, groups or matches on, every {{$labels.x}} of a rule and every
# {{x}} of a legend belongs to a metric it uses (or is instance/job, which
# Prometheus adds).
cat >"$CTW_TMP/check-contract.py" <<'EOF'
import json, re, sys, yaml

contract = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    f = line.split()
    contract[f[0]] = (f[1], [] if f[2] == "-" else f[2].split(","))
TARGET = {"instance", "job"}
bad = []

def names(text):
    return set(re.findall(r"\bctwarden_[a-z0-9_]+", text))

def labels_in(expr):
    got = set()
    for sel in re.findall(r"\{([^}]*)\}", expr):
        got |= set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", sel))
    for grp in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expr):
        got |= {x.strip() for x in grp.split(",") if x.strip()}
    return got

def check(where, expr, extra_text="", templ=()):
    used = names(expr) | names(extra_text)
    for n in sorted(used - contract.keys()):
        bad.append(f"{where}: {n} is not in metrics.txt")
    allowed = set(TARGET)
    for n in names(expr) & contract.keys():
        allowed |= set(contract[n][1])
    for l in sorted((labels_in(expr) | set(templ)) - allowed):
        bad.append(f"{where}: label {l} is not one of {sorted(allowed)}")

rules = yaml.safe_load(open(sys.argv[2]))
for g in rules["groups"]:
    for r in g["rules"]:
        text = " ".join(r.get("annotations", {}).values())
        templ = re.findall(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)", text)
        check("rule " + r["alert"], r["expr"], text, templ)

dash = json.load(open(sys.argv[3]))
for p in dash["panels"]:
    for t in p.get("targets", []):
        legend = re.findall(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", t.get("legendFormat", ""))
        check(f"panel {p['title']!r}", t["expr"], "", legend)
for a in dash["annotations"]["list"]:
    if "expr" in a:
        fmt = a.get("titleFormat", "") + a.get("textFormat", "")
        tl = re.findall(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", fmt)
        tl += [k.strip() for k in a.get("tagKeys", "").split(",") if k.strip()]
        check(f"annotation {a['name']!r}", a["expr"], "", tl)
for v in dash["templating"]["list"]:
    q = v.get("query")
    if isinstance(q, dict):
        q = q.get("query", "")
    if isinstance(q, str) and "label_values" in q:
        m = re.search(r"label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)\s*$", q)
        check(f"variable {v['name']!r}", m.group(1), "", [m.group(2)])

# An exposition (the audit's real output): TYPE and sample labels as in the contract.
if len(sys.argv) > 4:
    for path in sys.argv[4:]:
        types = {}
        for line in open(path):
            m = re.match(r"# TYPE (\S+) (\S+)$", line)
            if m:
                types[m.group(1)] = m.group(2)
                continue
            if line.startswith("#") or not line.strip():
                continue
            m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line.rstrip("\n"))
            if not m:
                bad.append(f"{path}: unparsed line {line!r}")
                continue
            name = m.group(1)
            if name not in contract:
                bad.append(f"{path}: {name} is not in metrics.txt")
                continue
            got = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"', m.group(3) or "")
            if got != contract[name][1]:
                bad.append(f"{path}: {name} has labels {got}, metrics.txt says {contract[name][1]}")
            if types.get(name) != contract[name][0]:
                bad.append(f"{path}: {name} has TYPE {types.get(name)}, metrics.txt says {contract[name][0]}")
print("\n".join(bad))
EOF

# Real output: the audit on every fixture tree.
printf '' >"$CTW_TMP/empty.conf"
chmod 600 "$CTW_TMP/empty.conf"
outs=()
for tree in "$ROOTS"/*/; do
	name=$(basename "$tree")
	"$CTWARDEN" -c "$CTW_TMP/empty.conf" audit --root "$tree" --format=prometheus >"$CTW_TMP/$name.prom" 2>/dev/null || true
	assert_contains "$name: the audit wrote metrics" "$(cat "$CTW_TMP/$name.prom")" "ctwarden_up 1"
	run promtool check metrics <"$CTW_TMP/$name.prom"
	assert_eq "$name: promtool check metrics is clean" "0 " "$RC $OUT$ERR"
	outs+=("$CTW_TMP/$name.prom")
done

run python3 "$CTW_TMP/check-contract.py" "$PROMDIR/metrics.txt" "$PROMDIR/ctwarden.rules.yml" "$dash" "${outs[@]}"
assert_eq "rules, dashboard and real output use only metrics.txt's names, types and labels" "" "$OUT$ERR"

# The checker itself catches a drift (a renamed metric, a foreign label).
# shellcheck disable=SC2016 # a Prometheus template, not shell
sed -e 's/ctwarden_conntrack_usage_ratio >= 0.90/ctwarden_conntrack_usage >= 0.90/' \
	-e 's/{{ \$labels.netns }}/{{ $labels.namespace }}/' "$PROMDIR/ctwarden.rules.yml" >"$CTW_TMP/drift.rules.yml"
jq '.panels[1].targets[0].legendFormat = "{{pod}}"' "$dash" >"$CTW_TMP/drift.json"
sed 's/^ctwarden_conntrack_entries{netns="host",netns_inode="0"}/ctwarden_conntrack_entries{netns="host"}/' \
	"$CTW_TMP/full-table.prom" >"$CTW_TMP/drift.prom"
run python3 "$CTW_TMP/check-contract.py" "$PROMDIR/metrics.txt" "$CTW_TMP/drift.rules.yml" "$CTW_TMP/drift.json" "$CTW_TMP/drift.prom"
assert_contains "a renamed metric in a rule is caught" "$OUT" "ctwarden_conntrack_usage is not in metrics.txt"
assert_contains "an unknown \$labels in a rule is caught" "$OUT" "label namespace is not one of"
assert_contains "an unknown legend label is caught" "$OUT" "label pod is not one of"
assert_contains "a sample missing a label is caught" "$OUT" "ctwarden_conntrack_entries has labels ['netns']"

# ---- the man page's METRICS against metrics.txt ------------------------------
# Every metric of the contract is described in ctwarden(8), METRICS, with its
# labels and type, and the man page describes no other: an entry is
# .BR name [", " name2] "{labels} type" (the braces left out when none);
# a metric only mentioned in the text does not count as described.
cat >"$CTW_TMP/check-man.py" <<'EOF'
import re, sys
contract = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    f = line.split()
    contract[f[0]] = (f[1], "" if f[2] == "-" else f[2])
man, on = {}, False
for line in open(sys.argv[2]):
    if line.startswith(".SH"):
        on = line.strip() == ".SH METRICS"
        continue
    if not on or not line.startswith(".BR ctwarden_"):
        continue
    words = [a or b for a, b in re.findall(r'"([^"]*)"|(\S+)', line[4:])]
    names = [w for w in words if w.startswith("ctwarden_")]
    m = re.match(r'^\s*(?:\{([^}]*)\})?\s*(gauge|counter)\s*$', words[-1])
    if not m:
        continue  # a mention in the text (".BR ctwarden_up )."), not an entry
    for n in names:
        man[n] = (m.group(2), m.group(1) or "")
for n in sorted(contract.keys() - man.keys()):
    print(f"{n} is in metrics.txt but not in ctwarden(8), METRICS")
for n in sorted(man.keys() - contract.keys()):
    print(f"{n} is in ctwarden(8), METRICS, but not in metrics.txt")
for n in sorted(contract.keys() & man.keys()):
    if contract[n] != man[n]:
        print(f"{n}: metrics.txt says {contract[n]}, ctwarden(8) says {man[n]}")
EOF
MAN8=${MANDIR:-$CTW_SRCDIR/man}/ctwarden.8
run python3 "$CTW_TMP/check-man.py" "$PROMDIR/metrics.txt" "$MAN8"
assert_eq "ctwarden(8) METRICS lists metrics.txt's names, labels and types, and no other" "" "$OUT$ERR"
sed -e 's/^\.BR ctwarden_http_connections " gauge"/.BR ctwarden_http_connections " counter"/' \
	-e '/^\.BR ctwarden_limit_reached /d' "$MAN8" >"$CTW_TMP/drift.8"
run python3 "$CTW_TMP/check-man.py" "$PROMDIR/metrics.txt" "$CTW_TMP/drift.8"
assert_contains "the man check catches a missing metric" "$OUT" "ctwarden_limit_reached is in metrics.txt but not in ctwarden(8)"
assert_contains "...and a wrong type" "$OUT" "ctwarden_http_connections: metrics.txt says ('gauge', ''), ctwarden(8) says ('counter', '')"
finish
