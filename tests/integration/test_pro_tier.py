"""Pro tier end to end (PRODUCT.md §2, §5): the real binary, the local control plane and the fake
kube9-server (fake_kube9_server.py), which validates every request against the contract.

Written from the contract, by someone other than the sink's author. Every test here is marked
`pro_tier`: run them all with `python3 -m pytest -q -m pro_tier tests/integration`, or one with
`python3 -m pytest -q tests/integration/test_pro_tier.py::test_registration_sets_status_enabled_pro_registered`.

Command line used (beyond the existing flags): --server-url, --api-key-file (or env API_KEY),
--spool.path, --upload.max-batch-age, --collection.initial-delay, and
`kube9-operator collect --dry-run --type T`.

Logs the tests rely on (JSON lines on stdout):
- every outbound request, at info, with fields `type`, `collection_id`, `bytes`, `result`;
- every produced collection, with "collection" in `msg` and a `collection_id` field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import signal
import time
from pathlib import Path
from typing import Any, Iterable

import pytest

from conftest import (
    clean_env,
    create_object,
    list_items,
    metric_value,
    metric_values,
    parse_rfc3339_millis,
    patch_status,
    run,
    wait_for,
)
from fake_kube9_server import (
    COLLECTION_TYPES,
    COLLECTIONS_PATH,
    REGISTER_PATH,
    FakeKube9Server,
    cluster_id_for,
    parse_rfc3339_utc,
    validate_collection_envelope,
)

pytestmark = pytest.mark.pro_tier

REGISTRATION_STATES = ("pending", "registered", "rejected", "rate_limited", "unreachable")
NAMESPACE_HASH_RE = re.compile(r"^namespace-[0-9a-f]{12}$")
FIRST_RUN_TYPES = ("cluster-metadata", "resource-inventory", "resource-configuration-patterns")


# --- helpers -------------------------------------------------------------------------------------


class SecretVolume:
    """A directory laid out as the kubelet writes a Secret volume (AtomicWriter): `api-key` is a
    symlink to `..data/api-key`, `..data` a symlink to a timestamped directory, and an update
    swaps `..data` atomically. This is how the chart mounts the key, and how it rotates."""

    def __init__(self, root: Path, name: str = "api-key"):
        self.root = root
        self.name = name
        self.path = root / name
        self._n = 0
        root.mkdir(parents=True, exist_ok=True)

    def write(self, value: str) -> None:
        self._n += 1
        version = self.root / f"..2026_11_27_10_00_{self._n:02d}.{secrets.token_hex(4)}"
        version.mkdir()
        (version / self.name).write_text(value)
        os.chmod(version / self.name, 0o444)
        old = os.readlink(self.root / "..data") if (self.root / "..data").is_symlink() else None
        tmp = self.root / "..data_tmp"
        os.symlink(version.name, tmp)
        os.replace(tmp, self.root / "..data")
        if not self.path.is_symlink():
            os.symlink(f"..data/{self.name}", self.path)
        if old:
            for f in (self.root / old).iterdir():
                f.unlink()
            (self.root / old).rmdir()


def kube_system_identifier(api) -> str:
    """`sha256:` + hex SHA-256 of the kube-system namespace's UID (PRODUCT.md §5)."""
    uid = api.get_namespace("kube-system")["metadata"]["uid"]
    return "sha256:" + hashlib.sha256(uid.encode()).hexdigest()


def start_pro(start_operator, namespace: str, server: FakeKube9Server, tmp_path: Path, *,
              key_file: Path | None = None, spool: Path | None = None, initial_delay: str = "1s",
              max_batch_age: str = "3s", extra: Iterable[str] = (), env: dict[str, str] | None = None,
              wait_ready: bool = True):
    """Starts the operator against `server`: the key from `key_file` (default: a Secret volume
    holding server.api_key), a spool in tmp_path unless given, short first-run offsets."""
    if key_file is None and not (env and "API_KEY" in env):
        vol = SecretVolume(tmp_path / f"secret-{secrets.token_hex(3)}")
        vol.write(server.api_key)
        key_file = vol.path
    args = [f"--server-url={server.url}", f"--spool.path={spool or tmp_path / 'spool'}",
            f"--collection.initial-delay={initial_delay}", f"--upload.max-batch-age={max_batch_age}",
            "--sample-interval=1s"]
    if key_file is not None:
        args.append(f"--api-key-file={key_file}")
    args.extend(extra)
    return start_operator(namespace, interval="5s", args=args, env=env, wait_ready=wait_ready)


def wait_status(api, namespace: str, op, predicate, timeout: float, what: str) -> dict:
    def check():
        s = api.get_status(namespace)
        return s is not None and predicate(s), s
    return wait_for(check, timeout, what, operator=op)


def assert_degraded_not_registered(status: dict) -> str:
    """A status that says: API key configured, not registered, degraded with a short reason.
    Returns the reason."""
    assert status["mode"] == "enabled" and status["tier"] == "free", status
    assert status["registered"] is False and status["apiKeyConfigured"] is True, status
    assert "clusterId" not in status, status
    error = status["error"]
    assert isinstance(error, str) and 0 < len(error) <= 500, status
    return error


def metric(op, name: str, **labels: str) -> float:
    return metric_value(op.metrics(), name, **labels) or 0.0


def metric_sum(op, name: str, **labels: str) -> float:
    return sum(metric_values(op.metrics(), name, **labels))


def registration_states(text: str) -> dict[str, float | None]:
    return {s: metric_value(text, "kube9_operator_registration_state", state=s) for s in REGISTRATION_STATES}


def wait_registered(server: FakeKube9Server, op) -> None:
    """Until both sides agree on the registration: the server has answered it and the operator
    has read the answer. Stopping the server between the two cuts the reply short, and the
    operator then never learns the server's settings (metrics on, the interval)."""
    server.wait_for(server.successful_registrations, 20, "a successful registration")

    def registered():
        states = registration_states(op.metrics())
        return states["registered"] == 1.0, states
    wait_for(registered, 10, "the operator to count itself registered", operator=op)


def assert_registration_state(op, want: str) -> None:
    states = registration_states(op.metrics())
    assert states == {s: (1.0 if s == want else 0.0) for s in REGISTRATION_STATES}, (
        f"kube9_operator_registration_state is not one-hot on {want!r}: {states}"
    )


def outbound_logs(op) -> list[dict]:
    """Audit log lines: one per outbound request (type, collection_id, bytes, result)."""
    return [e for e in op.json_logs() if {"type", "collection_id", "bytes", "result"} <= set(e)]


def produced_ids(op, since: float | None = None, until: float | None = None) -> set[str]:
    """collection_ids the operator logged as produced (logged between `since` and `until`,
    wall-clock seconds, when given). Audit lines of outbound requests are not counted."""
    ids = set()
    for e in op.json_logs():
        if "collection_id" not in e or "collection" not in str(e.get("msg", "")).lower():
            continue
        if "result" in e and "bytes" in e:
            continue
        t = parse_rfc3339_millis(e["time"])
        if (since is None or t >= since) and (until is None or t <= until):
            ids.add(e["collection_id"])
    return ids


def batch_items(data: Any) -> list:
    """The samples of a metrics-batch `data`: `data.samples`, or else the only list in `data`."""
    if not isinstance(data, dict):
        return []
    if isinstance(data.get("samples"), list):
        return data["samples"]
    lists = [v for k, v in data.items() if isinstance(v, list)]
    return lists[0] if len(lists) == 1 else []


def canonical(item: Any) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"))


def strings_in(doc: Any) -> Iterable[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for k, v in doc.items():
            yield k
            yield from strings_in(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from strings_in(v)


def assert_no_violations(server: FakeKube9Server) -> None:
    assert server.violations == [], "the operator broke the kube9-server contract:\n" + "\n".join(
        server.violations[:20]) + "\n" + server.summary()


# --- registration --------------------------------------------------------------------------------


def test_registration_sets_status_enabled_pro_registered(api, namespace, start_operator, kube9_server,
                                                        tmp_path, operator_version):
    server = kube9_server
    # A server-assigned id unlike the derived one, to see that the status shows the server's.
    assigned = "cls_" + secrets.token_hex(16)
    # The server's statusUpdateIntervalSeconds (10) replaces the configured interval (5 s).
    server.configure(assigned_cluster_id=assigned, status_update_interval_seconds=10)
    op = start_pro(start_operator, namespace, server, tmp_path)

    server.wait_for(server.successful_registrations, 20, "a successful registration")
    rec = server.successful_registrations()[0]
    assert rec.api_key == server.api_key
    assert rec.headers["user-agent"] == f"kube9-operator/{operator_version}"
    assert rec.json["operatorVersion"] == operator_version
    assert rec.json["clusterIdentifier"] == kube_system_identifier(api), rec.json
    assert rec.json["kubernetesVersion"] == api.request("GET", "/version").json()["gitVersion"], rec.json
    nodes = len(list_items(api, "/api/v1/nodes"))
    assert 0 <= rec.json["approximateNodeCount"] <= nodes and (nodes == 0 or rec.json["approximateNodeCount"] > 0), (
        rec.json, nodes)

    status = wait_status(api, namespace, op, lambda s: s.get("registered") is True, 15,
                         "the status to say registered")
    assert status["mode"] == "enabled", status
    assert status["tier"] == "pro", status
    assert status["apiKeyConfigured"] is True, status
    assert status["health"] == "healthy" and status["error"] is None, status
    assert status["clusterId"] == assigned, status
    assert server.api_key not in json.dumps(status)

    text = op.metrics()
    assert_registration_state(op, "registered")
    assert (metric_value(text, "kube9_operator_registration_attempts_total", result="success") or 0) >= 1, text
    # The status is written every 10 s now, as the server said, not every 5 s.
    later = wait_status(api, namespace, op, lambda s: s["lastUpdate"] != status["lastUpdate"], 15,
                        "the next status write")
    step = parse_rfc3339_millis(later["lastUpdate"]) - parse_rfc3339_millis(status["lastUpdate"])
    assert 9.5 <= step <= 11.5, (status["lastUpdate"], later["lastUpdate"])
    changed = [e for e in op.json_logs() if e.get("msg") == "status interval changed"]
    assert changed and changed[-1].get("interval") == "10s", changed
    # Registered once: the next one is due in reregistrationIntervalHours (24).
    assert len(server.registrations()) == 1, server.summary()
    assert_no_violations(server)


# --- uploads -------------------------------------------------------------------------------------


def test_all_four_collection_types_arrive_and_validate(api, namespace, start_operator, kube9_server, tmp_path):
    server = kube9_server
    server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    op = start_pro(start_operator, namespace, server, tmp_path, initial_delay="1s", max_batch_age="3s")

    server.wait_for(lambda: all(server.collections(t) for t in COLLECTION_TYPES), 40,
                    "an accepted collection of each of the four types")
    assert_no_violations(server)
    identifier = kube_system_identifier(api)
    git_version = api.request("GET", "/version").json()["gitVersion"]
    accepted = server.collections()
    ids = [r.collection_id for r in accepted]
    assert len(ids) == len(set(ids)) and server.duplicates == [], f"duplicates on a healthy link: {server.summary()}"
    now = time.time()
    for r in accepted:
        assert validate_collection_envelope(r.json, r.idempotency_key, check_idempotency_key=True) == []
        assert r.data["clusterId"] == cluster_id_for(identifier), r.data
        produced_at = parse_rfc3339_utc(r.data["timestamp"]).timestamp()
        assert now - 120 < produced_at < now + 5, r.data["timestamp"]
        for s in strings_in(r.json):
            if s.startswith("namespace-"):
                assert NAMESPACE_HASH_RE.match(s), f"namespace not as namespace-<12 hex>: {s!r} in {r.type}"
    metadata = server.collections("cluster-metadata")[0]
    assert git_version in json.dumps(metadata.data), f"cluster-metadata without the Kubernetes version: {metadata.data}"
    for r in server.collections("metrics-batch"):
        assert batch_items(r.data), f"metrics-batch without samples: {r.data}"

    # Audit trail: each accepted upload was logged with its type, size and result.
    def audited():
        logs = outbound_logs(op)
        missing = [r.collection_id for r in accepted
                   if not any(e["collection_id"] == r.collection_id and e["type"] == r.type for e in logs)]
        return not missing, missing
    wait_for(audited, 10, "an audit log line for every accepted collection", operator=op)
    logs = outbound_logs(op)
    for r in accepted:
        lines = [e for e in logs if e["collection_id"] == r.collection_id]
        assert all(e["level"] == "info" for e in lines), lines
        sizes = {len(x.raw_body) for x in server.requests(COLLECTIONS_PATH) if x.collection_id == r.collection_id}
        sizes |= {len(x.body) for x in server.requests(COLLECTIONS_PATH) if x.collection_id == r.collection_id and x.body}
        assert any(type(e["bytes"]) is int and e["bytes"] in sizes for e in lines), (lines, sizes)
        assert any(str(e["result"]).lower() in ("success", "ok", "accepted", "200") for e in lines), lines

    # Self metrics agree with what the server accepted.
    def counted():
        text = op.metrics()
        short = {}
        for t in COLLECTION_TYPES:
            got = server.collections(t)
            ok = metric_value(text, "kube9_operator_uploads_total", type=t, result="success") or 0
            wire = metric_value(text, "kube9_operator_upload_bytes_total", type=t) or 0
            produced = metric_value(text, "kube9_operator_collection_total", type=t, status="success") or 0
            if ok < len(got) or wire < sum(len(r.raw_body) for r in got) or produced < 1:
                short[t] = (ok, len(got), wire, produced)
        return not short, short
    wait_for(counted, 10, "upload metrics matching the accepted collections", operator=op)
    assert metric_sum(op, "kube9_operator_upload_drops_total") == 0, op.metrics()
    assert_registration_state(op, "registered")


def test_server_down_then_back_delivers_every_produced_collection(api, namespace, start_operator, kube9_server,
                                                                  tmp_path):
    server = kube9_server
    server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    # First runs 6 s after start: they are produced while the server is down. Retries wait at
    # most 2 s here (5 min by default), so that "delivered once it is back" has a tight bound;
    # the unit tests (OutageGateTest, UploaderTest) cover the default curve.
    op = start_pro(start_operator, namespace, server, tmp_path, initial_delay="6s", max_batch_age="2s",
                   extra=["--upload.max-backoff=2s"])
    wait_registered(server, op)
    server.stop()
    down_at = time.time()

    wait_for(lambda: (len(p := produced_ids(op, since=down_at)) >= 5, p), 25,
             "collections produced while kube9-server is down", operator=op)
    while time.time() - down_at < 15:
        time.sleep(0.5)
    assert op.poll() is None, op.describe()
    assert metric_sum(op, "kube9_operator_upload_retries_total") >= 1, (
        "no upload retry counted while the server was down\n" + op.metrics())
    assert metric(op, "kube9_operator_spool_items") >= 1, op.metrics()
    produced_while_down = produced_ids(op, since=down_at)

    server.start()
    must_arrive = produced_ids(op)  # everything produced so far, before and during the outage

    def delivered():
        missing = must_arrive - server.collection_ids()
        return not missing, sorted(missing)
    wait_for(delivered, 20, "every produced collection to be delivered after the outage", operator=op)
    assert_no_violations(server)
    assert {r.type for r in server.collections() if r.collection_id in produced_while_down} >= set(FIRST_RUN_TYPES), (
        server.summary())
    # Nothing arrives that the audit trail did not announce as produced.
    assert server.collection_ids() <= produced_ids(op), server.collection_ids() - produced_ids(op)
    # Delivered after the server came back, not dropped in between.
    assert metric_sum(op, "kube9_operator_upload_drops_total") == 0, op.metrics()


def test_sigkill_with_spooled_payloads_then_restart_delivers_them(api, namespace, start_operator, kube9_server,
                                                                 tmp_path):
    server = kube9_server
    server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    spool = tmp_path / "spool"
    vol = SecretVolume(tmp_path / "secret")
    vol.write(server.api_key)
    first = start_pro(start_operator, namespace, server, tmp_path, key_file=vol.path, spool=spool,
                      initial_delay="3s", max_batch_age="2s")
    wait_registered(server, first)
    server.stop()
    down_at = time.time()

    def spooled():
        items = metric(first, "kube9_operator_spool_items")
        produced = produced_ids(first, since=down_at)
        return items >= 3 and len(produced) >= 4, (items, len(produced))
    wait_for(spooled, 25, "payloads in the spool while kube9-server is down", operator=first)
    time.sleep(2)
    killed_at = time.time()
    os.kill(first.pid, signal.SIGKILL)
    first.wait_exit(5)
    # Produced at least 1.5 s before the kill: surely on disk by then.
    must_arrive = produced_ids(first, since=down_at, until=killed_at - 1.5)
    assert must_arrive, first.describe()
    assert not must_arrive & server.collection_ids()
    assert any(p.is_file() and p.stat().st_size > 0 for p in spool.rglob("*")), list(spool.rglob("*"))

    server.start()
    second = start_pro(start_operator, namespace, server, tmp_path, key_file=vol.path, spool=spool,
                       initial_delay="3s", max_batch_age="2s")

    def delivered():
        missing = must_arrive - server.collection_ids()
        return not missing, sorted(missing)
    wait_for(delivered, 45, "the spooled payloads of the killed operator to be delivered", operator=second)
    assert_no_violations(server)
    assert metric_sum(second, "kube9_operator_upload_drops_total") == 0, second.metrics()
    carried = [r for r in server.collections() if r.collection_id in must_arrive]
    assert {r.type for r in carried} >= {"metrics-batch"}, server.summary()


def test_rejected_key_degrades_without_storm_then_rotated_key_registers(api, namespace, start_operator,
                                                                       kube9_server, tmp_path):
    server = kube9_server
    good = server.api_key
    bad = "k9test_" + secrets.token_hex(20)
    vol = SecretVolume(tmp_path / "secret")
    vol.write(bad)
    op = start_pro(start_operator, namespace, server, tmp_path, key_file=vol.path)

    server.wait_for(lambda: server.registrations(401), 20, "a registration answered 401")
    rejected_at = time.monotonic()
    # A registration change is written at once; allow a few seconds for the write.
    clear = re.compile(r"401|reject|invalid|unauthori[sz]ed|api key", re.I)
    status = wait_status(api, namespace, op,
                         lambda s: s.get("health") == "degraded" and clear.search(s.get("error") or ""), 5,
                         "the status to say degraded, naming the rejected key")
    error = assert_degraded_not_registered(status)
    assert clear.search(error), f"unclear error: {error!r}"
    assert bad not in error and good not in error

    # No storm: a rejected key is not retried until it changes.
    while time.monotonic() - rejected_at < 10:
        s = api.get_status(namespace)
        assert s["registered"] is False and s["health"] == "degraded", s
        time.sleep(1)
    assert 1 <= len(server.registrations()) <= 2, server.summary()
    assert server.collections(status=None) == [], "uploads were attempted with a rejected key\n" + server.summary()
    text = op.metrics()
    assert_registration_state(op, "rejected")
    rejected = metric_value(text, "kube9_operator_registration_attempts_total", result="rejected") or 0
    assert 1 <= rejected <= 2, text

    # The Secret is updated the way the kubelet does it: the new key registers without a restart.
    vol.write(good)
    server.wait_for(server.successful_registrations, 20, "a registration with the rotated key")
    assert server.successful_registrations()[0].api_key == good
    status = wait_status(api, namespace, op, lambda s: s.get("registered") is True, 12,
                         "the status to say registered after the key rotation")
    assert status["tier"] == "pro" and status["health"] == "healthy" and status["error"] is None, status
    assert_registration_state(op, "registered")
    assert op.poll() is None
    assert_no_violations(server)

    output = op.stdout() + op.stderr()
    cm = json.dumps(api.get_configmap(namespace))
    for key in (good, bad):
        assert key not in output and key not in op.metrics() and key not in cm


def test_413_on_a_metrics_batch_splits_it_and_every_sample_arrives(api, namespace, start_operator, kube9_server,
                                                                  tmp_path):
    server = kube9_server
    server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    server.fail_next(COLLECTIONS_PATH, 413, type="metrics-batch", match=lambda r: len(batch_items(r.data)) >= 2)
    op = start_pro(start_operator, namespace, server, tmp_path, initial_delay="1s", max_batch_age="4s")

    too_large = server.wait_for(lambda: server.collections("metrics-batch", status=413), 30,
                                "a metrics-batch of two samples or more (answered 413)")[0]
    want = {canonical(i) for i in batch_items(too_large.data)}
    assert len(want) >= 2, too_large.data

    def carriers():
        return [r for r in server.collections("metrics-batch")
                if r.seq > too_large.seq and {canonical(i) for i in batch_items(r.data)} & want]

    def all_arrived():
        got = set()
        for r in carriers():
            got |= {canonical(i) for i in batch_items(r.data)}
        missing = want - got
        return not missing, sorted(missing)[:5]
    wait_for(all_arrived, 30, "every sample of the 413'd batch in later accepted batches", operator=op)
    parts = carriers()
    assert len(parts) >= 2, [p.describe() for p in parts]
    assert len({p.collection_id for p in parts}) == len(parts), "the parts of a split share a collectionId"
    assert all(len(p.raw_body) < len(too_large.raw_body) for p in parts), [len(p.raw_body) for p in parts]
    assert_no_violations(server)

    def counted():
        split = metric(op, "kube9_operator_uploads_total", type="metrics-batch", result="split")
        return split >= 1, split
    wait_for(counted, 10, 'uploads_total{type="metrics-batch",result="split"}', operator=op)
    assert metric_sum(op, "kube9_operator_upload_drops_total", type="metrics-batch") == 0, op.metrics()


# --- sanitization and secrets --------------------------------------------------------------------


def make_marked_objects(api) -> tuple[str, list[str]]:
    """A namespace with a deployment, a pod and a service whose names, labels, annotations,
    images, env values and IPs are unique markers. Returns (namespace, markers)."""
    def marker() -> str:
        return "zq" + secrets.token_hex(6)

    ns, deploy, pod, svc, container = marker(), marker(), marker(), marker(), marker()
    label_v, annot_v, image_repo, image_tag, env_v, label_k = (marker() for _ in range(6))
    labels = {"app": label_v, f"{label_k}.example.com/team": label_v}
    annotations = {"owner": f"{annot_v}@example.com", "note": f"contact {annot_v}"}
    image = f"registry.example.com/{image_repo}/app:{image_tag}"
    env = [{"name": "DATABASE_PASSWORD", "value": env_v}, {"name": "TOKEN", "value": f"Bearer {env_v}"}]
    spec_container = {"name": container, "image": image, "env": env,
                      "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}

    create_object(api, "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": ns, "labels": labels, "annotations": annotations}})
    meta = {"labels": labels, "annotations": annotations}
    create_object(api, f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": deploy, **meta},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": label_v}},
                 "template": {"metadata": meta, "spec": {"containers": [spec_container]}}}})
    create_object(api, f"/api/v1/namespaces/{ns}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, **meta},
        "spec": {"containers": [spec_container], "nodeName": f"{marker()}-node"}})
    pod_ip = f"10.{secrets.randbelow(200) + 20}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 2}"
    host_ip = f"172.{secrets.randbelow(10) + 20}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 2}"
    patch_status(api, f"/api/v1/namespaces/{ns}/pods/{pod}", {
        "phase": "Running", "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "containerStatuses": [{"name": container, "image": image, "imageID": f"{image}@sha256:{'ab' * 32}",
                               "ready": True, "restartCount": 1, "started": True,
                               "state": {"running": {"startedAt": "2026-11-27T10:00:00Z"}}}]})
    created = create_object(api, f"/api/v1/namespaces/{ns}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": svc, **meta},
        "spec": {"type": "ClusterIP", "selector": {"app": label_v}, "ports": [{"port": 8080, "name": "http"}]}})
    cluster_ip = created["spec"]["clusterIP"]
    markers = [ns, deploy, pod, svc, container, label_v, annot_v, image_repo, image_tag, env_v, label_k,
               pod_ip, host_ip, cluster_ip]
    # An unkeyed hash of the namespace name could be looked up: none may appear either.
    for algo in ("sha256", "sha1", "md5"):
        markers.append(hashlib.new(algo, ns.encode()).hexdigest()[:12])
    return ns, markers


def test_sanitization_no_marker_leaves_the_cluster(api, namespace, start_operator, kube9_server, tmp_path):
    server = kube9_server
    server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    marked_ns, markers = make_marked_objects(api)
    try:
        op = start_pro(start_operator, namespace, server, tmp_path, initial_delay="1s", max_batch_age="3s")
        # The operator has seen the objects (in-cluster /metrics may name them)...
        wait_for(lambda: (sum(metric_values(op.metrics(), "kube9_pods", namespace=marked_ns, phase="Running")) >= 1,
                          None), 20,
                 "the marked namespace's pods in /metrics", operator=op)
        seen_at = time.time()
        # ...and uploaded every type, with a metrics-batch produced after that.
        server.wait_for(
            lambda: all(server.collections(t) for t in COLLECTION_TYPES)
            and any(parse_rfc3339_utc(r.data["timestamp"]).timestamp() > seen_at + 1
                    for r in server.collections("metrics-batch")),
            40, "every collection type, and a metrics-batch sampled after the objects were seen")
        inventory = server.collections("resource-inventory")[0]
        hashed = [s for s in strings_in(inventory.json) if NAMESPACE_HASH_RE.match(s)]
        assert hashed, f"resource-inventory names no namespace-<12 hex> id: {inventory.json}"

        leaks = []
        for r in server.requests():
            text = r.text + "\n" + "\n".join(f"{k}: {v}" for k, v in r.header_items)
            leaks += [(r.describe(), m) for m in markers if m in text]
        assert not leaks, f"markers left the cluster: {leaks[:10]}"
        output = op.stdout() + op.stderr()
        logged = [m for m in markers if m in output]
        assert not logged, f"markers in the operator's logs: {logged}"
        assert_no_violations(server)
    finally:
        api.delete_namespace(marked_ns)


def test_api_key_never_appears_in_logs_metrics_or_status(api, namespace, start_operator, kube9_server, tmp_path,
                                                         binary, cluster):
    server = kube9_server
    key = server.api_key
    server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    # Failure paths are where a request tends to be dumped: a 500 and a 429 on registration, a
    # 503, a dropped connection and a 429 on uploads. (The first registration retry alone may wait
    # up to 30 s: full jitter.)
    server.fail_next(REGISTER_PATH, 500)
    server.rate_limit_next(REGISTER_PATH, 1)
    server.fail_next(COLLECTIONS_PATH, 503)
    server.drop_next(COLLECTIONS_PATH)
    server.rate_limit_next(COLLECTIONS_PATH, 1)
    op = start_pro(start_operator, namespace, server, tmp_path, env={"API_KEY": key}, extra=["--log.level=debug"])

    server.wait_for(lambda: server.successful_registrations() and len(server.collections()) >= 2
                    and server.pending_scripts() == 0, 75, "registration and uploads past the scripted failures")
    wait_status(api, namespace, op, lambda s: s.get("registered") is True, 12, "the status to say registered")
    assert all(r.api_key == key for r in server.requests()), "the key from API_KEY was not the one sent"

    exposed = {
        "logs": op.stdout() + op.stderr(),
        "metrics": op.metrics(),
        "landing page": op.get("/").text,
        "readyz": op.get("/readyz").text,
        "healthz": op.get("/healthz").text,
        "status ConfigMap": json.dumps(api.get_configmap(namespace)),
        "status command": run([str(binary), "status", f"--kubeconfig={cluster.kubeconfig}", "-n", namespace,
                               "-o", "json"], timeout=20, env=clean_env()).stdout,
    }
    fragments = [key, key[:16], key[-16:]]
    for where, text in exposed.items():
        assert text, f"nothing read from {where}"
        for f in fragments:
            assert f not in text, f"the API key (or 16 characters of it) appears in {where}"
    op.send_signal(signal.SIGTERM)
    assert op.wait_exit(5) == 0, op.describe()
    assert key not in op.stdout() + op.stderr() and key[-16:] not in op.stdout()
    assert_no_violations(server)


def test_collect_dry_run_prints_the_envelope_without_markers(api, binary, cluster, kube9_server):
    server = kube9_server
    marked_ns, markers = make_marked_objects(api)
    env = clean_env({"SERVER_URL": server.url, "API_KEY": server.api_key})
    try:
        out = run([str(binary), "collect", "--dry-run", "--type", "resource-inventory",
                   f"--kubeconfig={cluster.kubeconfig}"], timeout=60, env=env)
        pretty = run([str(binary), "collect", "--dry-run", "--pretty", "--type", "cluster-metadata",
                      f"--kubeconfig={cluster.kubeconfig}"], timeout=60, env=env)
    finally:
        api.delete_namespace(marked_ns)
    assert out.returncode == 0, f"exit code {out.returncode}\nstdout: {out.stdout}\nstderr: {out.stderr}"
    # stdout is exactly the envelope, as compact as on the wire, and a newline.
    assert out.stdout.endswith("}\n") and "\n" not in out.stdout[:-1], out.stdout[:200]
    doc = json.loads(out.stdout)
    assert pretty.returncode == 0, pretty.stderr
    assert pretty.stdout.startswith('{\n  "version": '), pretty.stdout[:200]
    assert validate_collection_envelope(json.loads(pretty.stdout)) == []
    assert validate_collection_envelope(doc) == [], (validate_collection_envelope(doc), doc)
    assert doc["type"] == "resource-inventory"
    assert doc["data"]["clusterId"] == cluster_id_for(kube_system_identifier(api)), doc["data"]
    produced_at = parse_rfc3339_utc(doc["data"]["timestamp"]).timestamp()
    assert abs(produced_at - time.time()) < 60, doc["data"]["timestamp"]
    assert [s for s in strings_in(doc) if NAMESPACE_HASH_RE.match(s)], doc
    leaked = [m for m in markers if m in out.stdout + out.stderr + pretty.stdout + pretty.stderr]
    assert not leaked, f"markers in the dry-run output: {leaked}"
    assert server.requests() == [], "a dry run sent something:\n" + server.summary()


def test_free_tier_keeps_collections_in_memory_and_sends_nothing(api, namespace, start_operator, kube9_server,
                                                                 tmp_path):
    """Without a key: collections are built (collectionStats counts them, the ring holds them),
    and nothing at all goes to kube9-server, even with its URL configured."""
    server = kube9_server
    spool = tmp_path / "spool"
    op = start_operator(namespace, interval="5s",
                        args=[f"--server-url={server.url}", f"--spool.path={spool}",
                              "--collection.initial-delay=1s", "--sample-interval=1s"])
    status = wait_status(api, namespace, op,
                         lambda s: s["collectionStats"]["totalSuccessCount"] >= len(FIRST_RUN_TYPES), 30,
                         "collectionStats to count the first collections")
    stats = status["collectionStats"]
    assert status["mode"] == "operated" and status["tier"] == "free" and status["registered"] is False, status
    assert status["health"] == "healthy", status
    assert stats["totalFailureCount"] == 0, stats
    assert stats["collectionsStoredCount"] == stats["totalSuccessCount"] == len(FIRST_RUN_TYPES), stats
    assert abs(parse_rfc3339_millis(stats["lastSuccessTime"]) - time.time()) < 60, stats
    for t in FIRST_RUN_TYPES:
        assert metric(op, "kube9_operator_collection_total", type=t, status="success") == 1, op.metrics()
    # Free tier exports no registration or upload series, writes no spool, and sends nothing.
    assert metric_value(op.metrics(), "kube9_operator_registration_state", state="pending") is None
    assert not spool.exists(), list(spool.rglob("*"))
    time.sleep(2)
    assert server.requests() == [], server.summary()


def test_sigterm_keeps_the_open_metrics_batch_for_the_next_process(api, namespace, start_operator, kube9_server,
                                                                  tmp_path):
    """A rollout or restart (SIGTERM) must not lose the samples of a metrics batch still being
    filled: they go to the spool at shutdown and the next process sends them."""
    server = kube9_server
    server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    spool = tmp_path / "spool"
    vol = SecretVolume(tmp_path / "secret")
    vol.write(server.api_key)
    # Batches close at 10 samples or 10 minutes: none closes while this operator runs.
    first = start_pro(start_operator, namespace, server, tmp_path, key_file=vol.path, spool=spool,
                      initial_delay="1s", max_batch_age="10m")
    server.wait_for(server.successful_registrations, 20, "a successful registration")
    time.sleep(5)  # about 4 samples into the open batch
    assert server.collections("metrics-batch") == [], "a batch closed early"
    stopped_at = time.time()
    first.send_signal(signal.SIGTERM)
    assert first.wait_exit(6) == 0, first.describe()
    flushed = [e for e in first.json_logs()
               if "collection" in str(e.get("msg", "")) and e.get("type") == "metrics-batch"
               and "result" not in e]
    assert flushed, "no metrics-batch was produced at shutdown\n" + first.describe()
    batch_id = flushed[-1]["collection_id"]

    second = start_pro(start_operator, namespace, server, tmp_path, key_file=vol.path, spool=spool,
                       initial_delay="1h", max_batch_age="10m")
    server.wait_for(lambda: [r for r in server.collections("metrics-batch") if r.collection_id == batch_id], 30,
                    "the batch closed at shutdown to arrive from the next process")
    [batch] = [r for r in server.collections("metrics-batch") if r.collection_id == batch_id]
    samples = batch_items(batch.data)
    assert 2 <= len(samples) < 10, len(samples)
    assert all(parse_rfc3339_millis(s["timestamp"]) <= stopped_at + 1 for s in samples), samples
    assert_no_violations(server)
    assert second.poll() is None
