"""GitOps applications (docs/metrics.md, "GitOps applications") against the real API server:
Argo CD Applications and Flux Kustomizations and HelmReleases as custom resources of their real
groups, with statuses set through the status subresource as the controllers set them. The
kube9_gitops_* families and the status' `gitops` block follow within one sample interval; Argo
CD installed after the operator started is watched, and removed, is no longer (no restart, no
error); and a ServiceAccount holding exactly `kube9-operator rbac` reads all three."""

from __future__ import annotations

import time

import pytest

import gitops_crds
from conftest import delete_object, metric_value, metric_values, wait_for
from gitops_crds import argo_app, flux_object, set_argo, set_ready
from test_rbac import cleanup, grant, token_kubeconfig

SAMPLE = 1  # --sample-interval, seconds
ARGS = [f"--sample-interval={SAMPLE}s", "--gitops.discovery-interval=2s"]
# One sample interval, plus the time to deliver a watch event and scrape.
FOLLOW = SAMPLE + 4


@pytest.fixture
def no_gitops_crds(api):
    """No Argo CD or Flux CRD before or after the test (another test may have left one)."""
    gitops_crds.uninstall_all(api)
    yield
    gitops_crds.uninstall_all(api)


def gitops_series(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("kube9_gitops_")]


def apps(text: str, **labels: str) -> float | None:
    return metric_value(text, "kube9_gitops_applications", **labels)


def test_counts_follow_the_applications_status_within_a_sample(api, namespace, start_operator, no_gitops_crds):
    for d in gitops_crds.ALL:
        gitops_crds.install(api, d)
    healthy = argo_app(api, namespace, "guestbook", "Healthy", "Synced")
    broken = argo_app(api, namespace, "payments", "Degraded", "OutOfSync", phase="Failed")
    ks = flux_object(api, namespace, "kustomize.toolkit.fluxcd.io/v1", "kustomizations", "Kustomization", "apps")
    set_ready(api, ks, "False", "HealthCheckFailed", since_minutes=20, attempted="main@sha1:def")
    hr = flux_object(api, namespace, "helm.toolkit.fluxcd.io/v2", "helmreleases", "HelmRelease", "podinfo")
    set_ready(api, hr, "True", "UpgradeSucceeded")

    op = start_operator(namespace, args=ARGS)
    ns = namespace

    def counted():
        text = op.metrics()
        ok = (apps(text, tool="argocd", namespace=ns, health="Healthy", sync="Synced") == 1
              and apps(text, tool="argocd", namespace=ns, health="Degraded", sync="OutOfSync") == 1
              and apps(text, tool="flux", namespace=ns, health="Degraded", sync="OutOfSync") == 1
              and apps(text, tool="flux", namespace=ns, health="Healthy", sync="Synced") == 1)
        return ok, gitops_series(text)
    wait_for(counted, 20, "the four applications counted", operator=op)
    text = op.metrics()
    fail = "kube9_gitops_applications_reconcile_failing"
    assert metric_value(text, fail, tool="argocd", namespace=ns) == 1
    assert metric_value(text, fail, tool="flux", namespace=ns) == 1
    unhealthy = "kube9_gitops_applications_unhealthy"
    # Flux's Ready went False 20 minutes ago (its lastTransitionTime): over 15m at once.
    assert metric_value(text, unhealthy, tool="flux", namespace=ns, health="Degraded", **{"for": "15m"}) == 1
    assert metric_value(text, unhealthy, tool="flux", namespace=ns, health="Degraded", **{"for": "30m"}) == 0
    # Argo CD records no transition time here: counted from when the operator first saw it.
    assert metric_value(text, unhealthy, tool="argocd", namespace=ns, health="Degraded", **{"for": "5m"}) == 0
    assert metric_value(text, "kube9_gitops_applications_out_of_sync", tool="flux", namespace=ns,
                        **{"for": "15m"}) == 1

    def block():
        status = api.get_status(namespace) or {}
        g = status.get("gitops") or {}
        a, f = g.get("argocd") or {}, g.get("flux") or {}
        ok = (a.get("applications") == 2 and a.get("byHealth") == {"Healthy": 1, "Degraded": 1}
              and a.get("bySync") == {"Synced": 1, "OutOfSync": 1} and a.get("reconcileFailing") == 1
              and f.get("applications") == 2 and f.get("reconcileFailing") == 1)
        return ok, g
    wait_for(block, 20, "the gitops block's counts", operator=op)

    # Argo CD syncs the broken application again, successfully; Flux's release starts upgrading.
    set_argo(api, broken, "Healthy", "Synced", phase="Succeeded")
    set_ready(api, hr, "Unknown", "Progressing")
    started = time.monotonic()

    def followed():
        text = op.metrics()
        ok = (apps(text, tool="argocd", namespace=ns, health="Healthy", sync="Synced") == 2
              and apps(text, tool="argocd", namespace=ns, health="Degraded", sync="OutOfSync") is None
              and metric_value(text, fail, tool="argocd", namespace=ns) == 0
              and apps(text, tool="flux", namespace=ns, health="Progressing", sync="Unknown") == 1)
        return ok, gitops_series(text)
    wait_for(followed, FOLLOW, "the metrics to follow the new statuses within a sample", operator=op)
    assert time.monotonic() - started <= FOLLOW

    delete_object(api, healthy)
    wait_for(lambda: (apps(t := op.metrics(), tool="argocd", namespace=ns, health="Healthy", sync="Synced") == 1,
                      gitops_series(t)), FOLLOW, "a deleted application uncounted", operator=op)
    assert op.try_get("/readyz").status == 200


def test_argocd_installed_after_start_is_watched_and_its_removal_stops_the_collector(
        api, namespace, start_operator, no_gitops_crds):
    op = start_operator(namespace, args=ARGS)
    text = op.metrics()
    assert not gitops_series(text), "no GitOps tool installed: no kube9_gitops_* family"
    assert not metric_values(text, "kube9_operator_store_objects", resource="applications")

    gitops_crds.install(api, gitops_crds.ARGOCD_APPLICATIONS)
    argo_app(api, namespace, "guestbook", "Progressing", "OutOfSync")

    def watched():
        t = op.metrics()
        return (apps(t, tool="argocd", namespace=namespace, health="Progressing", sync="OutOfSync") == 1
                and metric_value(t, "kube9_operator_store_objects", resource="applications") == 1), gitops_series(t)
    # Noticed at the next discovery (2 s), listed, then counted at the next sample.
    wait_for(watched, 20, "Argo CD's applications watched after its CRD was installed", operator=op)
    assert op.try_get("/readyz").status == 200
    wait_for(lambda: ((((api.get_status(namespace) or {}).get("gitops") or {}).get("argocd") or {})
                      .get("applications") == 1, None), 20, "the gitops block counting it", operator=op)

    gitops_crds.uninstall(api, gitops_crds.ARGOCD_APPLICATIONS)

    def gone():
        t = op.metrics()
        return (not gitops_series(t) and not metric_values(t, "kube9_operator_store_objects", resource="applications")
                and not metric_values(t, "kube9_operator_last_sync_timestamp_seconds", resource="applications"),
                gitops_series(t))
    wait_for(gone, 20, "the collector stopped and its series gone", operator=op)
    wait_for(lambda: ("applications" not in
                      (((api.get_status(namespace) or {}).get("gitops") or {}).get("argocd") or {}), None),
             20, "the gitops block without Argo CD's counts", operator=op)
    assert op.poll() is None, op.describe()
    assert op.try_get("/readyz").status == 200
    status = api.get_status(namespace)
    assert status["health"] == "healthy", status
    logs = op.json_logs()
    messages = [e.get("msg") for e in logs]
    assert "optional collector started: its API is served" in messages
    assert "optional collector stopped: its API is no longer served" in messages
    assert not [e for e in logs if e.get("level") == "error"], [e for e in logs if e.get("level") == "error"]
    assert "forbidden" not in op.stdout().lower() and "HTTP 403" not in op.stdout(), op.describe()


def test_exactly_the_printed_rbac_reads_the_three_resources(api, cluster, binary, namespace, start_operator,
                                                            tmp_path, no_gitops_crds):
    for d in gitops_crds.ALL:
        gitops_crds.install(api, d)
    argo_app(api, namespace, "guestbook", "Healthy", "Synced")
    ks = flux_object(api, namespace, "kustomize.toolkit.fluxcd.io/v1", "kustomizations", "Kustomization", "apps")
    set_ready(api, ks, "True", "ReconciliationSucceeded")
    hr = flux_object(api, namespace, "helm.toolkit.fluxcd.io/v2", "helmreleases", "HelmRelease", "podinfo")
    set_ready(api, hr, "True", "InstallSucceeded")
    name, token = grant(api, binary, namespace, None)
    try:
        op = start_operator(namespace, kubeconfig=token_kubeconfig(cluster, tmp_path, token), args=ARGS)

        def counted():
            t = op.metrics()
            return (apps(t, tool="argocd", namespace=namespace, health="Healthy", sync="Synced") == 1
                    and apps(t, tool="flux", namespace=namespace, health="Healthy", sync="Synced") == 2), gitops_series(t)
        wait_for(counted, 20, "the three resources read with the printed grant", operator=op)
        text = op.metrics()
        assert not [l for l in text.splitlines() if 'code="403"' in l and not l.endswith(" 0")]
        assert "forbidden" not in op.stdout().lower(), op.describe()
        for r in ("applications", "kustomizations", "helmreleases"):
            assert metric_value(text, "kube9_operator_store_objects", resource=r) == 1, r
    finally:
        cleanup(api, name)
