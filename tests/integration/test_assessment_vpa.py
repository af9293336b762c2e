"""The VPA check follows API discovery (docs/assessment.md, "Add-ons installed later"): VPA's
CRD installed after the operator is ready is noticed at the next --discovery-interval, its
optional collector lists the VerticalPodAutoscalers, and performance-efficiency.vpa-configuration-
sanity goes from `skipped` to evaluated at the next sample, not an assessment interval later;
the CRD deleted, the collector stops (its series go) and the check is `skipped` again. No
restart. The CRD is a minimal one of our own serving verticalpodautoscalers.autoscaling.k8s.io
v1 (docs/TESTING.md allows it: the VPA project's CRD is not vendored)."""

from __future__ import annotations

import time

import pytest

import gitops_crds
from conftest import create_object, metric_value, wait_for

VPA_CRD = gitops_crds.crd("autoscaling.k8s.io", "VerticalPodAutoscaler", "verticalpodautoscalers", ["v1"])
# *.k8s.io is a protected group: the API server wants the approval the VPA project's CRD carries.
VPA_CRD["metadata"]["annotations"] = {"api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/63797"}
CHECK = "performance-efficiency.vpa-configuration-sanity"
DISCOVERY = 2  # --discovery-interval, seconds
SAMPLE = 1  # --sample-interval, seconds
# A discovery, the collector's first LIST, a sample and a scrape, with room for a loaded machine.
FOLLOW = DISCOVERY + SAMPLE + 12


@pytest.fixture
def no_vpa_crd(api):
    """No VPA CRD before or after the test (a failed run may have left one)."""
    gitops_crds.uninstall(api, VPA_CRD)
    yield
    gitops_crds.uninstall(api, VPA_CRD)


def check_status(op) -> tuple[str | None, str]:
    """The VPA check's status from /metrics (the series whose value is 1), and the scrape."""
    text = op.metrics()
    for status in ("passing", "failing", "warning", "skipped", "error", "timeout"):
        if metric_value(text, "kube9_assessment_check_status", check=CHECK, pillar="performance-efficiency",
                        status=status) == 1:
            return status, text
    return None, text


def published_check(api, namespace) -> dict:
    status = api.get_status(namespace) or {}
    for c in (status.get("assessment") or {}).get("lastScheduledChecks") or []:
        if c["checkId"] == CHECK:
            return c
    return {}


def test_vpa_installed_and_removed_while_running_is_assessed_and_then_skipped(api, namespace, start_operator,
                                                                              no_vpa_crd):
    create_object(api, f"/apis/apps/v1/namespaces/{namespace}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "registry.example/web:1"}]}}}})
    # An hour between scheduled runs: only the change of what discovery shows can run it again.
    op = start_operator(namespace, args=[f"--sample-interval={SAMPLE}s", f"--discovery-interval={DISCOVERY}s",
                                         "--assessment.interval=1h"])
    wait_for(lambda: (check_status(op)[0] == "skipped", check_status(op)[1]), 30, "the first assessment", operator=op)
    skipped = wait_for(lambda: ((c := published_check(api, namespace)).get("status") == "skipped", c), 30,
                       "the check in the status", operator=op)
    assert "VPA API not served" in skipped["message"], skipped
    assert metric_value(op.metrics(), "kube9_operator_store_objects", resource="verticalpodautoscalers") is None
    pid = op.pid

    installed = time.monotonic()
    gitops_crds.install(api, VPA_CRD)
    vpas = f"/apis/autoscaling.k8s.io/v1/namespaces/{namespace}/verticalpodautoscalers"
    for name, target in (("web", "web"), ("orphan", "gone")):
        create_object(api, vpas, {
            "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": {"name": name},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                     "updatePolicy": {"updateMode": "Off"}}})
    # Evaluated: passing or failing, whichever the first LIST saw (the VPAs may arrive by the
    # watch just after it; the next scheduled run judges them).
    wait_for(lambda: (check_status(op)[0] in ("passing", "failing"), check_status(op)[1]), FOLLOW,
             "the VPA check evaluated after VPA was installed", operator=op)
    took = time.monotonic() - installed
    wait_for(lambda: (metric_value(op.metrics(), "kube9_operator_store_objects",
                                   resource="verticalpodautoscalers") == 2, op.metrics()), FOLLOW,
             "both VPAs collected", operator=op)
    evaluated = wait_for(
        lambda: ((c := published_check(api, namespace)).get("status") in ("passing", "failing"), c), 30,
        "the evaluated check in the status", operator=op)
    assert "VerticalPodAutoscalers" in evaluated["message"] and "not served" not in evaluated["message"], evaluated
    logs = [line for line in op.json_logs() if line.get("collector") == "verticalpodautoscalers"]
    assert any("started" in line["msg"] for line in logs), op.describe()

    gitops_crds.uninstall(api, VPA_CRD)
    wait_for(lambda: (check_status(op)[0] == "skipped", check_status(op)[1]), FOLLOW,
             "the VPA check skipped again after VPA was removed", operator=op)
    wait_for(lambda: (metric_value(op.metrics(), "kube9_operator_store_objects",
                                   resource="verticalpodautoscalers") is None, op.metrics()), FOLLOW,
             "the VPA collector's series gone", operator=op)
    again = wait_for(lambda: ((c := published_check(api, namespace)).get("status") == "skipped", c), 30,
                     "the skipped check in the status", operator=op)
    assert "VPA API not served" in again["message"], again
    assert op.poll() is None and op.pid == pid, "no restart"
    status = api.get_status(namespace) or {}
    assert status.get("error") in (None, ""), status  # the API going away is not a collector failure
    print(f"VPA check evaluated {took:.1f}s after the CRD was created (discovery interval {DISCOVERY}s)")
