"""The persistent data volume (persistence, or its deprecated alias pro.spool.persistence)
installed with the real Helm into the local control plane, in a namespace that enforces Pod
Security "restricted": the chart creates the PersistentVolumeClaim with the spec asked for, the
Deployment mounts it as its one data volume (events history and spool), a pod from the
Deployment's template is admitted, and `helm uninstall` deletes the claim, or leaves it in
place with resourcePolicy "keep" (and a new install of the same release adopts it).

The control plane has no storage provisioner, kubelet or controller manager: the claim stays
Pending, and a deleted claim keeps its kubernetes.io/pvc-protection finalizer (the controller
manager would remove it), so "deleted" means gone or marked for deletion here. The test
removes that finalizer itself when it cleans up.
"""

from __future__ import annotations

import json

import pytest

from conftest import CHART, set_args, unique

def claim_values(key: str, policy: str) -> dict:
    return {f"{key}.enabled": True,
            f"{key}.storageClass": "kube9-test-no-provisioner",
            f"{key}.accessModes": ["ReadWriteOnce"],
            f"{key}.size": "256Mi",
            f"{key}.annotations": {"example.com/owner": "kube9-chart-tests"},
            f"{key}.resourcePolicy": policy}


def get_json(kubectl, *args: str) -> dict:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def claim_or_none(kubectl, namespace: str, name: str) -> dict | None:
    out = kubectl("get", "-n", namespace, "persistentvolumeclaim", name, "-o", "json", check=False)
    if out.returncode != 0:
        assert "NotFound" in out.stderr, out.stderr
        return None
    return json.loads(out.stdout)


@pytest.mark.parametrize("key,policy", [("persistence", ""), ("persistence", "keep"), ("pro.spool.persistence", "")],
                         ids=["deleted-with-the-release", "kept", "deprecated-alias"])
def test_persistent_data_claim_is_installed_and_uninstalled(helm, kubectl, cluster, key, policy):
    ns, name = unique("chart-data"), unique("k9")
    alias = key != "persistence"
    fullname = f"{name}-kube9-operator"
    claim_name = f"{fullname}-spool" if alias else f"{fullname}-data"  # the alias keeps its old claim
    kubectl("create", "namespace", ns)
    kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted",
            "pod-security.kubernetes.io/enforce-version=latest")
    kubectl("create", "secret", "generic", "kube9-api-key", "-n", ns, "--from-literal=api-key=k9_test_spool_key")
    values = {**claim_values(key, policy), "pro.existingSecret": "kube9-api-key"}
    try:
        out = helm("install", name, CHART, "--namespace", ns, *set_args(values), kubeconfig=cluster.kubeconfig)
        # The install notes name the claim, and say when the deprecated alias is in use.
        assert f"PersistentVolumeClaim {claim_name}" in out.stdout, out.stdout
        assert ("DEPRECATED: pro.spool.persistence" in out.stdout) == alias, out.stdout

        # --- the claim, as the API server holds it
        claim = get_json(kubectl, "-n", ns, "persistentvolumeclaim", claim_name)
        spec, meta = claim["spec"], claim["metadata"]
        assert spec["accessModes"] == ["ReadWriteOnce"]
        assert spec["storageClassName"] == "kube9-test-no-provisioner"
        assert spec["resources"]["requests"] == {"storage": "256Mi"}
        assert claim["status"]["phase"] == "Pending"  # nothing provisions it here
        assert meta["labels"]["app.kubernetes.io/instance"] == name
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        assert meta["annotations"]["meta.helm.sh/release-name"] == name
        assert meta["annotations"]["example.com/owner"] == "kube9-chart-tests"
        assert meta["annotations"].get("helm.sh/resource-policy") == (policy or None), meta["annotations"]

        # --- the Deployment mounts it, one pod at a time, and its pod passes "restricted"
        deployment = get_json(kubectl, "-n", ns, "deployment", fullname)
        assert deployment["spec"]["strategy"]["type"] == "Recreate"
        template = deployment["spec"]["template"]
        volumes = {v["name"]: v for v in template["spec"]["volumes"]}
        assert volumes["data"]["persistentVolumeClaim"] == {"claimName": claim_name}, volumes["data"]
        # One writable volume: the events history and the spool both on the claim.
        (container,) = template["spec"]["containers"]
        (mount,) = [m for m in container["volumeMounts"] if not m.get("readOnly")]
        assert mount == {"name": "data", "mountPath": "/var/lib/kube9-operator"}, mount
        assert "--spool.path=/var/lib/kube9-operator/spool" in container["args"], container["args"]
        assert {"name": "KUBE9_DATA_PATH", "value": "/var/lib/kube9-operator"} in container["env"]
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": unique("data-pod"), "labels": template["metadata"].get("labels", {})},
               "spec": template["spec"]}
        out = kubectl("create", "-n", ns, "-f", "-", input=json.dumps(pod), check=False)
        assert out.returncode == 0, out.stderr
        assert "Warning" not in out.stderr, out.stderr
        kubectl("delete", "pod", "-n", ns, pod["metadata"]["name"], "--grace-period=0", "--force")

        # --- uninstall (without --wait: a deleted claim keeps its finalizer here)
        helm("uninstall", name, "--namespace", ns, kubeconfig=cluster.kubeconfig)
        assert helm("status", name, "-n", ns, check=False, kubeconfig=cluster.kubeconfig).returncode != 0
        left = claim_or_none(kubectl, ns, claim_name)
        if policy == "keep":
            assert left is not None and "deletionTimestamp" not in left["metadata"], left
            # A new install of the same release adopts the kept claim instead of failing on it.
            helm("install", name, CHART, "--namespace", ns, *set_args(values), kubeconfig=cluster.kubeconfig)
            adopted = get_json(kubectl, "-n", ns, "persistentvolumeclaim", claim_name)
            assert adopted["metadata"]["uid"] == meta["uid"]
            helm("uninstall", name, "--namespace", ns, kubeconfig=cluster.kubeconfig)
            assert claim_or_none(kubectl, ns, claim_name) is not None
        else:
            assert left is None or "deletionTimestamp" in left["metadata"], left["metadata"]
    finally:
        helm("uninstall", name, "--namespace", ns, check=False, kubeconfig=cluster.kubeconfig)
        kubectl("delete", "-n", ns, "persistentvolumeclaim", claim_name, "--wait=false", "--ignore-not-found",
                check=False)
        kubectl("patch", "-n", ns, "persistentvolumeclaim", claim_name, "--type=merge",
                "-p", '{"metadata":{"finalizers":null}}', check=False)
        kubectl("delete", "namespace", ns, "--wait=false", check=False)
