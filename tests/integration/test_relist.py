"""A forced relist: the API server goes away; behind its back (directly in etcd) one pod is
deleted, one changed and one created, and etcd is compacted, so the operator's watch position is
gone when the API server returns. The operator must relist and reconcile its stores: nothing
stale, nothing missing.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

from conftest import CLUSTER_SH, etcd, list_items, metric_value, parse_metrics, run, wait_for
from test_cluster_metrics import (
    RUNNING,
    container,
    cstatus,
    diff_views,
    expected_view,
    make_pod,
    namespace_view,
    waiting,
)

def cluster_cmd(command: str) -> float:
    started = time.monotonic()
    out = run(["bash", str(CLUSTER_SH), command], timeout=120)
    assert out.returncode == 0, f"scripts/cluster.sh {command} failed:\n{out.stdout}\n{out.stderr}"
    return time.monotonic() - started


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def pod_for_etcd(pod: dict, **changes) -> bytes:
    """A pod as the API server would read it back from etcd (JSON is accepted by its storage
    decoder alongside protobuf); resourceVersion is never stored, etcd's revision is."""
    pod = json.loads(json.dumps(pod))
    pod["apiVersion"], pod["kind"] = "v1", "Pod"
    pod["metadata"].pop("resourceVersion", None)
    pod["metadata"].pop("managedFields", None)
    for path, value in changes.items():
        target = pod
        *parents, leaf = path.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[leaf] = value
    return json.dumps(pod).encode()


def test_relist_after_outage_and_compaction_reconciles_stores(api, namespace, start_operator):
    ns = namespace
    make_pod(api, ns, "keep", [container("app", {"cpu": "100m"})],
             status={"phase": "Running", "containerStatuses": [cstatus("app", RUNNING, restarts=2)]})
    make_pod(api, ns, "changed", [container("app", {"cpu": "200m"})],
             status={"phase": "Running", "containerStatuses": [cstatus("app", RUNNING)]})
    make_pod(api, ns, "victim", [container("app", {"cpu": "300m"})],
             status={"phase": "Pending", "containerStatuses": [cstatus("app", waiting("CrashLoopBackOff"),
                                                                       restarts=7)]})
    before = expected_view(pods={"Running": 2, "Pending": 1}, waiting={"CrashLoopBackOff": 1}, restarts=9, oom=0,
                           requests=(0.6, 0), limits=(0, 0), pvcs={}, jobs={}, workloads={})
    # While the API server is down: victim deleted, changed -> Failed (its request stops counting,
    # 4 restarts and an OOM kill), ghost created (Pending, ImagePullBackOff, 50m).
    after = expected_view(pods={"Running": 1, "Failed": 1, "Pending": 1}, waiting={"ImagePullBackOff": 1},
                          restarts=2 + 4, oom=1, requests=(0.15, 0), limits=(0, 0), pvcs={}, jobs={}, workloads={})
    changed = api.request("GET", f"/api/v1/namespaces/{ns}/pods/changed").json()
    ghost = json.loads(json.dumps(changed))
    ghost["metadata"].update(name="ghost", uid=str(uuid.uuid4()))
    ghost["spec"]["containers"] = [container("app", {"cpu": "50m"})]

    op = start_operator(ns, interval="5s", args=["--sample-interval=1s"])

    def view_is(want):
        def check():
            diff = diff_views(namespace_view(op.metrics(), ns), want)
            return not diff, diff
        return check

    wait_for(view_is(before), 10, "the three pods in the aggregates", interval=0.25, operator=op)
    text = op.metrics()
    relists_before = {
        (ls["resource"], ls["reason"]): v
        for n, ls, v in parse_metrics(text) if n == "kube9_operator_relists_total"
    }
    assert relists_before.get(("pods", "initial")) == 1.0, relists_before

    healthz: list[tuple[float, int | None]] = []
    key = f"/registry/pods/{ns}/victim"
    outage_started = time.monotonic()
    restarted_at = None
    try:
        stop_took = cluster_cmd("stop-apiserver")
        t0 = time.monotonic()
        # The operator notices the outage while this runs; /healthz must not care.
        deleted = etcd("/v3/kv/deleterange", {"key": b64(key)})
        assert deleted.get("deleted") == "1", f"etcd did not delete {key}: {deleted}"
        etcd("/v3/kv/put", {"key": b64(f"/registry/pods/{ns}/changed"), "value": base64.b64encode(pod_for_etcd(
            changed, **{"status.phase": "Failed", "status.containerStatuses": [
                cstatus("app", {"terminated": {"reason": "OOMKilled", "exitCode": 137}}, restarts=4,
                        last={"terminated": {"reason": "OOMKilled", "exitCode": 137}})]})).decode()})
        etcd("/v3/kv/put", {"key": b64(f"/registry/pods/{ns}/ghost"), "value": base64.b64encode(pod_for_etcd(
            ghost, **{"status.phase": "Pending",
                      "status.containerStatuses": [cstatus("app", waiting("ImagePullBackOff"))]})).decode()})
        rev = int(etcd("/v3/kv/range", {"key": b64(key)})["header"]["revision"])
        etcd("/v3/kv/compaction", {"revision": rev, "physical": True})
        while time.monotonic() - t0 < 3:
            r = op.try_get("/healthz", timeout=2)
            healthz.append((round(time.monotonic() - outage_started, 1), None if r is None else r.status))
            time.sleep(0.5)
        # Nothing told the operator yet: it still counts the pod (this is what the relist fixes).
        stale = diff_views(namespace_view(op.metrics(), ns), before)
        assert not stale, f"the aggregates changed while the API server was down: {stale}"
    finally:
        start_took = cluster_cmd("start-apiserver")
        restarted_at = time.monotonic()
    outage = restarted_at - outage_started

    assert healthz and all(s == 200 for _, s in healthz), f"/healthz during the outage: {healthz}\n{op.describe()}"
    assert op.poll() is None, op.describe()
    # The API server sees what was written behind its back.
    assert api.request("GET", f"/api/v1/namespaces/{ns}/pods/victim").status == 404
    assert api.request("GET", f"/api/v1/namespaces/{ns}/pods/changed").json()["status"]["phase"] == "Failed"
    assert api.request("GET", f"/api/v1/namespaces/{ns}/pods/ghost").status == 200

    # Relisted, and every family says what the API says now: the deleted pod is gone, the changed
    # one changed, the new one is there.
    def relisted():
        text = op.metrics()
        relists = {ls["reason"]: v for n, ls, v in parse_metrics(text)
                   if n == "kube9_operator_relists_total" and ls.get("resource") == "pods"}
        more = {r: v - relists_before.get(("pods", r), 0.0) for r, v in relists.items()}
        diff = diff_views(namespace_view(text, ns), after)
        return (not diff and any(v > 0 for r, v in more.items() if r in ("expired", "error"))), (more, diff)

    more, _ = wait_for(relisted, 20, "a relist of pods that reconciles deleted, changed and new pods",
                       interval=0.25, operator=op)
    converged = time.monotonic() - restarted_at
    text = op.metrics()
    errors = {ls.get("kind"): v for n, ls, v in parse_metrics(text)
              if n == "kube9_operator_kubernetes_api_errors_total" and ls.get("resource") == "pods"}
    print(f"\nrelist observed: pods relists by reason since the outage {more}; pods API errors {errors}; "
          f"outage {outage:.1f}s (stop {stop_took:.1f}s, start {start_took:.1f}s); "
          f"converged {converged:.1f}s after the API server was ready")
    assert errors.get("transport", 0) > 0, f"the outage was not counted as transport errors: {errors}"
    if more.get("expired", 0) > 0:
        assert errors.get("gone", 0) > 0, f"an 'expired' relist without a 'gone' error: {errors}"

    # The store holds exactly what the API holds (cluster-wide), and the operator is ready again.
    def store_matches():
        got = metric_value(op.metrics(), "kube9_operator_store_objects", resource="pods")
        want = float(len(list_items(api, "/api/v1/pods")))
        return got == want, (got, want)

    wait_for(store_matches, 5, "kube9_operator_store_objects{resource=\"pods\"} to match the API", operator=op)
    wait_for(lambda: ((r := op.try_get("/readyz")) is not None and r.status == 200, r and r.status), 10,
             "/readyz 200 after the relist", operator=op)
