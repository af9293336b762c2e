"""The assessment's collectors against the real API server: HorizontalPodAutoscalers,
PodDisruptionBudgets, NetworkPolicies, ResourceQuotas, LimitRanges, Roles, ClusterRoles and their
bindings are listed and watched with exactly the RBAC `kube9-operator rbac` prints (no 403), each
store holds what the API server holds, VPA stays off where its API is not served, and the opt-in
ConfigMaps collector keeps no key or value (a marker value never reaches the logs, metrics or
status). The checks' verdicts are unit-tested (tests/unit/assessment/checks/)."""

from __future__ import annotations

import json
import secrets

from conftest import api_request, create_object, list_items, metric_value, wait_for
from test_rbac import cleanup, forbidden, grant, token_kubeconfig

RBAC = "/apis/rbac.authorization.k8s.io/v1"

# collector -> its cluster-wide collection path, to compare the store with the API server.
PATHS = {
    "horizontalpodautoscalers": "/apis/autoscaling/v2/horizontalpodautoscalers",
    "poddisruptionbudgets": "/apis/policy/v1/poddisruptionbudgets",
    "networkpolicies": "/apis/networking.k8s.io/v1/networkpolicies",
    "resourcequotas": "/api/v1/resourcequotas",
    "limitranges": "/api/v1/limitranges",
    "roles": f"{RBAC}/roles",
    "clusterroles": f"{RBAC}/clusterroles",
    "rolebindings": f"{RBAC}/rolebindings",
    "clusterrolebindings": f"{RBAC}/clusterrolebindings",
}


def create_fixtures(api, ns: str, suffix: str) -> list[str]:
    """One object of each kind in `ns` (a wildcard Role, cluster-admin bound to a ServiceAccount);
    returns the cluster-scoped names to delete."""
    create_object(api, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers", {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 3, "maxReplicas": 3,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                                "target": {"type": "Utilization", "averageUtilization": 80}}}]}})
    create_object(api, f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
        "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"app": "web"}}}})
    create_object(api, f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies", {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})
    create_object(api, f"/api/v1/namespaces/{ns}/resourcequotas", {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
        "spec": {"hard": {"requests.cpu": "4", "requests.memory": "8Gi"}}})
    create_object(api, f"/api/v1/namespaces/{ns}/limitranges", {
        "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"}}]}})
    create_object(api, f"{RBAC}/namespaces/{ns}/roles", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "everything"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]})
    create_object(api, f"{RBAC}/namespaces/{ns}/rolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "everything"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "everything"},
        "subjects": [{"kind": "User", "name": "alice"}]})
    cluster_role, cluster_binding = f"kube9-it-wild-{suffix}", f"kube9-it-admin-{suffix}"
    create_object(api, f"{RBAC}/clusterroles", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": cluster_role},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}]})
    create_object(api, f"/api/v1/namespaces/{ns}/serviceaccounts", {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci"}})
    create_object(api, f"{RBAC}/clusterrolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": cluster_binding},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": ns}]})
    return [f"{RBAC}/clusterroles/{cluster_role}", f"{RBAC}/clusterrolebindings/{cluster_binding}"]


def stores_match_the_api_server(api, op, collectors) -> tuple[bool, dict]:
    text = op.metrics()
    got = {c: metric_value(text, "kube9_operator_store_objects", resource=c) for c in collectors}
    want = {c: float(len(list_items(api, PATHS[c]))) for c in collectors}
    return got == want, {"got": got, "want": want}


def test_the_assessment_collectors_read_with_the_printed_rbac(api, cluster, binary, namespace, start_operator,
                                                                tmp_path):
    suffix = secrets.token_hex(4)
    cluster_scoped = create_fixtures(api, namespace, suffix)
    name, token = grant(api, binary, namespace, None)
    try:
        op = start_operator(namespace, kubeconfig=token_kubeconfig(cluster, tmp_path, token),
                            args=["--sample-interval=1s"])  # ready: every default collector listed
        wait_for(lambda: stores_match_the_api_server(api, op, PATHS), 20,
                 "every assessment store to hold what the API server holds", operator=op)
        text = op.metrics()
        assert forbidden(text) == 0, [line for line in text.splitlines() if 'code="403"' in line]
        assert "forbidden" not in op.stdout().lower(), op.describe()
        # The test cluster does not serve autoscaling.k8s.io: the VPA collector never starts (no
        # store, no 404s), and says so once; ConfigMaps are not read by default.
        assert metric_value(text, "kube9_operator_store_objects", resource="verticalpodautoscalers") is None
        assert metric_value(text, "kube9_operator_store_objects", resource="configmaps") is None
        off = [line for line in op.json_logs() if line.get("collector") == "verticalpodautoscalers"]
        assert off and "not served" in off[0]["msg"], op.describe()

        # Watches keep them current: a new HPA and a deleted PDB show up without a relist.
        create_object(api, f"/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers", {
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "api"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
                     "maxReplicas": 5}})
        assert api_request(api, "DELETE", f"/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets/web").status == 200
        wait_for(lambda: stores_match_the_api_server(api, op, ["horizontalpodautoscalers", "poddisruptionbudgets"]),
                 10, "the watch to apply the change", operator=op)
    finally:
        cleanup(api, name)
        for path in cluster_scoped:
            api_request(api, "DELETE", path)


def test_configmaps_opt_in_reads_key_names_only(api, cluster, binary, namespace, start_operator, tmp_path):
    marker = f"marker-{secrets.token_hex(8)}"
    create_object(api, f"/api/v1/namespaces/{namespace}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-settings"},
        "data": {"DB_PASSWORD": marker, "log.level": marker}})
    collectors = "pods,namespaces,configmaps"
    name, token = grant(api, binary, namespace, collectors)
    try:
        op = start_operator(namespace, kubeconfig=token_kubeconfig(cluster, tmp_path, token),
                            args=["--sample-interval=1s", f"--collectors={collectors}"])
        want = float(len(list_items(api, "/api/v1/configmaps")))
        wait_for(lambda: (metric_value(op.metrics(), "kube9_operator_store_objects", resource="configmaps") == want,
                          op.metrics()), 20, "the configmaps store", operator=op)
        assert forbidden(op.metrics()) == 0
        status = wait_for(lambda: ((cm := api.get_configmap(namespace)) is not None, cm), 15, "the status", operator=op)
        for where, text in (("logs", op.stdout() + op.stderr()), ("metrics", op.metrics()),
                            ("status", json.dumps(status))):
            assert marker not in text, f"a ConfigMap value reached the {where}"
    finally:
        cleanup(api, name)
