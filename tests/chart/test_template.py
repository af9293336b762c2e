"""`helm template` output checked as data: labels, the pod's security fields, probes and
resources, RBAC exactly as `kube9-operator rbac` prints it (and nothing more), the API key as
a mounted file only, the one data volume holding the events history and the spool (an emptyDir, or
a PersistentVolumeClaim when persistence is on), and the optional monitoring and network objects."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CHART, REPO_ROOT, find, one

VALUES_ALL = Path(__file__).resolve().parent / "values-all.yaml"
API_KEY = "k9_live_0123456789abcdef0123456789abcdef"
ALL_COLLECTORS = ["nodes", "namespaces", "pods", "services", "persistentvolumeclaims", "deployments",
                  "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "horizontalpodautoscalers",
                  "poddisruptionbudgets", "networkpolicies", "resourcequotas", "limitranges", "roles", "clusterroles",
                  "rolebindings", "clusterrolebindings", "verticalpodautoscalers", "events",
                  "applications", "kustomizations", "helmreleases"]  # all but the opt-in configmaps
ARGOCD_COLLECTORS = ["applications"]
FLUX_COLLECTORS = ["kustomizations", "helmreleases"]
STANDARD_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                   "app.kubernetes.io/managed-by", "helm.sh/chart"]


def pod_spec(objects: list[dict]) -> dict:
    return one(objects, "Deployment")["spec"]["template"]["spec"]


def container(objects: list[dict]) -> dict:
    containers = pod_spec(objects)["containers"]
    assert len(containers) == 1, containers
    return containers[0]


def binary_rbac(binary: Path, collectors: list[str] | None = None) -> tuple[dict, dict]:
    args = [str(binary), "rbac", "-n", "kube9-system"]
    if collectors:
        args.append("--collectors=" + ",".join(collectors))
    out = subprocess.run(args, capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    cluster_role, role = json.loads(out.stdout)["items"]
    return cluster_role, role


def normalized(rules: list[dict]) -> list[dict]:
    """Rules with empty optional fields dropped, so that YAML and JSON spellings compare."""
    return [{k: v for k, v in r.items() if v} for r in rules]


# --- defaults --------------------------------------------------------------------------------


def test_default_objects(render):
    objects = render()
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == sorted(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                            "Service", "Deployment"]), kinds
    for o in objects:
        labels = o["metadata"].get("labels") or {}
        missing = [label for label in STANDARD_LABELS if label not in labels]
        assert not missing, f"{o['kind']} {o['metadata']['name']} lacks {missing}"
        assert labels["app.kubernetes.io/name"] == "kube9-operator"
        if o["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            assert o["metadata"]["namespace"] == "kube9-system", o["metadata"]


def test_pod_passes_pod_security_restricted_by_construction(render):
    objects = render()
    spec, c = pod_spec(objects), container(objects)
    pod_sc, sc = spec["securityContext"], c["securityContext"]
    assert pod_sc["runAsNonRoot"] is True
    assert isinstance(pod_sc["runAsUser"], int) and pod_sc["runAsUser"] > 0
    assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] > 0
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "privileged" not in sc or sc["privileged"] is False
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert not spec.get(key), key
    # The free tier's only volume: the data directory of the events history.
    assert [v["name"] for v in spec.get("volumes")] == ["data"], spec.get("volumes")


def test_container_probes_port_resources_and_namespace(render):
    objects = render()
    c = container(objects)
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"},
                              "limits": {"cpu": "100m", "memory": "128Mi"}}
    assert c["args"][0] == "serve" and "--web.listen-address=:8080" in c["args"]
    assert "--status.update-interval=60s" in c["args"]
    env = {e["name"]: e for e in c["env"]}
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    # Free tier: nothing of the Pro tier is passed.
    assert not [a for a in c["args"] if a.startswith(("--api-key-file", "--spool.", "--server-url"))], c["args"]
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    service = one(objects, "Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


# --- RBAC ------------------------------------------------------------------------------------


@pytest.mark.parametrize("collectors", [None, ["pods", "jobs", "deployments"], ["nodes"],
                                        ["clusterroles", "pods", "horizontalpodautoscalers", "poddisruptionbudgets"]],
                         ids=["all", "three", "one", "assessment"])
def test_rbac_matches_what_the_binary_prints(render, binary, collectors):
    objects = render({"collectors": collectors} if collectors else None)
    want_cluster_role, want_role = binary_rbac(binary, collectors)
    assert normalized(one(objects, "ClusterRole")["rules"]) == normalized(want_cluster_role["rules"])
    assert normalized(one(objects, "Role")["rules"]) == normalized(want_role["rules"])


@pytest.mark.parametrize("values, off", [
    ({"gitops.argocd.enabled": False}, ARGOCD_COLLECTORS),
    ({"gitops.flux.enabled": False}, FLUX_COLLECTORS),
    ({"gitops.argocd.enabled": False, "gitops.flux.enabled": False}, ARGOCD_COLLECTORS + FLUX_COLLECTORS),
], ids=["argocd-off", "flux-off", "both-off"])
def test_gitops_switches_remove_the_rules_and_the_collectors(render, binary, values, off):
    objects = render(values)
    left = [c for c in ALL_COLLECTORS if c not in off]
    want_cluster_role, _ = binary_rbac(binary, left)
    assert normalized(one(objects, "ClusterRole")["rules"]) == normalized(want_cluster_role["rules"])
    assert "--collectors=" + ",".join(left) in container(objects)["args"]


def test_gitops_rules_are_read_only_on_the_three_resources_by_default(render):
    objects = render()
    rules = {tuple(r["apiGroups"]): r for r in one(objects, "ClusterRole")["rules"] if "apiGroups" in r}
    assert rules[("argoproj.io",)]["resources"] == ["applications"]
    assert rules[("kustomize.toolkit.fluxcd.io",)]["resources"] == ["kustomizations"]
    assert rules[("helm.toolkit.fluxcd.io",)]["resources"] == ["helmreleases"]
    for group in ("argoproj.io", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io"):
        assert rules[(group,)]["verbs"] == ["get", "list", "watch"]
    assert not any(a.startswith("--collectors") for a in container(objects)["args"]), "all collectors: no flag"


def test_configmaps_are_read_cluster_wide_only_when_opted_in(render, binary):
    """PRODUCT.md §10: the default grant never includes ConfigMaps outside the operator's own;
    assessment.readConfigMaps adds list/watch on them (and the collector), as `rbac` prints it."""
    default = render()
    assert not [r for r in one(default, "ClusterRole")["rules"] if "configmaps" in r.get("resources", [])]
    assert not [a for a in container(default)["args"] if a.startswith("--collectors")], "the binary's default"
    objects = render({"assessment.readConfigMaps": True})
    args = [a for a in container(objects)["args"] if a.startswith("--collectors=")]
    assert args == ["--collectors=" + ",".join(ALL_COLLECTORS + ["configmaps"])], args
    want_cluster_role, _ = binary_rbac(binary, ALL_COLLECTORS + ["configmaps"])
    assert normalized(one(objects, "ClusterRole")["rules"]) == normalized(want_cluster_role["rules"])
    core = [r for r in one(objects, "ClusterRole")["rules"] if r.get("apiGroups") == [""]][0]
    assert "configmaps" in core["resources"] and set(core["verbs"]) == {"get", "list", "watch"}
    # With an explicit list, opting in adds configmaps to it.
    args = [a for a in container(render({"collectors": ["pods"], "assessment.readConfigMaps": True}))["args"]
            if a.startswith("--collectors=")]
    assert args == ["--collectors=pods,configmaps"], args


def test_rbac_is_least_privilege(render):
    objects = render()
    sa = one(objects, "ServiceAccount")["metadata"]["name"]
    cluster_rules = one(objects, "ClusterRole")["rules"]
    role_rules = one(objects, "Role")["rules"]
    for rule in cluster_rules + role_rules:
        for field in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
            assert "*" not in (rule.get(field) or []), f"wildcard in {rule}"
        assert "secrets" not in (rule.get("resources") or []), rule
    cluster_resources = {r for rule in cluster_rules for r in rule.get("resources", [])}
    assert cluster_resources == set(ALL_COLLECTORS), cluster_resources
    assert {v for rule in cluster_rules for v in rule["verbs"]} == {"get", "list", "watch"}
    assert [r for r in cluster_rules if "nonResourceURLs" in r] == [{"nonResourceURLs": ["/version"], "verbs": ["get"]}]
    # In its namespace: its own status and dashboard ConfigMaps, and create (SSA's create-when-missing).
    assert all(rule["resources"] == ["configmaps"] for rule in role_rules), role_rules
    for rule in role_rules:
        assert (rule.get("resourceNames") == ["kube9-operator-status", "kube9-dashboard-data"]
                or rule["verbs"] == ["create"]), rule
        assert not {"delete", "deletecollection", "list", "watch"} & set(rule["verbs"]), rule
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        binding = one(objects, kind)
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": "kube9-system"}]
        assert binding["roleRef"]["name"] == one(objects, kind.replace("Binding", ""))["metadata"]["name"]


def test_rbac_can_be_left_to_the_user(render):
    kinds = {o["kind"] for o in render({"rbac.create": False, "serviceAccount.create": False,
                                        "serviceAccount.name": "existing"})}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"}, kinds


# --- the Pro tier: the API key as a file -----------------------------------------------------


def assert_key_only_as_file(objects: list[dict], secret_name: str, secret_key: str) -> None:
    spec, c = pod_spec(objects), container(objects)
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    key_volume = volumes["api-key"]["secret"]
    assert key_volume["secretName"] == secret_name
    assert key_volume["items"] == [{"key": secret_key, "path": "api-key"}]
    assert mounts["api-key"]["readOnly"] is True
    assert f"--api-key-file={mounts['api-key']['mountPath']}/api-key" in c["args"], c["args"]
    for e in c.get("env", []):
        assert e["name"] != "API_KEY", e
        assert "secretKeyRef" not in (e.get("valueFrom") or {}), e
    assert "envFrom" not in c
    # The key's value appears in no object but its Secret.
    for o in objects:
        if o["kind"] != "Secret":
            assert API_KEY not in yaml.safe_dump(o), f"the API key leaks into {o['kind']}"


def test_inline_api_key_is_a_secret_mounted_as_a_file(render):
    objects = render({"pro.apiKey": API_KEY})
    secret = one(objects, "Secret")
    assert base64.b64decode(secret["data"]["api-key"]).decode() == API_KEY
    assert_key_only_as_file(objects, secret["metadata"]["name"], "api-key")


def test_existing_secret_is_mounted_as_a_file(render):
    objects = render({"pro.existingSecret": "my-key", "pro.existingSecretKey": "token"})
    assert not find(objects, "Secret"), "an existing Secret must not be created again"
    assert_key_only_as_file(objects, "my-key", "token")


def test_pro_tier_spool_volume_and_flags(render):
    objects = render({"pro.existingSecret": "my-key", "pro.spool.maxBytes": 8 * 1024 * 1024,
                      "pro.upload.maxBatchAge": "2m", "pro.serverCAConfigMap": "ca"})
    spec, c = pod_spec(objects), container(objects)
    data = {v["name"]: v for v in spec["volumes"]}["data"]
    # The events history (64 MiB, a quarter, the WAL) and the spool (8 MiB and a quarter).
    assert data["emptyDir"]["sizeLimit"] == 88 * 2**20 + 10 * 2**20
    assert spool_path(objects) == "/var/lib/kube9-operator/spool"
    assert "--spool.max-bytes=8388608" in c["args"]
    assert "--upload.max-batch-age=2m" in c["args"]
    assert "--server-url=https://api.kube9.io" in c["args"]
    ca_mount = {m["name"]: m for m in c["volumeMounts"]}["server-ca"]
    assert f"--server-ca-file={ca_mount['mountPath']}/ca.crt" in c["args"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["REREGISTRATION_INTERVAL_HOURS"] == "24"
    assert env["RESOURCE_INVENTORY_INTERVAL_SECONDS"] == "21600"


# --- the data volume: events history and spool, an emptyDir or a claim ------------------------

PRO = {"pro.existingSecret": "my-key"}
# persistence.* and its deprecated alias pro.spool.persistence.* (which needs Pro tier, as it
# always did), with the claim each names.
KEYS = {"persistence": ("persistence", "k9-kube9-operator-data"),
        "alias": ("pro.spool.persistence", "k9-kube9-operator-spool")}
EVENTS_BYTES = 88 * 2**20  # events.maxBytes (64 MiB), a quarter, 8 MiB of WAL
SPOOL_BYTES = 80 * 2**20  # pro.spool.maxBytes (64 MiB) and a quarter


def persistent(which: str, **settings) -> dict:
    key = KEYS[which][0]
    return {**PRO, f"{key}.enabled": True, **{f"{key}.{k}": v for k, v in settings.items()}}


def volumes_by_name(objects: list[dict]) -> dict[str, dict]:
    return {v["name"]: v for v in pod_spec(objects).get("volumes") or []}


def writable_mounts(objects: list[dict]) -> list[dict]:
    return [m for m in container(objects)["volumeMounts"] if not m.get("readOnly")]


def spool_path(objects: list[dict]) -> str:
    """The spool's path, after checking that it lies in the data volume, the container's one
    writable volume, next to the events history."""
    c = container(objects)
    (mount,) = writable_mounts(objects)
    assert mount["name"] == "data" and mount["mountPath"] == "/var/lib/kube9-operator", mount
    assert "subPath" not in mount, mount
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["KUBE9_DATA_PATH"] == mount["mountPath"]
    (arg,) = [a for a in c["args"] if a.startswith("--spool.path=")]
    path = arg.split("=", 1)[1]
    assert path.startswith(mount["mountPath"] + "/"), (path, mount)
    return path


@pytest.mark.parametrize("values", [None, PRO], ids=["free", "pro"])
def test_one_data_volume_an_empty_dir_by_default(render, values):
    """Persistence is opt-in: the data volume is an emptyDir sized for the events history and,
    with Pro tier, the spool; there is no other writable volume, no claim, and the strategy
    stays Recreate."""
    objects = render(values)
    assert not find(objects, "PersistentVolumeClaim")
    data = volumes_by_name(objects)["data"]
    assert set(data) == {"name", "emptyDir"}, data
    assert data["emptyDir"] == {"sizeLimit": EVENTS_BYTES + (SPOOL_BYTES if values else 0)}
    assert [m["name"] for m in writable_mounts(objects)] == ["data"]
    if values:
        assert spool_path(objects) == "/var/lib/kube9-operator/spool"
        assert list(volumes_by_name(objects)) == ["data", "api-key"]
    else:
        assert not [a for a in container(objects)["args"] if a.startswith("--spool.")]
        assert list(volumes_by_name(objects)) == ["data"]
    assert one(objects, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}


def test_persistence_without_pro_tier_keeps_the_events_history(render):
    """persistence.* needs no Pro tier: the claim then holds the events history alone."""
    objects = render({"persistence.enabled": True})
    claim = one(objects, "PersistentVolumeClaim")
    assert claim["metadata"]["name"] == "k9-kube9-operator-data"
    assert claim["spec"]["resources"] == {"requests": {"storage": "88Mi"}}
    assert volumes_by_name(objects) == {"data": {"name": "data",
                                                 "persistentVolumeClaim": {"claimName": "k9-kube9-operator-data"}}}


def test_the_alias_needs_pro_tier(render):
    """pro.spool.persistence keeps its old meaning without Pro tier: nothing."""
    objects = render({"pro.spool.persistence.enabled": True})
    assert not find(objects, "PersistentVolumeClaim")
    assert list(volumes_by_name(objects)) == ["data"] and "emptyDir" in volumes_by_name(objects)["data"]


@pytest.mark.parametrize("which", KEYS)
@pytest.mark.parametrize("storage_class,want", [("", None), ("-", ""), ("fast-ssd", "fast-ssd")],
                         ids=["cluster-default", "no-class", "named"])
def test_persistent_data_claim(render, which, storage_class, want):
    objects = render(persistent(which, storageClass=storage_class))
    claim = one(objects, "PersistentVolumeClaim")
    meta = claim["metadata"]
    assert meta["name"] == KEYS[which][1] and meta["namespace"] == "kube9-system", meta
    missing = [label for label in STANDARD_LABELS if label not in meta["labels"]]
    assert not missing, missing
    assert meta["labels"]["app.kubernetes.io/component"] == "data"
    assert "annotations" not in meta, meta  # deleted with the release unless resourcePolicy is keep
    spec = claim["spec"]
    assert spec["accessModes"] == ["ReadWriteOnce"]
    assert spec["resources"] == {"requests": {"storage": "168Mi"}}  # events and spool, each with headroom
    if want is None:
        assert "storageClassName" not in spec, spec
    else:
        assert spec["storageClassName"] == want, spec

    # The one data volume is the claim: the events history and the spool are both on it.
    assert volumes_by_name(objects)["data"] == {"name": "data", "persistentVolumeClaim": {"claimName": meta["name"]}}
    assert spool_path(objects) == "/var/lib/kube9-operator/spool"
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # a RWO claim, one pod at a time
    assert deployment["spec"]["replicas"] == 1
    # The volume is writable by the operator's user through fsGroup; the rest stays restricted.
    pod_sc, sc = pod_spec(objects)["securityContext"], container(objects)["securityContext"]
    assert pod_sc["fsGroup"] == sc["runAsGroup"] == 65532 and pod_sc["runAsNonRoot"] is True
    assert sc["readOnlyRootFilesystem"] is True and sc["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize("which", KEYS)
def test_persistence_changes_only_the_volume(render, which):
    """Everything but the data volume (and the new claim) renders as with the emptyDir."""
    without, with_claim = render(PRO), render(persistent(which))
    assert container(with_claim) == container(without)
    spec_without, spec_with = dict(pod_spec(without)), dict(pod_spec(with_claim))
    volumes_without, volumes_with = spec_without.pop("volumes"), spec_with.pop("volumes")
    assert spec_with == spec_without
    assert [v for v in volumes_with if v["name"] != "data"] == [v for v in volumes_without if v["name"] != "data"]
    assert sorted(o["kind"] for o in with_claim) == sorted([o["kind"] for o in without] + ["PersistentVolumeClaim"])
    # The operator never touches claims: RBAC is the same.
    for kind in ("ClusterRole", "Role"):
        assert one(with_claim, kind) == one(without, kind)


def test_persistence_comes_before_its_alias(render):
    """Both enabled: persistence.* is used, the alias's settings are not."""
    objects = render({**persistent("persistence", storageClass="fast-ssd"),
                      **persistent("alias", storageClass="slow-hdd", existingClaim="old-spool")})
    claim = one(objects, "PersistentVolumeClaim")
    assert claim["metadata"]["name"] == "k9-kube9-operator-data"
    assert claim["spec"]["storageClassName"] == "fast-ssd"
    assert volumes_by_name(objects)["data"]["persistentVolumeClaim"] == {"claimName": "k9-kube9-operator-data"}


@pytest.mark.parametrize("which", KEYS)
@pytest.mark.parametrize("spool_max,events_max,size,want", [
    (8 * 2**20, 64 * 2**20, "", "98Mi"),
    (2**30, 64 * 2**20, "", "1368Mi"),
    (2**20 + 1, 64 * 2**20, "", "90Mi"),  # rounded up to whole Mi
    (64 * 2**20, 2**30, "", "1368Mi"),  # the events history's bound counts as much
    (64 * 2**20, 64 * 2**20, "168Mi", "168Mi"),  # exactly what both need
    (64 * 2**20, 64 * 2**20, "177M", "177M"),
    (64 * 2**20, 64 * 2**20, "2Gi", "2Gi"),
], ids=["derived-8Mi", "derived-1Gi", "derived-rounded-up", "derived-events-1Gi", "explicit-minimum",
        "explicit-decimal", "explicit-larger"])
def test_persistent_data_size(render, which, spool_max, events_max, size, want):
    objects = render({**persistent(which, size=size), "pro.spool.maxBytes": spool_max, "events.maxBytes": events_max})
    assert one(objects, "PersistentVolumeClaim")["spec"]["resources"]["requests"]["storage"] == want
    assert f"--spool.max-bytes={spool_max}" in container(objects)["args"]


@pytest.mark.parametrize("which", KEYS)
def test_persistent_data_modes_annotations_and_resource_policy(render, which):
    objects = render(persistent(which, accessModes=["ReadWriteOncePod"], annotations={"example.com/backup": "true"},
                                resourcePolicy="keep"))
    claim = one(objects, "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOncePod"]
    assert claim["metadata"]["annotations"] == {"example.com/backup": "true", "helm.sh/resource-policy": "keep"}


@pytest.mark.parametrize("which", KEYS)
def test_existing_claim_is_mounted_and_none_is_created(render, which):
    objects = render(persistent(which, existingClaim="my-claim", size="5Gi", storageClass="fast-ssd"))
    assert not find(objects, "PersistentVolumeClaim")
    assert volumes_by_name(objects)["data"] == {"name": "data", "persistentVolumeClaim": {"claimName": "my-claim"}}
    assert spool_path(objects) == "/var/lib/kube9-operator/spool"
    assert one(objects, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}


def test_persistence_with_the_values_of_an_older_chart(render, tmp_path):
    """`helm upgrade --reuse-values` renders the new chart with the values of the release's old
    chart, which may have neither persistence nor pro.spool.persistence: the emptyDir stays,
    and enabling either alone gives a claim with the defaults (ReadWriteOnce, what the volume
    needs)."""
    old = tmp_path / "kube9-operator"
    shutil.copytree(CHART, old, symlinks=False, ignore=shutil.ignore_patterns("files"))
    values = yaml.safe_load((old / "values.yaml").read_text())
    del values["pro"]["spool"]["persistence"]
    del values["persistence"]
    (old / "values.yaml").write_text(yaml.safe_dump(values))

    objects = render(PRO, chart=old)
    assert not find(objects, "PersistentVolumeClaim")
    assert "emptyDir" in volumes_by_name(objects)["data"]
    for values in ({"persistence": {"enabled": True}}, {"pro.spool.persistence": {"enabled": True}}):
        objects = render({**PRO, **values}, chart=old)
        claim = one(objects, "PersistentVolumeClaim")
        assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "168Mi"}}}
        assert "annotations" not in claim["metadata"]
        assert volumes_by_name(objects)["data"]["persistentVolumeClaim"] == {"claimName": claim["metadata"]["name"]}


# --- every option on -------------------------------------------------------------------------


def test_every_option_on(render, chart_with_assets):
    objects = render(values_files=[VALUES_ALL], chart=chart_with_assets)
    kinds = sorted({o["kind"] for o in objects})
    assert {"ServiceMonitor", "PrometheusRule", "NetworkPolicy", "ConfigMap"} <= set(kinds), kinds
    c = container(objects)
    assert "--collectors=pods,namespaces,deployments,jobs" in c["args"]
    assert "--log.format=logfmt" in c["args"] and "--web.listen-address=:9090" in c["args"]
    assert c["image"].endswith("@sha256:" + "0123456789abcdef" * 4)
    assert one(objects, "ClusterRole")["rules"][0]["resources"] == ["namespaces", "pods"]

    claim = one(objects, "PersistentVolumeClaim")
    assert claim["metadata"]["name"] == "kube9-all-data"
    assert claim["metadata"]["annotations"] == {"example.com/backup": "false", "helm.sh/resource-policy": "keep"}
    assert claim["spec"] == {"accessModes": ["ReadWriteOncePod"], "storageClassName": "fast-ssd",
                             "resources": {"requests": {"storage": "1Gi"}}}
    data = {v["name"]: v for v in pod_spec(objects)["volumes"]}["data"]
    assert data["persistentVolumeClaim"] == {"claimName": "kube9-all-data"}

    monitor = one(objects, "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == one(objects, "Service")["spec"]["ports"][0]["name"]
    assert monitor["spec"]["jobLabel"] == "app.kubernetes.io/name"
    assert monitor["spec"]["endpoints"][0]["scheme"] == "https"
    assert monitor["spec"]["endpoints"][0]["basicAuth"]["password"] == {"name": "kube9-scrape-credentials", "key": "pass"}
    assert "--web.config.file=/etc/kube9-operator/web-config/web-config.yml" in c["args"]

    policy = one(objects, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Egress"] and "ingress" not in policy
    ports = [p["port"] for rule in policy["egress"] for p in rule.get("ports", [])]
    assert 53 in ports and 443 in ports and 6443 in ports and 3128 in ports

    argocd_rule = [r for r in policy["egress"] if any(p["port"] == 8080 for p in r.get("ports", []))]
    assert argocd_rule and argocd_rule[0]["to"] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gitops"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "argocd-server"}}}], policy["egress"]
    assert "--gitops.discovery-interval=5m" in c["args"]
    assert {e["name"]: e.get("value") for e in c["env"]}["ARGOCD_API_BASE_URL"] == \
        "https://argocd.gitops.svc.cluster.local"

    dashboards = [o for o in find(objects, "ConfigMap")]
    assert dashboards
    for cm in dashboards:
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert cm["metadata"]["namespace"] == "monitoring"
        for name, text in cm["data"].items():
            assert name.endswith(".json") and isinstance(json.loads(text), dict)


def test_prometheus_rule_carries_the_repository_rules(render, chart_with_assets):
    """The PrometheusRule's groups are exactly those of the chart's rule files (alerts/ of the
    repository, linked into files/alerts); promtool test files are left out."""
    objects = render({"prometheusRule.enabled": True}, chart=chart_with_assets)
    groups = one(objects, "PrometheusRule")["spec"]["groups"]
    want = []
    for path in sorted((chart_with_assets / "files" / "alerts").glob("*.y*ml")):
        doc = yaml.safe_load(path.read_text())
        if "groups" in doc and "rule_files" not in doc:
            want += doc["groups"]
    assert groups == want and groups


def test_dashboards_are_the_charts_dashboard_files(render, chart_with_assets):
    objects = render({"grafanaDashboards.enabled": True}, chart=chart_with_assets)
    rendered = {name: json.loads(text) for cm in find(objects, "ConfigMap") for name, text in cm["data"].items()}
    files = {p.name: json.loads(p.read_text()) for p in (chart_with_assets / "files" / "dashboards").glob("*.json")}
    assert rendered == files and rendered
    for cm in find(objects, "ConfigMap"):
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1", cm["metadata"]
        assert cm["metadata"]["namespace"] == "kube9-system"


@pytest.mark.parametrize("folder", ["alerts", "dashboards"])
def test_chart_links_the_repository_monitoring_files(folder):
    """files/alerts and files/dashboards are links to the repository's alerts/ and dashboards/,
    so the chart ships exactly what the monitoring tests test (helm package resolves them)."""
    if not (REPO_ROOT / folder).is_dir():
        pytest.skip(f"{folder}/ is not in this checkout")
    linked = REPO_ROOT / "helm" / "kube9-operator" / "files" / folder
    assert linked.is_symlink() and linked.resolve() == (REPO_ROOT / folder).resolve()


# --- the events history's data directory -------------------------------------------------------


@pytest.mark.parametrize("values", [None, PRO], ids=["free", "pro"])
def test_events_history_data_volume_env_and_flags(render, values):
    """The data directory is a volume in both tiers, named in the container's environment so that
    `query events list` run by kubectl exec finds the store serve writes."""
    objects = render({**(values or {}), "events.maxBytes": 8 * 1024 * 1024, "events.retention": "24h"})
    c = container(objects)
    assert c["name"] == "operator"  # what the extension execs into
    data = volumes_by_name(objects)["data"]
    spool = SPOOL_BYTES if values else 0  # the spool shares the volume
    assert data["emptyDir"]["sizeLimit"] == 10 * 1024 * 1024 + 8 * 1024 * 1024 + spool  # bound, a quarter, the WAL
    mount = {m["name"]: m for m in c["volumeMounts"]}["data"]
    assert mount["mountPath"] == "/var/lib/kube9-operator" and not mount.get("readOnly")
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["KUBE9_DATA_PATH"] == mount["mountPath"]
    assert "--events.max-bytes=8388608" in c["args"] and "--events.retention=24h" in c["args"]
    labels = one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "kube9-operator"


def test_assessment_interval_flag(render):
    """The Well-Architected assessment's interval (docs/assessment.md): 1h by default, the value otherwise."""
    assert "--assessment.interval=1h" in container(render())["args"]
    assert "--assessment.interval=30m" in container(render({"assessment.interval": "30m"}))["args"]


def test_name_override_keeps_what_the_extension_looks_for(render):
    objects = render({"nameOverride": "k9", "fullnameOverride": "other"})
    assert container(objects)["name"] == "operator"
    labels = one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "kube9-operator", labels


# --- GitOps: Argo CD (docs/gitops.md) -----------------------------------------------------------


def test_argocd_defaults_name_the_namespace_and_no_token(render):
    """Detection needs nothing; the container's environment names Argo CD's namespace for serve
    and for `query argocd resource-tree get` run by kubectl exec. No token: no file, no egress."""
    objects = render({"networkPolicy.enabled": True})
    c = container(objects)
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["ARGOCD_NAMESPACE"] == "argocd"
    assert "ARGOCD_API_TOKEN_FILE" not in env and "ARGOCD_API_BASE_URL" not in env and "ARGOCD_CA_FILE" not in env
    assert "--gitops.discovery-interval=3m" in c["args"]
    assert "argocd-token" not in volumes_by_name(objects)
    policy = one(objects, "NetworkPolicy")["spec"]
    assert not [r for r in policy["egress"] if any(p["port"] == 8080 for p in r.get("ports", []))]


def test_argocd_token_is_a_secret_mounted_as_a_file_and_the_ca_a_configmap(render):
    objects = render({"argocd.namespace": "gitops", "argocd.tokenSecret.name": "argocd-kube9",
                      "argocd.tokenSecret.key": "api-token", "argocd.caConfigMap.name": "argocd-ca"})
    assert not find(objects, "Secret"), "the token's Secret is the user's, never created by the chart"
    c = container(objects)
    env = {e["name"]: e.get("value") for e in c["env"]}
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    volumes = volumes_by_name(objects)
    assert volumes["argocd-token"]["secret"]["secretName"] == "argocd-kube9"
    assert volumes["argocd-token"]["secret"]["items"] == [{"key": "api-token", "path": "token"}]
    assert mounts["argocd-token"]["readOnly"] is True
    assert env["ARGOCD_API_TOKEN_FILE"] == mounts["argocd-token"]["mountPath"] + "/token"
    assert volumes["argocd-ca"]["configMap"] == {"name": "argocd-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    assert env["ARGOCD_CA_FILE"] == mounts["argocd-ca"]["mountPath"] + "/ca.crt"
    assert env["ARGOCD_NAMESPACE"] == "gitops"
    for e in c["env"]:
        assert "secretKeyRef" not in (e.get("valueFrom") or {}), e

