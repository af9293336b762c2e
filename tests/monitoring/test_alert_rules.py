"""The alert rules (issue 6 points 2 and 3): promtool check rules, promtool test rules, and
the properties every alert must have: a `for`, a `severity`, a summary and a description, and a
runbook_url whose section of docs/runbooks.md exists and says what to do; plus a promtool unit
test in which each alert fires and one in which it stays silent.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict

import pytest
import yaml

from kube9_monitoring import (
    PER_SHARD_FAMILIES,
    PROMTOOL,
    MONITORING_DOC,
    RULES_FILE,
    RULES_SHARDED_TEST_FILE,
    RULES_TEST_FILE,
    RUNBOOK_BASE,
    SHARD_LABELS,
    known_metrics,
    metric_selectors,
    runbook_sections,
    sharded_family_rows,
    unsummed_shares,
)

SEVERITIES = {"critical", "warning"}
# The alerts the issue asks for, by what they watch.
REQUIRED = {
    "Kube9OperatorDown", "Kube9OperatorAbsent", "Kube9OperatorStatusStale", "Kube9OperatorNotReady",
    "Kube9OperatorWatchErrors", "Kube9OperatorRelistsSustained", "Kube9OperatorRegistrationRejected",
    "Kube9OperatorRegistrationFailing", "Kube9OperatorUploadsFailing", "Kube9OperatorSpoolFilling",
    "Kube9NodesNotReady", "Kube9PodsCrashLooping", "Kube9ImagePullFailures", "Kube9ContainersOOMKilled",
    "Kube9WorkloadReplicasUnavailable", "Kube9PVCsPending", "Kube9JobsFailed", "Kube9HealthScoreLow",
}
DURATION_RE = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


def alert_rules() -> list[dict]:
    doc = yaml.safe_load(RULES_FILE.read_text())
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


ALERTS = alert_rules()
ALERT_NAMES = sorted({r["alert"] for r in ALERTS})


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120)


def test_promtool_check_rules():
    out = promtool("check", "rules", str(RULES_FILE))
    assert out.returncode == 0, f"promtool check rules:\n{out.stdout}{out.stderr}"
    assert f"SUCCESS: {sum(1 for _ in ALERTS)} rules found" in out.stdout, out.stdout


@pytest.mark.parametrize("test_file", [RULES_TEST_FILE, RULES_SHARDED_TEST_FILE], ids=["one-instance", "3-shards"])
def test_promtool_unit_tests_pass(test_file):
    out = promtool("test", "rules", str(test_file))
    assert out.returncode == 0 and "SUCCESS" in out.stdout, f"promtool test rules:\n{out.stdout}{out.stderr}"


def test_the_issues_alerts_exist():
    assert REQUIRED <= set(ALERT_NAMES), f"missing: {sorted(REQUIRED - set(ALERT_NAMES))}"


@pytest.mark.parametrize("rule", ALERTS, ids=[f"{r['alert']}-{r['labels'].get('severity')}" for r in ALERTS])
def test_alert_has_for_severity_annotations_and_runbook(rule):
    name = rule["alert"]
    assert DURATION_RE.match(str(rule.get("for", ""))) and not re.fullmatch(r"0+\w+", str(rule["for"])), (
        f"{name}: `for` {rule.get('for')!r} must be a non-zero duration")
    assert rule.get("labels", {}).get("severity") in SEVERITIES, f"{name}: severity {rule.get('labels')}"
    ann = rule.get("annotations") or {}
    assert len(ann.get("summary", "").strip()) >= 10, f"{name}: summary"
    assert len(ann.get("description", "").strip()) >= 30, f"{name}: description"
    url = ann.get("runbook_url", "")
    assert url.startswith(RUNBOOK_BASE), f"{name}: runbook_url {url!r} must start with {RUNBOOK_BASE}"
    anchor = url[len(RUNBOOK_BASE):]
    assert anchor == name.lower(), f"{name}: runbook anchor {anchor!r}, want {name.lower()!r}"
    sections = runbook_sections()
    assert anchor in sections, f"{name}: docs/runbooks.md has no heading for #{anchor}"
    body = sections[anchor]
    assert "**Meaning.**" in body and "**What to do.**" in body, f"{name}: runbook section lacks Meaning / What to do"
    assert len(body.split("**What to do.**", 1)[1].split()) >= 25, f"{name}: runbook's 'What to do' is too thin"


def test_alert_exprs_use_known_metrics():
    known = known_metrics()
    unknown = [(r["alert"], n) for r in ALERTS for n, _ in metric_selectors(r["expr"]) if n not in known]
    assert not unknown, unknown


def test_every_runbook_alert_section_belongs_to_an_alert():
    alert_anchors = {n.lower() for n in ALERT_NAMES}
    # Alert sections are headed by the alert's name alone (anchor `kube9...`, no hyphen).
    orphans = [a for a in runbook_sections() if re.fullmatch(r"kube9[a-z0-9]+", a) and a not in alert_anchors]
    assert not orphans, f"runbook sections without an alert: {orphans}"


def test_every_alert_fires_and_stays_silent_in_the_unit_tests():
    doc = yaml.safe_load(RULES_TEST_FILE.read_text())
    assert doc["rule_files"] == ["../kube9-operator.rules.yml"], doc["rule_files"]
    fires: dict[str, int] = defaultdict(int)
    silent: dict[str, int] = defaultdict(int)
    severities: dict[str, set] = defaultdict(set)
    for group in doc["tests"]:
        for case in group.get("alert_rule_test", []):
            name = case["alertname"]
            assert name in ALERT_NAMES, f"test {group.get('name')!r} checks unknown alert {name!r} (a typo passes silently)"
            if case.get("exp_alerts"):
                fires[name] += 1
                for a in case["exp_alerts"]:
                    severities[name].add(a.get("exp_labels", {}).get("severity"))
                    assert a.get("exp_annotations", {}).get("runbook_url"), f"{name}: fired alert without annotations"
            else:
                silent[name] += 1
    problems = [f"{n}: no case where it fires" for n in ALERT_NAMES if not fires[n]]
    problems += [f"{n}: no case where it stays silent" for n in ALERT_NAMES if not silent[n]]
    # An alert with several rules (one per severity) is tested at each severity.
    for name in ALERT_NAMES:
        want = {r["labels"]["severity"] for r in ALERTS if r["alert"] == name}
        if not want <= severities[name]:
            problems.append(f"{name}: severities {sorted(want - severities[name])} never fire in a test")
    assert not problems, "\n".join(problems)


def test_docs_list_every_alert_with_its_severity_and_for():
    documented = {}
    for line in MONITORING_DOC.read_text().splitlines():
        m = re.match(r"^\| `(Kube9\w+)` \| ([a-z, ]+) \| (\w+) \|", line)
        if m:
            documented[m.group(1)] = ({s.strip() for s in m.group(2).split(",")}, m.group(3))
    actual = {}
    for r in ALERTS:
        sev, fors = actual.setdefault(r["alert"], (set(), set()))
        sev.add(r["labels"]["severity"])
        fors.add(r["for"])
    assert set(documented) == set(actual), (
        f"docs/monitoring.md table vs rules: missing {sorted(set(actual) - set(documented))}, "
        f"extra {sorted(set(documented) - set(actual))}")
    wrong = [(n, documented[n], actual[n]) for n in actual
             if documented[n][0] != actual[n][0] or {documented[n][1]} != actual[n][1]]
    assert not wrong, f"docs/monitoring.md rows that disagree with the rules (docs, rules): {wrong}"


# --- sharding (docs/monitoring.md "With sharding") ----------------------------------------------


def test_per_shard_families_are_the_shares_the_sharding_doc_lists():
    """The families the checks below treat as per-shard shares are exactly the kube9_* rows of
    docs/ksm-compatibility.md's sharding table that are neither shard 0's nor about the shard
    itself: a new share documented there is checked here too."""
    rows = sharded_family_rows()
    shares = {name for name, what in rows.items()
              if name.startswith("kube9_") and "*" not in name
              and "shard 0 only" not in what and "about itself" not in what}
    assert shares == PER_SHARD_FAMILIES, (
        f"documented shares {sorted(shares)} vs PER_SHARD_FAMILIES {sorted(PER_SHARD_FAMILIES)}")


@pytest.mark.parametrize("expr, problem", [
    ('kube9_pods{job=~"$job"} > 0', "not aggregated"),
    ("count(kube9_health_check_affected > 0)", "count of the per-shard shares"),
    ("max by (namespace) (kube9_pvcs)", "max of the per-shard shares"),
    ("topk(5, kube9_resource_requests)", "topk of the per-shard shares"),
    ("sum without (instance) (kube9_jobs) > 0", "keeps ['pod']"),
    ("sum by (instance, namespace) (kube9_pods)", "keeps the shards apart"),
    ("sum(kube9_pods) by (pod)", "keeps the shards apart"),
    ('kube9_health_score < 80 and on (job) kube9_nodes{ready="false"} > 0', "kube9_nodes: not aggregated"),
])
def test_the_share_check_catches_a_share_that_is_not_summed(expr, problem):
    problems = unsummed_shares(expr)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize("expr", [
    "sum without (instance, pod, ready) (kube9_nodes{ready!=\"true\"}) > 0",
    "count(sum by (check) (kube9_health_check_affected) > 0) or vector(0)",
    "topk(10, sum by (namespace) (kube9_resource_requests{resource=\"cpu\"}))",
    "sum(kube9_pods) by (phase) / (sum(kube9_node_allocatable) > 0)",
    "kube9_health_score < 80",
])
def test_the_share_check_accepts_summed_shares(expr):
    assert unsummed_shares(expr) == []


def test_rules_sum_the_per_shard_shares_before_comparing():
    """Sharded, a rule on a bare share would fire once per shard with that shard's part of the
    count; each must sum over the shards first (and so fire once, with the cluster's value)."""
    problems = [f"{r['alert']} ({r['labels']['severity']}): {p}" for r in ALERTS for p in unsummed_shares(r["expr"])]
    assert not problems, "\n".join(problems)


def alerts_on_shares() -> list[str]:
    return sorted({r["alert"] for r in ALERTS if any(n in PER_SHARD_FAMILIES for n, _ in metric_selectors(r["expr"]))})


def test_every_alert_on_shares_fires_once_from_3_shards_in_the_sharded_tests():
    """For each alert that reads a per-shard family, the 3-shard unit tests have a case whose
    input splits that family over 3 instances and in which the alert fires, without the labels
    that tell shards apart (promtool itself checks that there is exactly that one alert)."""
    doc = yaml.safe_load(RULES_SHARDED_TEST_FILE.read_text())
    assert doc["rule_files"] == ["../kube9-operator.rules.yml"], doc["rule_files"]
    on_shares = alerts_on_shares()
    assert len(on_shares) >= 8, on_shares  # the cluster health alerts
    proven: set[str] = set()
    problems = []
    for group in doc["tests"]:
        instances: dict[str, set[str]] = defaultdict(set)
        for s in group["input_series"]:
            for name, matchers in metric_selectors(s["series"]):
                m = re.search(r'instance="([^"]+)"', matchers)
                if m:
                    instances[name].add(m.group(1))
        for case in group.get("alert_rule_test", []):
            name = case["alertname"]
            assert name in ALERT_NAMES, f"test {group['name']!r} checks unknown alert {name!r}"
            if name not in on_shares or not case.get("exp_alerts"):
                continue
            families = {n for r in ALERTS if r["alert"] == name for n, _ in metric_selectors(r["expr"])
                        if n in PER_SHARD_FAMILIES}
            if not any(len(instances[f]) >= 3 for f in families):
                problems.append(f"{name} in {group['name']!r}: its input is not split over 3 shards")
                continue
            for a in case["exp_alerts"]:
                kept = set(a.get("exp_labels", {})) & set(SHARD_LABELS)
                if kept:
                    problems.append(f"{name} in {group['name']!r}: fires with {sorted(kept)}, once per shard")
            proven.add(name)
    problems += [f"{n}: no 3-shard case where it fires" for n in on_shares if n not in proven]
    assert not problems, "\n".join(problems)
