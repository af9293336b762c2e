"""The chart installed with the real Helm into the local control plane, in a namespace that
enforces Pod Security "restricted"; the operator then runs on the host with nothing but a token
of the chart's ServiceAccount, which proves the chart's RBAC is enough and no more.

The tests of this module run in order against one release: install, admission, RBAC proof,
what the identity cannot do, upgrade, uninstall. There is no kubelet or controller manager, so
the Deployment creates no Pod; the tests create one from its template instead.
"""

from __future__ import annotations

import json
import time

import pytest

from conftest import CHART, it, it_rbac, unique, wait_for

# The default collectors that run on the test cluster (verticalpodautoscalers needs the VPA API,
# which it does not serve; configmaps is opt-in).
ALL_COLLECTORS = ["nodes", "namespaces", "pods", "services", "persistentvolumeclaims", "deployments",
                  "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "horizontalpodautoscalers",
                  "poddisruptionbudgets", "networkpolicies", "resourcequotas", "limitranges", "roles", "clusterroles",
                  "rolebindings", "clusterrolebindings", "events"]


class Release:
    def __init__(self, namespace: str, name: str):
        self.namespace = namespace
        self.name = name
        self.fullname = f"{name}-kube9-operator"
        self.service_account = self.fullname
        self.user = f"system:serviceaccount:{namespace}:{self.service_account}"


@pytest.fixture(scope="module")
def release(helm, kubectl, cluster):
    ns, name = unique("chart"), unique("k9")
    kubectl("create", "namespace", ns)
    kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted",
            "pod-security.kubernetes.io/enforce-version=latest")
    rel = Release(ns, name)
    out = helm("install", name, CHART, "--namespace", ns, kubeconfig=cluster.kubeconfig)
    rel.install_output = out.stdout
    yield rel
    helm("uninstall", name, "--namespace", ns, check=False, kubeconfig=cluster.kubeconfig)
    kubectl("delete", "namespace", ns, "--wait=false", check=False)


def get_json(kubectl, *args: str) -> dict:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def pod_from_template(deployment: dict, name: str) -> dict:
    template = deployment["spec"]["template"]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": template["metadata"].get("labels", {})},
            "spec": template["spec"]}


def test_install_and_notes(release, helm, cluster, kubectl):
    status = json.loads(helm("status", release.name, "-n", release.namespace, "-o", "json",
                             kubeconfig=cluster.kubeconfig).stdout)
    assert status["info"]["status"] == "deployed"
    notes = release.install_output
    assert "kube9-operator-status" in notes and "/metrics" in notes, notes
    assert "pro.existingSecret" in notes, "NOTES must say how to enable Pro tier"
    for kind, name in (("deployment", release.fullname), ("service", release.fullname),
                       ("serviceaccount", release.service_account), ("role", release.fullname),
                       ("rolebinding", release.fullname)):
        kubectl("get", "-n", release.namespace, kind, name)
    for kind in ("clusterrole", "clusterrolebinding"):
        kubectl("get", kind, release.fullname)


def test_pod_security_admission_enforces_restricted(release, kubectl):
    """The namespace really enforces "restricted": a pod without the security fields is refused."""
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "not-restricted"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    out = kubectl("create", "-n", release.namespace, "-f", "-", input=json.dumps(bad), check=False)
    assert out.returncode != 0, out.stdout
    assert 'violates PodSecurity "restricted:latest"' in out.stderr, out.stderr


def test_pod_from_the_deployment_template_is_admitted(release, kubectl):
    deployment = get_json(kubectl, "-n", release.namespace, "deployment", release.fullname)
    pod = pod_from_template(deployment, unique("from-template"))
    out = kubectl("create", "-n", release.namespace, "-f", "-", input=json.dumps(pod), check=False)
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr, out.stderr  # no "would violate" warning either
    kubectl("delete", "pod", "-n", release.namespace, pod["metadata"]["name"], "--grace-period=0", "--force")


def test_the_chart_rbac_is_enough_for_the_operator(release, kubectl, cluster, start_operator, tmp_path):
    """Mint a token for the chart's ServiceAccount (TokenRequest) and run the operator with it,
    with the Deployment's own arguments and POD_NAMESPACE: it becomes ready, every collector
    syncs, it writes its status ConfigMap, and no request is refused."""
    token = kubectl("create", "token", release.service_account, "-n", release.namespace,
                    "--duration=1h").stdout.strip()
    assert token.count(".") == 2, "not a JWT"
    kubeconfig = it_rbac.token_kubeconfig(cluster, tmp_path, token)

    deployment = get_json(kubectl, "-n", release.namespace, "deployment", release.fullname)
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[0] == "serve"
    # The same command line, on a loopback port instead of :8080, and a faster sample.
    args = [a for a in args[1:] if not a.startswith("--web.listen-address=")] + ["--sample-interval=1s"]
    op = start_operator(None, interval=None, kubeconfig=kubeconfig, args=args,
                        env={"POD_NAMESPACE": release.namespace})  # waits for /readyz 200

    cm = wait_for(lambda: ((c := cluster.api.get_configmap(release.namespace)) is not None, c),
                  15, "the status ConfigMap", operator=op)
    status = json.loads(cm["data"]["status"])
    assert status["namespace"] == release.namespace and status["health"] == "healthy", status
    assert cm["metadata"]["labels"]["app.kubernetes.io/component"] == "status"

    def synced():
        text = op.metrics()
        done = {labels["resource"] for name, labels, value in it.parse_metrics(text)
                if name == "kube9_operator_last_sync_timestamp_seconds" and value > 0}
        return done >= set(ALL_COLLECTORS), (text, set(ALL_COLLECTORS) - done)
    # Readiness waits for every collector but events (its first LIST does not gate /readyz).
    text, _ = wait_for(synced, 15, "every collector's first LIST", operator=op)
    assert it_rbac.forbidden(text) == 0, [line for line in text.splitlines() if 'code="403"' in line]
    requests = it.metric_values(text, "kube9_operator_kubernetes_api_requests_total")
    assert sum(requests) > len(ALL_COLLECTORS), "the operator made no requests?"
    logs = op.stdout().lower()
    assert "forbidden" not in logs and '"code":403' not in logs.replace(" ", ""), op.describe()


# (verb, resource, extra args): what the identity must not be able to do.
def cannot_matrix(namespace: str) -> list[tuple[str, ...]]:
    checks: list[tuple[str, ...]] = []
    for verb in ("get", "list", "watch"):
        checks += [(verb, "secrets", "--all-namespaces"), (verb, "secrets", "-n", namespace)]
        checks += [(verb, "configmaps", "-n", "kube-system")]
    for ns in ("default", "kube-system", "kube9-system"):
        for verb in ("create", "update", "patch", "delete"):
            checks.append((verb, "configmaps", "-n", ns))
        checks.append(("patch", "configmaps/kube9-operator-status", "-n", ns))
    # In its own namespace: no other ConfigMap, and never delete its own.
    for verb in ("update", "patch", "delete"):
        checks.append((verb, "configmaps/some-other-configmap", "-n", namespace))
    checks += [("delete", "configmaps/kube9-operator-status", "-n", namespace),
               ("deletecollection", "configmaps", "-n", namespace)]
    others = ["pods", "deployments.apps", "statefulsets.apps", "daemonsets.apps", "replicasets.apps",
              "jobs.batch", "cronjobs.batch", "services", "persistentvolumeclaims", "nodes", "namespaces",
              "serviceaccounts", "events", "clusterroles.rbac.authorization.k8s.io",
              "clusterrolebindings.rbac.authorization.k8s.io", "roles.rbac.authorization.k8s.io",
              "rolebindings.rbac.authorization.k8s.io", "customresourcedefinitions.apiextensions.k8s.io",
              "networkpolicies.networking.k8s.io"]
    for resource in others:
        for verb in ("create", "update", "patch", "delete", "deletecollection"):
            scope = ("--all-namespaces",) if resource not in ("nodes", "namespaces") else ()
            checks.append((verb, resource, *scope))
            if scope:
                checks.append((verb, resource, "-n", namespace))
    checks += [("create", "pods/exec", "-n", namespace), ("create", "serviceaccounts/token", "-n", namespace),
               ("impersonate", "users"), ("impersonate", "serviceaccounts"),
               ("escalate", "clusterroles.rbac.authorization.k8s.io"), ("bind", "clusterroles.rbac.authorization.k8s.io"),
               ("get", "/metrics"), ("get", "/logs"), ("post", "/version")]
    return checks


def can_i(kubectl, user: str, *check: str) -> bool:
    out = kubectl("auth", "can-i", *check, f"--as={user}", check=False)
    assert out.returncode in (0, 1), out.stderr
    return out.returncode == 0 and out.stdout.strip() == "yes"


def test_what_the_identity_can_do(release, kubectl):
    """Sanity for the checks below: the same query says yes where the chart grants."""
    granted = [("list", "pods", "--all-namespaces"), ("watch", "deployments.apps", "--all-namespaces"),
               ("get", "namespaces/kube-system"), ("get", "/version"),
               ("create", "configmaps", "-n", release.namespace),
               ("patch", "configmaps/kube9-operator-status", "-n", release.namespace),
               ("list", "events", "--all-namespaces"), ("watch", "events", "--all-namespaces"),
               ("patch", "configmaps/kube9-dashboard-data", "-n", release.namespace)]
    refused = [" ".join(c) for c in granted if not can_i(kubectl, release.user, *c)]
    assert not refused, f"{release.user} should be allowed: {refused}"


def test_what_the_identity_cannot_do(release, kubectl):
    from concurrent.futures import ThreadPoolExecutor

    checks = cannot_matrix(release.namespace)
    assert len(checks) > 200
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda c: can_i(kubectl, release.user, *c), checks))
    allowed = [" ".join(c) for c, yes in zip(checks, answers) if yes]
    assert not allowed, f"{release.user} is allowed more than it needs: {allowed}"


def test_upgrade(release, helm, kubectl, cluster):
    """An upgrade to fewer collectors and Pro tier (an existing Secret) narrows the ClusterRole,
    mounts the key, and the new pod template still passes "restricted"."""
    kubectl("create", "secret", "generic", "kube9-api-key", "-n", release.namespace,
            "--from-literal=api-key=k9_test_upgrade_key")
    helm("upgrade", release.name, CHART, "--namespace", release.namespace, "--reuse-values",
         "--set", "collectors={pods,deployments}", "--set", "pro.existingSecret=kube9-api-key",
         "--set", "statusUpdateIntervalSeconds=30", kubeconfig=cluster.kubeconfig)
    status = json.loads(helm("status", release.name, "-n", release.namespace, "-o", "json",
                             kubeconfig=cluster.kubeconfig).stdout)
    assert status["version"] == 2 and status["info"]["status"] == "deployed", status["info"]
    rules = get_json(kubectl, "clusterrole", release.fullname)["rules"]
    assert {r for rule in rules for r in rule.get("resources", [])} == {"pods", "deployments"}, rules
    deployment = get_json(kubectl, "-n", release.namespace, "deployment", release.fullname)
    c = deployment["spec"]["template"]["spec"]["containers"][0]
    assert "--status.update-interval=30s" in c["args"]
    assert any(a.startswith("--api-key-file=") for a in c["args"]), c["args"]
    pod = pod_from_template(deployment, unique("upgraded"))
    out = kubectl("create", "-n", release.namespace, "-f", "-", input=json.dumps(pod), check=False)
    assert out.returncode == 0, out.stderr
    kubectl("delete", "pod", "-n", release.namespace, pod["metadata"]["name"], "--grace-period=0", "--force")


def test_uninstall(release, helm, kubectl, cluster):
    helm("uninstall", release.name, "--namespace", release.namespace, "--wait", kubeconfig=cluster.kubeconfig)
    assert helm("status", release.name, "-n", release.namespace, check=False,
                kubeconfig=cluster.kubeconfig).returncode != 0
    deadline = time.monotonic() + 30
    while True:
        left = [kind for kind, args in (
            ("deployment", ("-n", release.namespace, "deployment", release.fullname)),
            ("serviceaccount", ("-n", release.namespace, "serviceaccount", release.service_account)),
            ("rolebinding", ("-n", release.namespace, "rolebinding", release.fullname)),
            ("clusterrole", ("clusterrole", release.fullname)),
            ("clusterrolebinding", ("clusterrolebinding", release.fullname)),
        ) if kubectl("get", *args, check=False).returncode == 0]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not left, f"left behind after uninstall: {left}"
    # The user's own Secret is theirs: the chart never owned it.
    kubectl("get", "-n", release.namespace, "secret", "kube9-api-key")
