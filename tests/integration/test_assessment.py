"""The Well-Architected assessment (PRODUCT.md §10, docs/assessment.md) on the real API server.

A fixture namespace holds one Deployment that passes every workload check and, for each
workload check, one that differs from it in exactly the way that check fails. The namespace's
name sorts before every other namespace of the test cluster, and a message's examples are the
first three `namespace/name` in that order, so each failing workload is named in its check's
message whatever earlier tests left in the cluster; the passing one is never named.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from pathlib import Path

import pytest

from conftest import clean_env, create_object, delete_object, run, wait_for

# A value that must never leave the pod spec: not in stdout, the status, logs or payloads.
MARK = "SECRETMARK-assess-7f3a"


def container(**changes) -> dict:
    c = {
        "name": "app",
        "image": "registry.example.com/app:1",
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        "livenessProbe": {"httpGet": {"path": "/", "port": 8080}},
        "readinessProbe": {"httpGet": {"path": "/", "port": 8080}},
        "securityContext": {"runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    }
    c.update(changes)
    return c


def deployment(name: str, replicas: int = 2, pod_spec: dict | None = None, edit=None) -> dict:
    spec = {
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                       "whenUnsatisfiable": "ScheduleAnyway",
                                       "labelSelector": {"matchLabels": {"app": name}}}],
        "containers": [container()],
    }
    spec.update(pod_spec or {})
    if edit:
        edit(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def set_container(**changes):
    def edit(spec):
        spec["containers"] = [container(**changes)]
    return edit


def drop_key(path: list[str]):
    def edit(spec):
        c = copy.deepcopy(container())
        target = c
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        spec["containers"] = [c]
    return edit


# check id -> the Deployment that fails it (and only it among the failing checks)
FAILING = {
    "security.run-as-non-root": deployment("root", edit=drop_key(["securityContext", "runAsNonRoot"])),
    "security.capabilities-validation": deployment(
        "caps", edit=set_container(securityContext={"runAsNonRoot": True,
                                                    "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}})),
    "security.hardcoded-secrets": deployment(
        "secret", edit=set_container(env=[{"name": "DB_PASSWORD", "value": MARK},
                                          {"name": "LOG_LEVEL", "value": "info"}])),
    "reliability.resource-requests": deployment(
        "noreq", edit=set_container(resources={"requests": {"cpu": "100m"},
                                               "limits": {"cpu": "200m", "memory": "128Mi"}})),
    "reliability.resource-limits": deployment(
        "nomem", edit=set_container(resources={"requests": {"cpu": "100m", "memory": "64Mi"},
                                               "limits": {"cpu": "200m"}})),
    "reliability.liveness-readiness-probes": deployment("noprobe", edit=drop_key(["readinessProbe"])),
    "performance-efficiency.node-affinity-and-placement": deployment("pinned", pod_spec={"nodeName": "no-such-node"}),
    "cost-optimization.over-provisioning-detection": deployment(
        "big", edit=set_container(resources={"requests": {"cpu": "20", "memory": "64Mi"},
                                             "limits": {"cpu": "20", "memory": "128Mi"}})),
}
# The test control plane forbids privileged containers (--allow-privileged=false, as many
# clusters do), so privileged-containers is seen at its warning level: the host's namespaces.
WARNING = {
    "security.privileged-containers": deployment("hostnet", pod_spec={"hostNetwork": True}),
}
PASSING = deployment("good")
# Delivered by Argo CD, so that gitops-delivery-signals has no reason to name it either.
PASSING["metadata"]["labels"] = {"argocd.argoproj.io/instance": "good"}


@pytest.fixture(scope="module")
def fixture_namespace(cluster):
    # "a0-" sorts before the other namespaces of the test cluster (it-*, kube-*, default, ...).
    ns = f"a0-assess-{secrets.token_hex(3)}"
    cluster.api.create_namespace(ns)
    for obj in [PASSING, *FAILING.values(), *WARNING.values()]:
        create_object(cluster.api, f"/apis/apps/v1/namespaces/{ns}/deployments", obj)
    yield ns
    try:
        # Explicitly: the test control plane runs no namespace controller, and workloads left in a
        # Terminating "a0-" namespace would take the examples of a later run.
        for obj in [PASSING, *FAILING.values(), *WARNING.values()]:
            delete_object(cluster.api, f"/apis/apps/v1/namespaces/{ns}/deployments/{obj['metadata']['name']}")
        cluster.api.delete_namespace(ns)
    except Exception:  # noqa: BLE001 - cleanup must not hide the test's own result
        pass


def assess(binary: Path, cluster, *args: str) -> "run":
    return run([str(binary), "assess", *args, f"--kubeconfig={cluster.kubeconfig}"], timeout=120, env=clean_env())


def check_the_fixture(checks: list[dict], ns: str) -> None:
    """Each fixture workload is named in exactly its check's failing message; the passing one nowhere."""
    by_id = {c["checkId"]: c for c in checks}
    for check_id, obj in FAILING.items():
        c = by_id[check_id]
        assert c["status"] == "failing", c
        assert f"{ns}/{obj['metadata']['name']}" in c["message"], c
    for check_id, obj in WARNING.items():
        c = by_id[check_id]
        assert c["status"] == "warning", c
        assert f"{ns}/{obj['metadata']['name']}" in c["message"], c
    for c in checks:
        assert f"{ns}/good" not in c["message"], c
        if c["status"] != "failing":
            continue
        named = re.findall(rf"{re.escape(ns)}/([a-z0-9-]+)", c["message"])
        expected = FAILING.get(c["checkId"], {}).get("metadata", {}).get("name")
        assert named == ([expected] if expected else []), (c["checkId"], named, c["message"])


def test_assess_run_json_names_the_failing_workloads(binary, cluster, fixture_namespace):
    out = assess(binary, cluster, "run", "-o", "json")
    assert out.returncode == 0, f"{out.returncode}\n{out.stdout}\n{out.stderr}"
    doc = json.loads(out.stdout)  # stdout is the result only
    ids = [c["checkId"] for c in doc["checks"]]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    check_the_fixture(doc["checks"], fixture_namespace)
    totals = doc["totals"]
    assert totals["totalChecks"] == len(ids)
    assert totals["failedChecks"] == sum(c["status"] == "failing" for c in doc["checks"])
    assert MARK not in out.stdout and MARK not in out.stderr


def test_assess_run_fail_on_exit_codes(binary, cluster, fixture_namespace):
    failing = assess(binary, cluster, "run", "--check", "security.run-as-non-root", "--fail-on", "failing", "-o", "json")
    assert failing.returncode == 1, failing.stderr
    assert [c["status"] for c in json.loads(failing.stdout)["checks"]] == ["failing"]
    # privileged-containers only warns here (hostnet): a failing gate passes, a warning gate does not.
    warn_only = ["--check", "security.privileged-containers"]
    assert assess(binary, cluster, "run", *warn_only, "--fail-on", "failing").returncode == 0
    assert assess(binary, cluster, "run", *warn_only, "--fail-on", "warning").returncode == 1
    assert assess(binary, cluster, "run", *warn_only).returncode == 0  # no gate: findings do not fail
    pillar = assess(binary, cluster, "run", "--pillar", "sustainability", "-o", "yaml")
    assert pillar.returncode == 0, pillar.stderr
    assert "sustainability.workload-consolidation-signals" in pillar.stdout and "security." not in pillar.stdout
    assert assess(binary, cluster, "run", "--fail-on", "sometimes").returncode == 2
    assert assess(binary, cluster, "run", "--check", "security.no-such-check").returncode == 2


def test_a_disabled_collector_skips_its_checks(binary, cluster, fixture_namespace):
    out = assess(binary, cluster, "run", "--collectors", "nodes,pods", "-o", "json")
    assert out.returncode == 0, out.stderr
    by_id = {c["checkId"]: c for c in json.loads(out.stdout)["checks"]}
    for check_id in FAILING:
        if check_id.startswith(("security.", "reliability.resource", "reliability.liveness", "performance-", "cost-")):
            assert by_id[check_id]["status"] == "skipped", by_id[check_id]
            assert "deployments" in by_id[check_id]["message"], by_id[check_id]
    assert by_id["reliability.pods-crash-looping"]["status"] != "skipped"


def test_assess_list_matches_the_catalogue(binary):
    out = run([str(binary), "assess", "list", "-o", "json"], timeout=30)
    assert out.returncode == 0, out.stderr
    checks = json.loads(out.stdout)["checks"]
    assert {c["checkId"] for c in checks} >= set(FAILING)
    for c in checks:
        assert c["checkId"].startswith(c["pillar"] + ".") and c["remediation"] and c["severity"], c
    for sub in ("run", "list", "summary"):
        helped = run([str(binary), "assess", sub, "--help"], timeout=30)
        assert helped.returncode == 0 and "Usage: kube9-operator assess " + sub in helped.stdout


def test_the_operator_publishes_the_assessment_in_the_status_and_metrics(binary, cluster, api, namespace,
                                                                        fixture_namespace, start_operator):
    op = start_operator(namespace, interval="5s", args=["--assessment.interval=1h", "--sample-interval=1s"])
    status = wait_for(
        lambda: ((s := api.get_status(namespace)) is not None
                 and (s.get("assessment") or {}).get("lastScheduledOutcome") == "success", s),
        60, "a completed assessment in the status", operator=op)
    block = status["assessment"]
    assert list(block) == ["lastScheduledCompletedAt", "lastScheduledOutcome", "lastScheduledRunState",
                           "lastScheduledRunId", "lastScheduledTotals", "lastScheduledError",
                           "lastScheduledChecks", "schedulingEnabled", "scheduleIntervalSeconds",
                           "scheduledAssessmentMode", "scheduledAssessmentPillar"]
    assert block["scheduleIntervalSeconds"] == 3600 and block["scheduledAssessmentMode"] == "full"
    assert block["lastScheduledRunState"] == "completed" and block["lastScheduledError"] is None
    checks = block["lastScheduledChecks"]
    assert all(list(c) == ["checkId", "checkName", "pillar", "status", "message", "remediation"] for c in checks)
    check_the_fixture(checks, fixture_namespace)
    assert block["lastScheduledTotals"]["totalChecks"] == len(checks)

    metrics = op.metrics()
    for check_id in FAILING:
        assert (f'kube9_assessment_check_status{{check="{check_id}",pillar="{check_id.split(".")[0]}",'
                f'status="failing"}} 1') in metrics, check_id
    assert "kube9_assessment_pillar_score{pillar=\"security\"}" in metrics

    summary = run([str(binary), "assess", "summary", f"--kubeconfig={cluster.kubeconfig}", "-n", namespace, "-o", "json"],
                  timeout=60, env=clean_env())
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["lastScheduledRunId"] == block["lastScheduledRunId"]

    raw = json.dumps(api.get_configmap(namespace))
    assert MARK not in raw and MARK not in op.stdout() and MARK not in op.stderr()


def test_a_collector_denied_by_rbac_skips_its_checks(api, cluster, binary, namespace, start_operator, tmp_path):
    """Deployments left out of the grant: the operator never syncs them, so after 3 sample
    intervals it runs the assessment without them, and every check that reads them is skipped
    (never passing over an empty store); the others run."""
    from test_rbac import cleanup, grant, token_kubeconfig

    all_but_deployments = ("nodes,namespaces,pods,services,persistentvolumeclaims,statefulsets,daemonsets,"
                           "replicasets,jobs,cronjobs,events")
    name, token = grant(api, binary, namespace, all_but_deployments)
    try:
        op = start_operator(namespace, kubeconfig=token_kubeconfig(cluster, tmp_path, token), wait_ready=False,
                            args=["--sample-interval=1s"])
        status = wait_for(
            lambda: ((s := api.get_status(namespace)) is not None
                     and (s.get("assessment") or {}).get("lastScheduledOutcome") == "success", s),
            60, "an assessment run without the deployments collector", operator=op)
        by_id = {c["checkId"]: c for c in status["assessment"]["lastScheduledChecks"]}
        for check_id in ("security.run-as-non-root", "reliability.replica-counts",
                         "operational-excellence.deployment-strategy", "reliability.workloads-unavailable"):
            assert by_id[check_id]["status"] == "skipped", by_id[check_id]
            assert "deployments" in by_id[check_id]["message"], by_id[check_id]
        assert by_id["reliability.pods-crash-looping"]["status"] != "skipped", by_id["reliability.pods-crash-looping"]
    finally:
        cleanup(api, name)
