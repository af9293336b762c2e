"""Rules written for kube-state-metrics, evaluated by a real Prometheus on the operator's kube_*
families (issue 14, point 2).

tests/monitoring/ksm-compat.rules.yml holds recording and alerting rules of the kinds cluster
operators write on kube-state-metrics (crash loops, restarts, pods not ready with their owner
joined, Deployment replicas and generations, node readiness and pressure, OOM kills, failed Jobs,
pending PVCs). promtool checks the file; then the local control plane gets a sample that fails in
those ways, `kube9-operator --kube-state-metrics` serves it, and a real Prometheus scrapes the
operator every second with the rules loaded. Through Prometheus' HTTP API:

- every rule evaluates with health "ok" and no error (a join on duplicate or missing labels,
  e.g. `group_left` over kube_pod_owner, is an evaluation error);
- every recording rule gives the values the sample implies;
- each alert is active for exactly the sample's objects it is about, and for none of the others;
  a restart counted while Prometheus watches raises the `increase()` alert.

Alerts on families the operator does not serve yet (its `# TYPE` lines say which) are only
required to evaluate; the test prints them.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import REPO_ROOT, api_request, create_object, patch_object, patch_status, wait_for
from test_cluster_metrics import (
    RUNNING,
    container,
    cstatus,
    job_condition,
    make_job,
    make_node,
    make_pvc,
    now_rfc3339,
    terminated,
    waiting,
)

sys.path.insert(0, str(REPO_ROOT / "tests" / "monitoring"))
from kube9_monitoring import PROMETHEUS, PROMTOOL, Prometheus, PrometheusError  # noqa: E402

RULES = REPO_ROOT / "tests" / "monitoring" / "ksm-compat.rules.yml"
# The job rules written for kube-state-metrics select (the kubernetes-mixin's default selector).
JOB = "kube-state-metrics"


def make_pod(api, ns: str, name: str, containers: list, status: dict, node: str = "",
             owner: tuple[str, str] | None = None) -> None:
    meta: dict = {"name": name}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1" if owner[0] != "Job" else "batch/v1", "kind": owner[0],
                                    "name": owner[1], "uid": f"6f0b0b1e-0000-4000-8000-{secrets.token_hex(6)}",
                                    "controller": True}]
    spec: dict = {"containers": containers, "restartPolicy": "Always"}
    if node:
        spec["nodeName"] = node
    create_object(api, f"/api/v1/namespaces/{ns}/pods", {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                                                         "spec": spec})
    patch_status(api, f"/api/v1/namespaces/{ns}/pods/{name}", status)


def make_deployment(api, ns: str, name: str, replicas: int, status: dict) -> None:
    create_object(api, f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container("c")]}}},
    })
    patch_status(api, f"/apis/apps/v1/namespaces/{ns}/deployments/{name}", status)


def progressing(status: str, reason: str) -> dict:
    t = now_rfc3339()
    return {"type": "Progressing", "status": status, "reason": reason, "lastUpdateTime": t, "lastTransitionTime": t}


def create_sample(api, ns: str, nodes: list[str]) -> None:
    """Two nodes (one Ready, one NotReady with memory pressure and cordoned); pods running,
    crash looping after an OOM kill, pending, and done (a Job's); three Deployments (healthy,
    short of replicas and stuck, and with a change not rolled out) and the ReplicaSet of web's pods;
    a StatefulSet with a replica not ready, a DaemonSet not scheduled everywhere, an HPA at its
    maximum, a PDB allowing no disruption; a failed Job; a pending PVC."""
    ready, notready = nodes
    make_node(api, ready, {"Ready": "True", "MemoryPressure": "False"},
              {"cpu": "4", "memory": "8Gi", "pods": "110"}, "")
    make_node(api, notready, {"Ready": "False", "MemoryPressure": "True"},
              {"cpu": "2", "memory": "4Gi", "pods": "110"}, "")
    patch_object(api, f"/api/v1/nodes/{notready}", {"spec": {"unschedulable": True}})
    ok = {"phase": "Running", "containerStatuses": [cstatus("app", RUNNING)]}
    make_pod(api, ns, "web-1", [container("app", {"cpu": "250m", "memory": "64Mi"})], ok, ready,
             ("ReplicaSet", "web-1a"))
    make_pod(api, ns, "web-2", [container("app", {"cpu": "250m", "memory": "64Mi"})], ok, notready,
             ("ReplicaSet", "web-1a"))
    make_pod(api, ns, "crashy", [container("app", {"cpu": "100m", "memory": "32Mi"})],
             {"phase": "Running", "containerStatuses": [
                 cstatus("app", waiting("CrashLoopBackOff"), restarts=3, last=terminated("OOMKilled", 137))]},
             ready, ("ReplicaSet", "crashy-2b"))
    make_pod(api, ns, "pending", [container("app", {"cpu": "500m", "memory": "1Gi"})], {"phase": "Pending"}, "",
             ("ReplicaSet", "web-1a"))
    make_pod(api, ns, "done", [container("app", {"cpu": "2"})],
             {"phase": "Succeeded", "containerStatuses": [cstatus("app", terminated("Completed", 0))]}, ready,
             ("Job", "migrate"))
    make_deployment(api, ns, "healthy", 2, {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                                            "readyReplicas": 2, "availableReplicas": 2,
                                            "conditions": [progressing("True", "NewReplicaSetAvailable")]})
    make_deployment(api, ns, "web", 4, {"observedGeneration": 1, "replicas": 4, "updatedReplicas": 4,
                                        "readyReplicas": 2, "availableReplicas": 2, "unavailableReplicas": 2,
                                        "conditions": [progressing("False", "ProgressDeadlineExceeded")]})
    make_deployment(api, ns, "api", 1, {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                                        "readyReplicas": 1, "availableReplicas": 1,
                                        "conditions": [progressing("True", "NewReplicaSetAvailable")]})
    # A change of the pod template: generation 2, which the (absent) controller never observes.
    patch_object(api, f"/apis/apps/v1/namespaces/{ns}/deployments/api",
                 {"spec": {"template": {"metadata": {"annotations": {"changed": "1"}}}}})
    # The ReplicaSet of the web pods, owned by the Deployment web.
    create_object(api, f"/apis/apps/v1/namespaces/{ns}/replicasets", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-1a", "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "controller": True,
            "uid": f"6f0b0b1e-0000-4000-8000-{secrets.token_hex(6)}"}]},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container("c")]}}},
    })
    create_object(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets", {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [container("c")]}}},
    })
    patch_status(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets/db",
                 {"observedGeneration": 1, "replicas": 3, "readyReplicas": 2, "currentReplicas": 3,
                  "updatedReplicas": 3, "availableReplicas": 2})
    create_object(api, f"/apis/apps/v1/namespaces/{ns}/daemonsets", {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [container("c")]}}},
    })
    patch_status(api, f"/apis/apps/v1/namespaces/{ns}/daemonsets/agent",
                 {"observedGeneration": 1, "desiredNumberScheduled": 3, "currentNumberScheduled": 2,
                  "numberReady": 2, "numberAvailable": 2, "updatedNumberScheduled": 2, "numberMisscheduled": 0})
    create_object(api, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers", {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 1, "maxReplicas": 4,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 80}}}]},
    })
    patch_status(api, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/web",
                 {"currentReplicas": 4, "desiredReplicas": 4})
    create_object(api, f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
        "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "web"}}},
    })
    patch_status(api, f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/web",
                 {"observedGeneration": 1, "disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 3,
                  "expectedPods": 3})
    make_job(api, ns, "migrate", {"startTime": now_rfc3339(), "failed": 1,
                                  "conditions": [job_condition("FailureTarget"), job_condition("Failed")]})
    make_pvc(api, ns, "data", None)  # no status: Pending


SAMPLE_OBJECTS = [
    "/api/v1/namespaces/{ns}/pods/web-1", "/api/v1/namespaces/{ns}/pods/web-2", "/api/v1/namespaces/{ns}/pods/crashy",
    "/api/v1/namespaces/{ns}/pods/pending", "/api/v1/namespaces/{ns}/pods/done",
    "/apis/apps/v1/namespaces/{ns}/deployments/healthy", "/apis/apps/v1/namespaces/{ns}/deployments/web",
    "/apis/apps/v1/namespaces/{ns}/deployments/api", "/apis/batch/v1/namespaces/{ns}/jobs/migrate",
    "/apis/apps/v1/namespaces/{ns}/replicasets/web-1a", "/apis/apps/v1/namespaces/{ns}/statefulsets/db",
    "/apis/apps/v1/namespaces/{ns}/daemonsets/agent",
    "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/web",
    "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/web",
    "/api/v1/namespaces/{ns}/persistentvolumeclaims/data",
]


def delete_sample(api, ns: str, nodes: list[str]) -> None:
    """The control plane is shared and has no controllers: delete the objects one by one (and
    the finalizers nothing would remove), so that they alert nowhere else."""
    api_request(api, "PATCH", f"/api/v1/namespaces/{ns}/persistentvolumeclaims/data",
                {"metadata": {"finalizers": None}}, content_type="application/merge-patch+json")
    for path in [f"/api/v1/nodes/{n}" for n in nodes] + [p.format(ns=ns) for p in SAMPLE_OBJECTS]:
        api.request("DELETE", path, {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                                     "propagationPolicy": "Background"})


def expected_alerts(ns: str, nodes: list[str]) -> dict[str, tuple[set[str], set[tuple[str, ...]]]]:
    """alert -> (families it needs, the label values identifying each object it must be active
    for: (namespace, pod[, container]), (namespace, deployment), (node,), ...). Only objects of
    the sample count (the cluster is shared)."""
    ready, notready = nodes
    return {
        "PodCrashLooping": ({"kube_pod_container_status_waiting_reason"}, {(ns, "crashy", "app")}),
        "ContainerRestarting": ({"kube_pod_container_status_restarts_total"}, {(ns, "crashy", "app")}),
        "PodNotReady": ({"kube_pod_status_phase", "kube_pod_owner"}, {(ns, "pending")}),
        "ContainerOOMKilled": ({"kube_pod_container_status_last_terminated_reason"}, {(ns, "crashy", "app")}),
        "DeploymentReplicasMismatch": ({"kube_deployment_spec_replicas"}, {(ns, "web")}),
        "DeploymentGenerationMismatch": ({"kube_deployment_metadata_generation"}, {(ns, "api")}),
        "DeploymentRolloutStuck": ({"kube_deployment_status_condition"}, {(ns, "web")}),
        "NodeNotReady": ({"kube_node_status_condition"}, {(notready,)}),
        "NodeMemoryPressure": ({"kube_node_status_condition"}, {(notready,)}),
        "NodeUnschedulable": ({"kube_node_spec_unschedulable"}, {(notready,)}),
        "PodsOnNotReadyNode": ({"kube_pod_info", "kube_node_status_condition"}, {(notready,)}),
        "NamespaceCPURequestsOverAllocatable": ({"kube_pod_container_resource_requests"}, set()),
        "NamespaceTerminatingStuck": ({"kube_namespace_status_phase"}, set()),
        "JobFailed": ({"kube_job_failed"}, {(ns, "migrate")}),
        "PersistentVolumeClaimPending": ({"kube_persistentvolumeclaim_status_phase"}, {(ns, "data")}),
        "StatefulSetReplicasMismatch": ({"kube_statefulset_replicas"}, {(ns, "db")}),
        "DaemonSetNotScheduled": ({"kube_daemonset_status_desired_number_scheduled"}, {(ns, "agent")}),
        "HorizontalPodAutoscalerMaxedOut": ({"kube_horizontalpodautoscaler_spec_max_replicas"}, {(ns, "web")}),
        "PodDisruptionBudgetAtLimit": ({"kube_poddisruptionbudget_status_pod_disruptions_allowed"}, {(ns, "web")}),
    }


def identity(labels: dict[str, str]) -> tuple[str, ...]:
    """The object an alert is about, from its labels."""
    for keys in (("namespace", "pod", "container"), ("namespace", "pod"), ("namespace", "deployment"),
                 ("namespace", "statefulset"), ("namespace", "daemonset"), ("namespace", "horizontalpodautoscaler"),
                 ("namespace", "poddisruptionbudget"), ("namespace", "job_name"),
                 ("namespace", "persistentvolumeclaim"), ("node",), ("namespace",)):
        if all(k in labels for k in keys):
            return tuple(labels[k] for k in keys)
    return ()


class Sample:
    """The sample in the test's namespace, the operator with --kube-state-metrics serving it, and
    a real Prometheus scraping the operator every second as job "kube-state-metrics" (the job
    that rules written for kube-state-metrics select) with `rule_files` loaded."""

    def __init__(self, api, ns: str, start_operator, workdir: Path, rule_files: list[Path]):
        self.api, self.ns = api, ns
        self.nodes = [f"it-ksm-rules-{secrets.token_hex(3)}-ready", f"it-ksm-rules-{secrets.token_hex(3)}-notready"]
        self.op = start_operator(ns, args=["--kube-state-metrics"])
        self.prom: Prometheus | None = None
        try:
            create_sample(api, ns, self.nodes)
            text = wait_for(lambda: ('pod="done"' in (t := self.op.metrics()) and f'node="{self.nodes[1]}"' in t, t),
                            30, "the operator to serve the sample's kube_* series", operator=self.op)
            self.served = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE kube_")}
            self.prom = Prometheus(workdir / "prometheus", f"127.0.0.1:{self.op.port}", JOB, rule_files)
            self.prom.wait_ready(30)
            wait_for(lambda: (bool(self.prom.query(f'kube_pod_info{{namespace="{ns}"}}')["result"]), None), 30,
                     "Prometheus to have scraped the sample")
        except BaseException:
            self.close()
            raise

    def rules(self) -> list[dict]:
        return [r for g in self.prom.rule_groups() for r in g["rules"]]

    def wait_rules_healthy(self) -> list[dict]:
        """Every rule evaluated at least once after the sample was scraped, with health ok and no
        error; returns the rules."""
        since = time.time()

        def check():
            rules = self.rules()
            late = [r["name"] for r in rules if parse_rfc3339(r.get("lastEvaluation", "")) < since]
            bad = [(r["name"], r.get("health"), r.get("lastError"), r["query"]) for r in rules
                   if r.get("health") != "ok" or r.get("lastError")]
            return bool(rules) and not late and not bad, {"not evaluated yet": late[:10], "bad": bad}

        wait_for(check, 30, "every rule evaluated with health ok and no error", interval=0.5)
        return self.rules()

    def describe(self) -> str:
        return f"{self.prom.describe() if self.prom else ''}\n{self.op.describe()}"

    def close(self) -> None:
        if self.prom is not None:
            self.prom.stop()
        delete_sample(self.api, self.ns, self.nodes)


def parse_rfc3339(value: str) -> float:
    """Seconds since the epoch of Prometheus' RFC 3339 timestamps (nanoseconds cut); 0 if none."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", value or "")
    if not m or value.startswith("0001"):
        return 0.0
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    tz = timezone.utc if m.group(3) == "Z" else datetime.strptime(m.group(3).replace(":", ""), "%z").tzinfo
    return base.replace(tzinfo=tz).timestamp() + float("0" + (m.group(2) or ".0")[:10])


@pytest.fixture
def sample(api, namespace, start_operator, tmp_path):
    samples: list[Sample] = []

    def start(rule_files: list[Path]) -> Sample:
        samples.append(Sample(api, namespace, start_operator, tmp_path, rule_files))
        return samples[-1]

    yield start
    for s in samples:
        s.close()


def test_rules_written_for_kube_state_metrics_evaluate_on_the_operator(sample):
    assert Path(PROMETHEUS).is_file(), f"{PROMETHEUS} not installed (Debian package prometheus)"
    checked = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    s = sample([RULES])
    ns, nodes, prom = s.ns, s.nodes, s.prom
    try:
        expected = expected_alerts(ns, nodes)
        required = {a: objs for a, (families, objs) in expected.items() if families <= s.served}
        unserved = sorted(set(expected) - set(required))
        print(f"alerts on families the operator does not serve (evaluated only): {unserved}")
        assert {"PodCrashLooping", "PodNotReady", "DeploymentReplicasMismatch", "NodeNotReady"} <= set(required), \
            sorted(s.served)

        rules = s.wait_rules_healthy()
        assert len(rules) == 26, [r["name"] for r in rules]

        # A restart while Prometheus watches: 3 -> 5.
        patch_status(s.api, f"/api/v1/namespaces/{ns}/pods/crashy", {"containerStatuses": [
            cstatus("app", waiting("CrashLoopBackOff"), restarts=5, last=terminated("OOMKilled", 137))]})

        ours = {ns, *nodes}

        def active() -> dict[str, set[tuple[str, ...]]]:
            out: dict[str, set[tuple[str, ...]]] = {}
            for a in prom.alerts():
                ident = identity(a["labels"])
                if ident and ident[0] in ours:
                    out.setdefault(a["labels"]["alertname"], set()).add(ident)
            return out

        def alerts_as_expected():
            got = active()
            diff = {name: (sorted(got.get(name, set())), sorted(want)) for name, want in required.items()
                    if got.get(name, set()) != want}
            return not diff, {"got != want": diff}

        wait_for(alerts_as_expected, 30, "each alert active for exactly the sample's objects it is about",
                 interval=0.5)
        # None of the alerts on families not served is active for the sample.
        assert not (set(active()) - set(required)), active()

        # Recording rules: the sample's values.
        def values(expr: str, key: str) -> dict[str, float]:
            return {r["metric"].get(key, ""): float(r["value"][1]) for r in prom.query(expr)["result"]}

        requests = values(f'namespace_resource:kube_pod_container_resource_requests:sum{{namespace="{ns}"}}',
                          "resource")
        # Running and pending pods only: web-1, web-2, crashy, pending (not the Succeeded Job pod).
        assert requests == pytest.approx({"cpu": 1.1, "memory": (64 + 64 + 32 + 1024) * 2**20}), requests
        allocatable = values(f'node_resource:kube_node_status_allocatable:sum{{node="{nodes[0]}"}}', "resource")
        assert allocatable == pytest.approx({"cpu": 4, "memory": 8 * 2**30, "pods": 110}), allocatable
        owners = values(f'namespace_owner:kube_pod_owner:count{{namespace="{ns}"}}', "owner_name")
        assert owners == {"web-1a": 3, "crashy-2b": 1, "migrate": 1}, owners
        on_nodes = values(f'node:kube_pod_info:count{{node=~"{nodes[0]}|{nodes[1]}"}}', "node")
        assert on_nodes == {nodes[0]: 3, nodes[1]: 1}, on_nodes
        readiness = values(f'node:kube_node_ready:bool{{node=~"{nodes[0]}|{nodes[1]}"}}', "node")
        assert readiness == {nodes[0]: 1, nodes[1]: 0}, readiness
        available = values(f'namespace_deployment:kube_deployment_available:ratio{{namespace="{ns}"}}', "deployment")
        assert available == {"healthy": 1, "web": 0.5, "api": 1}, available
        if "kube_replicaset_owner" in s.served:
            by_deployment = {(r["metric"]["deployment"], r["metric"]["pod"]) for r in prom.query(
                f'namespace_deployment_pod:kube_pod_owner:relabel{{namespace="{ns}"}}')["result"]}
            assert by_deployment == {("web", "web-1"), ("web", "web-2"), ("web", "pending")}, by_deployment
    except (AssertionError, PrometheusError) as e:
        raise AssertionError(f"{e}\n{s.describe()}") from None


# The kubernetes-mixin's rules as kube-prometheus-stack ships them, rendered by `make tools`
# (tools/mixin/render_rules.py).
MIXIN_RULES = REPO_ROOT / ".local" / "share" / "kubernetes-mixin.rules.yml"
# Rules of another origin, e.g. a newer mixin rendered with jsonnet (prometheus_alerts.yaml and
# prometheus_rules.yaml): a path list (os.pathsep between paths).
EXTRA_RULES = os.environ.get("KUBE9_KSM_EXTRA_RULES", "")
# PromQL words that look like metric names in the rough scan of `inputs`.
_NOT_METRICS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                "offset", "inf", "nan"}


def selectors(expr: str) -> set[str]:
    """The vector selectors of an expression, matchers included (a rough scan: metric names
    outside strings, grouping clauses and ranges, not followed by `(`)."""
    strings: list[str] = []

    def keep(m: re.Match) -> str:
        strings.append(m.group(0))
        return f'"{len(strings) - 1}"'

    text = re.sub(r'"(?:[^"\\]|\\.)*"', keep, expr)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", "[]", text)
    out = set()
    for m in re.finditer(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])\s*(\{[^}]*\})?(?!\s*\()", text):
        name, matchers = m.group(1), m.group(2) or ""
        if name.lower() in _NOT_METRICS or not ("_" in name or ":" in name or name == "up"):
            continue
        if re.search(r"\{[^}]*$", text[:m.start()]):  # a label name inside another selector's braces
            continue
        out.add(name + re.sub(r'"(\d+)"', lambda x: strings[int(x.group(1))], matchers))
    return out


def filters(expr: str) -> bool:
    """Whether an expression has a filtering comparison (`==`, `>`, ... without `bool`)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "{}", text)
    return re.search(r"(==|!=|>=|<=|>|<)(?!\s*bool\b)", text) is not None


def joins(expr: str) -> bool:
    """Whether an expression matches two vectors (`on`, `ignoring`, `and`, `unless`, `group_*`)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    return re.search(r"\b(on|ignoring|group_left|group_right|and|unless)\b", text) is not None


def inputs(expr: str) -> set[str]:
    """The metric names an expression selects."""
    return {sel.split("{", 1)[0] for sel in selectors(expr)}


def evaluate_rule_files(sample, tmp_path: Path, paths: list[Path]) -> tuple[Sample, dict]:
    """promtool checks each file; a real Prometheus then evaluates them all (every group at the
    global 1 s interval: some groups evaluate every few minutes) on the operator serving the
    sample. Every rule must evaluate with health ok, and a recording rule each of whose selectors
    has series must give series. Returns the sample (still running) and a report."""
    import yaml

    files = []
    for i, f in enumerate(paths):
        checked = subprocess.run([PROMTOOL, "check", "rules", "--lint=none", str(f)], capture_output=True, text=True,
                                 timeout=60)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        doc = yaml.safe_load(f.read_text())
        for group in doc["groups"]:
            group.pop("interval", None)
        files.append(tmp_path / f"other-{i}-{f.name}")
        files[-1].write_text(yaml.safe_dump(doc))
    s = sample(files)
    try:
        return s, rule_report(s)
    except (AssertionError, PrometheusError) as e:
        raise AssertionError(f"{e}\n{s.describe()}") from None


def rule_report(s: Sample) -> dict:
    rules = s.wait_rules_healthy()
    time.sleep(3)  # rules that read other rules' records: a few more evaluations
    rules = s.wait_rules_healthy()
    names = set(s.prom.api("/api/v1/label/__name__/values"))
    recorded = {r["name"] for r in rules if r["type"] == "recording"}
    kube_rules = [r for r in rules if any(n.startswith("kube_") for n in inputs(r["query"]))
                  or inputs(r["query"]) & recorded]
    empty = []
    for r in rules:
        if r["type"] != "recording":
            continue
        needed = selectors(r["query"])
        if filters(r["query"]) or joins(r["query"]):
            # `up == 0` may rightly be empty though `up` has series, and so may a join whose
            # sides have series for different objects (a ReplicaSet without owner elsewhere in
            # the shared cluster, no pod of it here).
            continue
        if needed and all(s.prom.query(f"count({sel})")["result"] for sel in needed) and \
                not s.prom.query(r["query"])["result"]:
            empty.append((r["name"], r["query"]))
    report = {"rules": len(rules), "on kube_* families or their records": len(kube_rules),
              "recording rules with results": sorted(n for n in recorded if n in names),
              "alerts active": sorted({a["labels"]["alertname"] for a in s.prom.alerts()})}
    print(report)
    assert not empty, f"recording rules without results though every input has series: {empty}"
    return report


def mixin_expected_alerts(ns: str, nodes: list[str]) -> dict[str, set[tuple[str, ...]]]:
    """The kubernetes-mixin's alerts the sample raises (firing or pending: most wait 15 minutes),
    each with the objects it must be active for, and no other of its alerts for the sample."""
    return {
        "KubePodCrashLooping": {(ns, "crashy", "app")},
        "KubePodNotReady": {(ns, "pending")},
        "KubeDeploymentReplicasMismatch": {(ns, "web")},
        "KubeDeploymentGenerationMismatch": {(ns, "api")},
        "KubeDeploymentRolloutStuck": {(ns, "web")},
        "KubeStatefulSetReplicasMismatch": {(ns, "db")},
        "KubeDaemonSetNotScheduled": {(ns, "agent")},
        "KubeDaemonSetRolloutStuck": {(ns, "agent")},
        "KubeHpaMaxedOut": {(ns, "web")},
        "KubePdbNotEnoughHealthyPods": {(ns, "web")},
        "KubeJobFailed": {(ns, "migrate")},
        # Not KubeNodeNotReady: the mixin leaves out cordoned nodes, and the NotReady one is.
    }


def test_kubernetes_mixin_rules_evaluate_on_the_operator(sample, tmp_path):
    """Issue 14, point 2: the kubernetes-mixin's alerting and recording rules, unchanged, on the
    operator's output: all evaluate without error, the recording rules on kube_* families give
    series, and the alerts the sample calls for are active for exactly its objects."""
    assert MIXIN_RULES.is_file(), f"{MIXIN_RULES} missing: `make tools` renders it"
    s, report = evaluate_rule_files(sample, tmp_path, [MIXIN_RULES])
    try:
        assert report["on kube_* families or their records"] >= 60, report
        for record in ("namespace_cpu:kube_pod_container_resource_requests:sum",
                       "namespace_memory:kube_pod_container_resource_requests:sum",
                       "namespace_workload_pod:kube_pod_owner:relabel"):
            assert record in report["recording rules with results"], report
        ours = {s.ns, *s.nodes}
        expected = mixin_expected_alerts(s.ns, s.nodes)

        def alerts_as_expected():
            got: dict[str, set[tuple[str, ...]]] = {}
            for a in s.prom.alerts():
                ident = identity(a["labels"])
                if ident and ident[0] in ours:
                    got.setdefault(a["labels"]["alertname"], set()).add(ident)
            return got == expected, {"got": got, "want": expected}

        wait_for(alerts_as_expected, 30, "each mixin alert active for exactly the sample's objects it is about",
                 interval=0.5)
    except (AssertionError, PrometheusError) as e:
        raise AssertionError(f"{e}\n{s.describe()}") from None


@pytest.mark.skipif(not EXTRA_RULES, reason="KUBE9_KSM_EXTRA_RULES is not set (rules of another origin)")
def test_extra_rules_evaluate_on_the_operator(sample, tmp_path):
    s, _ = evaluate_rule_files(sample, tmp_path, [Path(p) for p in EXTRA_RULES.split(os.pathsep) if p])
