"""Dashboards and alert rules end to end (issue 6 point 3): the local control plane with a
sample workload that fails in every way the cluster health alerts know, the real operator, and
a real Prometheus scraping it with alerts/kube9-operator.rules.yml loaded. Through Prometheus'
HTTP API:

- every panel query of dashboards/*.json (template variables interpolated as Grafana does,
  the namespace filter set to the sample's namespace) evaluates without error, as a range query
  or an instant query as the panel asks; the panels that the sample must show are not empty;
- every variable query returns the values the dashboards need;
- every alert rule evaluates without error, the alerts of the failing sample are pending or
  firing with its labels, and the operator alerts stay silent;
- with two Pro tier operators against the fake kube9-server, one with a wrong API key: the Pro
  tier panels show registration, collections, uploads and the spool, the wrong key raises
  Kube9OperatorRegistrationRejected for its instance only, and the other Pro tier alerts stay
  silent (skipped while the binary has no upload sink, as in test_pro_tier.py);
- with 3 shards of the operator as 3 targets of the job: each alert of the sample is active
  once, the cluster health ones without a shard's label and with the cluster's count.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

import pytest

import gitops_crds
from conftest import REPO_ROOT, api_request, clean_env, parse_metrics, random_namespace, run, wait_for
from test_cluster_metrics import (
    RUNNING,
    container,
    cstatus,
    job_condition,
    make_job,
    make_node,
    make_pod,
    make_pvc,
    make_workload,
    now_rfc3339,
    terminated,
    waiting,
)

sys.path.insert(0, str(REPO_ROOT / "tests" / "monitoring"))
from kube9_monitoring import (  # noqa: E402
    PROMETHEUS,
    RULES_FILE,
    SCRAPE_JOB,
    Prometheus,
    PrometheusError,
    dashboard_files,
    load_dashboard,
    metric_selectors,
    query_panels,
    rules_with_for,
    substitute,
    variable_query,
)

# Grafana's $__rate_interval for a 1 s scrape interval is 4 s (four scrape intervals).
RATE_INTERVAL = "4s"
RANGE_SECONDS, RANGE_STEP = 30, 2

# The operator dashboard's panels that must show data with a free-tier operator (no API key):
# everything but the Pro tier row and the error panels (no errors in a healthy run).
OPERATOR_PANELS_WITH_DATA = {
    "Up", "Version", "Uptime", "Status age", "Scrape duration", "Status writes", "Status age over time",
    "API requests by code", "API requests by verb and resource", "Watch events", "Relists in the last hour",
    "Time since last LIST", "Objects in stores", "Resident memory", "CPU", "File descriptors",
}
# Panels that may stay empty even when the operator exports all their metrics, and why.
MAY_BE_EMPTY = {
    ("kube9-operator", "Time since last successful collection"):
        "only types that have succeeded once are shown; right after start none has",
    ("kube9-operator", "Registration"): "shows the current state only while an API key is configured",
    ("kube9-cluster-health", "Assessment checks not passing"):
        "the assessment runs once synced, then hourly: its first run may precede the sample workload",
}
# Alerts of the sample workload, with the labels that must identify it ({ns} is its namespace).
EXPECTED_ALERTS = {
    "Kube9PodsCrashLooping": {"namespace": "{ns}", "reason": "CrashLoopBackOff"},
    "Kube9ImagePullFailures": {"namespace": "{ns}"},
    "Kube9ContainersOOMKilled": {"namespace": "{ns}"},
    "Kube9WorkloadReplicasUnavailable": {"namespace": "{ns}", "kind": "Deployment", "workload": "web"},
    "Kube9PVCsPending": {"namespace": "{ns}"},
    "Kube9JobsFailed": {"namespace": "{ns}"},
    "Kube9NodesNotReady": {"job": SCRAPE_JOB},
    # The GitOps sample: a Flux Kustomization failing for 40 minutes, an Argo CD sync that failed.
    "Kube9GitOpsApplicationDegraded": {"namespace": "{ns}", "tool": "flux", "health": "Degraded"},
    "Kube9GitOpsApplicationOutOfSync": {"namespace": "{ns}", "tool": "flux"},
    "Kube9GitOpsReconciliationFailing": {"namespace": "{ns}", "tool": "argocd"},
}
# Alerts about the operator that a healthy free-tier operator must not raise. (Readiness, watch
# errors and relists are left out: another suite sharing the control plane may stop the API
# server meanwhile, and then those alerts are right.)
SILENT_ALERTS = {
    "Kube9OperatorDown", "Kube9OperatorAbsent", "Kube9OperatorStatusStale", "Kube9OperatorRegistrationRejected",
    "Kube9OperatorRegistrationFailing", "Kube9OperatorUploadsFailing", "Kube9OperatorUploadDrops",
    "Kube9OperatorSpoolFilling", "Kube9OperatorThreadFailures",
}


SAMPLE_OBJECTS = [
    "/api/v1/namespaces/{ns}/pods/web-1", "/api/v1/namespaces/{ns}/pods/crashy", "/api/v1/namespaces/{ns}/pods/puller",
    "/apis/apps/v1/namespaces/{ns}/deployments/web", "/api/v1/namespaces/{ns}/persistentvolumeclaims/data",
    "/apis/batch/v1/namespaces/{ns}/jobs/migrate",
]


def delete_sample(api, ns: str, nodes: list[str]) -> None:
    """The control plane is shared and its namespaces never finish terminating (no controller
    manager): delete the sample's objects one by one, so that they alert nowhere else. Without
    controllers, nothing would remove the PVC's protection finalizer or a Job's orphan finalizer."""
    api_request(api, "PATCH", f"/api/v1/namespaces/{ns}/persistentvolumeclaims/data", {"metadata": {"finalizers": None}},
                content_type="application/merge-patch+json")
    for path in [f"/api/v1/nodes/{n}" for n in nodes] + [p.format(ns=ns) for p in SAMPLE_OBJECTS]:
        api.request("DELETE", path, {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                                     "propagationPolicy": "Background"})


def create_failing_sample(api, ns: str, nodes: list[str]) -> None:
    """A small workload that fails in the ways the cluster health alerts watch, and two
    (cluster-scoped) nodes, one Ready and one NotReady."""
    make_pod(api, ns, "web-1", [container("app", {"cpu": "100m", "memory": "64Mi"}, {"memory": "128Mi"})],
             status={"phase": "Running", "containerStatuses": [cstatus("app", RUNNING)]})
    make_pod(api, ns, "crashy", [container("app", {"cpu": "50m", "memory": "32Mi"}, {"memory": "32Mi"})],
             status={"phase": "Running", "containerStatuses": [
                 cstatus("app", waiting("CrashLoopBackOff"), restarts=7, last=terminated("OOMKilled", 137))]})
    make_pod(api, ns, "puller", [container("app")],
             status={"phase": "Pending", "containerStatuses": [cstatus("app", waiting("ImagePullBackOff"))]})
    make_workload(api, ns, "Deployment", "web", {"replicas": 2},
                  {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1,
                   "availableReplicas": 1, "unavailableReplicas": 1})
    make_pvc(api, ns, "data", None)  # no status: Pending
    make_job(api, ns, "migrate", {"startTime": now_rfc3339(), "failed": 1,
                                  "conditions": [job_condition("FailureTarget"), job_condition("Failed")]})
    make_node(api, nodes[0], {"Ready": "True", "MemoryPressure": "False", "DiskPressure": "False",
                              "PIDPressure": "False", "NetworkUnavailable": "False"},
              {"cpu": "4", "memory": "8Gi", "pods": "110"}, "")
    make_node(api, nodes[1], {"Ready": "False", "MemoryPressure": "True"},
              {"cpu": "4", "memory": "8Gi", "pods": "110"}, "")


def create_gitops_sample(api, ns: str) -> None:
    """Argo CD and Flux as custom resources (docs/TESTING.md): an Argo CD application whose sync
    failed, and a Flux Kustomization whose Ready condition went False 40 minutes ago (its
    lastTransitionTime), so that the GitOps alerts' 15 and 30 minutes have passed already."""
    for d in (gitops_crds.ARGOCD_APPLICATIONS, gitops_crds.FLUX_KUSTOMIZATIONS):
        gitops_crds.install(api, d)
    gitops_crds.argo_app(api, ns, "payments", "Degraded", "OutOfSync", phase="Failed")
    ks = gitops_crds.flux_object(api, ns, "kustomize.toolkit.fluxcd.io/v1", "kustomizations", "Kustomization", "apps")
    gitops_crds.set_ready(api, ks, "False", "HealthCheckFailed", since_minutes=40, attempted="main@sha1:def")


def base_name(metric: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if metric.endswith(suffix):
            return metric[: -len(suffix)]
    return metric


class PanelQuery:
    def __init__(self, dashboard: dict, panel: dict, target: dict, values: dict[str, str]):
        self.uid = dashboard["uid"]
        self.title = panel["title"]
        self.ref = target["refId"]
        self.expr = substitute(target["expr"], values)
        self.instant = bool(target.get("instant")) and not target.get("range")
        self.metrics = {base_name(n) for n, _ in metric_selectors(target["expr"])}

    def __str__(self) -> str:
        return f"{self.uid} / {self.title!r} {self.ref}: {self.expr}"

    def run(self, prom: Prometheus) -> list:
        """The result series (raises PrometheusError on an error)."""
        if self.instant:
            return prom.query(self.expr)["result"]
        return [s for s in prom.query_range(self.expr, RANGE_SECONDS, RANGE_STEP)["result"] if s.get("values")]


def panel_queries(values: dict[str, str]) -> list[PanelQuery]:
    out = []
    for path in dashboard_files():
        d = load_dashboard(path)
        for p in query_panels(d):
            out.extend(PanelQuery(d, p, t, values) for t in p["targets"])
    return out


def must_have_data(q: PanelQuery, exported: set[str], required: set[str]) -> bool:
    """Cluster panels always (the sample gives each of them something to show); operator panels
    in `required` always; the others once the operator exports every metric they use."""
    if (q.uid, q.title) in MAY_BE_EMPTY:
        return False
    if q.uid == "kube9-cluster-health" or q.title in required:
        return True
    return q.metrics <= exported | {"up", "scrape_duration_seconds"}


def start_prometheus(tmp_path: Path, targets: list[str]) -> Prometheus:
    # The rules as shipped, with every `for` shortened to 1 s: the test cannot wait the real 5
    # to 30 minutes, and what it checks is that each expression matches what it should (the
    # promtool unit tests in alerts/tests check the real durations).
    rules = tmp_path / "kube9-operator.rules.yml"
    rules.write_text(rules_with_for(RULES_FILE.read_text(), "1s"))
    prom = Prometheus(tmp_path / "prometheus", targets, SCRAPE_JOB, [rules])
    prom.wait_ready(30)
    return prom


def wait_panels_with_data(prom: Prometheus, queries: list[PanelQuery], ops: list, required: set[str]) -> None:
    """Waits until every panel that must show data does (a few scrapes after the start)."""
    def check():
        exported = {base_name(n) for op in ops for n, _, _ in parse_metrics(op.metrics())}
        empty = []
        for q in queries:
            if must_have_data(q, exported, required):
                try:
                    if not q.run(prom):
                        empty.append(str(q))
                except PrometheusError as e:
                    empty.append(f"{q}: {e}")
        return not empty, empty

    wait_for(check, 60, "every panel that must show data to have some", interval=1, operator=ops[0])


def assert_every_query_evaluates(prom: Prometheus, queries: list[PanelQuery]) -> None:
    """Every panel query, range or instant as the panel asks, and every alert rule."""
    errors = []
    for q in queries:
        try:
            q.run(prom)
        except PrometheusError as e:
            errors.append(f"{q}\n    {e}")
    assert not errors, "panel queries that Prometheus rejects:\n" + "\n".join(errors)
    assert len(queries) >= 60, f"only {len(queries)} panel queries found"

    def rules_evaluated():
        rules = [r for g in prom.rule_groups() for r in g["rules"]]
        bad = [(r["name"], r.get("health"), r.get("lastError")) for r in rules if r.get("health") != "ok"]
        return not bad and len(rules) > 0, bad

    wait_for(rules_evaluated, 20, "every rule evaluated with health ok", interval=0.5)
    rules = [r for g in prom.rule_groups() for r in g["rules"] if r["type"] == "alerting"]
    assert len(rules) >= 20, [r["name"] for r in rules]
    for r in rules:
        prom.query(r["query"])  # raises on an error


def wait_alerts(prom: Prometheus, expected: list[tuple[str, dict[str, str]]], what: str) -> None:
    """Waits until each (alertname, labels) is pending or firing."""
    def check():
        active = prom.alerts()
        missing = [(name, want) for name, want in expected
                   if not any(a["labels"].get("alertname") == name and a["state"] in ("pending", "firing")
                              and all(a["labels"].get(k) == v for k, v in want.items()) for a in active)]
        return not missing, (missing, [(a["labels"], a["state"]) for a in active])

    wait_for(check, 30, what, interval=0.5)


def assert_silent(prom: Prometheus, names: set[str], unless: list[tuple[str, dict[str, str]]] = ()) -> None:
    time.sleep(2)  # two more evaluations: a wrongly raised alert would show by now
    loud = [(a["labels"], a["state"]) for a in prom.alerts()
            if a["labels"]["alertname"] in names
            and not any(a["labels"]["alertname"] == n and all(a["labels"].get(k) == v for k, v in want.items())
                        for n, want in unless)]
    assert not loud, f"alerts that must stay silent: {loud}"


def instant(prom: Prometheus, queries: list[PanelQuery], title: str, ref: str = "A") -> list:
    q = next(q for q in queries if q.title == title and q.ref == ref)
    return prom.query(q.expr)["result"]


def test_dashboards_and_alerts_against_real_prometheus(api, namespace, start_operator, tmp_path):
    assert Path(PROMETHEUS).is_file(), f"{PROMETHEUS} not installed (Debian package prometheus)"
    ns = namespace
    tag = secrets.token_hex(3)
    op = start_operator(ns, interval="5s", args=["--sample-interval=1s", "--gitops.discovery-interval=1s"])
    # The sample is created after the operator has listed, so that watch events flow too.
    nodes = [f"it-mon-{tag}-ready", f"it-mon-{tag}-notready"]
    prom = None
    try:
        create_failing_sample(api, ns, nodes)
        create_gitops_sample(api, ns)
        prom = start_prometheus(tmp_path, [f"127.0.0.1:{op.port}"])
        values = {"job": SCRAPE_JOB, "namespace": ns, "__rate_interval": RATE_INTERVAL}
        queries = panel_queries(values)

        wait_panels_with_data(prom, queries, [op], OPERATOR_PANELS_WITH_DATA)
        assert_every_query_evaluates(prom, queries)

        # The panels show the sample's failures, not just something.
        unavailable = [(r["metric"].get("workload"), r["value"][1])
                       for r in instant(prom, queries, "Workloads with unavailable replicas")]
        assert unavailable == [("web", "1")], unavailable
        waiting_now = {r["metric"]["reason"]: r["value"][1]
                       for r in instant(prom, queries, "Waiting containers by namespace")}
        assert waiting_now == {"CrashLoopBackOff": "1", "ImagePullBackOff": "1"}, waiting_now
        assert [r["value"][1] for r in instant(prom, queries, "Pending PersistentVolumeClaims")] == ["1"]
        assert [r["value"][1] for r in instant(prom, queries, "Failed Jobs")] == ["1"]
        readiness = {r["metric"]["ready"]: float(r["value"][1]) for r in instant(prom, queries, "Nodes by readiness")}
        assert readiness.get("false", 0) >= 1 and readiness.get("true", 0) >= 1, readiness
        assert [r["value"][1] for r in instant(prom, queries, "Up")] == ["1"]

        # The variable queries return what the dashboards filter on.
        for path in dashboard_files():
            for var in load_dashboard(path)["templating"]["list"]:
                parsed = variable_query(var)
                if parsed is None:
                    continue
                selector, label = parsed
                got = prom.label_values(label, substitute(selector, values))
                want = {"job": SCRAPE_JOB, "namespace": ns}[var["name"]]
                assert want in got, f"{path.name} variable {var['name']}: {want!r} not in {got}"

        # The sample's alerts go pending or firing with the labels that point at it; a healthy
        # free-tier operator raises none of its own.
        wait_alerts(prom, [(name, {k: v.format(ns=ns) for k, v in labels.items()})
                           for name, labels in EXPECTED_ALERTS.items()],
                    "the sample workload's alerts to be pending or firing")
        assert_silent(prom, SILENT_ALERTS)
    except (AssertionError, PrometheusError) as e:
        raise AssertionError(f"{e}\n{prom.describe() if prom else ''}\n{op.describe()}") from None
    finally:
        if prom is not None:
            prom.stop()
        delete_sample(api, ns, nodes)
        gitops_crds.uninstall_all(api)  # and with them the GitOps sample


# --- sharded -------------------------------------------------------------------------------------

SHARDS = 3
# Crash-looping pods of the sharded sample, spread over the shards by their UIDs.
EXTRA_CRASHY = ["crashy-2", "crashy-3", "crashy-4"]
# The alerts whose rules sum the per-shard shares: once each, with no label of a shard.
SUMMED_ALERTS = {"Kube9PodsCrashLooping", "Kube9ImagePullFailures", "Kube9ContainersOOMKilled",
                 "Kube9WorkloadReplicasUnavailable", "Kube9PVCsPending", "Kube9JobsFailed", "Kube9NodesNotReady"}


def test_sharded_alerts_fire_once_against_real_prometheus(api, namespace, start_operator, tmp_path):
    """3 shards (--shard=k --total-shards=3) of the failing sample, each a target of the same job
    (docs/monitoring.md "With sharding"): every cluster health alert is active once, without
    instance or pod, with the cluster's count (4 crash-looping pods spread over the shards by
    their UIDs give one alert of 4, not one per shard); the GitOps alerts come once, from shard
    0; and the status alert stays silent although shards 1 and 2 write no status."""
    assert Path(PROMETHEUS).is_file(), f"{PROMETHEUS} not installed (Debian package prometheus)"
    ns = namespace
    tag = secrets.token_hex(3)
    nodes = [f"it-mon-{tag}-ready", f"it-mon-{tag}-notready"]
    common = ["--sample-interval=1s", "--gitops.discovery-interval=1s", f"--total-shards={SHARDS}"]
    shards = [start_operator(ns, interval="5s", args=[*common, f"--shard={k}"]) for k in range(SHARDS)]
    prom = None
    try:
        create_failing_sample(api, ns, nodes)
        for name in EXTRA_CRASHY:
            make_pod(api, ns, name, [container("app")], status={"phase": "Running", "containerStatuses": [
                cstatus("app", waiting("CrashLoopBackOff"), restarts=3)]})
        create_gitops_sample(api, ns)
        prom = start_prometheus(tmp_path, [f"127.0.0.1:{op.port}" for op in shards])
        expected = [(name, {k: v.format(ns=ns) for k, v in labels.items()}) for name, labels in EXPECTED_ALERTS.items()]
        wait_alerts(prom, expected, "the sample workload's alerts to be pending or firing, sharded")
        # Every shard's share is in: the crash loops of all 4 pods are counted, in one alert.
        def all_counted():
            got = [a for a in prom.alerts() if a["labels"]["alertname"] == "Kube9PodsCrashLooping"
                   and a["labels"].get("namespace") == ns]
            return [float(a["value"]) for a in got] == [1.0 + len(EXTRA_CRASHY)], [(a["labels"], a["value"]) for a in got]

        wait_for(all_counted, 30, "one crash-loop alert counting every shard's pods", interval=0.5, operator=shards[0])
        active = prom.alerts()
        problems = []
        for name, want in expected:
            matching = [a for a in active if a["labels"]["alertname"] == name
                        and all(a["labels"].get(k) == v for k, v in want.items())]
            if len(matching) != 1:
                problems.append(f"{name} {want}: {len(matching)} alerts {[a['labels'] for a in matching]}")
                continue
            labels = matching[0]["labels"]
            if name in SUMMED_ALERTS and ({"instance", "pod"} & set(labels)):
                problems.append(f"{name}: fires with a shard's label {labels}")
            if name.startswith("Kube9GitOps") and labels.get("instance") != f"127.0.0.1:{shards[0].port}":
                problems.append(f"{name}: not from shard 0: {labels}")
        assert not problems, "\n".join(problems)
        assert_silent(prom, SILENT_ALERTS)
    except (AssertionError, PrometheusError) as e:
        raise AssertionError(f"{e}\n{prom.describe() if prom else ''}\n"
                             + "\n".join(op.describe() for op in shards)) from None
    finally:
        if prom is not None:
            prom.stop()
        for name in EXTRA_CRASHY:
            api.request("DELETE", f"/api/v1/namespaces/{ns}/pods/{name}",
                        {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
        delete_sample(api, ns, nodes)
        gitops_crds.uninstall_all(api)


# --- Pro tier ------------------------------------------------------------------------------------

# (No object changes while these operators run: no watch events.)
PRO_PANELS_WITH_DATA = OPERATOR_PANELS_WITH_DATA - {"Watch events"} | {
    "Ready", "Registration", "Registration attempts in the last hour", "Collections in the last day",
    "Collection duration", "Time since last successful collection", "Uploads in the last hour",
    "Upload throughput", "Upload retries and drops in the last hour", "Spool size", "Spool fill", "Spool items",
}
PRO_ALERTS = {
    "Kube9OperatorRegistrationRejected", "Kube9OperatorRegistrationFailing", "Kube9OperatorUploadsFailing",
    "Kube9OperatorUploadDrops", "Kube9OperatorSpoolFilling",
}


def pro_tier_available(binary) -> bool:
    out = run([str(binary), "serve", "--help"], timeout=10, env=clean_env())
    return "--spool.path" in out.stdout


def test_pro_tier_panels_and_alerts_against_real_prometheus(api, namespace, start_operator, kube9_server, binary,
                                                             tmp_path):
    """Two Pro tier operators against the fake kube9-server, one with the right API key and one
    with a wrong one: the Pro tier panels show registration, collections, uploads and the spool,
    the wrong key raises Kube9OperatorRegistrationRejected for its instance only, and no other
    Pro tier alert is raised."""
    if not pro_tier_available(binary) and os.environ.get("KUBE9_REQUIRE_PRO_TIER") != "1":
        pytest.skip("the upload sink has not landed (`serve --help` has no --spool.path)")
    from test_pro_tier import SecretVolume, start_pro

    other_ns = random_namespace()
    api.create_namespace(other_ns)
    # The first collections wait until Prometheus scrapes: increase() needs to see them happen.
    good = start_pro(start_operator, namespace, kube9_server, tmp_path / "good", initial_delay="8s")
    wrong_key = SecretVolume(tmp_path / "wrong-key")
    wrong_key.write(f"k9test_{secrets.token_hex(20)}")
    rejected = start_pro(start_operator, other_ns, kube9_server, tmp_path / "rejected", key_file=wrong_key.path)
    prom = None
    try:
        prom = start_prometheus(tmp_path, [f"127.0.0.1:{good.port}", f"127.0.0.1:{rejected.port}"])
        queries = panel_queries({"job": SCRAPE_JOB, "namespace": namespace, "__rate_interval": RATE_INTERVAL})

        # The cluster dashboard was checked with a sample above; here the operator dashboard.
        operator_queries = [q for q in queries if q.uid == "kube9-operator"]
        wait_panels_with_data(prom, operator_queries, [good, rejected], PRO_PANELS_WITH_DATA)
        assert_every_query_evaluates(prom, queries)

        def states():
            got = sorted((r["metric"]["instance"], r["metric"]["state"]) for r in instant(prom, queries, "Registration"))
            want = sorted([(f"127.0.0.1:{good.port}", "registered"), (f"127.0.0.1:{rejected.port}", "rejected")])
            return got == want, got

        wait_for(states, 30, "the Registration panel to show registered and rejected", interval=0.5)
        def uploaded():
            got = {(r["metric"]["type"], r["metric"]["result"]): float(r["value"][1])
                   for r in instant(prom, queries, "Uploads in the last hour")}
            return any(result == "success" and n > 0 for (_, result), n in got.items()), got

        wait_for(uploaded, 30, "the Uploads panel to show successful uploads", interval=0.5)

        wrong = ("Kube9OperatorRegistrationRejected", {"instance": f"127.0.0.1:{rejected.port}", "state": "rejected"})
        wait_alerts(prom, [wrong], "Kube9OperatorRegistrationRejected for the operator with the wrong key")
        assert_silent(prom, PRO_ALERTS | SILENT_ALERTS, unless=[wrong])
    except (AssertionError, PrometheusError) as e:
        raise AssertionError(f"{e}\n{prom.describe() if prom else ''}\n{good.describe()}\n{rejected.describe()}"
                             ) from None
    finally:
        if prom is not None:
            prom.stop()
        api.delete_namespace(other_ns)
