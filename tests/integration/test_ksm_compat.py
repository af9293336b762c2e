"""The kube-state-metrics-compatible families against the real kube-state-metrics (issue 14).

Both run against the same API server and the same objects: kube-state-metrics built from the
Go module proxy at the version scripts/build-tools.sh pins, and the operator with
--kube-state-metrics. Every series of every supported family is compared as text (name, labels
in order, value as written) together with each family's HELP and TYPE lines: zero differences
except those listed in KNOWN_DIFFERENCES, each justified in docs/ksm-compatibility.md.
"""

from __future__ import annotations

import secrets
import subprocess
import urllib.request
from pathlib import Path
from typing import Iterable

import pytest

from conftest import REPO_ROOT, api_request, create_object, delete_object, free_port, patch_status, wait_for

KSM_BINARY = REPO_ROOT / ".local" / "bin" / "kube-state-metrics"
# The resources whose families the operator serves (collectors/ksm/registry.cc).
RESOURCES = ["namespaces", "nodes", "deployments", "pods"]
RESOURCES += ["services", "persistentvolumeclaims", "horizontalpodautoscalers", "poddisruptionbudgets"]
FAMILY_PREFIXES = ("kube_namespace_", "kube_node_", "kube_deployment_", "kube_pod_")
OTHER_PREFIXES = ("kube_service_", "kube_persistentvolumeclaim_", "kube_horizontalpodautoscaler_",
                  "kube_poddisruptionbudget_")
FAMILY_PREFIXES += OTHER_PREFIXES
LABELS_ALLOWLIST = "namespaces=[team,app.kubernetes.io/name],nodes=[*],deployments=[app,tier,camelCase],pods=[*]"
ANNOTATIONS_ALLOWLIST = "namespaces=[owner],deployments=[*],pods=[note]"
LABELS_ALLOWLIST += ",services=[app,tier],persistentvolumeclaims=[*],horizontalpodautoscalers=[team]," \
    "poddisruptionbudgets=[*]"
ANNOTATIONS_ALLOWLIST += ",services=[*],persistentvolumeclaims=[note],horizontalpodautoscalers=[*]," \
    "poddisruptionbudgets=[owner]"
# Workloads: resource -> the identity label of its series.
WORKLOADS = {"statefulsets": "statefulset", "daemonsets": "daemonset", "replicasets": "replicaset", "jobs": "job_name",
             "cronjobs": "cronjob"}
RESOURCES += [*WORKLOADS]
WORKLOAD_PREFIXES = ("kube_statefulset_", "kube_daemonset_", "kube_replicaset_", "kube_job_", "kube_cronjob_")
FAMILY_PREFIXES += WORKLOAD_PREFIXES
LABELS_ALLOWLIST += ",statefulsets=[app],daemonsets=[*],replicasets=[app],jobs=[*],cronjobs=[team]"
ANNOTATIONS_ALLOWLIST += ",statefulsets=[*],daemonsets=[*],replicasets=[*],jobs=[note],cronjobs=[*]"
# Policies and configuration: resource -> the identity label of its series. configmaps is an
# opt-in collector: --resources names it for both.
POLICIES = {"networkpolicies": "networkpolicy", "resourcequotas": "resourcequota", "limitranges": "limitrange",
            "configmaps": "configmap"}
RESOURCES += [*POLICIES]
POLICY_PREFIXES = ("kube_networkpolicy_", "kube_resourcequota", "kube_limitrange", "kube_configmap_")
FAMILY_PREFIXES += POLICY_PREFIXES
# limitranges has no _labels/_annotations family in kube-state-metrics: allowlisting it adds none.
LABELS_ALLOWLIST += ",networkpolicies=[*],resourcequotas=[team],limitranges=[*],configmaps=[*]"
ANNOTATIONS_ALLOWLIST += ",networkpolicies=[note],resourcequotas=[*],limitranges=[*],configmaps=[owner]"
# family -> why it differs (docs/ksm-compatibility.md "Differences"). Empty: none.
KNOWN_DIFFERENCES: dict[str, str] = {}


# --- exposition parsing ----------------------------------------------------------------------


def families(text: str) -> dict[str, dict[str, object]]:
    """family -> {"help": line, "type": line, "series": set of series lines}, for the supported
    families only. Series lines are kept verbatim: label order and value formatting count."""
    out: dict[str, dict[str, object]] = {}

    def family(name: str) -> dict[str, object]:
        return out.setdefault(name, {"help": None, "type": None, "series": set()})

    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            name = line.split(" ", 3)[2]
            if name.startswith(FAMILY_PREFIXES):
                family(name)["help" if line.startswith("# HELP ") else "type"] = line
            continue
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name.startswith(FAMILY_PREFIXES):
            series = family(name)["series"]
            assert line not in series, f"duplicate series: {line}"
            series.add(line)
    return out


def differences(ksm: dict, ours: dict) -> list[str]:
    diffs = []
    for name in sorted(set(ksm) | set(ours)):
        if name in KNOWN_DIFFERENCES:
            continue
        a, b = ksm.get(name), ours.get(name)
        if a is None or b is None:
            diffs.append(f"{name}: only in {'kube-state-metrics' if b is None else 'kube9-operator'}")
            continue
        for key in ("help", "type"):
            if a[key] != b[key]:
                diffs.append(f"{name} {key}: kube-state-metrics {a[key]!r}, kube9-operator {b[key]!r}")
        for line in sorted(a["series"] - b["series"]):
            diffs.append(f"- {line}")
        for line in sorted(b["series"] - a["series"]):
            diffs.append(f"+ {line}")
    return diffs


# --- kube-state-metrics ----------------------------------------------------------------------


class KubeStateMetrics:
    def __init__(self, kubeconfig: Path, workdir: Path, args: Iterable[str]):
        assert KSM_BINARY.exists(), f"{KSM_BINARY} is missing: run `make tools` (scripts/build-tools.sh)"
        self.port = free_port()
        telemetry = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "kube-state-metrics.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [str(KSM_BINARY), f"--kubeconfig={kubeconfig}", "--host=127.0.0.1", f"--port={self.port}",
                 "--telemetry-host=127.0.0.1", f"--telemetry-port={telemetry}", *args],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def metrics(self) -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as resp:
                return resp.read().decode()
        except OSError:
            return None

    def describe(self) -> str:
        return "--- kube-state-metrics log (tail):\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def kube_state_metrics(cluster, tmp_path):
    started: list[KubeStateMetrics] = []

    def start(args: Iterable[str]) -> KubeStateMetrics:
        k = KubeStateMetrics(cluster.kubeconfig, tmp_path / f"ksm-{len(started)}", args)
        started.append(k)
        return k

    yield start
    for k in started:
        k.stop()


# --- objects ---------------------------------------------------------------------------------


def make_objects(api, ns: str) -> dict[str, list[str]]:
    """Varied namespaces, nodes and deployments (labels needing sanitizing, colliding label
    names, annotations with quotes and newlines, owner references, conditions with allowed and
    unknown reasons, percentages and integers in rolling updates, extended resources)."""
    suffix = secrets.token_hex(3)
    names: dict[str, list[str]] = {"namespaces": [], "nodes": [], "deployments": [], "pods": [],
                                   **{r: [] for r in WORKLOADS}}

    for i, labels in enumerate([
        {"team": "payments", "app.kubernetes.io/name": "shop"},
        {"team": "A.b_c-9", "other": "x"},
        {},
    ]):
        name = f"{ns}-n{i}"
        create_object(api, "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels, "annotations": {"owner": f"line1\nline2 {i}"} if i == 0 else {}},
        })
        names["namespaces"].append(name)

    for i in range(3):
        name = f"ksm-node-{suffix}-{i}"
        create_object(api, "/api/v1/nodes", {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": f"zone-{i % 2}",
                **({"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "true"} if i == 0 else {}),
                "a-b": "1", "a.b": "2", "a_b": "3", "camelCaseLabel": "c",
            }, "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {
                "providerID": f"kube9://{name}",
                "podCIDR": f"10.{i}.0.0/24", "podCIDRs": [f"10.{i}.0.0/24", f"fd00:{i}::/64"],
                "unschedulable": i == 2,
                "taints": [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"},
                           {"key": "flaky", "effect": "PreferNoSchedule"}] if i != 1 else [],
            },
        })
        patch_status(api, f"/api/v1/nodes/{name}", {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi",
                         "hugepages-2Mi": "0", "example.com/gpu": "2", "attachable-volumes-aws-ebs": "39"},
            "allocatable": {"cpu": "3500m", "memory": "15800Mi", "pods": "110", "ephemeral-storage": "95Gi",
                            "example.com/gpu": "2"},
            "conditions": [
                {"type": "Ready", "status": ["True", "False", "Unknown"][i], "reason": "KubeletReady",
                 "lastHeartbeatTime": "2026-12-05T10:00:00Z", "lastTransitionTime": "2026-12-05T10:00:00Z"},
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                 "lastHeartbeatTime": "2026-12-05T10:00:00Z", "lastTransitionTime": "2026-12-05T10:00:00Z"},
            ],
            "addresses": [{"type": "InternalIP", "address": f"192.168.0.{i + 10}"},
                          {"type": "Hostname", "address": name}],
            "nodeInfo": {"machineID": "m", "systemUUID": f"uuid-{i}", "bootID": "b", "kernelVersion": "6.1.0",
                         "osImage": "Debian GNU/Linux 12 (bookworm)", "containerRuntimeVersion": "containerd://1.7.0",
                         "kubeletVersion": "v1.35.4", "kubeProxyVersion": "v1.35.4", "operatingSystem": "linux",
                         "architecture": "amd64"},
        })
        names["nodes"].append(name)

    deployments = [
        # name, replicas (None: defaulted), strategy, paused, labels, owner
        ("web", 3, {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
         False, {"app": "web", "tier": "frontend", "camelCase": "yes"}, False),
        ("api", 5, {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "50%"}},
         True, {"app": "api"}, True),
        ("batch", 0, {"type": "Recreate"}, False, {}, False),
        ("defaulted", None, None, False, {"tier": "back-end"}, False),
    ]
    for name, replicas, strategy, paused, labels, owned in deployments:
        spec = {
            "selector": {"matchLabels": {"k": name}},
            "template": {"metadata": {"labels": {"k": name}},
                         "spec": {"containers": [{"name": "c", "image": "registry.example/app:1"}]}},
            "paused": paused,
        }
        if replicas is not None:
            spec["replicas"] = replicas
        if strategy is not None:
            spec["strategy"] = strategy
        meta = {"name": name, "labels": labels, "annotations": {"note": f"deployment \"{name}\" at C:\\{name}\n"}}
        if owned:
            meta["ownerReferences"] = [{"apiVersion": "example.com/v1", "kind": "Rollout", "name": "r1",
                                        "uid": "6f0b0b1e-0000-4000-8000-000000000001", "controller": True}]
        create_object(api, f"/apis/apps/v1/namespaces/{ns}/deployments",
                      {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec})
        if name in ("web", "api"):
            patch_status(api, f"/apis/apps/v1/namespaces/{ns}/deployments/{name}", {
                "observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                "readyReplicas": replicas - 1, "availableReplicas": replicas - 1, "unavailableReplicas": 1,
                **({"terminatingReplicas": 2} if name == "api" else {}),
                "conditions": [
                    {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                     "lastUpdateTime": "2026-12-05T10:00:00Z", "lastTransitionTime": "2026-12-05T10:00:00Z"},
                    {"type": "Progressing", "status": "True",
                     "reason": "NewReplicaSetAvailable" if name == "web" else "SomethingUnusual",
                     "lastUpdateTime": "2026-12-05T10:00:00Z", "lastTransitionTime": "2026-12-05T10:00:00Z"},
                ],
            })
        names["deployments"].append(name)

    make_pods(api, ns, suffix, names)
    make_services_claims_autoscalers_budgets(api, ns, names)
    make_workloads(api, ns, names)
    # Last: the API server's ResourceQuota and LimitRanger admission would check (and default)
    # the objects created after them.
    make_policies(api, ns, names)
    return names


T0 = "2026-12-05T10:00:00Z"
T1 = "2026-12-05T10:00:07Z"
T2 = "2026-12-05T10:01:30Z"


def container(name: str, requests: dict | None = None, limits: dict | None = None, **extra) -> dict:
    c = {"name": name, "image": f"registry.example/{name}:1.0", **extra}
    res = {}
    if requests:
        res["requests"] = requests
    if limits:
        res["limits"] = limits
    if res:
        c["resources"] = res
    return c


def cstatus(name: str, state: dict, ready: bool = False, restarts: int = 0, last: dict | None = None) -> dict:
    s = {"name": name, "image": f"registry.example/{name}:1.0", "imageID": f"registry.example/{name}@sha256:{'ab' * 32}",
         "containerID": f"containerd://{secrets.token_hex(8)}", "ready": ready, "restartCount": restarts,
         "started": ready, "state": state}
    if last is not None:
        s["lastState"] = last
    return s


def cond(ctype: str, status: str, reason: str = "", when: str = T1) -> dict:
    c = {"type": ctype, "status": status, "lastTransitionTime": when, "lastProbeTime": None}
    if reason:
        c["reason"] = reason
    return c


def make_pods(api, ns: str, suffix: str, names: dict[str, list[str]]) -> None:
    """Pods covering every default pod family: container states and reasons, init and sidecar
    containers, resources of every unit, owners, volumes, tolerations, IPs, conditions."""
    runtime_class = f"ksm-rc-{suffix}"
    create_object(api, "/apis/node.k8s.io/v1/runtimeclasses",
                  {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": runtime_class},
                   "handler": "runc"})
    priority_class = f"ksm-pc-{suffix}"
    create_object(api, "/apis/scheduling.k8s.io/v1/priorityclasses",
                  {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": priority_class},
                   "value": 1000})
    node = names["nodes"][0]
    running = {"running": {"startedAt": T1}}
    pods = [
        ("web-1", {
            "containers": [container("app", {"cpu": "250m", "memory": "64Mi", "ephemeral-storage": "1Gi",
                                             "example.com/gpu": "1"},
                                     {"cpu": "500m", "memory": "128Mi", "example.com/gpu": "1"}),
                           container("proxy", {"cpu": "0.1", "memory": "100M", "hugepages-2Mi": "4Mi"},
                                     {"hugepages-2Mi": "4Mi", "memory": "100M"})],
            "initContainers": [container("setup", {"cpu": "1"}), container("sidecar", restartPolicy="Always")],
            "nodeName": node, "priorityClassName": priority_class, "runtimeClassName": runtime_class,
            "serviceAccountName": "default", "restartPolicy": "Always",
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"},
                            {"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"},
                            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-web-1", "readOnly": True}},
                        {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": {
                            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}},
                        {"name": "cfg", "emptyDir": {}}],
        }, {"owner": ("ReplicaSet", "web-abc", True), "labels": {"app": "web", "pod-template-hash": "abc"},
            "annotations": {"note": "multi\nline \"quoted\"", "ignored": "x"}}, {
            "phase": "Running", "qosClass": "Burstable", "hostIP": "192.168.0.10", "podIP": "10.0.0.5",
            "podIPs": [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}], "startTime": T0,
            "conditions": [cond("PodScheduled", "True", when=T0), cond("Initialized", "True"),
                           cond("ContainersReady", "True", when=T2), cond("Ready", "True", when=T2)],
            "initContainerStatuses": [
                cstatus("setup", {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": T0,
                                                 "finishedAt": T1}}),
                cstatus("sidecar", running, ready=True, restarts=2,
                        last={"terminated": {"exitCode": 1, "reason": "Error", "startedAt": T0, "finishedAt": T1}})],
            "containerStatuses": [cstatus("app", running, ready=True), cstatus("proxy", running, ready=True, restarts=1)],
        }),
        ("crash", {"containers": [container("app", {"cpu": "100m", "memory": "50Mi"}, {"cpu": "1", "memory": "50Mi"})],
                   "nodeName": node, "restartPolicy": "Always"},
         {"owner": ("StatefulSet", "db", False), "labels": {"camelCase": "x", "a.b": "1", "a-b": "2"}}, {
            "phase": "Running", "qosClass": "Burstable", "hostIP": "192.168.0.10", "podIP": "10.0.0.6",
            "podIPs": [{"ip": "10.0.0.6"}], "startTime": T0,
            "conditions": [cond("PodScheduled", "True", when=T0), cond("Ready", "False", "ContainersNotReady"),
                           cond("DisruptionTarget", "True", "EvictionByEvictionAPI"),
                           cond("DisruptionTarget", "True", "SomethingNew")],
            "containerStatuses": [cstatus("app", {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
                                          restarts=5,
                                          last={"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                               "startedAt": T0, "finishedAt": T2}})],
        }),
        ("done", {"containers": [container("job")], "nodeName": node, "restartPolicy": "Never"},
         {"owner": ("Job", "nightly", True), "labels": {}}, {
            "phase": "Succeeded", "qosClass": "BestEffort", "hostIP": "192.168.0.11", "podIP": "10.0.0.7",
            "startTime": T0, "conditions": [cond("PodScheduled", "True", when=T0), cond("Ready", "False", "PodCompleted")],
            "containerStatuses": [cstatus("job", {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": T1,
                                                                 "finishedAt": T2}})],
        }),
        ("evicted", {"containers": [container("app", {"memory": "1Gi"}, {"memory": "1Gi"})], "nodeName": node},
         {"owner": None, "labels": {}}, {
            "phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory.",
            "qosClass": "Burstable", "startTime": T0,
            "containerStatuses": [cstatus("app", {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                                 "startedAt": T0, "finishedAt": T1}})],
        }),
        ("unschedulable", {"containers": [container("app", {"cpu": "64"})], "schedulerName": "custom-scheduler"},
         {"owner": None, "labels": {"app": "big"}}, {
            "phase": "Pending", "qosClass": "Burstable", "reason": "SomethingElse",
            "conditions": [cond("PodScheduled", "False", "Unschedulable", when=T1)],
        }),
        ("bare", {"containers": [container("app")]}, {"owner": None, "labels": {}}, None),
    ]
    for name, spec, meta, status in pods:
        metadata = {"name": name, "labels": meta["labels"], "annotations": meta.get("annotations", {})}
        if meta["owner"] is not None:
            kind, owner, controller = meta["owner"]
            metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": owner,
                                            "uid": "6f0b0b1e-0000-4000-8000-00000000000" + str(len(names["pods"])),
                                            **({"controller": True} if controller else {})}]
        create_object(api, f"/api/v1/namespaces/{ns}/pods",
                      {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec})
        if status is not None:
            patch_status(api, f"/api/v1/namespaces/{ns}/pods/{name}", status)
        names["pods"].append(name)


def other_objects(names: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(identity label, name) of the services, claims, autoscalers and budgets make_objects made."""
    labels = {"services": "service", "persistentvolumeclaims": "persistentvolumeclaim",
              "horizontalpodautoscalers": "horizontalpodautoscaler", "poddisruptionbudgets": "poddisruptionbudget",
              **POLICIES}
    return [(label, n) for key, label in labels.items() for n in names.get(key, [])]


HELD: list[tuple[object, str]] = []  # (api, path) kept terminating by a finalizer until the test ends


@pytest.fixture(autouse=True)
def release_held():
    yield
    for api, path in HELD:
        api_request(api, "PATCH", path, {"metadata": {"finalizers": None}}, content_type="application/merge-patch+json")
    HELD.clear()


def hold_and_delete(api, path: str) -> None:
    """Leaves the object (created with a finalizer) terminating, deletionTimestamp set, until
    the test ends."""
    delete_object(api, path)
    HELD.append((api, path))


def make_services_claims_autoscalers_budgets(api, ns: str, names: dict[str, list[str]]) -> None:
    """Services of every type (load balancer ingress patched into the status), claims bound,
    pending and lost (storage classes by field and by the beta annotation), autoscaling/v2
    autoscalers with every metric source type and status, budgets by minAvailable and by
    maxUnavailable; one of each kind terminating, for the deletion timestamps."""
    hold = ["example.com/ksm-compat-hold"]
    ports = [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
    services = [
        ("svc-cluster-ip", {"type": "ClusterIP", "ports": ports}, {"app": "web", "tier": "front"}, None),
        ("svc-headless", {"clusterIP": "None", "ports": ports}, {}, None),
        ("svc-node-port", {"type": "NodePort", "ports": ports, "externalTrafficPolicy": "Local",
                           "externalIPs": ["198.51.100.7", "198.51.100.8"]}, {"app": "np"}, None),
        ("svc-lb", {"type": "LoadBalancer", "ports": ports, "loadBalancerIP": "203.0.113.10"}, {"tier": "edge"},
         {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}, {"hostname": "lb.example.com"},
                                       {"ip": "203.0.113.11", "hostname": "lb2.example.com"}]}}),
        ("svc-external-name", {"type": "ExternalName", "externalName": "db.example.com"}, {}, None),
        ("svc-terminating", {"type": "ClusterIP", "ports": ports}, {}, None),
    ]
    for name, spec, labels, status in services:
        meta = {"name": name, "labels": labels, "annotations": {"note": f"service \"{name}\"\n"}}
        if name == "svc-terminating":
            meta["finalizers"] = hold
        create_object(api, f"/api/v1/namespaces/{ns}/services",
                      {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec})
        if status is not None:
            patch_status(api, f"/api/v1/namespaces/{ns}/services/{name}", status)
        names.setdefault("services", []).append(name)
    hold_and_delete(api, f"/api/v1/namespaces/{ns}/services/svc-terminating")

    claims = [
        # name, spec extras, annotations, status
        ("pvc-bound", {"storageClassName": "fast", "volumeName": "pv-ksm-1", "volumeMode": "Filesystem",
                       "accessModes": ["ReadWriteOnce", "ReadOnlyMany"]}, {"note": "bound"},
         {"phase": "Bound", "accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "capacity": {"storage": "1536Mi"},
          "conditions": [{"type": "Resizing", "status": "True"},
                         {"type": "FileSystemResizePending", "status": "False"}]}),
        ("pvc-pending", {"storageClassName": "fast", "volumeMode": "Block", "accessModes": ["ReadWriteMany"]},
         {"volume.beta.kubernetes.io/storage-class": "legacy"}, {"phase": "Pending"}),
        ("pvc-lost", {"accessModes": ["ReadWriteOncePod"]}, {}, {"phase": "Lost"}),
        ("pvc-unset", {"accessModes": ["ReadWriteOnce"]}, {}, None),
    ]
    for i, (name, extra, annotations, status) in enumerate(claims):
        spec = {"resources": {"requests": {"storage": ["1536Mi", "10G", "1500m", "1Ti"][i]}}, **extra}
        meta = {"name": name, "labels": {"claim": name, "app.kubernetes.io/part-of": "ksm"}, "annotations": annotations}
        if name == "pvc-unset":
            meta["finalizers"] = hold
        create_object(api, f"/api/v1/namespaces/{ns}/persistentvolumeclaims",
                      {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec})
        if status is not None:
            patch_status(api, f"/api/v1/namespaces/{ns}/persistentvolumeclaims/{name}", status)
        names.setdefault("persistentvolumeclaims", []).append(name)
    hold_and_delete(api, f"/api/v1/namespaces/{ns}/persistentvolumeclaims/pvc-unset")

    def target(kind: str, amount) -> dict:
        key = {"Utilization": "averageUtilization", "AverageValue": "averageValue", "Value": "value"}[kind]
        return {"type": kind, key: amount}

    metrics = [
        {"type": "Resource", "resource": {"name": "cpu", "target": target("Utilization", 60)}},
        {"type": "Resource", "resource": {"name": "memory", "target": target("AverageValue", "500Mi")}},
        {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
                                                            "target": target("Utilization", 70)}},
        {"type": "Pods", "pods": {"metric": {"name": "packets_per_second"}, "target": target("AverageValue", "1k")}},
        {"type": "Object", "object": {"metric": {"name": "requests_per_second"},
                                      "describedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                                          "name": "main"},
                                      "target": target("Value", "10k")}},
        {"type": "External", "external": {"metric": {"name": "queue_depth", "selector": {"matchLabels": {"q": "a"}}},
                                          "target": target("Value", "1500m")}},
    ]
    current = [
        {"type": "Resource", "resource": {"name": "cpu",
                                          "current": {"averageUtilization": 75, "averageValue": "250m"}}},
        {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
                                                            "current": {"averageUtilization": 40,
                                                                        "averageValue": "90m"}}},
        {"type": "Pods", "pods": {"metric": {"name": "packets_per_second"}, "current": {"averageValue": "1200m"}}},
        {"type": "Object", "object": {"metric": {"name": "requests_per_second"},
                                      "describedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                                          "name": "main"},
                                      "current": {"value": "12k"}}},
        {"type": "External", "external": {"metric": {"name": "queue_depth"},
                                          "current": {"value": "3", "averageValue": "1500m"}}},
    ]
    autoscalers = [
        ("hpa-full", {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                      "minReplicas": 2, "maxReplicas": 10, "metrics": metrics,
                      "behavior": {"scaleUp": {"tolerance": "9m"}, "scaleDown": {"tolerance": "0.1"}}},
         {"team": "payments"},
         {"currentReplicas": 3, "desiredReplicas": 4, "currentMetrics": current,
          "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                          "lastTransitionTime": T0},
                         {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                          "lastTransitionTime": T0},
                         {"type": "ScalingLimited", "status": "Unknown", "lastTransitionTime": T0}]}),
        ("hpa-defaulted", {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db"},
                           "maxReplicas": 3}, {}, None),
        ("hpa-terminating", {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
                             "minReplicas": 1, "maxReplicas": 5,
                             "metrics": [metrics[0]]},
         {"team": "search"}, {"currentReplicas": 1, "desiredReplicas": 1}),
    ]
    for name, spec, labels, status in autoscalers:
        meta = {"name": name, "labels": labels, "annotations": {"owner": name}}
        if name == "hpa-terminating":
            meta["finalizers"] = hold
        create_object(api, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers",
                      {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
                       "spec": spec})
        if status is not None:
            patch_status(api, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/{name}", status)
        names.setdefault("horizontalpodautoscalers", []).append(name)
    hold_and_delete(api, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/hpa-terminating")

    budgets = [
        ("pdb-min-available", {"minAvailable": 2}, {"owner": "team-a", "other": "x"},
         {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 4,
          "observedGeneration": 1}),
        ("pdb-max-unavailable", {"maxUnavailable": "25%"}, {},
         {"currentHealthy": 0, "desiredHealthy": 3, "disruptionsAllowed": 0, "expectedPods": 4,
          "observedGeneration": 1}),
        ("pdb-unobserved", {"minAvailable": "50%"}, {"owner": "team-b"}, None),
    ]
    for name, spec, annotations, status in budgets:
        meta = {"name": name, "labels": {"budget": name}, "annotations": annotations}
        if name == "pdb-unobserved":
            meta["finalizers"] = hold
        create_object(api, f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
                      {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta,
                       "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}})
        if status is not None:
            patch_status(api, f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{name}", status)
        names.setdefault("poddisruptionbudgets", []).append(name)
    hold_and_delete(api, f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/pdb-unobserved")


def make_workloads(api, ns: str, names: dict[str, list[str]]) -> None:
    """StatefulSets (partitioned or not, ordinals, PVC retention), DaemonSets, ReplicaSets owned
    by a Deployment or not, Jobs succeeded, failed with a known and an unknown reason, running
    and suspended, CronJobs with and without a time zone, suspended, with schedules whose next
    time crosses a DST change or needs both day fields to match."""
    for name, spec, status in [
        ("db", {"replicas": 3, "serviceName": "db", "ordinals": {"start": 1},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"}},
         {"observedGeneration": 1, "replicas": 3, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 1,
          "availableReplicas": 2, "currentRevision": "db-5d9f8c7b6", "updateRevision": "db-7c6b5a4f3"}),
        ("cache", {"updateStrategy": {"type": "OnDelete"}}, None),
    ]:
        spec = {"selector": {"matchLabels": {"k": name}},
                "template": {"metadata": {"labels": {"k": name}},
                             "spec": {"containers": [{"name": "c", "image": "registry.example/db:1"}]}}, **spec}
        create_object(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets", {
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "labels": {"app": name, "other": "x"}, "annotations": {"a.b/c": "1"},
                         **({} if status else {"finalizers": ["example.com/ksm-compat-hold"]})},
            "spec": spec})
        if status:
            patch_status(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}", status)
        else:  # kept by its finalizer with a deletion timestamp
            hold_and_delete(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}")
        names["statefulsets"].append(name)

    for name, status in [
        ("agent", {"observedGeneration": 1, "currentNumberScheduled": 3, "desiredNumberScheduled": 4,
                   "numberAvailable": 2, "numberMisscheduled": 1, "numberReady": 2, "numberUnavailable": 2,
                   "updatedNumberScheduled": 3}),
        ("plain", None),
    ]:
        create_object(api, f"/apis/apps/v1/namespaces/{ns}/daemonsets", {
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "labels": {"tier": "node"},
                         **({} if status else {"finalizers": ["example.com/ksm-compat-hold"]})},
            "spec": {"selector": {"matchLabels": {"k": name}},
                     "template": {"metadata": {"labels": {"k": name}},
                                  "spec": {"containers": [{"name": "c", "image": "registry.example/agent:1"}]}}}})
        if status:
            patch_status(api, f"/apis/apps/v1/namespaces/{ns}/daemonsets/{name}", status)
        else:
            hold_and_delete(api, f"/apis/apps/v1/namespaces/{ns}/daemonsets/{name}")
        names["daemonsets"].append(name)

    for name, owners, replicas, status in [
        ("web-abc", [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "controller": True,
                      "uid": "6f0b0b1e-0000-4000-8000-0000000000a1"}], 3,
         {"observedGeneration": 2, "replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2,
          "availableReplicas": 2, "terminatingReplicas": 1}),
        ("loose", [{"apiVersion": "example.com/v1", "kind": "Thing", "name": "t1",
                    "uid": "6f0b0b1e-0000-4000-8000-0000000000a2"}], None, None),
        ("orphan", [], 0, None),
    ]:
        spec = {"selector": {"matchLabels": {"k": name}},
                "template": {"metadata": {"labels": {"k": name}},
                             "spec": {"containers": [{"name": "c", "image": "registry.example/app:1"}]}}}
        if replicas is not None:
            spec["replicas"] = replicas
        create_object(api, f"/apis/apps/v1/namespaces/{ns}/replicasets", {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "labels": {"app": "web"}, "ownerReferences": owners}, "spec": spec})
        if status:
            patch_status(api, f"/apis/apps/v1/namespaces/{ns}/replicasets/{name}", status)
        names["replicasets"].append(name)

    def job_cond(ctype: str, reason: str, status: str = "True") -> dict:
        return {"type": ctype, "status": status, "reason": reason, "message": "m",
                "lastProbeTime": T2, "lastTransitionTime": T2}

    for name, spec, owner, status in [
        ("nightly", {"completions": 1, "parallelism": 1, "activeDeadlineSeconds": 600},
         {"apiVersion": "batch/v1", "kind": "CronJob", "name": "backup", "controller": True,
          "uid": "6f0b0b1e-0000-4000-8000-0000000000b1"},
         {"startTime": T0, "completionTime": T2, "succeeded": 1, "ready": 0,
          "conditions": [job_cond("SuccessCriteriaMet", "CompletionsReached"), job_cond("Complete", "CompletionsReached")]}),
        ("broken", {"backoffLimit": 2}, None,
         {"startTime": T0, "failed": 3, "ready": 0,
          "conditions": [job_cond("FailureTarget", "BackoffLimitExceeded"), job_cond("Failed", "BackoffLimitExceeded")]}),
        ("policy", {"backoffLimit": 6}, None,
         {"startTime": T0, "failed": 2, "ready": 0,
          "conditions": [job_cond("FailureTarget", "PodFailurePolicy"), job_cond("Failed", "PodFailurePolicy")]}),
        ("running", {"parallelism": 3, "completions": 5}, None, {"startTime": T1, "active": 2, "ready": 1, "failed": 1}),
        ("paused", {"suspend": True}, None,
         {"conditions": [job_cond("Suspended", "JobSuspended")]}),
    ]:
        meta = {"name": name, "labels": {"app": "batch", "job": name}, "annotations": {"note": f"job {name}"}}
        if owner:
            meta["ownerReferences"] = [owner]
        create_object(api, f"/apis/batch/v1/namespaces/{ns}/jobs", {
            "apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "spec": {**spec, "template": {"spec": {"restartPolicy": "Never",
                                                   "containers": [{"name": "c", "image": "registry.example/job:1"}]}}}})
        patch_status(api, f"/apis/batch/v1/namespaces/{ns}/jobs/{name}", status)
        names["jobs"].append(name)

    for name, spec, status in [
        ("backup", {"schedule": "30 2 * * *", "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 100,
                    "successfulJobsHistoryLimit": 5, "failedJobsHistoryLimit": 2},
         {"lastScheduleTime": T1, "lastSuccessfulTime": T2,
          "active": [{"kind": "Job", "namespace": ns, "name": "nightly", "apiVersion": "batch/v1"}]}),
        ("report", {"schedule": "0 9 * * MON-FRI", "timeZone": "Europe/Berlin"}, None),
        ("paused", {"schedule": "@hourly", "timeZone": "Asia/Tokyo", "suspend": True},
         {"lastScheduleTime": T0}),
        # 02:30 does not exist in New York on 2027-03-14: the next time follows go-cron's DST rules.
        ("dst", {"schedule": "30 2 * * *", "timeZone": "America/New_York"},
         {"lastScheduleTime": "2027-03-13T07:30:00Z"}),
        ("fall-back", {"schedule": "30 1 * * *", "timeZone": "America/New_York"},
         {"lastScheduleTime": "2027-11-06T05:30:00Z"}),
        ("both-days", {"schedule": "0 0 1 * SUN", "timeZone": "UTC"}, {"lastScheduleTime": T0}),
        ("sunday", {"schedule": "*/15 3-5 * JAN-MAR SUN"}, {"lastScheduleTime": T0}),
        ("every", {"schedule": "@every 1h30m"}, {"lastScheduleTime": T0}),
        ("never", {"schedule": "0 0 30 2 *"}, None),  # no February 30th: Go's zero time
        # The API server's parser (robfig/cron) takes a step as long as the range; go-cron does not.
        ("invalid", {"schedule": "*/60 * * * *"}, None),
    ]:
        create_object(api, f"/apis/batch/v1/namespaces/{ns}/cronjobs", {
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "labels": {"team": "ops"}, "annotations": {"why": "\"nightly\"\n"}},
            "spec": {**spec, "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "registry.example/cron:1"}]}}}}}})
        if status:
            patch_status(api, f"/apis/batch/v1/namespaces/{ns}/cronjobs/{name}", status)
        names["cronjobs"].append(name)


def make_policies(api, ns: str, names: dict[str, list[str]]) -> None:
    """Network policies with ingress and egress rules or none, resource quotas with status.hard
    and status.used patched (there is no quota controller; kube-state-metrics reads the status),
    one never observed, limit ranges of every type and constraint, and configmaps with labels,
    annotations and contents (which must never show). Quantities with odd values: thousandths,
    binary suffixes, micro-units rounded up, and one beyond what thousandths hold in 64 bits."""
    for name, spec, labels, annotations in [
        ("np-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, {"policy": "deny"},
         {"note": "default \"deny\"\n"}),
        ("np-web", {"podSelector": {"matchLabels": {"app": "web"}},
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "front"}}}],
                                 "ports": [{"protocol": "TCP", "port": 8080}]},
                                {"from": [{"namespaceSelector": {"matchLabels": {"team": "payments"}}}]},
                                {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}],
                    "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "UDP", "port": 53}]},
                               {}],
                    "policyTypes": ["Ingress", "Egress"]}, {"app": "web", "a.b/c": "d"}, {}),
        ("np-egress-only", {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}], "policyTypes": ["Egress"]},
         {}, {"note": "x"}),
    ]:
        create_object(api, f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies", {
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "labels": labels, "annotations": annotations}, "spec": spec})
        names.setdefault("networkpolicies", []).append(name)

    for name, hard, status, labels in [
        # Resources no object of the test is created or updated under afterwards (admission).
        ("rq-compute", {"requests.cpu": "2", "requests.memory": "1.5Gi", "limits.memory": "3Gi",
                        "limits.cpu": "2500u", "limits.ephemeral-storage": "10Pi"},
         {"hard": {"requests.cpu": "2", "requests.memory": "1.5Gi", "limits.memory": "3Gi", "limits.cpu": "2500u",
                   "limits.ephemeral-storage": "10Pi"},
          "used": {"requests.cpu": "100m", "requests.memory": "100M", "limits.memory": "0", "limits.cpu": "1n",
                   "limits.ephemeral-storage": "12345678901234567"}},
         {"team": "payments", "x": "y"}),
        ("rq-objects", {"count/deployments.apps": "5", "requests.example.com/gpu": "4", "count/jobs.batch": "3"},
         {"hard": {"count/deployments.apps": "5", "requests.example.com/gpu": "4", "count/jobs.batch": "3"},
          "used": {"count/deployments.apps": "4", "requests.example.com/gpu": "1"}},
         {}),
        ("rq-unobserved", {"count/cronjobs.batch": "100"}, None, {"team": "ops"}),
    ]:
        create_object(api, f"/api/v1/namespaces/{ns}/resourcequotas", {
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": name, "labels": labels, "annotations": {"owner": name}}, "spec": {"hard": hard}})
        if status is not None:
            patch_status(api, f"/api/v1/namespaces/{ns}/resourcequotas/{name}", status)
        names.setdefault("resourcequotas", []).append(name)

    for name, limits in [
        ("lr-containers", [
            {"type": "Container", "min": {"cpu": "10m", "memory": "4Mi"}, "max": {"cpu": "4", "memory": "8Gi"},
             "default": {"cpu": "500m", "memory": "1.5Gi"}, "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
             "maxLimitRequestRatio": {"cpu": "10", "memory": "6500m"}},
            {"type": "Pod", "max": {"cpu": "8", "memory": "16Gi"}, "maxLimitRequestRatio": {"cpu": "3"}},
        ]),
        ("lr-claims", [{"type": "PersistentVolumeClaim", "min": {"storage": "1Mi"}, "max": {"storage": "10Pi"}}]),
    ]:
        create_object(api, f"/api/v1/namespaces/{ns}/limitranges", {
            "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": name, "labels": {"lr": name}},
            "spec": {"limits": limits}})
        names.setdefault("limitranges", []).append(name)

    for name, labels, annotations, contents in [
        ("cm-app", {"app.kubernetes.io/name": "shop", "tier": "back-end"}, {"owner": "team \"a\"\n", "x": "y"},
         {"data": {"password": "ksm-compat-must-not-show", "app.yaml": "key: value\n"}}),
        ("cm-binary", {}, {}, {"binaryData": {"blob": "a3NtLWNvbXBhdC1iaW5hcnk="}}),
        ("cm-empty", {"empty": ""}, {"owner": ""}, {}),
    ]:
        create_object(api, f"/api/v1/namespaces/{ns}/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels, "annotations": annotations}, **contents})
        names.setdefault("configmaps", []).append(name)


# --- the test --------------------------------------------------------------------------------


def test_families_equal_kube_state_metrics_series_for_series(api, namespace, start_operator, kube_state_metrics):
    names = make_objects(api, namespace)
    common = [f"--metric-labels-allowlist={LABELS_ALLOWLIST}",
              f"--metric-annotations-allowlist={ANNOTATIONS_ALLOWLIST}"]
    ksm = kube_state_metrics([f"--resources={','.join(RESOURCES)}", *common])
    op = start_operator(namespace, args=["--kube-state-metrics", f"--resources={','.join(RESOURCES)}", *common])

    def has_everything(text: str | None) -> bool:
        return text is not None and all(f'node="{n}"' in text for n in names["nodes"]) and \
            all(f'deployment="{d}"' in text for d in names["deployments"]) and \
            all(f'pod="{p}"' in text for p in names["pods"]) and \
            all(f'namespace="{n}"' in text for n in names["namespaces"]) and \
            all(f'namespace="{namespace}",{label}="{n}"' in text for label, n in other_objects(names)) and \
            all(f'namespace="{namespace}",{label}="{n}"' in text for r, label in WORKLOADS.items() for n in names[r])

    # Both see the same objects once each has listed them; compare until equal (an object of an
    # earlier test may still be changing) and report the last differences otherwise.
    last: list[str] = []

    def compare():
        nonlocal last
        a, b = ksm.metrics(), op.metrics()
        if not (has_everything(a) and has_everything(b)):
            return False, ("kube-state-metrics has everything" if has_everything(a) else "kube-state-metrics not yet",
                           "kube9-operator has everything" if has_everything(b) else "kube9-operator not yet")
        fa, fb = families(a), families(b)
        last = differences(fa, fb)
        return not last, {"families": len(fa), "series": sum(len(f["series"]) for f in fa.values()),
                          "differences": last[:40]}

    try:
        observed = wait_for(compare, 60, "the operator's kube_* series to equal kube-state-metrics'", interval=1,
                            operator=op)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{ksm.describe()}") from None
    # The comparison covered every supported family with real series, not an empty match.
    assert observed["families"] >= 160, observed
    assert observed["series"] >= 300, observed
    # Every family of services, claims, autoscalers, budgets and workloads had series to compare.
    final = op.metrics()
    empty = [name for name, f in families(ksm.metrics()).items()
             if name.startswith(OTHER_PREFIXES + WORKLOAD_PREFIXES + POLICY_PREFIXES) and not f["series"]]
    assert not empty, f"families without series: {empty}"
    # ConfigMaps: metadata only, never their contents.
    assert "ksm-compat-must-not-show" not in final and "app.yaml" not in final and "a3NtLWNvbXBhdC1iaW5hcnk" not in final


def test_shards_split_objects_as_kube_state_metrics_does(api, namespace, start_operator, kube_state_metrics):
    """--shard/--total-shards: each of 3 shards serves what kube-state-metrics' same shard serves,
    and the 3 together serve what one instance does, each series once."""
    names = make_objects(api, namespace)
    args = [f"--resources={','.join(RESOURCES)}", "--total-shards=3"]
    whole = start_operator(namespace, args=["--kube-state-metrics", f"--resources={','.join(RESOURCES)}"])

    def complete(text: str | None) -> bool:
        return text is not None and all(f'pod="{p}"' in text for p in names["pods"])

    wait_for(lambda: (complete(whole.metrics()), None), 60, "the single instance to list every pod", operator=whole)
    shards = []
    for shard in range(3):
        ksm = kube_state_metrics([*args, f"--shard={shard}"])
        op = start_operator(namespace, args=["--kube-state-metrics", *args, f"--shard={shard}"])
        shards.append((ksm, op))

    def compare():
        texts = [(ksm.metrics(), op.metrics()) for ksm, op in shards]
        if any(a is None or b is None for a, b in texts):
            return False, "not serving yet"
        diffs = []
        for shard, (a, b) in enumerate(texts):
            diffs += [f"shard {shard}: {d}" for d in differences(families(a), families(b))]
        union: dict[str, set] = {}
        total = 0
        for _, b in texts:
            for name, f in families(b).items():
                union.setdefault(name, set()).update(f["series"])
                total += len(f["series"])
        single = {name: f["series"] for name, f in families(whole.metrics()).items()}
        if union != {n: s for n, s in single.items() if s or n in union}:
            diffs.append("the shards' union differs from the single instance")
        if total != sum(len(s) for s in single.values()):
            diffs.append(f"{total} series in the shards, {sum(len(s) for s in single.values())} in one instance")
        return not diffs, diffs[:20]

    wait_for(compare, 60, "each shard to equal kube-state-metrics' shard, and the shards one instance", interval=1)


def test_families_are_off_by_default(namespace, start_operator):
    op = start_operator(namespace)
    served = [line for line in op.metrics().splitlines() if line.startswith(("kube_", "# HELP kube_", "# TYPE kube_"))]
    assert not served, f"kube_* families served without --kube-state-metrics: {served[:5]}"


def test_pinned_kube_state_metrics_runs():
    """`make tools` built the pinned kube-state-metrics from the Go module proxy, and it runs."""
    assert KSM_BINARY.exists(), f"{KSM_BINARY} is missing: run `make tools`"
    pinned = next(line.split("=", 1)[1] for line in (REPO_ROOT / "scripts" / "build-tools.sh").read_text().splitlines()
                  if line.startswith("KSM_VERSION="))
    out = subprocess.run([str(KSM_BINARY), "version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out
    assert pinned.lstrip("v") in out.stdout + out.stderr, (pinned, out.stdout, out.stderr)
