"""Lint of dashboards/*.json (issue 6 point 1): Grafana 10+ JSON, a `datasource` template
variable and no hard-coded datasource UID, unique panel ids, a unit and a description on every
panel, queries on documented metrics that filter by the template variables and parse as PromQL
(promtool), and that sum the per-shard families so that 3 shards show what one instance shows
(promtool). Their evaluation against a real Prometheus is tests/integration/test_monitoring_e2e.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from kube9_monitoring import (
    NAMESPACED_FAMILIES,
    PER_SHARD_FAMILIES,
    PROMTOOL,
    all_panels,
    dashboard_files,
    known_metrics,
    load_dashboard,
    metric_selectors,
    query_panels,
    substitute,
    unsummed_shares,
    variable_query,
    variables_used,
)

DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}
# Grafana's own annotation source ("Annotations & Alerts"), not a datasource of the user's.
BUILTIN_ANNOTATIONS_REF = {"type": "grafana", "uid": "-- Grafana --"}
# Unit ids from Grafana's value formats (packages/grafana-data/src/valueFormats/categories.ts)
# that suit these dashboards; custom units use Grafana's `suffix:` / `prefix:` forms.
GRAFANA_UNITS = {
    "none", "short", "string", "percent", "percentunit", "locale", "bytes", "decbytes", "Bps", "s", "ms",
    "dtdurations", "dateTimeFromNow", "dateTimeAsIso", "cps", "ops", "reqps", "wps", "cpm", "opm", "wpm",
}
CUSTOM_UNIT_RE = re.compile(r"^(suffix|prefix|count):.+$")
GRAFANA_BUILTIN_VARIABLES = {"__rate_interval", "__interval", "__range", "__interval_ms", "__range_s"}
EXPECTED = {"kube9-cluster-health.json", "kube9-operator.json"}

DASHBOARDS = dashboard_files()
IDS = [p.name for p in DASHBOARDS]


def test_both_dashboards_exist():
    assert {p.name for p in DASHBOARDS} >= EXPECTED, DASHBOARDS


def test_uids_and_titles_are_unique_across_dashboards():
    docs = [load_dashboard(p) for p in DASHBOARDS]
    uids = [d.get("uid") for d in docs]
    titles = [d.get("title") for d in docs]
    assert len(set(uids)) == len(uids), uids
    assert len(set(titles)) == len(titles), titles


@pytest.fixture(params=DASHBOARDS, ids=IDS)
def dashboard(request) -> tuple[Path, dict]:
    path: Path = request.param
    return path, load_dashboard(path)


def test_top_level_fields(dashboard):
    path, d = dashboard
    assert d.get("schemaVersion", 0) >= 38, f"{path.name}: schemaVersion {d.get('schemaVersion')} is older than Grafana 10"
    assert isinstance(d.get("title"), str) and d["title"].startswith("kube9 / "), d.get("title")
    assert re.fullmatch(r"[a-z0-9-]{1,40}", d.get("uid", "")), f"uid {d.get('uid')!r}: stable, at most 40 chars"
    assert d.get("id") is None, "a provisioned dashboard must not carry a database id"
    assert "kube9" in d.get("tags", []), "tag kube9 (the dashboards link to each other by it)"
    assert d.get("description"), "dashboard description"
    assert "__inputs" not in d and "__requires" not in d, "export-for-sharing inputs pin a datasource"
    assert isinstance(d.get("panels"), list) and d["panels"]


def test_datasource_variable_and_no_hard_coded_datasource(dashboard):
    path, d = dashboard
    variables = d["templating"]["list"]
    ds = [v for v in variables if v.get("name") == "datasource"]
    assert len(ds) == 1 and ds[0]["type"] == "datasource" and ds[0]["query"] == "prometheus", ds

    bad: list[str] = []

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "datasource" and not (node is ds[0]):
                    if value not in (DATASOURCE_REF, BUILTIN_ANNOTATIONS_REF):
                        bad.append(f"{where}.datasource = {value!r}")
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}[{i}]")
        elif isinstance(node, str) and "${DS_" in node:
            bad.append(f"{where} = {node!r}")

    walk(d, path.name)
    assert not bad, "datasources must be the ${datasource} variable:\n" + "\n".join(bad)

    # Every panel and every query names the datasource variable explicitly.
    for p in query_panels(d):
        assert p.get("datasource") == DATASOURCE_REF, f"panel {p.get('title')!r}: {p.get('datasource')!r}"
        for t in p.get("targets", []):
            assert t.get("datasource") == DATASOURCE_REF, f"panel {p.get('title')!r} target {t.get('refId')}"
    for v in variables:
        if v.get("type") == "query":
            assert v.get("datasource") == DATASOURCE_REF, f"variable {v['name']}: {v.get('datasource')!r}"


def test_panel_ids_unique_and_layout_fits(dashboard):
    path, d = dashboard
    ids = [p.get("id") for p in all_panels(d)]
    assert all(isinstance(i, int) and i > 0 for i in ids), ids
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"{path.name}: duplicate panel ids {dupes}"

    cells: dict[tuple[int, int], str] = {}
    for p in all_panels(d):
        g = p.get("gridPos") or {}
        x, y, w, h = g.get("x"), g.get("y"), g.get("w"), g.get("h")
        assert all(isinstance(v, int) for v in (x, y, w, h)), f"panel {p.get('title')!r} gridPos {g}"
        assert 0 <= x and 0 < w and x + w <= 24 and 0 <= y and 0 < h, f"panel {p.get('title')!r} gridPos {g}"
        for cx in range(x, x + w):
            for cy in range(y, y + h):
                other = cells.get((cx, cy))
                assert other is None, f"panels {other!r} and {p.get('title')!r} overlap at ({cx}, {cy})"
                cells[(cx, cy)] = p.get("title")


def test_every_panel_has_title_description_unit_and_queries(dashboard):
    path, d = dashboard
    problems = []
    titles = [p.get("title") for p in query_panels(d)]
    problems += [f"duplicate title {t!r}" for t in sorted({t for t in titles if titles.count(t) > 1})]
    for p in query_panels(d):
        title = p.get("title")
        if not title:
            problems.append(f"panel id {p.get('id')} has no title")
        if len((p.get("description") or "").strip()) < 20:
            problems.append(f"{title!r}: description missing or too short")
        unit = ((p.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
        if not unit or not (unit in GRAFANA_UNITS or CUSTOM_UNIT_RE.match(unit)):
            problems.append(f"{title!r}: unit {unit!r} is not a Grafana unit id")
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"{title!r}: no queries")
        ref_ids = [t.get("refId") for t in targets]
        if len(set(ref_ids)) != len(ref_ids) or not all(ref_ids):
            problems.append(f"{title!r}: refIds {ref_ids}")
        for t in targets:
            if not (t.get("expr") or "").strip():
                problems.append(f"{title!r} {t.get('refId')}: empty expr")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_queries_use_documented_metrics_and_defined_variables(dashboard):
    path, d = dashboard
    known = known_metrics()
    defined = {v["name"] for v in d["templating"]["list"]} | GRAFANA_BUILTIN_VARIABLES
    problems = []
    for p in query_panels(d):
        for t in p["targets"]:
            expr = t["expr"]
            for name, matchers in metric_selectors(expr):
                if name not in known:
                    problems.append(f"{p['title']!r}: unknown metric {name}")
                if 'job=~"$job"' not in matchers:
                    problems.append(f"{p['title']!r}: {name}{matchers} does not filter on job=~\"$job\"")
            if not metric_selectors(expr):
                problems.append(f"{p['title']!r}: no metric in {expr!r}")
            undefined = variables_used(expr) - defined
            if undefined:
                problems.append(f"{p['title']!r}: undefined variables {sorted(undefined)}")
    for v in d["templating"]["list"]:
        if v.get("type") != "query":
            continue
        parsed = variable_query(v)
        if parsed is None:
            problems.append(f"variable {v['name']}: not a label_values(selector, label) query")
            continue
        for name, _ in metric_selectors(parsed[0]):
            if name not in known:
                problems.append(f"variable {v['name']}: unknown metric {name}")
        undefined = variables_used(parsed[0]) - defined
        if undefined:
            problems.append(f"variable {v['name']}: undefined variables {sorted(undefined)}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_cluster_dashboard_filters_every_namespaced_family_by_namespace():
    d = load_dashboard(next(p for p in DASHBOARDS if p.name == "kube9-cluster-health.json"))
    ns = [v for v in d["templating"]["list"] if v["name"] == "namespace"]
    assert ns and ns[0]["multi"] and ns[0]["includeAll"] and ns[0].get("allValue") == ".*", ns
    missing = [
        f"{p['title']!r}: {name}{matchers}"
        for p in query_panels(d) for t in p["targets"] for name, matchers in metric_selectors(t["expr"])
        if name in NAMESPACED_FAMILIES and 'namespace=~"$namespace"' not in matchers
    ]
    assert not missing, "per-namespace families without the namespace filter:\n" + "\n".join(missing)
    covered = {name for p in query_panels(d) for t in p["targets"] for name, _ in metric_selectors(t["expr"])}
    # The list: health, nodes, pods, waiting, restarts, OOM, workloads, requests/limits
    # against allocatable, PVCs, jobs.
    wanted = NAMESPACED_FAMILIES | {"kube9_health_score", "kube9_health_check_affected", "kube9_nodes",
                                    "kube9_node_allocatable", "kube9_node_conditions", "kube9_cluster_info"}
    assert wanted <= covered, f"families without a panel: {sorted(wanted - covered)}"


def test_queries_sum_the_per_shard_shares(dashboard):
    """Sharded (docs/monitoring.md "With sharding"), every shard exports its share of the
    cluster families: a panel that shows them without summing over the shards draws one line
    per shard, or one shard's part as if it were the cluster's value."""
    path, d = dashboard
    problems = [f"{p['title']!r} {t['refId']}: {problem}"
                for p in query_panels(d) for t in p["targets"] for problem in unsummed_shares(t["expr"])]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_operator_dashboard_covers_the_self_metrics():
    d = load_dashboard(next(p for p in DASHBOARDS if p.name == "kube9-operator.json"))
    covered = {name.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
               for p in query_panels(d) for t in p["targets"] for name, _ in metric_selectors(t["expr"])}
    wanted = {
        "up", "kube9_operator_ready", "kube9_operator_build_info", "kube9_operator_scrape_duration_seconds",
        "kube9_operator_status_writes_total", "kube9_operator_status_last_success_timestamp_seconds",
        "kube9_operator_kubernetes_api_requests_total", "kube9_operator_kubernetes_api_errors_total",
        "kube9_operator_watch_events_total", "kube9_operator_relists_total",
        "kube9_operator_last_sync_timestamp_seconds", "kube9_operator_store_objects",
        "kube9_operator_registration_state", "kube9_operator_registration_attempts_total",
        "kube9_operator_uploads_total", "kube9_operator_upload_bytes_total", "kube9_operator_upload_retries_total",
        "kube9_operator_upload_drops_total", "kube9_operator_spool_bytes", "kube9_operator_spool_max_bytes",
        "kube9_operator_spool_items", "process_resident_memory_bytes", "process_cpu_seconds_total",
        "process_open_fds", "process_start_time_seconds",
    }
    assert wanted <= covered, f"self metrics without a panel: {sorted(wanted - covered)}"


def test_every_query_parses_as_promql(tmp_path):
    """promtool parses each query (variables interpolated as Grafana would) as a recording rule."""
    values = {"job": "kube9-operator", "namespace": ".*", "__rate_interval": "1m", "__interval": "15s",
              "__range": "1h"}
    lines = ["groups:", "  - name: dashboard-queries", "    rules:"]
    for path in DASHBOARDS:
        for p in query_panels(load_dashboard(path)):
            for t in p["targets"]:
                lines.append(f"      - record: q:{p['id']}:{t['refId']}")
                lines.append(f"        expr: {json.dumps(substitute(t['expr'], values))}")
    rules = tmp_path / "queries.yml"
    rules.write_text("\n".join(lines) + "\n")
    out = subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"promtool check rules on the dashboard queries:\n{out.stdout}{out.stderr}"


# --- one instance and 3 shards show the same (docs/monitoring.md "With sharding") ---------------

# A cluster as one instance exports it: family -> [(labels, value)]. Values are multiples of
# 1/4, so that the shards' parts add up exactly.
CLUSTER_SAMPLE: dict[str, list[tuple[dict[str, str], float]]] = {
    "kube9_nodes": [({"ready": "true"}, 4), ({"ready": "false"}, 1), ({"ready": "unknown"}, 1)],
    "kube9_node_conditions": [
        ({"condition": c, "status": s}, v) for c, s, v in (
            ("Ready", "True", 4), ("Ready", "False", 1), ("Ready", "Unknown", 1), ("MemoryPressure", "True", 2),
            ("MemoryPressure", "False", 4), ("DiskPressure", "True", 0), ("DiskPressure", "False", 6))],
    "kube9_node_allocatable": [({"resource": "cpu"}, 16), ({"resource": "memory"}, 64 * 2**30)],
    "kube9_pods": [({"namespace": ns, "phase": ph}, v) for ns, counts in (
        ("shop", {"Pending": 3, "Running": 7, "Succeeded": 1, "Failed": 1, "Unknown": 0}),
        ("batch", {"Pending": 1, "Running": 3, "Succeeded": 4, "Failed": 0, "Unknown": 0})) for ph, v in counts.items()],
    "kube9_containers_waiting": [({"namespace": "shop", "reason": "CrashLoopBackOff"}, 3),
                                 ({"namespace": "shop", "reason": "ImagePullBackOff"}, 2),
                                 ({"namespace": "batch", "reason": "ContainerCreating"}, 4)],
    "kube9_container_restarts": [({"namespace": "shop"}, 17), ({"namespace": "batch"}, 5)],
    "kube9_containers_oom_killed": [({"namespace": "shop"}, 3), ({"namespace": "batch"}, 0)],
    "kube9_resource_requests": [({"namespace": "shop", "resource": "cpu"}, 3.5),
                                ({"namespace": "shop", "resource": "memory"}, 8 * 2**30),
                                ({"namespace": "batch", "resource": "cpu"}, 1.25),
                                ({"namespace": "batch", "resource": "memory"}, 2 * 2**30)],
    "kube9_resource_limits": [({"namespace": "shop", "resource": "cpu"}, 6),
                              ({"namespace": "shop", "resource": "memory"}, 12 * 2**30),
                              ({"namespace": "batch", "resource": "cpu"}, 2),
                              ({"namespace": "batch", "resource": "memory"}, 4 * 2**30)],
    "kube9_workload_replicas": [
        ({"namespace": ns, "kind": kind, "workload": w, "state": st}, v)
        for ns, kind, w, states in (("shop", "Deployment", "web", (3, 2, 2, 1)), ("shop", "StatefulSet", "db", (3, 3, 3, 0)),
                                    ("batch", "DaemonSet", "agent", (6, 4, 4, 2)))
        for st, v in zip(("desired", "ready", "available", "unavailable"), states)],
    "kube9_pvcs": [({"namespace": ns, "phase": ph}, v) for ns, counts in (
        ("shop", {"Pending": 2, "Bound": 5, "Lost": 0}), ("batch", {"Pending": 0, "Bound": 1, "Lost": 1}))
        for ph, v in counts.items()],
    "kube9_jobs": [({"namespace": ns, "state": st}, v) for ns, counts in (
        ("shop", {"active": 1, "succeeded": 4, "failed": 3}), ("batch", {"active": 2, "succeeded": 0, "failed": 0}))
        for st, v in counts.items()],
    "kube9_health_check_affected": [({"check": c, "severity": sev}, v) for c, sev, v in (
        ("pods_pending_too_long", "warning", 3), ("nodes_not_ready", "critical", 2), ("pvcs_pending", "warning", 2),
        ("deployments_unavailable", "warning", 0))],
}
SHARDS = [("10.0.1.10:8080", "kube9-operator-0"), ("10.0.1.11:8080", "kube9-operator-1"),
          ("10.0.1.12:8080", "kube9-operator-2")]


def split(value: float) -> list[float]:
    """The value in 3 unequal parts: whole numbers for a count, else quarters (exact in binary)."""
    unit = 1 if value == int(value) else 4
    q = round(value * unit)
    assert q == value * unit, value
    parts = [q // 2, q // 4]
    return [x / unit for x in (parts[0], parts[1], q - parts[0] - parts[1])]


def series_line(name: str, labels: dict[str, str], value: float) -> str:
    body = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"      - series: '{name}{{{body}}}'\n        values: '{float(value)!r}x10'"


def sample_series() -> list[str]:
    """The sample as one instance (job one) and as 3 shards (job sharded), each shard with its
    part: a workload on one shard (by its index), the other families split over the shards,
    every shard writing every series (containers_waiting: only its non-zero ones)."""
    lines = []
    for name, rows in CLUSTER_SAMPLE.items():
        for i, (labels, value) in enumerate(rows):
            lines.append(series_line(name, {"job": "one", "instance": "10.0.0.1:8080", "pod": "kube9-operator-abc",
                                            **labels}, value))
            if name == "kube9_workload_replicas":
                parts = [0.0] * len(SHARDS)
                parts[(i // 4) % len(SHARDS)] = value  # 4 states per workload
            else:
                parts = split(value)
            for (instance, pod), part in zip(SHARDS, parts):
                if name == "kube9_workload_replicas" and (i // 4) % len(SHARDS) != SHARDS.index((instance, pod)):
                    continue
                if name == "kube9_containers_waiting" and part == 0:
                    continue
                lines.append(series_line(name, {"job": "sharded", "instance": instance, "pod": pod, **labels}, part))
    return lines


def share_queries() -> list[tuple[str, str]]:
    """(name, expr) of every panel query that reads a per-shard family."""
    out = []
    for path in DASHBOARDS:
        for p in query_panels(load_dashboard(path)):
            for t in p["targets"]:
                if any(n in PER_SHARD_FAMILIES for n, _ in metric_selectors(t["expr"])):
                    out.append((f"{path.stem} / {p['title']} {t['refId']}", t["expr"]))
    return out


def run_same_as_one_instance(tmp_path: Path, queries: list[tuple[str, str]]) -> subprocess.CompletedProcess:
    """promtool test rules: for each query, its result over job `one` equals its result over
    job `sharded` (same label sets, ignoring job, and same values), and is not empty."""
    values = {"namespace": ".*", "__rate_interval": "1m", "__interval": "15s", "__range": "1h"}
    lines = ["rule_files: []", "evaluation_interval: 1m", "tests:", "  - name: one instance and 3 shards",
             "    interval: 1m", "    input_series:", *sample_series(), "    promql_expr_test:"]
    for name, expr in queries:
        one = f"({substitute(expr, {**values, 'job': 'one'})})"
        sharded = f"({substitute(expr, {**values, 'job': 'sharded'})})"
        differ = f"({one} != ignoring (job) {sharded}) or ({one} unless ignoring (job) {sharded}) " \
                 f"or ({sharded} unless ignoring (job) {one})"
        lines += [f"      # {name}", "      - eval_time: 5m", f"        expr: {json.dumps(differ)}",
                  "        exp_samples: []",
                  f"      # {name}: not empty", "      - eval_time: 5m", f"        expr: {json.dumps(f'absent({one})')}",
                  "        exp_samples: []"]
    test_file = tmp_path / "sharded-dashboards.test.yml"
    test_file.write_text("\n".join(lines) + "\n")
    return subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True, timeout=120)


def test_the_sample_is_split_over_the_shards():
    """Not vacuous: for every per-shard family, some series has no shard holding all of it."""
    assert set(CLUSTER_SAMPLE) == PER_SHARD_FAMILIES
    text = "\n".join(sample_series())
    for name, rows in CLUSTER_SAMPLE.items():
        if name == "kube9_workload_replicas":
            shards = {m for m in re.findall(rf'{name}{{job="sharded", instance="([^"]+)"', text)}
            assert len(shards) == len(SHARDS), f"{name}: workloads on {shards}"
        else:
            assert any(max(split(v)) < v for _, v in rows), name


def test_panels_over_shares_show_for_3_shards_what_they_show_for_one_instance(tmp_path):
    """Every panel query that reads a per-shard family gives, over 3 shards' series, exactly the
    series and values it gives over one instance's: the sum over the shards is in the query."""
    queries = share_queries()
    assert len(queries) >= 25, queries
    out = run_same_as_one_instance(tmp_path, queries)
    assert out.returncode == 0, f"promtool test rules:\n{out.stdout[-6000:]}{out.stderr}"


@pytest.mark.parametrize("expr", [
    'kube9_node_conditions{job=~"$job", status="True"}',
    'max by (check) (kube9_health_check_affected{job=~"$job"})',
    'count(kube9_health_check_affected{job=~"$job"} > 0) or vector(0)',
    'kube9_workload_replicas{job=~"$job", state="unavailable"} > 0',
])
def test_the_comparison_fails_for_a_query_that_does_not_sum_the_shares(tmp_path, expr):
    out = run_same_as_one_instance(tmp_path, [("unsummed", expr)])
    assert out.returncode != 0, f"{expr} passed as if it summed over the shards:\n{out.stdout}"
