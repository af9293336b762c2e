#!/usr/bin/env python3
"""Loads a synthetic cluster into a kube-apiserver, fast and in parallel (standard library only).

What it creates, deterministically from --seed:

- namespaces (default 50);
- nodes with Ready/MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable conditions,
  capacity/allocatable, addresses, node info, zone/instance-type labels and an AWS providerID;
  about 4% are NotReady (Ready=False) and about 1% report MemoryPressure or DiskPressure;
- deployments of 1 to 19 replicas (10 on average) spread over the namespaces, each with a
  Service selecting its pods, and their status set through /status (ready/available/unavailable
  replicas matching their pods);
- pods owned by those deployments, placed on nodes, with 1 to 3 containers (requests and
  limits, ports, env, probes, volume mounts, labels and annotations), and their status set
  through /status with a merge patch: mostly Running and Ready; some Pending (unscheduled, or
  ContainerCreating / ImagePullBackOff), CrashLoopBackOff (waiting, restarts, last state Error),
  OOMKilled (running again, last termination OOMKilled), Succeeded and Failed.

Every request goes over persistent HTTPS connections (one per worker thread) with the admin
bearer token and CA of the target cluster. Nodes are created with their status in the POST
(the node strategy keeps it); pods and deployments need the status subresource, because their
create strategies reset status.

Usage: bench/load.py --pods 1000 --nodes 100 [--namespaces 50] [--workers 32] [--events 50000]
The target comes from --server/--ca/--token-file, or else from `scripts/cluster.sh env` (which
honours KUBE9_CLUSTER_DIR and the KUBE9_*_PORT variables).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import shlex
import ssl
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parents[1]
CLUSTER_SH = REPO_ROOT / "scripts" / "cluster.sh"

# A fixed creation time would make "pending for more than 5 minutes" depend on when the bench
# runs; objects get the apiserver's creation time instead.
IMAGES = [
    "registry.example.com/shop/api:1.14.2",
    "registry.example.com/shop/web:3.2.0",
    "docker.io/library/nginx:1.27.3",
    "docker.io/library/redis:7.4.1",
    "quay.io/prometheus/node-exporter:v1.8.2",
    "ghcr.io/example/worker:2025.11.1",
    "registry.k8s.io/pause:3.10",
]
SIDECARS = [
    ("envoy", "docker.io/envoyproxy/envoy:v1.32.1", "100m", "128Mi", "500m", "256Mi"),
    ("log-shipper", "docker.io/fluent/fluent-bit:3.2.2", "50m", "64Mi", "200m", "128Mi"),
    ("metrics", "quay.io/prometheus/statsd-exporter:v0.28.0", "20m", "32Mi", "100m", "64Mi"),
]
TEAMS = ["payments", "search", "checkout", "platform", "data", "identity", "growth", "infra"]
TIERS = ["frontend", "backend", "cache", "worker", "batch"]
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
INSTANCE_TYPES = [("m5.xlarge", "4", "16Gi"), ("m5.2xlarge", "8", "32Gi"), ("c5.4xlarge", "16", "32Gi")]


# --- connection ------------------------------------------------------------------------------


@dataclass
class Target:
    server: str
    ca_file: str
    token: str

    @staticmethod
    def from_cluster_env() -> "Target":
        out = subprocess.run(["bash", str(CLUSTER_SH), "env"], check=True, capture_output=True, text=True).stdout
        env: dict[str, str] = {}
        for line in out.splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export "):].partition("=")
                env[key] = shlex.split(value)[0] if value else ""
        token = Path(env["KUBE9_ADMIN_TOKEN_FILE"]).read_text().strip()
        return Target(env["KUBE9_APISERVER_URL"], env["KUBE9_CA_FILE"], token)


class Api:
    """One persistent HTTPS connection; reconnects once if the server closed it."""

    def __init__(self, target: Target, timeout: float = 60.0):
        u = urlparse(target.server)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=target.ca_file)
        self.headers = {"Authorization": f"Bearer {target.token}", "Accept": "application/json"}
        self.timeout = timeout
        self.conn: http.client.HTTPSConnection | None = None

    def _connect(self) -> http.client.HTTPSConnection:
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/json") -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            conn = self._connect()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


# --- parallel execution ----------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    body: bytes
    content_type: str = "application/json"
    ok: tuple[int, ...] = (200, 201)


@dataclass
class PhaseResult:
    name: str
    objects: int
    requests: int
    seconds: float
    bytes_sent: int
    retries: int = 0

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "objects": self.objects,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds > 0 else None,
            "objects_per_second": round(self.objects / self.seconds, 1) if self.seconds > 0 else None,
            "mebibytes_sent": round(self.bytes_sent / 2**20, 2),
            "retries": self.retries,
        }


class Pool:
    """Worker threads, each with its own persistent connection, draining a queue of jobs.

    A job is a list of requests sent in order on one connection (e.g. create a pod, then patch
    its status). 429 and 5xx answers are retried with a short backoff; any other unexpected
    status fails the whole load.
    """

    def __init__(self, target: Target, workers: int):
        self.target = target
        self.workers = workers
        self.apis = [Api(target) for _ in range(workers)]

    def close(self) -> None:
        for a in self.apis:
            a.close()

    def run(self, name: str, objects: int, jobs: list[list[Request]]) -> PhaseResult:
        q: queue.Queue[list[Request] | None] = queue.Queue()
        for j in jobs:
            q.put(j)
        for _ in range(self.workers):
            q.put(None)
        errors: list[str] = []
        counters = {"requests": 0, "bytes": 0, "retries": 0}
        lock = threading.Lock()

        def work(api: Api) -> None:
            sent = nbytes = retries = 0
            while True:
                job = q.get()
                if job is None or errors:
                    break
                for r in job:
                    for attempt in range(8):
                        try:
                            status, data = api.request(r.method, r.path, r.body, r.content_type)
                        except OSError as e:  # connection refused/reset: retry like a 503
                            status, data = 599, str(e).encode()
                        sent += 1
                        nbytes += len(r.body)
                        if status in r.ok:
                            break
                        if status in (429, 500, 502, 503, 504, 599) and attempt < 7:
                            retries += 1
                            time.sleep(0.05 * 2**attempt)
                            continue
                        errors.append(f"{r.method} {r.path}: HTTP {status}: {data[:300]!r}")
                        break
            with lock:
                counters["requests"] += sent
                counters["bytes"] += nbytes
                counters["retries"] += retries

        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(a,), daemon=True) for a in self.apis]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.monotonic() - started
        if errors:
            raise SystemExit(f"load phase {name} failed ({len(errors)} errors), first: {errors[0]}")
        return PhaseResult(name, objects, counters["requests"], seconds, counters["bytes"], counters["retries"])


# --- object generation -----------------------------------------------------------------------


def dumps(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def rfc3339(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def make_namespace(i: int, rng: random.Random) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": f"bench-ns-{i:03d}",
            "labels": {"team": rng.choice(TEAMS), "env": rng.choice(["prod", "staging", "dev"]),
                       "kube9.io/bench": "true"},
        },
    }


def make_node(i: int, rng: random.Random, now: float) -> dict:
    name = f"bench-node-{i:04d}"
    zone = ZONES[i % len(ZONES)]
    itype, cpu, mem = INSTANCE_TYPES[i % len(INSTANCE_TYPES)]
    ready = rng.random() >= 0.04
    mem_pressure = ready and rng.random() < 0.01
    disk_pressure = ready and rng.random() < 0.01
    ts = rfc3339(now - 3600)
    hb = rfc3339(now - rng.randint(0, 40))

    def cond(ctype: str, status: str, reason: str, message: str) -> dict:
        return {"type": ctype, "status": status, "lastHeartbeatTime": hb, "lastTransitionTime": ts,
                "reason": reason, "message": message}

    cpu_m = int(cpu) * 1000
    alloc_cpu = f"{cpu_m - 80 - 10 * int(cpu)}m"
    mem_gi = int(mem[:-2])
    alloc_mem = f"{mem_gi * 1024 * 1024 - 1024 * 1024 - rng.randint(0, 4096)}Ki"
    ip = f"10.{20 + i // 65000}.{(i // 250) % 256}.{i % 250 + 2}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": itype,
                "topology.kubernetes.io/region": "us-east-1",
                "topology.kubernetes.io/zone": zone,
                "eks.amazonaws.com/nodegroup": f"ng-{itype.replace('.', '-')}",
            },
            "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
        },
        "spec": {"providerID": f"aws:///{zone}/i-{i:017x}", "podCIDR": f"10.{100 + i // 256}.{i % 256}.0/24"},
        "status": {
            "capacity": {"cpu": cpu, "memory": f"{mem_gi * 1024 * 1024}Ki", "pods": "110",
                         "ephemeral-storage": "104845292Ki", "hugepages-2Mi": "0"},
            "allocatable": {"cpu": alloc_cpu, "memory": alloc_mem, "pods": "110",
                            "ephemeral-storage": "95551679124", "hugepages-2Mi": "0"},
            "conditions": [
                cond("MemoryPressure", "True" if mem_pressure else "False",
                     "KubeletHasInsufficientMemory" if mem_pressure else "KubeletHasSufficientMemory",
                     "kubelet has insufficient memory available" if mem_pressure
                     else "kubelet has sufficient memory available"),
                cond("DiskPressure", "True" if disk_pressure else "False",
                     "KubeletHasDiskPressure" if disk_pressure else "KubeletHasNoDiskPressure",
                     "kubelet has disk pressure" if disk_pressure else "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True" if ready else "False",
                     "KubeletReady" if ready else "KubeletNotReady",
                     "kubelet is posting ready status" if ready
                     else "container runtime network not ready: NetworkReady=false"),
            ],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": f"{i:032x}", "systemUUID": f"ec2{i:05x}-0000-0000-0000-000000000000",
                "bootID": f"{rng.getrandbits(128):032x}", "kernelVersion": "6.1.115-126.197.amzn2023.x86_64",
                "osImage": "Amazon Linux 2023.6.20241121", "containerRuntimeVersion": "containerd://1.7.23",
                "kubeletVersion": "v1.35.4", "kubeProxyVersion": "", "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


@dataclass
class Deployment:
    ns: str
    name: str
    tier: str
    team: str
    replicas: int
    containers: list[dict] = field(default_factory=list)
    pod_states: list[str] = field(default_factory=list)


def make_containers(rng: random.Random, app: str) -> list[dict]:
    main_cpu = rng.choice(["50m", "100m", "250m", "500m", "1"])
    main_mem = rng.choice(["64Mi", "128Mi", "256Mi", "512Mi", "1Gi"])
    lim_cpu = {"50m": "200m", "100m": "500m", "250m": "1", "500m": "2", "1": "2"}[main_cpu]
    lim_mem = {"64Mi": "128Mi", "128Mi": "256Mi", "256Mi": "512Mi", "512Mi": "1Gi", "1Gi": "2Gi"}[main_mem]
    containers = [{
        "name": app,
        "image": rng.choice(IMAGES),
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "APP_NAME", "value": app}, {"name": "LOG_LEVEL", "value": "info"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
        "resources": {"requests": {"cpu": main_cpu, "memory": main_mem},
                      "limits": {"cpu": lim_cpu, "memory": lim_mem}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                           "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }]
    for name, image, rc, rm, lc, lm in rng.sample(SIDECARS, rng.choice([0, 0, 1, 1, 2])):
        containers.append({
            "name": name, "image": image,
            "resources": {"requests": {"cpu": rc, "memory": rm}, "limits": {"cpu": lc, "memory": lm}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent",
        })
    return containers


def pick_state(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.88:
        return "Running"
    if r < 0.91:
        return "PendingUnscheduled"
    if r < 0.93:
        return "PendingImagePull"
    if r < 0.96:
        return "CrashLoopBackOff"
    if r < 0.98:
        return "OOMKilled"
    if r < 0.99:
        return "Succeeded"
    return "Failed"


def plan_deployments(pods: int, namespaces: list[str], rng: random.Random) -> list[Deployment]:
    deployments: list[Deployment] = []
    left = pods
    i = 0
    while left > 0:
        replicas = min(left, rng.randint(1, 19))
        ns = namespaces[i % len(namespaces)]
        tier = rng.choice(TIERS)
        name = f"{tier}-{i:05d}"
        d = Deployment(ns, name, tier, rng.choice(TEAMS), replicas)
        d.containers = make_containers(rng, name)
        d.pod_states = [pick_state(rng) for _ in range(replicas)]
        deployments.append(d)
        left -= replicas
        i += 1
    return deployments


def deployment_labels(d: Deployment) -> dict:
    return {"app.kubernetes.io/name": d.name, "app.kubernetes.io/part-of": d.team, "tier": d.tier}


def make_deployment(d: Deployment) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": d.name, "namespace": d.ns, "labels": deployment_labels(d),
                     "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {
            "replicas": d.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": d.name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": deployment_labels(d)},
                "spec": {"containers": d.containers,
                         "volumes": [{"name": "config", "configMap": {"name": f"{d.name}-config"}}]},
            },
        },
    }


def deployment_status(d: Deployment, generation: int) -> dict:
    ready = sum(1 for s in d.pod_states if s in ("Running", "OOMKilled"))
    unavailable = d.replicas - ready
    return {"status": {
        "observedGeneration": generation,
        "replicas": d.replicas,
        "updatedReplicas": d.replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "unavailableReplicas": unavailable,
        "conditions": [
            {"type": "Available", "status": "True" if unavailable == 0 else "False",
             "reason": "MinimumReplicasAvailable" if unavailable == 0 else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if unavailable == 0
             else "Deployment does not have minimum availability."},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": f'ReplicaSet "{d.name}-7c9f8d6b5" has successfully progressed.'},
        ],
    }}


def make_service(d: Deployment) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": d.name, "namespace": d.ns, "labels": deployment_labels(d)},
        "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": d.name},
                 "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
    }


def make_pod(d: Deployment, k: int, node: str | None) -> dict:
    labels = dict(deployment_labels(d))
    labels["pod-template-hash"] = "7c9f8d6b5"
    spec: dict = {
        "containers": d.containers,
        "volumes": [{"name": "config", "configMap": {"name": f"{d.name}-config"}}],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300},
        ],
    }
    if node is not None:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{d.name}-7c9f8d6b5-{k:05x}",
            "namespace": d.ns,
            "labels": labels,
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2025-11-20T10:00:00Z"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{d.name}-7c9f8d6b5",
                                 "uid": f"00000000-0000-4000-8000-{zlib.crc32(d.name.encode()):012d}",
                                 "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": spec,
    }


def pod_status(d: Deployment, state: str, node_ip: str | None, k: int, rng: random.Random, now: float) -> dict:
    started = rfc3339(now - rng.randint(600, 86400 * 7))
    cond_time = started

    def cond(ctype: str, status: str, reason: str | None = None) -> dict:
        c = {"type": ctype, "status": status, "lastTransitionTime": cond_time, "lastProbeTime": None}
        if reason:
            c["reason"] = reason
        return c

    if state == "PendingUnscheduled":
        return {"status": {"phase": "Pending", "qosClass": "Burstable", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastProbeTime": None,
             "lastTransitionTime": cond_time,
             "message": "0/500 nodes are available: 500 Insufficient cpu. preemption: 0/500 nodes are available."}]}}

    statuses = []
    for idx, c in enumerate(d.containers):
        cid = f"containerd://{rng.getrandbits(256):064x}"
        base = {"name": c["name"], "image": c["image"], "imageID": c["image"].split(":")[0] + "@sha256:" + f"{rng.getrandbits(256):064x}",
                "started": True, "ready": True, "restartCount": 0, "containerID": cid}
        main = idx == 0
        if state == "PendingImagePull":
            base.update(ready=False, started=False, imageID="")
            del base["containerID"]
            reason = "ImagePullBackOff" if k % 2 == 0 else "ContainerCreating"
            base["state"] = {"waiting": {"reason": reason, "message": f'Back-off pulling image "{c["image"]}"'
                                         if reason == "ImagePullBackOff" else ""}}
        elif state == "CrashLoopBackOff" and main:
            restarts = rng.randint(3, 150)
            base.update(ready=False, started=False, restartCount=restarts)
            base["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                         "message": f"back-off 5m0s restarting failed container={c['name']}"}}
            base["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started,
                                                "finishedAt": started, "containerID": cid}}
        elif state == "OOMKilled" and main:
            base.update(restartCount=rng.randint(1, 12))
            base["state"] = {"running": {"startedAt": started}}
            base["lastState"] = {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": started,
                                                "finishedAt": started, "containerID": cid}}
        elif state in ("Succeeded", "Failed"):
            base.update(ready=False, started=False)
            code = 0 if state == "Succeeded" else 2
            base["state"] = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                            "startedAt": started, "finishedAt": started, "containerID": cid}}
        else:
            base["state"] = {"running": {"startedAt": started}}
        statuses.append(base)

    ready = state in ("Running", "OOMKilled")
    phase = {"PendingImagePull": "Pending", "Succeeded": "Succeeded", "Failed": "Failed"}.get(state, "Running")
    status = {
        "phase": phase,
        "conditions": [
            cond("PodReadyToStartContainers", "True"),
            cond("Initialized", "True"),
            cond("Ready", "True" if ready else "False", None if ready else "ContainersNotReady"),
            cond("ContainersReady", "True" if ready else "False", None if ready else "ContainersNotReady"),
            cond("PodScheduled", "True"),
        ],
        "hostIP": node_ip,
        "hostIPs": [{"ip": node_ip}],
        "podIP": f"10.{100 + k // 65000}.{(k // 250) % 256}.{k % 250 + 2}",
        "podIPs": [{"ip": f"10.{100 + k // 65000}.{(k // 250) % 256}.{k % 250 + 2}"}],
        "startTime": started,
        "containerStatuses": statuses,
        "qosClass": "Burstable",
    }
    return {"status": status}


# --- the load --------------------------------------------------------------------------------


def load(target: Target, pods: int, nodes: int, namespaces: int = 50, workers: int = 32, seed: int = 9,
         verbose: bool = True) -> dict:
    """Creates the synthetic cluster; returns what was created and the throughput of each phase."""
    rng = random.Random(seed)
    now = time.time()
    pool = Pool(target, workers)
    phases: list[PhaseResult] = []

    def say(p: PhaseResult) -> None:
        if verbose:
            d = p.as_dict()
            print(f"[load] {p.name:<12} {p.objects:>6} objects {p.requests:>6} requests in {p.seconds:6.2f} s"
                  f"  ({d['objects_per_second']} objects/s, {d['requests_per_second']} req/s,"
                  f" {d['mebibytes_sent']} MiB sent, {p.retries} retries)", file=sys.stderr, flush=True)

    started = time.monotonic()
    ns_objs = [make_namespace(i, rng) for i in range(namespaces)]
    ns_names = [o["metadata"]["name"] for o in ns_objs]
    phases.append(pool.run("namespaces", namespaces,
                           [[Request("POST", "/api/v1/namespaces", dumps(o))] for o in ns_objs]))
    say(phases[-1])

    node_objs = [make_node(i, rng, now) for i in range(nodes)]
    node_ips = {o["metadata"]["name"]: o["status"]["addresses"][0]["address"] for o in node_objs}
    not_ready = sum(1 for o in node_objs for c in o["status"]["conditions"] if c["type"] == "Ready" and c["status"] != "True")
    phases.append(pool.run("nodes", nodes, [[Request("POST", "/api/v1/nodes", dumps(o))] for o in node_objs]))
    say(phases[-1])

    deps = plan_deployments(pods, ns_names, rng)
    merge = "application/merge-patch+json"
    jobs = []
    for d in deps:
        jobs.append([
            Request("POST", f"/apis/apps/v1/namespaces/{d.ns}/deployments", dumps(make_deployment(d))),
            Request("PATCH", f"/apis/apps/v1/namespaces/{d.ns}/deployments/{d.name}/status",
                    dumps(deployment_status(d, 1)), merge),
            Request("POST", f"/api/v1/namespaces/{d.ns}/services", dumps(make_service(d))),
        ])
    phases.append(pool.run("deployments", len(deps) * 2, jobs))  # deployments + their services
    say(phases[-1])

    node_names = [o["metadata"]["name"] for o in node_objs]
    jobs = []
    counts: dict[str, int] = {}
    k = 0
    for d in deps:
        for state in d.pod_states:
            node = None if state == "PendingUnscheduled" else node_names[rng.randrange(len(node_names))]
            pod = make_pod(d, k, node)
            st = pod_status(d, state, node_ips.get(node) if node else None, k, rng, now)
            name = pod["metadata"]["name"]
            jobs.append([
                Request("POST", f"/api/v1/namespaces/{d.ns}/pods", dumps(pod)),
                Request("PATCH", f"/api/v1/namespaces/{d.ns}/pods/{name}/status", dumps(st), merge),
            ])
            counts[state] = counts.get(state, 0) + 1
            k += 1
    phases.append(pool.run("pods", k, jobs))
    say(phases[-1])
    pool.close()

    total = time.monotonic() - started
    requests = sum(p.requests for p in phases)
    objects = sum(p.objects for p in phases)
    result = {
        "pods": k,
        "nodes": nodes,
        "nodes_not_ready": not_ready,
        "namespaces": namespaces,
        "deployments": len(deps),
        "services": len(deps),
        "pod_states": dict(sorted(counts.items())),
        "workers": workers,
        "seconds": round(total, 3),
        "objects": objects,
        "requests": requests,
        "objects_per_second": round(objects / total, 1),
        "requests_per_second": round(requests / total, 1),
        "phases": [p.as_dict() for p in phases],
    }
    if verbose:
        print(f"[load] total: {objects} objects, {requests} requests in {total:.2f} s "
              f"({result['objects_per_second']} objects/s, {result['requests_per_second']} req/s, "
              f"{workers} connections)", file=sys.stderr, flush=True)
    return result


# --- the event storm (the events phase of bench/run.py) --------------------------------------

# (type, reason, involved kind, message, source component). Warnings dominate, as in a real
# storm; the Normal reasons the history keeps (docs/events.md) are a significant share; a few
# routine Normal events (which the history ignores) are mixed in.
WARNING_EVENTS = [
    ("BackOff", "Pod", "Back-off restarting failed container {c} in pod {o}", "kubelet"),
    ("Unhealthy", "Pod", "Readiness probe failed: Get \"http://10.1.2.3:8080/healthz\": dial tcp 10.1.2.3:8080: "
     "connect: connection refused", "kubelet"),
    ("Failed", "Pod", "Failed to pull image \"{i}\": rpc error: code = NotFound desc = failed to pull and unpack image",
     "kubelet"),
    ("FailedScheduling", "Pod", "0/500 nodes are available: 500 Insufficient cpu. preemption: 0/500 nodes are "
     "available: 500 No preemption victims found for incoming pod.", "default-scheduler"),
    ("FailedMount", "Pod", "MountVolume.SetUp failed for volume \"config\" : configmap \"{o}-config\" not found",
     "kubelet"),
    ("FailedCreate", "ReplicaSet", "Error creating: pods \"{o}-\" is forbidden: exceeded quota: compute-resources",
     "replicaset-controller"),
    ("ErrImagePull", "Pod", "Error: ErrImagePull", "kubelet"),
    ("OOMKilling", "Node", "Memory cgroup out of memory: Killed process 4242 ({c}) total-vm:2097152kB",
     "kernel-monitor"),
]
NORMAL_KEPT = [
    ("NodeNotReady", "Node", "Node {o} status is now: NodeNotReady", "node-controller"),
    ("Evicted", "Pod", "The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki.",
     "kubelet"),
    ("Preempted", "Pod", "Preempted by pod 7f0c5e7a-3b7c-4c54-9a5e-1d2f3a4b5c6d on node bench-node-0042",
     "default-scheduler"),
    ("Killing", "Pod", "Stopping container {c}: OOMKilled", "kubelet"),
    ("Rebooted", "Node", "Node {o} has been rebooted, boot id: 1c6f0f1e-4b2a-4f7e-8a51-0c3d2b1a0f9e", "kubelet"),
]
NORMAL_IGNORED = [
    ("Pulled", "Pod", "Container image \"{i}\" already present on machine", "kubelet"),
    ("Scheduled", "Pod", "Successfully assigned {n}/{o} to bench-node-0007", "default-scheduler"),
    ("Killing", "Pod", "Stopping container {c}", "kubelet"),
]


def micro(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1e6) % 1000000:06d}Z"


def event_storm(target: Target, events: int, repeat_share: float = 0.2, namespaces: int = 50, nodes: int = 500,
                workers: int = 32, seed: int = 11, warning_share: float = 0.75, kept_normal_share: float = 0.20,
                verbose: bool = True) -> dict:
    """Sends `events` event writes through the API server: (1 - repeat_share) of them create
    distinct core/v1 Events spread over the bench namespaces (and, for node events, `default`);
    the rest are repeats, merge patches of an existing event's count and lastTimestamp (half of
    them with a `series` as well), sent after its create on the same connection. Returns what
    was sent and what the events history should hold afterwards."""
    rng = random.Random(seed)
    now = time.time()
    repeats = int(events * repeat_share)
    distinct = events - repeats
    ns_names = [f"bench-ns-{i:03d}" for i in range(namespaces)]
    merge = "application/merge-patch+json"
    plan: list[tuple[str, str, bool, list[dict]]] = []  # (ns, name, recorded, patches)
    bodies: list[bytes] = []
    by_type = {"Warning": 0, "Normal (kept)": 0, "Normal (ignored)": 0}
    for i in range(distinct):
        roll = rng.random()
        if roll < warning_share:
            etype, group, kind_of = "Warning", WARNING_EVENTS, "Warning"
        elif roll < warning_share + kept_normal_share:
            etype, group, kind_of = "Normal", NORMAL_KEPT, "Normal (kept)"
        else:
            etype, group, kind_of = "Normal", NORMAL_IGNORED, "Normal (ignored)"
        by_type[kind_of] += 1
        reason, kind, message, component = rng.choice(group)
        if kind == "Node":
            ns, obj, obj_ns = "default", f"bench-node-{rng.randrange(nodes):04d}", None
        else:
            ns = rng.choice(ns_names)
            obj, obj_ns = f"{rng.choice(TIERS)}-{rng.randrange(2000):04d}-7c9f8d6b5-{rng.randrange(1 << 20):05x}", ns
        first = now - rng.uniform(0, 600)
        name = f"{obj}.{i:08x}{rng.getrandbits(32):08x}"
        involved = {"kind": kind, "name": obj, "apiVersion": "v1" if kind in ("Pod", "Node") else "apps/v1",
                    "uid": f"{rng.getrandbits(128):032x}"}
        if obj_ns:
            involved["namespace"] = obj_ns
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved,
            "reason": reason,
            "message": message.format(o=obj, c=rng.choice(TIERS), i=rng.choice(IMAGES), n=ns),
            "type": etype, "count": 1,
            "firstTimestamp": rfc3339(first), "lastTimestamp": rfc3339(first),
            "source": {"component": component, "host": f"bench-node-{rng.randrange(nodes):04d}"},
            "reportingComponent": component, "reportingInstance": f"bench-node-{rng.randrange(nodes):04d}",
        }
        bodies.append(dumps(body))
        plan.append((ns, name, etype == "Warning" or kind_of == "Normal (kept)", []))
    # The repeats: 1 to 4 each on a random subset of the events, until `repeats` are spent.
    while repeats > 0:
        idx = rng.randrange(distinct)
        patches = plan[idx][3]
        if len(patches) >= 4:
            continue
        k = len(patches) + 2
        last = now + len(patches) * 10 + rng.uniform(0, 9)
        patch = {"count": k, "lastTimestamp": rfc3339(last)}
        if rng.random() < 0.5:
            patch["series"] = {"count": k, "lastObservedTime": micro(last)}
        patches.append(patch)
        repeats -= 1
    jobs = []
    for (ns, name, _, patches), body in zip(plan, bodies):
        job = [Request("POST", f"/api/v1/namespaces/{ns}/events", body)]
        job += [Request("PATCH", f"/api/v1/namespaces/{ns}/events/{name}", dumps(p), merge) for p in patches]
        jobs.append(job)
    rng.shuffle(jobs)
    pool = Pool(target, workers)
    phase = pool.run("events", distinct, jobs)
    pool.close()
    d = phase.as_dict()
    if verbose:
        print(f"[load] events       {distinct:>6} events {phase.requests:>6} requests in {phase.seconds:6.2f} s"
              f"  ({d['requests_per_second']} req/s, {d['mebibytes_sent']} MiB sent, {phase.retries} retries)",
              file=sys.stderr, flush=True)
    recorded = [p for p in plan if p[2]]
    return {
        "writes": distinct + sum(len(p[3]) for p in plan),
        "distinct": distinct,
        "repeats": sum(len(p[3]) for p in plan),
        "repeated_events": sum(1 for p in plan if p[3]),
        "by_type": by_type,
        "expected_rows": len(recorded),
        "expected_recorded_writes": sum(1 + len(p[3]) for p in recorded),
        "namespaces": namespaces + 1,
        **d,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--namespaces", type=int, default=50)
    ap.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_LOAD_WORKERS", "32")))
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--server", help="API server URL (default: from scripts/cluster.sh env)")
    ap.add_argument("--ca", help="CA file of the API server")
    ap.add_argument("--token-file", help="file holding a bearer token with rights to create everything")
    ap.add_argument("--events", type=int, default=0,
                    help="after the load (or instead of it, with --pods 0), an event storm of this many writes")
    ap.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    args = ap.parse_args()
    if args.server:
        if not (args.ca and args.token_file):
            ap.error("--server needs --ca and --token-file")
        target = Target(args.server, args.ca, Path(args.token_file).read_text().strip())
    else:
        target = Target.from_cluster_env()
    result = load(target, args.pods, args.nodes, args.namespaces, args.workers, args.seed) if args.pods else {}
    if args.events:
        result["events"] = event_storm(target, args.events, namespaces=args.namespaces, nodes=args.nodes,
                                       workers=args.workers)
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
