"""The fake kube9-server itself (fake_kube9_server.py): its validator must be strict, or the Pro
tier tests would pass against an operator that breaks the contract (PRODUCT.md §5).

Each malformed request is sent with http.client, exactly as it would go on the wire, and must be
rejected and recorded as a violation; each well-formed one must be accepted with no violation.
No operator and no cluster are needed.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import secrets
import socket
import threading
import time
from typing import Any, Callable

import pytest

from fake_kube9_server import (
    COLLECTION_TYPES,
    COLLECTIONS_PATH,
    REGISTER_PATH,
    FakeKube9Server,
    cluster_id_for,
    validate_collection_envelope,
)

VERSION = "0.3.1"
IDENT = "sha256:" + hashlib.sha256(b"0b5c8a0e-kube-system-uid").hexdigest()
OTHER_IDENT = "sha256:" + hashlib.sha256(b"another cluster").hexdigest()
CLS = cluster_id_for(IDENT)
NOW = "2026-11-27T10:00:00.123Z"


# --- a client that sends exactly the bytes a test asks for ---------------------------------------


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, elapsed: float):
        self.status, self.headers, self.body, self.elapsed = status, headers, body, elapsed

    def json(self) -> Any:
        return json.loads(self.body)


def send(server: FakeKube9Server, path: str, body: bytes = b"", headers: dict[str, str | None] | None = None,
         method: str = "POST", timeout: float = 10, conn: http.client.HTTPConnection | None = None) -> Reply:
    """Sends one request; header value None removes a default header."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    start = time.monotonic()
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        final = {k: v for k, v in (headers or {}).items() if v is not None}
        for k, v in final.items():
            conn.putheader(k, v)
        if "Transfer-Encoding" not in final:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, time.monotonic() - start)
    finally:
        if own:
            conn.close()


def base_headers(key: str) -> dict[str, str | None]:
    return {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "User-Agent": f"kube9-operator/{VERSION}",
    }


def register_doc(**changes: Any) -> dict:
    doc = {
        "operatorVersion": VERSION,
        "clusterIdentifier": IDENT,
        "kubernetesVersion": "v1.35.4",
        "approximateNodeCount": 3,
    }
    doc.update(changes)
    return doc


def register(server: FakeKube9Server, doc: Any = None, headers: dict | None = None, raw: bytes | None = None,
             **kw: Any) -> Reply:
    h = base_headers(server.api_key)
    h.update(headers or {})
    body = raw if raw is not None else json.dumps(register_doc() if doc is None else doc).encode()
    return send(server, REGISTER_PATH, body, h, **kw)


def new_collection_id() -> str:
    return "coll_" + secrets.token_hex(16)


def envelope(type_: str = "cluster-metadata", cid: str | None = None, cls: str = CLS, **data: Any) -> dict:
    payload = {"timestamp": NOW, "collectionId": cid or new_collection_id(), "clusterId": cls}
    if type_ == "metrics-batch":
        payload["samples"] = [{"t": NOW, "name": "kube9_health_score", "value": 97}]
    payload.update(data)
    return {
        "version": "v1.0.0",
        "type": type_,
        "data": payload,
        "sanitization": {"rulesApplied": ["drop-object-names", "hash-namespaces"], "timestamp": NOW},
    }


def collect(server: FakeKube9Server, doc: Any = None, headers: dict | None = None, raw: bytes | None = None,
            compress: bool = True, idempotency_key: str | None = "from-doc", **kw: Any) -> Reply:
    """POSTs a collection: `doc` (default a valid cluster-metadata envelope), gzip-compressed,
    with Idempotency-Key = data.collectionId unless told otherwise."""
    doc = envelope() if doc is None and raw is None else doc
    body = raw if raw is not None else json.dumps(doc).encode()
    h = base_headers(server.api_key)
    if compress:
        body = gzip.compress(body)
        h["Content-Encoding"] = "gzip"
    if idempotency_key == "from-doc":
        idempotency_key = doc["data"]["collectionId"] if isinstance(doc, dict) and isinstance(doc.get("data"), dict) else None
    if idempotency_key is not None:
        h["Idempotency-Key"] = idempotency_key
    h.update(headers or {})
    return send(server, COLLECTIONS_PATH, body, h, **kw)


@pytest.fixture
def server(kube9_server: FakeKube9Server) -> FakeKube9Server:
    """The conftest fixture, with metrics enabled and the test cluster registered."""
    kube9_server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    reply = register(kube9_server)
    assert reply.status == 200, reply.body
    return kube9_server


def assert_error_shape(reply: Reply) -> dict:
    assert reply.headers.get("content-type") == "application/json", reply.headers
    doc = reply.json()
    assert set(doc) == {"error", "code", "message"}, doc
    assert all(isinstance(doc[k], str) and doc[k] for k in doc), doc
    return doc


# --- well-formed requests are accepted -----------------------------------------------------------


def test_register_then_reregister(kube9_server):
    kube9_server.configure(metrics_enabled=True, metrics_interval_seconds=5, status_update_interval_seconds=30)
    first = register(kube9_server)
    assert first.status == 200, first.body
    doc = first.json()
    assert doc == {
        "status": "registered",
        "clusterId": CLS,
        "tier": "pro",
        "configuration": {
            "statusUpdateIntervalSeconds": 30,
            "reregistrationIntervalHours": 24,
            "metricsEnabled": True,
            "metricsIntervalSeconds": 5,
        },
        "message": doc["message"],
    }
    assert isinstance(doc["message"], str)
    kube9_server.configure(assigned_cluster_id="cls_" + "ab" * 16)
    second = register(kube9_server)
    assert second.status == 200 and second.json()["status"] == "reregistered", second.body
    assert second.json()["clusterId"] == "cls_" + "ab" * 16
    assert [r.outcome for r in kube9_server.registrations()] == ["registered", "reregistered"]
    assert len(kube9_server.successful_registrations()) == 2
    assert kube9_server.registered_cluster_identifiers() == [IDENT]
    assert kube9_server.violations == []
    rec = kube9_server.registrations()[0]
    assert rec.json == register_doc() and rec.api_key == kube9_server.api_key
    assert rec.headers["user-agent"] == f"kube9-operator/{VERSION}"
    assert rec.time <= time.time() and rec.status == 200


@pytest.mark.parametrize("variant", ["gzip", "charset", "prerelease", "zero-nodes", "chunked"])
def test_register_accepts_well_formed_variants(kube9_server, variant):
    headers: dict[str, str] = {}
    doc = register_doc()
    raw = None
    if variant == "gzip":
        raw = gzip.compress(json.dumps(doc).encode())
        headers["Content-Encoding"] = "gzip"
    elif variant == "charset":
        headers["Content-Type"] = "application/json; charset=utf-8"
    elif variant == "prerelease":
        doc = register_doc(operatorVersion="1.2.3-rc.1+g1234abc")
        headers["User-Agent"] = "kube9-operator/1.2.3-rc.1+g1234abc"
    elif variant == "zero-nodes":
        doc = register_doc(approximateNodeCount=0, kubernetesVersion="v1.31.2-eks-1234")
    elif variant == "chunked":
        body = json.dumps(doc).encode()
        raw = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
        headers["Transfer-Encoding"] = "chunked"
    reply = register(kube9_server, doc, headers=headers, raw=raw)
    assert reply.status == 200, (reply.status, reply.body)
    assert kube9_server.violations == []
    assert kube9_server.registrations()[-1].json == doc


def test_every_collection_type_is_accepted_and_recorded(server):
    ids = {}
    for t in COLLECTION_TYPES:
        doc = envelope(t)
        reply = collect(server, doc)
        assert reply.status == 200, (t, reply.body)
        assert reply.json() == {"status": "accepted", "collectionId": doc["data"]["collectionId"]}
        ids[t] = doc["data"]["collectionId"]
    # Fractional seconds of any precision and +00:00 are RFC 3339 UTC too.
    doc = envelope("resource-inventory", timestamp="2026-11-27T10:00:00.123456789+00:00")
    doc["sanitization"]["timestamp"] = "2026-11-27T10:00:00Z"
    assert collect(server, doc).status == 200
    assert server.violations == []
    assert server.collection_ids() == set(ids.values()) | {doc["data"]["collectionId"]}
    for t in COLLECTION_TYPES:
        recs = server.collections(t)
        assert [r.collection_id for r in recs][:1] == [ids[t]], t
        assert recs[0].type == t and recs[0].json["type"] == t
        assert recs[0].raw_body[:2] == b"\x1f\x8b" and json.loads(recs[0].body) == recs[0].json
        assert recs[0].idempotency_key == ids[t]
    assert server.duplicates == []


def test_duplicate_idempotency_key_is_accepted_and_counted(server):
    doc = envelope("resource-inventory")
    assert collect(server, doc).status == 200
    again = collect(server, doc)
    assert again.status == 200 and again.json()["status"] == "duplicate", again.body
    assert server.duplicates == [doc["data"]["collectionId"]]
    assert server.violations == []
    assert len(server.collections("resource-inventory")) == 2
    assert server.collection_ids() == {doc["data"]["collectionId"]}


# --- malformed requests are rejected and recorded -------------------------------------------------

# (id, how to send it, expected status). Each sender gets the server, registered, with metrics
# enabled.
Sender = Callable[[FakeKube9Server], Reply]


def _h(**changes: str | None) -> dict:
    return {k.replace("_", "-"): v for k, v in changes.items()}


MALFORMED_REGISTER: list[tuple[str, Sender, int]] = [
    ("no-authorization", lambda s: register(s, headers={"Authorization": None}), 401),
    ("basic-auth", lambda s: register(s, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401),
    ("bearer-without-key", lambda s: register(s, headers={"Authorization": "Bearer "}), 401),
    ("lowercase-bearer", lambda s: register(s, headers={"Authorization": f"bearer {s.api_key}"}), 401),
    ("no-content-type", lambda s: register(s, headers={"Content-Type": None}), 400),
    ("text-plain", lambda s: register(s, headers={"Content-Type": "text/plain"}), 400),
    ("form-content-type", lambda s: register(s, headers={"Content-Type": "application/x-www-form-urlencoded"}), 400),
    ("no-user-agent", lambda s: register(s, headers={"User-Agent": None}), 400),
    ("foreign-user-agent", lambda s: register(s, headers={"User-Agent": "curl/8.5.0"}), 400),
    ("user-agent-not-semver", lambda s: register(s, headers={"User-Agent": "kube9-operator/1.2"}), 400),
    ("user-agent-extra-token", lambda s: register(s, headers={"User-Agent": f"kube9-operator/{VERSION} libcurl/8"}), 400),
    ("user-agent-version-mismatch", lambda s: register(s, headers={"User-Agent": "kube9-operator/9.9.9"}), 400),
    ("get", lambda s: register(s, method="GET"), 405),
    ("put", lambda s: register(s, method="PUT"), 405),
    ("unknown-path", lambda s: send(s, "/v1/operator/registration", json.dumps(register_doc()).encode(),
                                    base_headers(s.api_key)), 404),
    ("query-string", lambda s: send(s, REGISTER_PATH + "?force=1", json.dumps(register_doc()).encode(),
                                    base_headers(s.api_key)), 400),
    ("extra-field", lambda s: register(s, register_doc(clusterName="prod-eu")), 400),
    ("missing-field", lambda s: register(s, {k: v for k, v in register_doc().items() if k != "kubernetesVersion"}), 400),
    ("node-count-bool", lambda s: register(s, register_doc(approximateNodeCount=True)), 400),
    ("node-count-negative", lambda s: register(s, register_doc(approximateNodeCount=-1)), 400),
    ("node-count-float", lambda s: register(s, register_doc(approximateNodeCount=3.0)), 400),
    ("node-count-string", lambda s: register(s, register_doc(approximateNodeCount="3")), 400),
    ("node-count-null", lambda s: register(s, register_doc(approximateNodeCount=None)), 400),
    ("identifier-uppercase", lambda s: register(s, register_doc(clusterIdentifier=IDENT.upper().replace("SHA256", "sha256"))), 400),
    ("identifier-short", lambda s: register(s, register_doc(clusterIdentifier=IDENT[:-1])), 400),
    ("identifier-no-prefix", lambda s: register(s, register_doc(clusterIdentifier=IDENT[7:])), 400),
    ("identifier-sha1", lambda s: register(s, register_doc(clusterIdentifier="sha1:" + "a" * 40)), 400),
    ("k8s-version-without-v", lambda s: register(s, register_doc(kubernetesVersion="1.35.4")), 400),
    ("k8s-version-number", lambda s: register(s, register_doc(kubernetesVersion=135)), 400),
    ("operator-version-v-prefix", lambda s: register(s, register_doc(operatorVersion="v" + VERSION),
                                                     headers={"User-Agent": f"kube9-operator/v{VERSION}"}), 400),
    ("operator-version-number", lambda s: register(s, register_doc(operatorVersion=1)), 400),
    ("array-body", lambda s: register(s, [register_doc()]), 400),
    ("invalid-json", lambda s: register(s, raw=b'{"operatorVersion": "0.3.1",'), 400),
    ("empty-body", lambda s: register(s, raw=b""), 400),
    ("nan", lambda s: register(s, raw=json.dumps(register_doc(approximateNodeCount=float("nan"))).encode()), 400),
    ("duplicate-key", lambda s: register(s, raw=json.dumps(register_doc()).encode()[:-1] + b', "approximateNodeCount": 4}'), 400),
    ("latin1-body", lambda s: register(s, raw=json.dumps(register_doc(kubernetesVersion="v1\u00e9"), ensure_ascii=False).encode("latin-1")), 400),
    ("brotli-encoding", lambda s: register(s, headers={"Content-Encoding": "br"}), 400),
    ("gzip-header-plain-body", lambda s: register(s, headers={"Content-Encoding": "gzip"}), 400),
]


def _metrics_batch_without_metrics(s: FakeKube9Server) -> Reply:
    s.configure(metrics_enabled=False)
    assert register(s).status == 200  # the answer now says metricsEnabled: false
    return collect(s, envelope("metrics-batch"))


def _unregistered_cluster(s: FakeKube9Server) -> Reply:
    return collect(s, envelope(cls=cluster_id_for(OTHER_IDENT)))


def _with(doc_change: Callable[[dict], None], type_: str = "cluster-metadata", **kw: Any) -> Sender:
    def sender(s: FakeKube9Server) -> Reply:
        doc = envelope(type_)
        cid = doc["data"]["collectionId"]
        doc_change(doc)
        return collect(s, doc, idempotency_key=kw.pop("idempotency_key", cid), **kw)
    return sender


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        obj = doc
        for p in parents:
            obj = obj[p]
        obj[last] = value
    return change


def _delete(path: str) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        obj = doc
        for p in parents:
            obj = obj[p]
        del obj[last]
    return change


MALFORMED_COLLECTIONS: list[tuple[str, Sender, int]] = [
    ("no-authorization", lambda s: collect(s, headers={"Authorization": None}), 401),
    ("basic-auth", lambda s: collect(s, headers={"Authorization": f"Basic {s.api_key}"}), 401),
    ("two-authorization-headers", lambda s: _two_auth(s), 400),
    ("not-gzip", lambda s: collect(s, compress=False), 400),
    ("gzip-header-plain-body", lambda s: collect(s, compress=False, headers={"Content-Encoding": "gzip"}), 400),
    ("deflate", lambda s: collect(s, headers={"Content-Encoding": "deflate"}), 400),
    ("truncated-gzip", lambda s: send(s, COLLECTIONS_PATH, gzip.compress(json.dumps(envelope()).encode())[:-9],
                                      {**base_headers(s.api_key), "Content-Encoding": "gzip",
                                       "Idempotency-Key": new_collection_id()}), 400),
    ("gzip-of-non-json", lambda s: collect(s, raw=b"type=cluster-metadata", idempotency_key=new_collection_id()), 400),
    ("gzip-of-array", lambda s: collect(s, [envelope()], idempotency_key=new_collection_id()), 400),
    ("wrong-content-type", lambda s: collect(s, headers={"Content-Type": "application/gzip"}), 400),
    ("no-user-agent", lambda s: collect(s, headers={"User-Agent": None}), 400),
    ("foreign-user-agent", lambda s: collect(s, headers={"User-Agent": "Go-http-client/1.1"}), 400),
    ("get", lambda s: collect(s, method="GET"), 405),
    ("unknown-path", lambda s: send(s, "/v1/collection", gzip.compress(json.dumps(envelope()).encode()),
                                    {**base_headers(s.api_key), "Content-Encoding": "gzip"}), 404),
    ("version-v1.0.1", _with(_set("version", "v1.0.1")), 400),
    ("version-without-v", _with(_set("version", "1.0.0")), 400),
    ("no-version", _with(_delete("version")), 400),
    ("extra-top-level-key", _with(_set("clusterName", "prod")), 400),
    ("unknown-type", _with(_set("type", "pod-list")), 400),
    ("no-type", _with(_delete("type")), 400),
    ("data-not-object", _with(_set("data", [1, 2])), 400),
    ("no-sanitization", _with(_delete("sanitization")), 400),
    ("sanitization-not-object", _with(_set("sanitization", ["hash-namespaces"])), 400),
    ("rules-empty", _with(_set("sanitization.rulesApplied", [])), 400),
    ("rules-not-strings", _with(_set("sanitization.rulesApplied", ["hash-namespaces", 3])), 400),
    ("rules-empty-string", _with(_set("sanitization.rulesApplied", [""])), 400),
    ("rules-string", _with(_set("sanitization.rulesApplied", "hash-namespaces")), 400),
    ("sanitization-extra-key", _with(_set("sanitization.by", "kube9")), 400),
    ("sanitization-no-timestamp", _with(_delete("sanitization.timestamp")), 400),
    ("sanitization-timestamp-local", _with(_set("sanitization.timestamp", "2026-11-27T11:00:00+01:00")), 400),
    ("data-timestamp-offset", _with(_set("data.timestamp", "2026-11-27T12:00:00+02:00")), 400),
    ("data-timestamp-space", _with(_set("data.timestamp", "2026-11-27 10:00:00Z")), 400),
    ("data-timestamp-no-zone", _with(_set("data.timestamp", "2026-11-27T10:00:00")), 400),
    ("data-timestamp-month-13", _with(_set("data.timestamp", "2026-13-27T10:00:00Z")), 400),
    ("data-timestamp-epoch", _with(_set("data.timestamp", 1795600000)), 400),
    ("data-no-timestamp", _with(_delete("data.timestamp")), 400),
    ("collection-id-short", _with(_set("data.collectionId", "coll_" + "a" * 31), idempotency_key="coll_" + "a" * 31), 400),
    ("collection-id-uppercase", _with(_set("data.collectionId", "coll_" + "A" * 32), idempotency_key="coll_" + "A" * 32), 400),
    ("collection-id-prefix", _with(_set("data.collectionId", "col_" + "a" * 32), idempotency_key="col_" + "a" * 32), 400),
    ("collection-id-uuid", _with(_set("data.collectionId", "coll_8c6b1a4e-0b1d-4c5e-9f3a-1d2e3f4a5b6c"),
                                 idempotency_key="coll_8c6b1a4e-0b1d-4c5e-9f3a-1d2e3f4a5b6c"), 400),
    ("no-collection-id", _with(_delete("data.collectionId"), idempotency_key=new_collection_id()), 400),
    ("no-idempotency-key", _with(lambda d: None, idempotency_key=None), 400),
    ("mismatched-idempotency-key", _with(lambda d: None, idempotency_key=new_collection_id()), 400),
    ("cluster-id-format", _with(_set("data.clusterId", "cls_" + "g" * 32)), 400),
    ("cluster-id-full-hash", _with(_set("data.clusterId", "cls_" + IDENT[7:])), 400),
    ("cluster-id-last-32-hex", _with(_set("data.clusterId", "cls_" + IDENT[-32:])), 400),
    ("no-cluster-id", _with(_delete("data.clusterId")), 400),
    ("unregistered-cluster", _unregistered_cluster, 400),
    ("metrics-batch-without-metrics-enabled", _metrics_batch_without_metrics, 400),
    ("duplicate-envelope-key", lambda s: collect(
        s, raw=json.dumps(d := envelope()).encode()[:-1] + b', "type": "metrics-batch"}',
        idempotency_key=d["data"]["collectionId"]), 400),
]


def _two_auth(s: FakeKube9Server) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    doc = envelope()
    body = gzip.compress(json.dumps(doc).encode())
    try:
        conn.putrequest("POST", COLLECTIONS_PATH, skip_accept_encoding=True)
        for k, v in [*base_headers(s.api_key).items(), ("Authorization", f"Bearer {s.api_key}"),
                     ("Content-Encoding", "gzip"), ("Idempotency-Key", doc["data"]["collectionId"]),
                     ("Content-Length", str(len(body)))]:
            conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read(), 0)
    finally:
        conn.close()


@pytest.mark.parametrize("sender,expected", [(s, e) for _, s, e in MALFORMED_REGISTER],
                         ids=[i for i, _, _ in MALFORMED_REGISTER])
def test_malformed_registration_is_rejected_and_recorded(server, sender, expected):
    registrations_before = len(server.registrations())
    reply = sender(server)
    assert reply.status == expected, (reply.status, reply.body)
    error = assert_error_shape(reply)
    violations = server.violations
    assert violations, "the malformed request was not recorded as a violation"
    rec = server.requests()[-1]
    assert rec.violations and rec.outcome == "invalid" and rec.status == expected, rec.describe()
    assert all(v.startswith(f"#{rec.seq} ") for v in violations), violations
    assert error["message"] == "; ".join(rec.violations)
    assert len(server.registrations()) <= registrations_before + 1
    assert not server.successful_registrations()[registrations_before:], "a malformed registration succeeded"


@pytest.mark.parametrize("sender,expected", [(s, e) for _, s, e in MALFORMED_COLLECTIONS],
                         ids=[i for i, _, _ in MALFORMED_COLLECTIONS])
def test_malformed_collection_is_rejected_and_recorded(server, sender, expected):
    reply = sender(server)
    assert reply.status == expected, (reply.status, reply.body)
    assert_error_shape(reply)
    assert server.violations, "the malformed request was not recorded as a violation"
    rec = server.requests()[-1]
    assert rec.violations and rec.outcome == "invalid" and rec.status == expected, rec.describe()
    assert server.collection_ids() == set(), "a malformed collection was accepted"


def test_every_malformed_case_was_valid_before_the_change(server):
    """Guards the tables above: the well-formed request each case starts from is accepted, so
    each rejection is due to the one change the case makes."""
    assert register(server).status == 200
    for t in COLLECTION_TYPES:
        assert collect(server, envelope(t)).status == 200, t
    assert server.violations == []


def test_collection_before_any_registration_is_a_violation(kube9_server):
    reply = collect(kube9_server)
    assert reply.status == 400, reply.body
    assert any("registered" in v for v in kube9_server.violations), kube9_server.violations


def test_unknown_key_is_401_but_not_a_violation(server):
    good = server.api_key
    reply = register(server, headers={"Authorization": "Bearer not-the-key"})
    assert reply.status == 401 and assert_error_shape(reply)["code"], reply.body
    reply = collect(server, headers={"Authorization": "Bearer not-the-key"})
    assert reply.status == 401, reply.body
    assert server.violations == []
    assert [r.outcome for r in server.auth_failures] == ["unauthorized", "unauthorized"]
    assert server.auth_failures[0].api_key == "not-the-key"
    assert server.collection_ids() == set()
    # An unknown key with a malformed body: both the 401-worthy key and the violation show.
    reply = collect(server, envelope(cls="cls_bad"), headers={"Authorization": "Bearer not-the-key"})
    assert reply.status == 400 and server.violations, reply.body
    assert server.api_key == good


def test_accepted_keys_change_at_run_time(server):
    old = server.api_key
    new = "k9_" + secrets.token_hex(16)
    server.set_api_keys([new])
    assert register(server).status == 200  # server.api_key is now the new key
    assert register(server, headers={"Authorization": f"Bearer {old}"}).status == 401
    server.add_api_key(old)
    assert register(server, headers={"Authorization": f"Bearer {old}"}).status == 200
    server.revoke_api_key(new)
    assert server.api_keys == [old]
    assert register(server, headers={"Authorization": f"Bearer {new}"}).status == 401
    assert server.violations == []


def test_max_body_bytes_answers_413_without_violation(server):
    server.configure(max_body_bytes=64)
    reply = collect(server, envelope("metrics-batch", samples=[{"n": i, "pad": "x" * 50} for i in range(50)]))
    assert reply.status == 413 and assert_error_shape(reply)["code"] == "PAYLOAD_TOO_LARGE", reply.body
    assert server.requests()[-1].outcome == "too_large"
    assert server.violations == [] and server.collection_ids() == set()
    server.configure(max_body_bytes=None)
    assert collect(server, envelope("metrics-batch")).status == 200


# --- scripted failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403, 413, 500, 503])
def test_fail_next_answers_the_scripted_status_once(server, status):
    server.fail_next(COLLECTIONS_PATH, status)
    doc = envelope()
    first = collect(server, doc)
    assert first.status == status and assert_error_shape(first), first.body
    assert server.requests()[-1].outcome == "scripted"
    assert server.collection_ids() == set(), "a scripted failure must not count as accepted"
    second = collect(server, doc)
    assert second.status == 200 and second.json()["status"] == "accepted", second.body
    assert server.duplicates == [] and server.violations == []
    assert server.pending_scripts() == 0


def test_rate_limit_with_retry_after_and_custom_answers(server):
    server.rate_limit_next(REGISTER_PATH, 7)
    reply = register(server)
    assert reply.status == 429 and reply.headers.get("retry-after") == "7", (reply.status, reply.headers)
    assert assert_error_shape(reply)["code"] == "RATE_LIMITED"
    server.fail_next(REGISTER_PATH, 200, body=b"<html>not json</html>", headers={"Content-Type": "text/html"})
    reply = register(server)
    assert (reply.status, reply.body, reply.headers["content-type"]) == (200, b"<html>not json</html>", "text/html")
    server.fail_next(REGISTER_PATH, 500, n=2, body={"error": "Internal Server Error", "code": "X", "message": "boom",
                                                    "details": {"retryable": True}})
    assert [register(server).status for _ in range(3)] == [500, 500, 200]
    assert server.violations == []


def test_scripted_register_answer_changes_no_state(kube9_server):
    kube9_server.fail_next(REGISTER_PATH, 200, body={"status": "registered", "clusterId": "cls_x", "tier": "pro",
                                                     "configuration": {}})
    assert register(kube9_server).status == 200
    assert kube9_server.registered_cluster_identifiers() == []
    assert collect(kube9_server).status == 400  # nothing is registered for real


def test_scripts_match_by_type_and_predicate_and_skip_invalid_requests(server):
    server.fail_next(COLLECTIONS_PATH, 413, type="metrics-batch",
                     match=lambda r: len(r.data.get("samples", [])) >= 2)
    assert collect(server, envelope("cluster-metadata")).status == 200
    assert collect(server, envelope("metrics-batch")).status == 200  # one sample: no match
    assert collect(server, envelope("metrics-batch", samples=[1, 2]), headers={"User-Agent": "x"}).status == 400
    assert server.pending_scripts(COLLECTIONS_PATH) == 1, "an invalid request consumed the script"
    big = envelope("metrics-batch", samples=[{"v": 1}, {"v": 2}])
    assert collect(server, big).status == 413
    assert server.pending_scripts() == 0
    assert collect(server, big).status == 200
    assert server.collections("metrics-batch", status=413)[0].collection_id == big["data"]["collectionId"]
    assert len(server.collections(status=None)) == 5


def test_drop_next_closes_the_connection_without_an_answer(server):
    server.drop_next(COLLECTIONS_PATH)
    doc = envelope()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine)):
        collect(server, doc)
    rec = server.requests()[-1]
    assert rec.status is None and rec.outcome == "dropped" and rec.collection_id == doc["data"]["collectionId"]
    assert server.collection_ids() == set()
    assert collect(server, doc).status == 200
    assert server.violations == []


def test_slow_answers_and_concurrent_requests(server):
    server.slow(1.0)
    reply = register(server)
    assert reply.status == 200 and reply.elapsed >= 0.95, reply.elapsed
    server.slow(0)
    assert register(server).elapsed < 0.5

    # One answer held for 2 s does not hold up another request (threaded server).
    server.fail_next(COLLECTIONS_PATH, 500, delay=2.0, type="resource-inventory")
    held: list[Reply] = []
    t = threading.Thread(target=lambda: held.append(collect(server, envelope("resource-inventory"))))
    t.start()
    server.wait_for(lambda: server.collections("resource-inventory", status=500), 5, "the held request")
    quick = collect(server, envelope("cluster-metadata"))
    assert quick.status == 200 and quick.elapsed < 1.0, quick.elapsed
    t.join(10)
    assert held and held[0].status == 500 and held[0].elapsed >= 1.9, held and held[0].elapsed


def test_stop_closes_the_port_and_start_reopens_the_same_port(server):
    port, url = server.port, server.url
    keep_alive = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    assert register(server, conn=keep_alive).status == 200  # connection kept open
    server.stop()
    assert not server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, BrokenPipeError, http.client.BadStatusLine)):
        register(server, conn=keep_alive)  # the open connection was cut, not served while down
    keep_alive.close()
    server.start()
    assert server.port == port and server.url == url and server.running
    reply = register(server)
    assert reply.status == 200 and reply.json()["status"] == "reregistered", reply.body
    assert collect(server).status == 200
    assert len(server.successful_registrations()) == 3 and server.violations == []


def test_stop_while_an_answer_is_held_sends_no_answer(server):
    server.slow(5)
    errors: list[BaseException] = []

    def call():
        try:
            collect(server)
        except (OSError, http.client.HTTPException) as e:
            errors.append(e)

    t = threading.Thread(target=call)
    t.start()
    server.wait_for(lambda: server.collections(), 5, "the held collection")
    started = time.monotonic()
    server.stop()
    t.join(10)
    assert errors and time.monotonic() - started < 3, errors
    server.slow(0)
    server.start()
    assert register(server).status == 200


def test_wait_for_returns_the_value_or_fails_with_a_summary(server):
    threading.Timer(0.3, lambda: collect(server, envelope("resource-inventory"))).start()
    recs = server.wait_for(lambda: server.collections("resource-inventory"), 5, "a resource-inventory")
    assert len(recs) == 1
    with pytest.raises(AssertionError) as info:
        server.wait_for(lambda: server.collections("metrics-batch"), 0.3, "a metrics-batch")
    text = str(info.value)
    assert "a metrics-batch" in text and "/v1/collections resource-inventory" in text, text


def test_validate_collection_envelope_is_usable_alone():
    assert validate_collection_envelope(envelope("resource-inventory")) == []
    bad = envelope("resource-inventory")
    bad["extra"] = 1
    bad["sanitization"]["rulesApplied"] = []
    problems = validate_collection_envelope(bad)
    assert len(problems) == 2, problems
