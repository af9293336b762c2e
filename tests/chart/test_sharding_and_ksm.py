"""The chart's kube-state-metrics families (kubeStateMetrics.*) and sharding (sharding.totalShards):
rendered with `helm template` and checked as data, then installed into the local control plane
and run with the StatefulSet's own arguments and a token of the chart's ServiceAccount, one
process per shard (there is no kubelet: the StatefulSet creates no pod by itself)."""

from __future__ import annotations

import json

import pytest

from conftest import CHART, find, it, it_rbac, one, unique, wait_for

SHARDS = 3


def container_of(workload: dict) -> dict:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, containers
    return containers[0]


# --- kube-state-metrics families -------------------------------------------------------------


def test_kube_state_metrics_off_by_default(render):
    objects = render({"serviceMonitor.enabled": True})
    args = container_of(one(objects, "Deployment"))["args"]
    assert not [a for a in args if a.startswith(("--kube-state-metrics", "--metric-", "--shard", "--total-shards"))]
    endpoint = one(objects, "ServiceMonitor")["spec"]["endpoints"][0]
    # kube9_pods{namespace="shop"} and the other per-namespace families keep their namespace
    # (the alerts and the dashboards' namespace filter read it) instead of the operator's.
    assert endpoint["honorLabels"] is True, "without honorLabels the namespace becomes exported_namespace"


def test_kube_state_metrics_flags_and_a_service_monitor_that_keeps_their_labels(render):
    objects = render({
        "kubeStateMetrics.enabled": True,
        "kubeStateMetrics.metricDenylist": ["^kube_pod_container_status_last_terminated.*", "kube_node_spec_taint"],
        "kubeStateMetrics.metricLabelsAllowlist": ["pods=[app,team]", "namespaces=[*]"],
        "kubeStateMetrics.metricAnnotationsAllowlist": ["deployments=[owner]"],
        "collectors": ["pods", "namespaces", "deployments"],
        "serviceMonitor.enabled": True,
    })
    args = container_of(one(objects, "Deployment"))["args"]
    assert "--kube-state-metrics" in args
    assert "--metric-denylist=^kube_pod_container_status_last_terminated.*,kube_node_spec_taint" in args
    assert "--metric-labels-allowlist=pods=[app,team],namespaces=[*]" in args
    assert "--metric-annotations-allowlist=deployments=[owner]" in args
    assert not [a for a in args if a.startswith("--metric-allowlist")]
    # `collectors` is kube-state-metrics' --resources: one list for what is watched and served.
    assert [a for a in args if a.startswith("--collectors=")] == ["--collectors=pods,namespaces,deployments"]
    monitor = one(objects, "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["honorLabels"] is True, \
        "a kube_pod_* series' namespace and pod must not be overwritten by the target's"


def test_the_flags_are_what_the_binary_accepts(render, binary, tmp_path):
    """The rendered arguments parse: the binary reports no problem with them (it stops at the
    missing cluster access instead, exit status 2 with a different message)."""
    objects = render({"kubeStateMetrics.enabled": True, "kubeStateMetrics.metricAllowlist": ["^kube_pod_", "node"],
                      "kubeStateMetrics.metricLabelsAllowlist": ["*=[app]"], "sharding.totalShards": SHARDS})
    args = container_of(one(objects, "StatefulSet"))["args"]
    env = it.clean_env({"POD_NAME": "k9-kube9-operator-1", "HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none")})
    out = it.run([str(binary), *args, f"--data.path={tmp_path}"], timeout=20, env=env)
    assert out.returncode == 2, out
    assert "flag --" not in out.stderr and "must be" not in out.stderr, out.stderr
    assert "cannot be read" in out.stderr, out
    # Not a StatefulSet's pod name: refused, never guessed.
    env["POD_NAME"] = "k9-kube9-operator-5d8f7c9b4-x7x2q"
    out = it.run([str(binary), *args, f"--data.path={tmp_path}"], timeout=20, env=env)
    assert out.returncode == 2 and "flag --shard=auto: needs POD_NAME ending in -<ordinal>" in out.stderr, out


# --- sharding --------------------------------------------------------------------------------


def test_one_shard_is_the_deployment(render):
    objects = render({"sharding.totalShards": 1})
    one(objects, "Deployment")
    assert not find(objects, "StatefulSet")


def test_shards_are_a_statefulset_whose_ordinal_is_the_shard(render):
    objects = render({"sharding.totalShards": SHARDS, "kubeStateMetrics.enabled": True,
                      "serviceMonitor.enabled": True, "networkPolicy.enabled": True})
    assert not find(objects, "Deployment"), "one workload: the StatefulSet replaces the Deployment"
    sts = one(objects, "StatefulSet")
    spec = sts["spec"]
    assert spec["replicas"] == SHARDS
    assert spec["podManagementPolicy"] == "Parallel"
    c = container_of(sts)
    assert "--shard=auto" in c["args"] and f"--total-shards={SHARDS}" in c["args"]
    pod_name = [e for e in c["env"] if e["name"] == "POD_NAME"]
    assert pod_name == [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    # Every shard is behind the metrics Service, so the ServiceMonitor scrapes each one.
    service = one(objects, "Service")
    assert spec["serviceName"] == service["metadata"]["name"]
    pod_labels = spec["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
    monitor = one(objects, "ServiceMonitor")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["honorLabels"] is True
    policy = one(objects, "NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    # No data claim shared by the shards, and a pod that still passes "restricted".
    assert not find(objects, "PersistentVolumeClaim")
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False


def test_sharding_leaves_rbac_unchanged(render):
    """Least privilege: the shard comes from the pod's own name (downward API), not from reading
    the StatefulSet, so sharding needs no new rule."""
    def rbac(objects):
        return [(o["kind"], o.get("rules"), o.get("roleRef"), o.get("subjects")) for o in objects
                if o["kind"] in ("ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding")]
    assert rbac(render({"sharding.totalShards": SHARDS, "kubeStateMetrics.enabled": True})) == \
        rbac(render({"kubeStateMetrics.enabled": True}))


def test_sharded_persistence_is_a_claim_per_shard(render):
    objects = render({"sharding.totalShards": SHARDS, "persistence.enabled": True,
                      "persistence.storageClass": "fast", "persistence.resourcePolicy": "keep",
                      "persistence.annotations": {"example.com/backup": "false"}})
    assert not find(objects, "PersistentVolumeClaim"), "no one claim for pods that may sit on several nodes"
    spec = one(objects, "StatefulSet")["spec"]
    [template] = spec["volumeClaimTemplates"]
    assert template["metadata"]["name"] == "data"
    assert template["metadata"]["annotations"] == {"example.com/backup": "false"}
    assert template["spec"]["storageClassName"] == "fast"
    assert template["spec"]["resources"]["requests"]["storage"] == "88Mi"
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Delete"}
    volumes = spec["template"]["spec"].get("volumes") or []
    assert not [v for v in volumes if v["name"] == "data"], "the data volume is the claim template's"
    mounts = container_of(one(objects, "StatefulSet"))["volumeMounts"]
    assert {"name": "data", "mountPath": "/var/lib/kube9-operator"} in mounts
    # Without persistence each shard has an emptyDir, as the Deployment has.
    plain = one(render({"sharding.totalShards": SHARDS}), "StatefulSet")["spec"]
    assert "volumeClaimTemplates" not in plain
    assert [v for v in plain["template"]["spec"]["volumes"] if v["name"] == "data"][0]["emptyDir"]


# --- installed -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sharded_release(helm, kubectl, cluster):
    ns, name = unique("chart-shards"), unique("k9")
    kubectl("create", "namespace", ns)
    kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted",
            "pod-security.kubernetes.io/enforce-version=latest")
    helm("install", name, CHART, "--namespace", ns, "--set", f"sharding.totalShards={SHARDS}",
         "--set", "kubeStateMetrics.enabled=true", kubeconfig=cluster.kubeconfig)
    yield ns, name, f"{name}-kube9-operator"
    helm("uninstall", name, "--namespace", ns, check=False, kubeconfig=cluster.kubeconfig)
    kubectl("delete", "namespace", ns, "--wait=false", check=False)


def test_installed_shards_run_with_the_chart_rbac_and_only_shard_0_writes(sharded_release, kubectl, cluster,
                                                                         start_operator, tmp_path):
    ns, _, fullname = sharded_release
    sts = json.loads(kubectl("get", "-n", ns, "statefulset", fullname, "-o", "json").stdout)
    # A pod of the template is admitted under Pod Security "restricted", as the Deployment's is.
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": f"{fullname}-0", "labels": sts["spec"]["template"]["metadata"]["labels"]},
           "spec": sts["spec"]["template"]["spec"]}
    out = kubectl("create", "-n", ns, "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False)
    assert out.returncode == 0 and "Warning" not in out.stderr, out.stderr

    token = kubectl("create", "token", fullname, "-n", ns, "--duration=1h").stdout.strip()
    kubeconfig = it_rbac.token_kubeconfig(cluster, tmp_path, token)
    args = container_of(sts)["args"]
    assert args[0] == "serve"
    args = [a for a in args[1:] if not a.startswith("--web.listen-address=")] + ["--sample-interval=1s"]
    # Shards 1 and 2 first: ready, but no status.
    others = [start_operator(None, interval=None, kubeconfig=kubeconfig, args=args,
                             env={"POD_NAMESPACE": ns, "POD_NAME": f"{fullname}-{k}"}) for k in range(1, SHARDS)]
    for op in others:
        wait_for(lambda op=op: ("kube_pod_info{" in op.metrics(), None), 30, "kube_* series", operator=op)
    assert cluster.api.get_configmap(ns) is None, "a shard other than 0 wrote the status"
    first = start_operator(None, interval=None, kubeconfig=kubeconfig, args=args,
                           env={"POD_NAMESPACE": ns, "POD_NAME": f"{fullname}-0"})
    wait_for(lambda: (cluster.api.get_configmap(ns) is not None, None), 15, "shard 0's status", operator=first)
    for op in (first, *others):
        text = op.metrics()
        assert it_rbac.forbidden(text) == 0, [line for line in text.splitlines() if 'code="403"' in line]
