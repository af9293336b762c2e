"""Cluster state collectors and aggregates (PRODUCT.md §3, issue 3 point 4).

Objects are created in the local control plane and their `status` is set through the status
subresource, as a kubelet or a controller would. Per-namespace families are asserted exactly
against hand-computed numbers; cluster-wide ones (nodes, health checks, score) against what
this file computes from the API at the same moment, because nodes and the pods of earlier tests'
namespaces outlive those tests.
"""

from __future__ import annotations

import calendar
import secrets
import time
from decimal import Decimal
from typing import Any


from conftest import (
    create_object,
    delete_object,
    list_items,
    metric_value,
    metric_values,
    parse_metrics,
    patch_object,
    patch_status,
    random_namespace,
    wait_for,
)

MI = 1024 * 1024
GI = 1024 * MI

PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]
NODE_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"]
CHECKS = [  # (name, severity, weight) in the order of the documented formula
    ("nodes_not_ready", "critical", 30),
    ("pods_crash_looping", "warning", 15),
    ("pods_pending_too_long", "warning", 10),
    ("image_pull_failures", "warning", 10),
    ("pods_oom_killed", "warning", 10),
    ("workloads_unavailable", "warning", 15),
    ("pvcs_pending", "warning", 5),
    ("jobs_failed", "warning", 5),
]
CLUSTER_FAMILIES = [
    "kube9_nodes", "kube9_node_conditions", "kube9_node_allocatable", "kube9_pods",
    "kube9_containers_waiting", "kube9_container_restarts", "kube9_containers_oom_killed",
    "kube9_resource_requests", "kube9_resource_limits", "kube9_workload_replicas", "kube9_pvcs",
    "kube9_jobs", "kube9_cluster_info", "kube9_health_check_affected", "kube9_health_score",
]


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- reference computations from the API (cluster-wide expectations) --------------------------

_SUFFIXES = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
    "P": Decimal(10**15), "E": Decimal(10**18),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}


def quantity(text: str | None) -> Decimal:
    """A Kubernetes quantity string as an exact decimal ("3500m" -> 3.5, "8Gi" -> 8589934592)."""
    if not text:
        return Decimal(0)
    for suffix in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * _SUFFIXES[suffix]
    return Decimal(text)  # plain number, possibly with an e/E exponent


def condition(obj: dict, ctype: str) -> str | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c.get("status")
    return None


def pod_phase(pod: dict) -> str:
    phase = (pod.get("status") or {}).get("phase") or "Pending"
    return phase if phase in PHASES else "Unknown"


def container_statuses(pod: dict) -> list[dict]:
    st = pod.get("status") or {}
    return (st.get("containerStatuses") or []) + (st.get("initContainerStatuses") or [])


def waiting_reasons(pod: dict) -> list[str]:
    return [((cs.get("state") or {}).get("waiting") or {}).get("reason", "")
            for cs in container_statuses(pod) if "waiting" in (cs.get("state") or {})]


def provider_of(node: dict) -> str | None:
    pid = (node.get("spec") or {}).get("providerID") or ""
    schemes = {"aws": "aws", "gce": "gcp", "azure": "azure", "kind": "kind"}
    if "://" in pid and pid.split("://", 1)[0] in schemes:
        return schemes[pid.split("://", 1)[0]]
    labels = (node.get("metadata") or {}).get("labels") or {}
    if "eks.amazonaws.com/nodegroup" in labels:
        return "aws"
    if "cloud.google.com/gke-nodepool" in labels:
        return "gcp"
    return None


def cluster_expectations(api) -> dict[str, Any]:
    """What the cluster-wide families must say about the cluster as the API shows it now."""
    nodes = list_items(api, "/api/v1/nodes")
    pods = list_items(api, "/api/v1/pods")
    pvcs = list_items(api, "/api/v1/persistentvolumeclaims")
    jobs = list_items(api, "/apis/batch/v1/jobs")
    deployments = list_items(api, "/apis/apps/v1/deployments")
    statefulsets = list_items(api, "/apis/apps/v1/statefulsets")
    daemonsets = list_items(api, "/apis/apps/v1/daemonsets")
    now = time.time()

    ready = {"true": 0, "false": 0, "unknown": 0}
    conditions = {(c, s): 0 for c in NODE_CONDITIONS for s in ("True", "False", "Unknown")}
    alloc = {"cpu": Decimal(0), "memory": Decimal(0)}
    providers: dict[str, int] = {}
    for n in nodes:
        r = condition(n, "Ready")
        ready[{"True": "true", "False": "false"}.get(r, "unknown")] += 1
        for c in NODE_CONDITIONS:
            s = condition(n, c)
            conditions[(c, s if s in ("True", "False") else "Unknown")] += 1
        if r == "True":
            a = (n.get("status") or {}).get("allocatable") or {}
            alloc["cpu"] += quantity(a.get("cpu"))
            alloc["memory"] += quantity(a.get("memory"))
        p = provider_of(n)
        if p:
            providers[p] = providers.get(p, 0) + 1
    top = max(providers.values(), default=0)
    provider_choices = {p for p, c in providers.items() if c == top} or {"unknown"}

    def created(obj: dict) -> float:
        return calendar.timegm(time.strptime(obj["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ"))

    affected = {
        "nodes_not_ready": ready["false"] + ready["unknown"],
        "pods_crash_looping": sum(1 for p in pods if "CrashLoopBackOff" in waiting_reasons(p)),
        "pods_pending_too_long": sum(1 for p in pods if pod_phase(p) == "Pending" and now - created(p) > 300),
        "image_pull_failures": sum(
            1 for p in pods
            if {"ImagePullBackOff", "ErrImagePull", "InvalidImageName"} & set(waiting_reasons(p))
        ),
        "pods_oom_killed": sum(
            1 for p in pods
            if any(((cs.get("lastState") or {}).get("terminated") or {}).get("reason") == "OOMKilled"
                   for cs in container_statuses(p))
        ),
        "workloads_unavailable": (
            sum(1 for d in deployments if ((d.get("status") or {}).get("unavailableReplicas") or 0) > 0)
            + sum(1 for s in statefulsets
                  if (s["spec"].get("replicas", 1) - ((s.get("status") or {}).get("availableReplicas") or 0)) > 0)
            + sum(1 for d in daemonsets if ((d.get("status") or {}).get("numberUnavailable") or 0) > 0)
        ),
        "pvcs_pending": sum(1 for p in pvcs if ((p.get("status") or {}).get("phase") or "Pending") == "Pending"),
        "jobs_failed": sum(1 for j in jobs if condition(j, "Failed") == "True"),
    }
    population = {
        "nodes_not_ready": len(nodes),
        "pods_crash_looping": len(pods), "pods_pending_too_long": len(pods),
        "image_pull_failures": len(pods), "pods_oom_killed": len(pods),
        "workloads_unavailable": len(deployments) + len(statefulsets) + len(daemonsets),
        "pvcs_pending": len(pvcs),
        "jobs_failed": len(jobs),
    }
    penalty = sum(
        Decimal(weight) * affected[name] / population[name] for name, _, weight in CHECKS if population[name]
    )
    # round() of the documented formula; .5 cases are not produced by this suite's numbers.
    score = int((Decimal(100) - penalty).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    return {
        "ready": ready, "conditions": conditions, "alloc": alloc, "provider_choices": provider_choices,
        "affected": affected, "population": population, "score": max(0, min(100, score)),
        "pods": len(pods), "nodes": len(nodes),
    }


def cluster_wide_mismatches(text: str, exp: dict[str, Any]) -> list[str]:
    """Differences between a /metrics body and the expectations of `cluster_expectations`."""
    bad = []

    def check(what: str, got: Any, want: Any) -> None:
        if got != want:
            bad.append(f"{what}: got {got!r}, want {want!r}")

    for r, want in exp["ready"].items():
        check(f'kube9_nodes{{ready="{r}"}}', metric_value(text, "kube9_nodes", ready=r), float(want))
    check("kube9_nodes series", len(metric_values(text, "kube9_nodes")), 3)
    for (c, s), want in exp["conditions"].items():
        check(f"kube9_node_conditions{{{c},{s}}}",
              metric_value(text, "kube9_node_conditions", condition=c, status=s), float(want))
    check("kube9_node_conditions series", len(metric_values(text, "kube9_node_conditions")), 15)
    for res in ("cpu", "memory"):
        check(f"kube9_node_allocatable{{{res}}}",
              metric_value(text, "kube9_node_allocatable", resource=res), float(exp["alloc"][res]))
    infos = [(ls, v) for n, ls, v in parse_metrics(text) if n == "kube9_cluster_info"]
    if len(infos) != 1:
        bad.append(f"kube9_cluster_info: {infos}")
    else:
        ls, v = infos[0]
        check("kube9_cluster_info value", v, 1.0)
        if ls.get("provider") not in exp["provider_choices"]:
            bad.append(f"kube9_cluster_info provider {ls.get('provider')!r}, want one of {exp['provider_choices']}")
    for name, severity, _ in CHECKS:
        check(f"kube9_health_check_affected{{{name},{severity}}}",
              metric_value(text, "kube9_health_check_affected", check=name, severity=severity),
              float(exp["affected"][name]))
    check("kube9_health_check_affected series", len(metric_values(text, "kube9_health_check_affected")), len(CHECKS))
    check("kube9_health_score", metric_value(text, "kube9_health_score"), float(exp["score"]))
    for resource in ("pods", "nodes"):
        check(f'kube9_operator_store_objects{{resource="{resource}"}}',
              metric_value(text, "kube9_operator_store_objects", resource=resource), float(exp[resource]))
    return bad


def wait_cluster_wide(api, op, timeout: float, what: str) -> tuple[str, dict]:
    """Waits until /metrics agrees with the API on every cluster-wide value (both read anew each
    time, so that other tests' objects changing meanwhile or a pod crossing the 5-minute line
    cannot make a correct operator fail)."""
    def check():
        exp = cluster_expectations(api)
        text = op.metrics()
        bad = cluster_wide_mismatches(text, exp)
        return not bad, (bad, text, exp)

    try:
        _, text, exp = wait_for(check, timeout, what, interval=0.5, operator=op)
    except AssertionError as e:
        raise AssertionError(str(e)[:6000]) from None
    return text, exp


# --- per-namespace families ----------------------------------------------------------------------


def namespace_view(text: str, ns: str) -> dict[str, Any]:
    """Every per-namespace series of `ns` in a /metrics body, keyed for exact comparison."""
    view: dict[str, Any] = {}
    for name, labels, value in parse_metrics(text):
        if labels.get("namespace") != ns or not name.startswith("kube9_") or name.startswith("kube9_operator_"):
            continue
        key = (name,) + tuple(sorted((k, v) for k, v in labels.items() if k != "namespace"))
        assert key not in view, f"duplicate series {name}{labels}"
        view[key] = value
    return view


def expected_view(pods: dict, waiting: dict, restarts: int, oom: int, requests: tuple, limits: tuple,
                  pvcs: dict, jobs: dict, workloads: dict) -> dict[str, Any]:
    view: dict[str, Any] = {}
    for phase in PHASES:
        view[("kube9_pods", ("phase", phase))] = float(pods.get(phase, 0))
    for reason, n in waiting.items():
        view[("kube9_containers_waiting", ("reason", reason))] = float(n)
    view[("kube9_container_restarts",)] = float(restarts)
    view[("kube9_containers_oom_killed",)] = float(oom)
    view[("kube9_resource_requests", ("resource", "cpu"))] = float(requests[0])
    view[("kube9_resource_requests", ("resource", "memory"))] = float(requests[1])
    view[("kube9_resource_limits", ("resource", "cpu"))] = float(limits[0])
    view[("kube9_resource_limits", ("resource", "memory"))] = float(limits[1])
    for phase in ("Pending", "Bound", "Lost"):
        view[("kube9_pvcs", ("phase", phase))] = float(pvcs.get(phase, 0))
    for state in ("active", "succeeded", "failed"):
        view[("kube9_jobs", ("state", state))] = float(jobs.get(state, 0))
    for (kind, name), states in workloads.items():
        for state, value in zip(("desired", "ready", "available", "unavailable"), states):
            view[("kube9_workload_replicas", ("kind", kind), ("state", state), ("workload", name))] = float(value)
    return view


def diff_views(got: dict, want: dict) -> list[str]:
    out = []
    for key in sorted(set(got) | set(want), key=str):
        if got.get(key) != want.get(key):
            out.append(f"{key}: got {got.get(key)!r}, want {want.get(key)!r}")
    return out


def wait_namespace(op, ns: str, want: dict, timeout: float, what: str) -> str:
    def check():
        text = op.metrics()
        diff = diff_views(namespace_view(text, ns), want)
        return not diff, diff

    wait_for(check, timeout, what, interval=0.25, operator=op)
    return op.metrics()


# --- object builders ---------------------------------------------------------------------------


def container(name: str, requests: dict | None = None, limits: dict | None = None) -> dict:
    c: dict[str, Any] = {"name": name, "image": "registry.invalid/app:1"}
    resources = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    if resources:
        c["resources"] = resources
    return c


def cstatus(name: str, state: dict, restarts: int = 0, last: dict | None = None) -> dict:
    s = {"name": name, "ready": "running" in state, "restartCount": restarts, "image": "registry.invalid/app:1",
         "imageID": "", "state": state}
    if last:
        s["lastState"] = last
    return s


def waiting(reason: str) -> dict:
    return {"waiting": {"reason": reason, "message": "set by the test"}}


RUNNING = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}


def terminated(reason: str, code: int) -> dict:
    return {"terminated": {"reason": reason, "exitCode": code, "startedAt": "2026-01-01T00:00:00Z",
                           "finishedAt": "2026-01-01T00:01:00Z"}}


def make_pod(api, ns: str, name: str, containers: list, init: list | None = None,
             status: dict | None = None) -> None:
    spec: dict[str, Any] = {"containers": containers, "restartPolicy": "Always"}
    if init:
        spec["initContainers"] = init
    create_object(api, f"/api/v1/namespaces/{ns}/pods",
                  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
    if status is not None:
        patch_status(api, f"/api/v1/namespaces/{ns}/pods/{name}", status)


def pod_template(app: str) -> dict:
    return {
        "selector": {"matchLabels": {"app": app}},
        "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [container("c")]}},
    }


def make_workload(api, ns: str, kind: str, name: str, spec: dict, status: dict | None) -> None:
    plural = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}[kind]
    create_object(api, f"/apis/apps/v1/namespaces/{ns}/{plural}",
                  {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
                   "spec": {**pod_template(name), **spec}})
    if status is not None:
        patch_status(api, f"/apis/apps/v1/namespaces/{ns}/{plural}/{name}", status)


def make_pvc(api, ns: str, name: str, phase: str | None) -> None:
    create_object(api, f"/api/v1/namespaces/{ns}/persistentvolumeclaims", {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    })
    if phase is not None:
        patch_status(api, f"/api/v1/namespaces/{ns}/persistentvolumeclaims/{name}",
                     {"phase": phase, "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}})


def make_job(api, ns: str, name: str, status: dict | None) -> None:
    create_object(api, f"/apis/batch/v1/namespaces/{ns}/jobs", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [container("c")]}}},
    })
    if status is not None:
        patch_status(api, f"/apis/batch/v1/namespaces/{ns}/jobs/{name}", status)


def job_condition(ctype: str) -> dict:
    t = now_rfc3339()
    return {"type": ctype, "status": "True", "lastTransitionTime": t, "lastProbeTime": t}


def make_node(api, name: str, conditions: dict[str, str], allocatable: dict, provider_id: str) -> None:
    create_object(api, "/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kube9.test/node": "1"}},
        "spec": {"providerID": provider_id},
    })
    t = now_rfc3339()
    patch_status(api, f"/api/v1/nodes/{name}", {
        "capacity": allocatable, "allocatable": allocatable,
        "conditions": [{"type": c, "status": s, "reason": "Test", "lastHeartbeatTime": t,
                        "lastTransitionTime": t} for c, s in conditions.items()],
    })


# --- the namespace's contents and what the families must say about it -------------------------

# Non-terminated pods' effective requests and limits (cores, bytes), by pod:
#   running    req 250m / 64Mi                 lim 500m / 128Mi
#   pending    req 0.1 / 100M                  lim -   (no status.phase at all)
#   unknown    no resources                            (phase Unknown: not terminated)
#   crashloop  req 100m / 50Mi                 lim 1 / 50Mi
#   imagepull  req 50m / 10Mi (+ a container without resources)
#   init       containers 100m+300m / 200Mi+200Mi (limits 200m / 256Mi);
#              largest init container 1 / 256Mi (limits 2 / 512Mi)
#              -> req max(0.4, 1)=1 / max(400Mi, 256Mi)=400Mi; lim 2 / 512Mi
#   limitsonly lim 750m / 1G, no requests -> req 750m / 1G
#   succeeded and failed pods: 4 / 4Gi and 2 / 1Gi, not counted
REQ_CPU = 0.25 + 0.1 + 0.1 + 0.05 + 1 + 0.75
REQ_MEM = 64 * MI + 100_000_000 + 50 * MI + 10 * MI + 400 * MI + 1_000_000_000
LIM_CPU = 0.5 + 1 + 2 + 0.75
LIM_MEM = 128 * MI + 50 * MI + 512 * MI + 1_000_000_000


def populate_namespace(api, ns: str) -> None:
    make_pod(api, ns, "running",
             [container("app", {"cpu": "250m", "memory": "64Mi"}, {"cpu": "500m", "memory": "128Mi"})],
             status={"phase": "Running", "containerStatuses": [cstatus("app", RUNNING, restarts=1)]})
    # The API server sets phase Pending on create; removing it gives a pod without a phase, as
    # the operator can meet it. It counts as Pending.
    make_pod(api, ns, "pending", [container("app", {"cpu": "0.1", "memory": "100M"})], status={"phase": None})
    assert "phase" not in (api.request("GET", f"/api/v1/namespaces/{ns}/pods/pending").json()["status"])
    make_pod(api, ns, "unknown", [container("app")], status={"phase": "Unknown"})
    make_pod(api, ns, "crashloop",
             [container("app", {"cpu": "100m", "memory": "50Mi"}, {"cpu": "1", "memory": "50Mi"})],
             status={"phase": "Running", "containerStatuses": [
                 cstatus("app", waiting("CrashLoopBackOff"), restarts=5, last=terminated("OOMKilled", 137))]})
    make_pod(api, ns, "imagepull",
             [container("app", {"cpu": "50m", "memory": "10Mi"}), container("sidecar")],
             status={"phase": "Pending", "containerStatuses": [
                 cstatus("app", waiting("ImagePullBackOff")),
                 cstatus("sidecar", waiting("SomeRuntimeSpecificReason"))]})
    make_pod(api, ns, "init",
             [container("app1", {"cpu": "100m", "memory": "200Mi"}, {"cpu": "200m", "memory": "256Mi"}),
              container("app2", {"cpu": "300m", "memory": "200Mi"})],
             init=[container("init1", {"cpu": "1", "memory": "256Mi"}, {"cpu": "2", "memory": "512Mi"}),
                   container("init2", {"cpu": "500m", "memory": "64Mi"})],
             status={"phase": "Pending",
                     "initContainerStatuses": [cstatus("init1", waiting("CreateContainerConfigError"), restarts=1),
                                               cstatus("init2", waiting("PodInitializing"))],
                     "containerStatuses": [cstatus("app1", waiting("PodInitializing")),
                                           cstatus("app2", waiting("PodInitializing"))]})
    make_pod(api, ns, "limitsonly", [container("app", None, {"cpu": "750m", "memory": "1G"})],
             status={"phase": "Running", "containerStatuses": [cstatus("app", RUNNING)]})
    make_pod(api, ns, "succeeded", [container("app", {"cpu": "4", "memory": "4Gi"}, {"cpu": "4", "memory": "4Gi"})],
             status={"phase": "Succeeded", "containerStatuses": [
                 cstatus("app", terminated("Completed", 0), restarts=2)]})
    make_pod(api, ns, "failed", [container("app", {"cpu": "2", "memory": "1Gi"})],
             status={"phase": "Failed", "containerStatuses": [cstatus("app", terminated("Error", 1))]})

    make_workload(api, ns, "Deployment", "web", {"replicas": 3},
                  {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 2,
                   "availableReplicas": 2, "unavailableReplicas": 1})
    make_workload(api, ns, "Deployment", "idle", {}, None)  # spec.replicas defaults to 1; no status
    make_workload(api, ns, "StatefulSet", "db", {"replicas": 3, "serviceName": "db"},
                  {"observedGeneration": 1, "replicas": 3, "readyReplicas": 1, "availableReplicas": 1,
                   "currentReplicas": 3, "updatedReplicas": 3})
    make_workload(api, ns, "StatefulSet", "cache", {"replicas": 2, "serviceName": "cache"},
                  {"observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "availableReplicas": 2,
                   "currentReplicas": 2, "updatedReplicas": 2})
    make_workload(api, ns, "DaemonSet", "agent", {},
                  {"observedGeneration": 1, "desiredNumberScheduled": 4, "currentNumberScheduled": 4,
                   "numberMisscheduled": 0, "numberReady": 3, "numberAvailable": 3, "numberUnavailable": 1,
                   "updatedNumberScheduled": 4})

    make_pvc(api, ns, "bound", "Bound")
    make_pvc(api, ns, "unbound", None)

    start = now_rfc3339()
    make_job(api, ns, "failed", {"startTime": start, "failed": 1,
                                 "conditions": [job_condition("FailureTarget"), job_condition("Failed")]})
    make_job(api, ns, "complete", {"startTime": start, "completionTime": now_rfc3339(), "succeeded": 1,
                                   "conditions": [job_condition("SuccessCriteriaMet"), job_condition("Complete")]})
    make_job(api, ns, "active", {"startTime": start, "active": 1})
    make_job(api, ns, "new", None)  # no status: in no state


WORKLOADS_BEFORE = {
    ("Deployment", "web"): (3, 2, 2, 1),
    ("Deployment", "idle"): (1, 0, 0, 0),
    ("StatefulSet", "db"): (3, 1, 1, 2),
    ("StatefulSet", "cache"): (2, 2, 2, 0),
    ("DaemonSet", "agent"): (4, 3, 3, 1),
}

EXPECTED_BEFORE = dict(
    pods={"Pending": 3, "Running": 3, "Succeeded": 1, "Failed": 1, "Unknown": 1},
    waiting={"CrashLoopBackOff": 1, "ImagePullBackOff": 1, "Other": 1, "CreateContainerConfigError": 1,
             "PodInitializing": 3},
    restarts=1 + 5 + 1 + 2,
    oom=1,
    requests=(REQ_CPU, REQ_MEM),
    limits=(LIM_CPU, LIM_MEM),
    pvcs={"Pending": 1, "Bound": 1},
    jobs={"active": 1, "succeeded": 1, "failed": 1},
    workloads=WORKLOADS_BEFORE,
)

EMPTY_NAMESPACE = dict(pods={}, waiting={}, restarts=0, oom=0, requests=(0, 0), limits=(0, 0), pvcs={}, jobs={},
                       workloads={})


def test_cluster_aggregates_follow_objects_exactly(api, namespace, start_operator):
    ns = namespace
    empty_ns = random_namespace()
    api.create_namespace(empty_ns)
    tag = secrets.token_hex(3)
    node_names = [f"it-node-{tag}-ready", f"it-node-{tag}-notready", f"it-node-{tag}-nocond"]
    try:
        make_node(api, node_names[0],
                  {"Ready": "True", "MemoryPressure": "False", "DiskPressure": "False", "PIDPressure": "False",
                   "NetworkUnavailable": "False"},
                  {"cpu": "3500m", "memory": "8Gi", "pods": "110"}, f"aws:///us-east-1a/i-{tag}0001")
        make_node(api, node_names[1],
                  {"Ready": "False", "MemoryPressure": "True", "DiskPressure": "Unknown", "PIDPressure": "False"},
                  {"cpu": "2", "memory": "4Gi"}, f"aws:///us-east-1b/i-{tag}0002")
        # No Ready condition at all (a node that never reported): counts as unknown.
        make_node(api, node_names[2], {"DiskPressure": "True"}, {"cpu": "1", "memory": "1Gi"},
                  f"aws:///us-east-1c/i-{tag}0003")
        populate_namespace(api, ns)

        started = time.time()
        op = start_operator(ns, interval="5s", args=["--sample-interval=1s"])
        text = wait_namespace(op, ns, expected_view(**EXPECTED_BEFORE), 10, f"the aggregates of namespace {ns}")
        wait_namespace(op, empty_ns, expected_view(**EMPTY_NAMESPACE), 5, f"zeros for the empty namespace {empty_ns}")

        # Every family is there, with the documented shape.
        names = {n for n, _, _ in parse_metrics(text)}
        assert set(CLUSTER_FAMILIES) <= names, f"missing families: {set(CLUSTER_FAMILIES) - names}"
        version = api.request("GET", "/version").json()["gitVersion"]
        assert version == "v1.35.4", version
        info = [ls for n, ls, _ in parse_metrics(text) if n == "kube9_cluster_info"]
        assert len(info) == 1 and info[0]["kubernetes_version"] == version, info
        for name, labels, value in parse_metrics(text):
            if name == "kube9_containers_waiting":
                assert value > 0, f"zero-valued waiting series: {name}{labels}"
                assert labels["reason"] in {
                    "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                    "CreateContainerError", "InvalidImageName", "RunContainerError", "ContainerCreating",
                    "PodInitializing", "Other"}, labels

        # Cluster-wide values against the API, my three nodes included.
        text, exp = wait_cluster_wide(api, op, 10, "cluster-wide aggregates that agree with the API")
        assert exp["ready"]["false"] >= 1 and exp["ready"]["unknown"] >= 1, exp["ready"]
        assert exp["affected"]["pods_crash_looping"] >= 1 and exp["affected"]["jobs_failed"] >= 1, exp["affected"]
        assert "aws" in exp["provider_choices"], exp["provider_choices"]
        assert exp["alloc"]["cpu"] >= Decimal("3.5") and exp["alloc"]["memory"] >= 8 * GI, exp["alloc"]
        assert metric_values(text, "kube9_health_score")[0] < 100

        # The status ConfigMap's clusterHealth: the score and exactly the failing checks.
        def cluster_health_agrees():
            status = api.get_status(ns)
            ch = None if status is None else status.get("clusterHealth")
            metrics_now = op.metrics()
            want_checks = {
                (ls["check"], ls["severity"], int(v))
                for n, ls, v in parse_metrics(metrics_now) if n == "kube9_health_check_affected" and v > 0
            }
            want = (int(metric_value(metrics_now, "kube9_health_score")), want_checks)
            if not isinstance(ch, dict):
                return False, ("no clusterHealth", status)
            got_checks = {(c.get("check"), c.get("severity"), c.get("affected")) for c in ch.get("checks", [])}
            ok = (ch.get("score"), got_checks) == want and len(ch["checks"]) == len(got_checks)
            return ok, (ch, want)

        ch, _ = wait_for(cluster_health_agrees, 12, "clusterHealth in the status ConfigMap to match /metrics",
                         operator=op)
        assert isinstance(ch["score"], int) and 0 <= ch["score"] < 100, ch
        failing = {c["check"] for c in ch["checks"]}
        assert {"nodes_not_ready", "pods_crash_looping", "image_pull_failures", "pods_oom_killed",
                "workloads_unavailable", "pvcs_pending", "jobs_failed"} <= failing, ch
        assert all(c["affected"] > 0 and set(c) == {"check", "severity", "affected"} for c in ch["checks"]), ch
        assert list(ch) == ["score", "checks"], ch

        # Self metrics of the collectors.
        text = op.metrics()
        resources = ["nodes", "namespaces", "pods", "services", "persistentvolumeclaims", "deployments",
                     "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs"]
        for r in resources:
            assert metric_value(text, "kube9_operator_relists_total", resource=r, reason="initial") == 1.0, r
            synced = metric_value(text, "kube9_operator_last_sync_timestamp_seconds", resource=r)
            assert synced is not None and started - 2 <= synced <= time.time() + 1, (r, synced, started)
            assert metric_value(text, "kube9_operator_store_objects", resource=r) is not None, r
            assert metric_value(text, "kube9_operator_objects_skipped_total", resource=r) == 0.0, r
        assert (metric_value(text, "kube9_operator_scrape_duration_seconds_count") or 0) >= 1

        # --- updates and deletes, seen through the watches -------------------------------------
        events_before = {t: metric_value(text, "kube9_operator_watch_events_total", resource="pods", type=t) or 0
                         for t in ("MODIFIED", "DELETED")}
        patch_status(api, f"/api/v1/namespaces/{ns}/pods/crashloop", {
            "phase": "Running",
            "containerStatuses": [cstatus("app", RUNNING, restarts=6, last=terminated("Error", 1))],
        })
        patch_object(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web", {"spec": {"replicas": 5}})
        patch_status(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web", {
            "observedGeneration": 2, "replicas": 5, "updatedReplicas": 5, "readyReplicas": 5,
            "availableReplicas": 5, "unavailableReplicas": None,
        })
        delete_object(api, f"/api/v1/namespaces/{ns}/pods/imagepull")
        # The pvc-protection finalizer would keep a deleted claim forever without a controller.
        patch_object(api, f"/api/v1/namespaces/{ns}/persistentvolumeclaims/unbound",
                     {"metadata": {"finalizers": None}})
        delete_object(api, f"/api/v1/namespaces/{ns}/persistentvolumeclaims/unbound")
        delete_object(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets/cache")
        patch_status(api, f"/apis/batch/v1/namespaces/{ns}/jobs/active", {
            "active": None, "succeeded": 1, "completionTime": now_rfc3339(),
            "conditions": [job_condition("SuccessCriteriaMet"), job_condition("Complete")]})
        delete_object(api, f"/api/v1/nodes/{node_names[2]}")
        patch_status(api, f"/api/v1/nodes/{node_names[1]}", {"conditions": [
            {"type": "Ready", "status": "True", "reason": "Test", "lastHeartbeatTime": now_rfc3339(),
             "lastTransitionTime": now_rfc3339()}]})
        changed = time.monotonic()

        after = dict(EXPECTED_BEFORE)
        after["pods"] = {"Pending": 2, "Running": 3, "Succeeded": 1, "Failed": 1, "Unknown": 1}
        after["waiting"] = {"CreateContainerConfigError": 1, "PodInitializing": 3}
        after["restarts"] = 1 + 6 + 1 + 2
        after["oom"] = 0
        after["requests"] = (REQ_CPU - 0.05, REQ_MEM - 10 * MI)
        after["pvcs"] = {"Bound": 1}
        after["jobs"] = {"succeeded": 2, "failed": 1}
        after["workloads"] = {**WORKLOADS_BEFORE, ("Deployment", "web"): (5, 5, 5, 0)}
        del after["workloads"][("StatefulSet", "cache")]
        wait_namespace(op, ns, expected_view(**after), 5, "the aggregates to follow updates and deletes")
        took = time.monotonic() - changed
        text, exp = wait_cluster_wide(api, op, 5, "cluster-wide aggregates to follow the updates")
        assert float(exp["alloc"]["cpu"]) >= 5.5, exp["alloc"]  # the node that became Ready counts now
        assert all(n["metadata"]["name"] != node_names[2] for n in list_items(api, "/api/v1/nodes"))
        text = op.metrics()
        for t in ("MODIFIED", "DELETED"):
            now_count = metric_value(text, "kube9_operator_watch_events_total", resource="pods", type=t) or 0
            assert now_count > events_before[t], (t, events_before[t], now_count)
        assert took < 5, took
    finally:
        for name in node_names:
            api.request("DELETE", f"/api/v1/nodes/{name}")
        api.delete_namespace(empty_ns)


def test_only_chosen_collectors_run(api, namespace, start_operator):
    ns = namespace
    make_pod(api, ns, "p", [container("app", {"cpu": "200m", "memory": "1Mi"})],
             status={"phase": "Running", "containerStatuses": [cstatus("app", RUNNING, restarts=3)]})
    make_pvc(api, ns, "claim", None)
    make_job(api, ns, "j", {"startTime": now_rfc3339(), "active": 1})

    op = start_operator(ns, interval="5s", args=["--sample-interval=1s", "--collectors=pods,namespaces"])
    # start_operator has waited for /readyz 200 already; say so explicitly.
    assert op.get("/readyz").status == 200

    want = expected_view(pods={"Running": 1}, waiting={}, restarts=3, oom=0, requests=(0.2, MI), limits=(0, 0),
                         pvcs={}, jobs={}, workloads={})
    want = {k: v for k, v in want.items() if k[0] not in ("kube9_pvcs", "kube9_jobs")}
    text = wait_namespace(op, ns, want, 10, f"pod aggregates of {ns}")

    names = {n for n, _, _ in parse_metrics(text)}
    absent = ["kube9_nodes", "kube9_node_conditions", "kube9_node_allocatable", "kube9_workload_replicas",
              "kube9_pvcs", "kube9_jobs"]
    assert not set(absent) & names, f"families of disabled collectors are exported: {set(absent) & names}"
    for family in absent:
        assert f"# TYPE {family} " not in text and f"# HELP {family} " not in text, family
    for family in ["kube9_pods", "kube9_container_restarts", "kube9_containers_oom_killed",
                   "kube9_resource_requests", "kube9_resource_limits", "kube9_cluster_info",
                   "kube9_health_check_affected", "kube9_health_score"]:
        assert family in names, family
    checks = {ls["check"] for n, ls, _ in parse_metrics(text) if n == "kube9_health_check_affected"}
    assert checks == {"pods_crash_looping", "pods_pending_too_long", "image_pull_failures", "pods_oom_killed"}, checks
    info = [ls for n, ls, _ in parse_metrics(text) if n == "kube9_cluster_info"]
    assert info == [{"kubernetes_version": "v1.35.4", "provider": "unknown"}], info

    stores = {ls["resource"] for n, ls, _ in parse_metrics(text) if n == "kube9_operator_store_objects"}
    assert stores == {"pods", "namespaces"}, stores
    relisted = {ls["resource"] for n, ls, _ in parse_metrics(text) if n == "kube9_operator_relists_total"}
    assert relisted == {"pods", "namespaces"}, relisted
    listed = {ls["resource"] for n, ls, _ in parse_metrics(text)
              if n == "kube9_operator_kubernetes_api_requests_total" and ls.get("verb") == "list"}
    assert listed == {"pods", "namespaces"}, listed

    status = wait_for(lambda: ((s := api.get_status(ns)) is not None and "clusterHealth" in s, s), 12,
                      "clusterHealth in the status", operator=op)
    assert status["clusterHealth"]["score"] == int(metric_value(op.metrics(), "kube9_health_score")), status
    assert {c["check"] for c in status["clusterHealth"]["checks"]} <= checks, status


def test_namespaces_known_from_pvcs_and_jobs_without_the_namespaces_collector(api, namespace, start_operator):
    # Without the namespaces collector, a namespace is known by having pods, PVCs or jobs; each
    # known namespace gets every pod phase (zeros included), restarts, OOM kills, PVC phases and job states.
    pvc_ns, job_ns = namespace, random_namespace()
    api.create_namespace(job_ns)
    try:
        make_pvc(api, pvc_ns, "claim", "Bound")
        make_job(api, job_ns, "j", {"startTime": now_rfc3339(), "active": 1})
        op = start_operator(pvc_ns, interval="5s",
                            args=["--sample-interval=1s", "--collectors=pods,persistentvolumeclaims,jobs"])
        wait_namespace(op, pvc_ns, expected_view(pods={}, waiting={}, restarts=0, oom=0, requests=(0, 0),
                                                 limits=(0, 0), pvcs={"Bound": 1}, jobs={}, workloads={}),
                       10, f"zeros and one Bound PVC for {pvc_ns}")
        wait_namespace(op, job_ns, expected_view(pods={}, waiting={}, restarts=0, oom=0, requests=(0, 0),
                                                 limits=(0, 0), pvcs={}, jobs={"active": 1}, workloads={}),
                       5, f"zeros and one active job for {job_ns}")
        text = op.metrics()
        assert not metric_values(text, "kube9_nodes") and not metric_values(text, "kube9_workload_replicas")
        checks = {ls["check"] for n, ls, _ in parse_metrics(text) if n == "kube9_health_check_affected"}
        assert checks == {"pods_crash_looping", "pods_pending_too_long", "image_pull_failures", "pods_oom_killed",
                          "pvcs_pending", "jobs_failed"}, checks
    finally:
        api.delete_namespace(job_ns)


def test_node_allocatable_does_not_overflow(api, namespace, start_operator):
    tag = secrets.token_hex(3)
    names = [f"it-node-{tag}-big{i}" for i in range(3)]
    try:
        for n in names:  # 3 x 4Pi = 12 PiB: every node's value parses, only the sum is large
            make_node(api, n, {"Ready": "True"}, {"cpu": "1", "memory": "4Pi"}, f"aws:///us-east-1a/i-{tag}")
        op = start_operator(namespace, interval="5s", args=["--sample-interval=1s", "--collectors=nodes"])

        def check():
            want = float(cluster_expectations(api)["alloc"]["memory"])
            got = metric_value(op.metrics(), "kube9_node_allocatable", resource="memory")
            return got == want, (got, want)

        wait_for(check, 5, "kube9_node_allocatable{resource=\"memory\"} to be the exact sum", operator=op)
    finally:
        for n in names:
            api.request("DELETE", f"/api/v1/nodes/{n}")
