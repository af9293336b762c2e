"""Least privilege, proven against the real API server's RBAC: the operator, running with a
ServiceAccount token that holds exactly what `kube9-operator rbac` prints, becomes ready with
no 403; with a collector left out of the grant, it is not ready and counts the 403s."""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

from conftest import api_request, create_object, metric_values, wait_for


def rbac_objects(binary: Path, namespace: str, name: str, collectors: str | None) -> list[dict]:
    args = [str(binary), "rbac", "-n", namespace, "--name", name]
    if collectors:
        args.append(f"--collectors={collectors}")
    out = subprocess.run(args, capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["kind"] == "List" and [i["kind"] for i in doc["items"]] == ["ClusterRole", "Role"], doc
    return doc["items"]


def grant(api, binary: Path, namespace: str, collectors: str | None) -> tuple[str, str]:
    """Creates a ServiceAccount bound to the printed roles; returns (ClusterRole name, token)."""
    name = f"kube9-it-{secrets.token_hex(4)}"
    cluster_role, role = rbac_objects(binary, namespace, name, collectors)
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "kube9-operator"}}
    create_object(api, f"/api/v1/namespaces/{namespace}/serviceaccounts", sa)
    subject = [{"kind": "ServiceAccount", "name": "kube9-operator", "namespace": namespace}]
    create_object(api, "/apis/rbac.authorization.k8s.io/v1/clusterroles", cluster_role)
    create_object(api, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}, "subjects": subject})
    create_object(api, f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles", role)
    create_object(api, f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}, "subjects": subject})
    resp = api_request(api, "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/kube9-operator/token",
                       {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                        "spec": {"expirationSeconds": 3600}})
    assert resp.status == 201, resp.body[:500]
    return name, resp.json()["status"]["token"]


def token_kubeconfig(cluster, tmp_path: Path, token: str) -> Path:
    kc = tmp_path / "sa-kubeconfig.json"
    ca = cluster.env["KUBE9_CA_FILE"]
    kc.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "sa",
        "clusters": [{"name": "local", "cluster": {"server": cluster.env["KUBE9_APISERVER_URL"], "certificate-authority": ca}}],
        "users": [{"name": "sa", "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": "local", "user": "sa"}}]}))
    return kc


def cleanup(api, name: str) -> None:
    api_request(api, "DELETE", f"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{name}")
    api_request(api, "DELETE", f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}")


def forbidden(text: str) -> float:
    return sum(v for v in metric_values(text, "kube9_operator_kubernetes_api_requests_total", code="403"))


def test_exactly_the_printed_rbac_is_enough(api, cluster, binary, namespace, start_operator, tmp_path):
    name, token = grant(api, binary, namespace, None)
    try:
        op = start_operator(namespace, kubeconfig=token_kubeconfig(cluster, tmp_path, token),
                            args=["--sample-interval=1s"])  # waits for /readyz 200: every LIST passed RBAC
        wait_for(lambda: ((cm := api.get_configmap(namespace)) is not None, cm), 10, "the status ConfigMap", operator=op)
        text = op.metrics()
        assert forbidden(text) == 0, [l for l in text.splitlines() if 'code="403"' in l]
        assert "forbidden" not in op.stdout().lower(), op.describe()
        # The printed ClusterRole grants reads only, and nothing on Secrets or ConfigMaps.
        rules = rbac_objects(binary, namespace, name, None)[0]["rules"]
        verbs = {v for r in rules for v in r["verbs"]}
        resources = {res for r in rules for res in r.get("resources", [])}
        assert verbs == {"get", "list", "watch"}, verbs
        assert not resources & {"secrets", "configmaps", "*"}, resources
    finally:
        cleanup(api, name)


def test_a_collector_missing_from_the_grant_is_forbidden_and_not_ready(api, cluster, binary, namespace,
                                                                       start_operator, tmp_path):
    name, token = grant(api, binary, namespace, "pods,namespaces")  # the operator runs every default one
    try:
        op = start_operator(namespace, kubeconfig=token_kubeconfig(cluster, tmp_path, token), wait_ready=False)
        op.wait_http()
        wait_for(lambda: (forbidden(op.metrics()) > 0, forbidden(op.metrics())), 15, "403s to be counted", operator=op)
        ready = op.get("/readyz")
        assert ready.status == 503 and "nodes" in ready.text, (ready.status, ready.text)
    finally:
        cleanup(api, name)


ALL_BUT_PODS = ("nodes,namespaces,services,persistentvolumeclaims,deployments,statefulsets,daemonsets,"
                "replicasets,jobs,cronjobs,horizontalpodautoscalers,poddisruptionbudgets,networkpolicies,"
                "resourcequotas,limitranges,roles,clusterroles,rolebindings,clusterrolebindings,events")


def test_a_collector_failing_for_3_sample_intervals_degrades_the_status_until_it_recovers(
        api, cluster, binary, namespace, start_operator, tmp_path):
    # docs/status-configmap.md: degraded while a collector's list/watch has failed for more than
    # 3 sample intervals (3 s here), the error naming it and why; healthy again once it lists.
    name, token = grant(api, binary, namespace, ALL_BUT_PODS)
    extra = f"{name}-pods"
    try:
        op = start_operator(namespace, kubeconfig=token_kubeconfig(cluster, tmp_path, token), wait_ready=False,
                            args=["--sample-interval=1s"])
        op.wait_http()

        def status():
            s = api.get_status(namespace)
            return s or {}

        degraded = wait_for(lambda: ((s := status()).get("health") == "degraded", s), 20,
                            "the status to become degraded", operator=op)
        error = degraded["error"]
        assert error.startswith("collector pods failing for "), error
        assert "forbidden (HTTP 403)" in error, error
        assert not any(f"{c} " in error or f"{c}," in error for c in ALL_BUT_PODS.split(",")), error
        assert degraded["mode"] == "operated" and degraded["tier"] == "free", degraded

        # Granting pods afterwards: the next LIST succeeds (within the reflector's 30 s backoff
        # cap) and the recovery is written at once, not at the next interval.
        create_object(api, "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": extra},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]})
        create_object(api, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": extra},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": extra},
            "subjects": [{"kind": "ServiceAccount", "name": "kube9-operator", "namespace": namespace}]})
        healthy = wait_for(lambda: ((s := status()).get("health") == "healthy", s), 45,
                           "the status to become healthy again", operator=op)
        assert healthy["error"] is None, healthy
        assert op.get("/readyz").status == 200
    finally:
        cleanup(api, name)
        cleanup(api, extra)
