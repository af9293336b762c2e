"""A fake kube9-server for the integration suite (docs/PRODUCT.md §5, docs/TESTING.md).

kube9-server's implementation is not public; PRODUCT.md §5 is the contract. This server holds
the operator to it: every request is validated strictly, everything received is recorded, and a
test can script failures (401, 403, 413, 429 with Retry-After, 500, slow answers, dropped
connections, the server going down and coming back on the same port).

Python 3 standard library only. It runs in the test process, on 127.0.0.1:

    server = FakeKube9Server(api_keys=["k9-key"], metrics_enabled=True, metrics_interval_seconds=1)
    server.start()                       # ephemeral port unless port= is given; server.url
    ...                                  # run the operator with --server-url=server.url
    server.wait_for(lambda: server.collections("cluster-metadata"), 20, "a cluster-metadata")
    assert server.violations == []
    server.stop()

TLS mode (optional): `FakeKube9Server(tls=(certfile, keyfile))` serves HTTPS with that PEM
certificate chain and key; `url` is then `https://host:port` and stop()/start() keep the port.
The handshake runs in the connection's own thread; a failed one (the client rejected the
certificate, or spoke plain HTTP) is recorded in `tls_failures`, never as a request.

What a request must look like (anything else is answered 400, 401, 404 or 405 with a JSON error
`{"error", "code", "message"}` and recorded in `violations`):

- `POST /v1/operator/register` or `POST /v1/collections`, no query string, a Host header;
- exactly one `Authorization: Bearer <key>` (a key that is well-formed but not accepted is a
  plain 401, recorded in `auth_failures`, not a violation: tests use wrong keys on purpose);
- `Content-Type: application/json` (an optional `charset=utf-8` parameter is allowed);
- `User-Agent: kube9-operator/<semver>`;
- the body is UTF-8 JSON without duplicate keys, NaN or Infinity;
- register: the object has exactly `operatorVersion` (semver, equal to the User-Agent's
  version), `clusterIdentifier` (`sha256:` + 64 lowercase hex), `kubernetesVersion` (a string
  starting with `v`) and `approximateNodeCount` (a non-negative integer, not a boolean). The
  contract does not say whether it is compressed: identity and gzip are both accepted;
- collections: `Content-Encoding: gzip`, a body that gunzips to the envelope
  `{"version": "v1.0.0", "type", "data", "sanitization": {"rulesApplied", "timestamp"}}`
  with no other key; `type` one of COLLECTION_TYPES; `data` an object with `timestamp`
  (RFC 3339 UTC), `collectionId` (`coll_` + 32 lowercase hex, equal to the `Idempotency-Key`
  header) and `clusterId` (`cls_` + 32 lowercase hex); `sanitization.rulesApplied` a non-empty
  list of non-empty strings and `sanitization.timestamp` RFC 3339 UTC. With an accepted key,
  also: `clusterId` is `cls_` + the first 32 hex of a clusterIdentifier that registered
  successfully, and a `metrics-batch` is only accepted when the last registration of that
  cluster was answered `metricsEnabled: true`.

A valid collection is answered 200; a collectionId accepted before is answered 200 again (the
idempotency key absorbs it) and listed in `duplicates`.

Scripted answers (`fail_next`, `drop_next`, ...) apply to valid, authenticated requests only, in
the order they were queued, and never change the server's state (a scripted 200 to a register
does not register anything).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import gzip
import http.server
import json
import re
import socket
import ssl
import threading
import time
import zlib
from collections import deque
from typing import Any, Callable, Iterable

REGISTER_PATH = "/v1/operator/register"
COLLECTIONS_PATH = "/v1/collections"
PATHS = (REGISTER_PATH, COLLECTIONS_PATH)
COLLECTION_TYPES = (
    "cluster-metadata",
    "resource-inventory",
    "resource-configuration-patterns",
    "metrics-batch",
)
ENVELOPE_VERSION = "v1.0.0"
ENVELOPE_KEYS = ("version", "type", "data", "sanitization")
REGISTER_KEYS = ("operatorVersion", "clusterIdentifier", "kubernetesVersion", "approximateNodeCount")

SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
USER_AGENT_RE = re.compile(r"^kube9-operator/(\S+)$")
BEARER_RE = re.compile(r"^Bearer ([\x21-\x7e]+)$")
CLUSTER_IDENTIFIER_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
COLLECTION_ID_RE = re.compile(r"^coll_[0-9a-f]{32}$")
CLUSTER_ID_RE = re.compile(r"^cls_[0-9a-f]{32}$")
RFC3339_UTC_RE = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,9})?(Z|\+00:00)$"
)

MAX_REQUEST_BYTES = 64 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

_REASONS = {
    400: ("Bad Request", "INVALID_REQUEST"),
    401: ("Unauthorized", "INVALID_API_KEY"),
    403: ("Forbidden", "FORBIDDEN"),
    404: ("Not Found", "NOT_FOUND"),
    405: ("Method Not Allowed", "METHOD_NOT_ALLOWED"),
    408: ("Request Timeout", "REQUEST_TIMEOUT"),
    413: ("Payload Too Large", "PAYLOAD_TOO_LARGE"),
    429: ("Too Many Requests", "RATE_LIMITED"),
    500: ("Internal Server Error", "INTERNAL_ERROR"),
    502: ("Bad Gateway", "BAD_GATEWAY"),
    503: ("Service Unavailable", "SERVICE_UNAVAILABLE"),
    504: ("Gateway Timeout", "GATEWAY_TIMEOUT"),
}


def error_body(status: int, message: str) -> dict:
    """The contract's error shape: {"error", "code", "message"}."""
    error, code = _REASONS.get(status, (f"HTTP {status}", f"HTTP_{status}"))
    return {"error": error, "code": code, "message": message}


def cluster_id_for(cluster_identifier: str) -> str:
    """`cls_` + the first 32 hex of a `sha256:<64 hex>` cluster identifier."""
    return "cls_" + cluster_identifier[len("sha256:"):][:32]


# --- validation (pure functions, usable on their own, e.g. on `collect --dry-run` output) ------


def parse_rfc3339_utc(value: Any) -> _dt.datetime | None:
    """The instant of an RFC 3339 UTC timestamp (`Z` or `+00:00`), or None when it is not one."""
    if not isinstance(value, str):
        return None
    m = RFC3339_UTC_RE.match(value)
    if not m:
        return None
    try:
        return _dt.datetime(*(int(m.group(i)) for i in range(1, 7)), tzinfo=_dt.timezone.utc)
    except ValueError:  # month 13, February 30, second 60, ...
        return None


def strict_json(text: bytes) -> tuple[Any, str | None]:
    """(document, None) or (None, problem): UTF-8 only, no duplicate keys, no NaN/Infinity."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, f"body is not UTF-8: {e}"
    if decoded.startswith("\ufeff"):
        return None, "body starts with a byte order mark"

    duplicates: list[str] = []

    def pairs_hook(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                duplicates.append(k)
            seen.add(k)
        return dict(pairs)

    def bad_constant(name):
        raise ValueError(f"{name} is not JSON")

    try:
        doc = json.loads(decoded, object_pairs_hook=pairs_hook, parse_constant=bad_constant)
    except ValueError as e:
        return None, f"body is not JSON: {e}"
    if duplicates:
        return None, f"duplicate JSON keys: {sorted(set(duplicates))}"
    return doc, None


def _is_int(value: Any) -> bool:
    return type(value) is int  # bool is a subclass of int: excluded on purpose


def _exact_keys(obj: dict, expected: Iterable[str], where: str) -> list[str]:
    problems = []
    expected = list(expected)
    missing = [k for k in expected if k not in obj]
    extra = sorted(k for k in obj if k not in expected)
    if missing:
        problems.append(f"{where}: missing keys {missing}")
    if extra:
        problems.append(f"{where}: unexpected keys {extra}")
    return problems


def validate_register_body(doc: Any, user_agent_version: str | None = None) -> list[str]:
    """Problems of a registration body (empty when valid)."""
    if not isinstance(doc, dict):
        return [f"register body is not a JSON object: {type(doc).__name__}"]
    problems = _exact_keys(doc, REGISTER_KEYS, "register body")
    v = doc.get("operatorVersion")
    if "operatorVersion" in doc and not (isinstance(v, str) and SEMVER_RE.match(v)):
        problems.append(f"operatorVersion is not a semver string: {v!r}")
    elif user_agent_version is not None and isinstance(v, str) and v != user_agent_version:
        problems.append(f"operatorVersion {v!r} differs from the User-Agent's version {user_agent_version!r}")
    ci = doc.get("clusterIdentifier")
    if "clusterIdentifier" in doc and not (isinstance(ci, str) and CLUSTER_IDENTIFIER_RE.match(ci)):
        problems.append(f"clusterIdentifier does not match {CLUSTER_IDENTIFIER_RE.pattern}: {ci!r}")
    kv = doc.get("kubernetesVersion")
    if "kubernetesVersion" in doc and not (isinstance(kv, str) and len(kv) > 1 and kv.startswith("v")):
        problems.append(f"kubernetesVersion is not a string starting with 'v': {kv!r}")
    n = doc.get("approximateNodeCount")
    if "approximateNodeCount" in doc and not (_is_int(n) and n >= 0):
        problems.append(f"approximateNodeCount is not a non-negative integer: {n!r}")
    return problems


def validate_collection_envelope(doc: Any, idempotency_key: str | None = None,
                                 check_idempotency_key: bool = False) -> list[str]:
    """Problems of a collection envelope (empty when valid). With check_idempotency_key, the
    header value `idempotency_key` must be present and equal data.collectionId."""
    if not isinstance(doc, dict):
        return [f"envelope is not a JSON object: {type(doc).__name__}"]
    problems = _exact_keys(doc, ENVELOPE_KEYS, "envelope")
    if "version" in doc and doc["version"] != ENVELOPE_VERSION:
        problems.append(f"envelope version is {doc['version']!r}, not {ENVELOPE_VERSION!r}")
    if "type" in doc and doc["type"] not in COLLECTION_TYPES:
        problems.append(f"unknown collection type {doc['type']!r}")
    data = doc.get("data")
    if "data" in doc:
        if not isinstance(data, dict):
            problems.append(f"data is not an object: {type(data).__name__}")
        else:
            for key in ("timestamp", "collectionId", "clusterId"):
                if key not in data:
                    problems.append(f"data.{key} is missing")
            if "timestamp" in data and parse_rfc3339_utc(data["timestamp"]) is None:
                problems.append(f"data.timestamp is not RFC 3339 UTC: {data['timestamp']!r}")
            cid = data.get("collectionId")
            if "collectionId" in data and not (isinstance(cid, str) and COLLECTION_ID_RE.match(cid)):
                problems.append(f"data.collectionId does not match {COLLECTION_ID_RE.pattern}: {cid!r}")
            cls = data.get("clusterId")
            if "clusterId" in data and not (isinstance(cls, str) and CLUSTER_ID_RE.match(cls)):
                problems.append(f"data.clusterId does not match {CLUSTER_ID_RE.pattern}: {cls!r}")
            if check_idempotency_key:
                if idempotency_key is None:
                    problems.append("Idempotency-Key header is missing")
                elif not COLLECTION_ID_RE.match(idempotency_key):
                    problems.append(f"Idempotency-Key does not match {COLLECTION_ID_RE.pattern}: {idempotency_key!r}")
                elif isinstance(cid, str) and idempotency_key != cid:
                    problems.append(f"Idempotency-Key {idempotency_key!r} differs from data.collectionId {cid!r}")
    san = doc.get("sanitization")
    if "sanitization" in doc:
        if not isinstance(san, dict):
            problems.append(f"sanitization is not an object: {type(san).__name__}")
        else:
            problems += _exact_keys(san, ("rulesApplied", "timestamp"), "sanitization")
            rules = san.get("rulesApplied")
            if "rulesApplied" in san and not (
                isinstance(rules, list) and rules and all(isinstance(r, str) and r for r in rules)
            ):
                problems.append(f"sanitization.rulesApplied is not a non-empty list of non-empty strings: {rules!r}")
            if "timestamp" in san and parse_rfc3339_utc(san["timestamp"]) is None:
                problems.append(f"sanitization.timestamp is not RFC 3339 UTC: {san['timestamp']!r}")
    return problems


# --- records -----------------------------------------------------------------------------------


@dataclasses.dataclass
class RecordedRequest:
    """One request as the server received it, and what it answered."""

    seq: int
    time: float  # wall clock (time.time()) when the request was read
    monotonic: float
    method: str
    target: str  # the request target as sent (path and query)
    path: str
    header_items: list[tuple[str, str]]  # as sent, in order
    headers: dict[str, str]  # lower-case names; the last value of a repeated header
    raw_body: bytes  # as on the wire (after chunked decoding)
    body: bytes | None  # decompressed, or None when it could not be
    json: Any  # parsed body, or None
    status: int | None = None  # None: the connection was dropped without an answer
    response: Any = None  # the JSON answered (or the raw bytes of a scripted non-JSON body)
    response_headers: dict[str, str] = dataclasses.field(default_factory=dict)
    outcome: str = ""  # registered, reregistered, accepted, duplicate, invalid, unauthorized,
    #                    too_large, scripted, dropped
    violations: list[str] = dataclasses.field(default_factory=list)
    api_key: str | None = None
    tls_version: str | None = None  # e.g. "TLSv1.3" in TLS mode, None over plain HTTP

    @property
    def type(self) -> str | None:
        return self.json.get("type") if isinstance(self.json, dict) and self.path == COLLECTIONS_PATH else None

    @property
    def data(self) -> Any:
        return self.json.get("data") if isinstance(self.json, dict) else None

    @property
    def collection_id(self) -> str | None:
        data = self.data
        return data.get("collectionId") if isinstance(data, dict) else None

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def text(self) -> str:
        """The decompressed body as text (raw body when it could not be decompressed)."""
        return (self.body if self.body is not None else self.raw_body).decode("utf-8", errors="replace")

    def describe(self) -> str:
        what = self.type or ""
        cid = self.collection_id or ""
        v = f" violations={self.violations}" if self.violations else ""
        return (f"#{self.seq} {self.method} {self.target} {what} {cid} -> "
                f"{self.status if self.status is not None else 'dropped'} {self.outcome}{v}")


@dataclasses.dataclass
class _Script:
    status: int
    remaining: int
    headers: dict[str, str]
    body: Any  # dict/list (sent as JSON), bytes/str (sent as is), None (the contract's error shape)
    drop: bool
    delay: float
    match: Callable[[RecordedRequest], bool] | None


# --- the HTTP server ---------------------------------------------------------------------------


class _HTTPServer(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server
    server_version = "fake-kube9-server/1.0"
    sys_version = ""

    def setup(self):
        super().setup()
        self.server.fake._track(self.connection, True)
        self.tls_error: BaseException | None = None
        if isinstance(self.connection, ssl.SSLSocket):
            # Here rather than in accept(): a client that stalls or fails the handshake holds
            # only its own thread. stop() cuts a handshake in progress (the socket is tracked).
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.tls_error = e
                self.server.fake._tls_failed(self.client_address, e)
            else:
                self.server.fake._tls_done()

    def handle(self):
        if self.tls_error is None:
            super().handle()

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._track(self.connection, False)

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        pass

    def _dispatch(self):
        self.server.fake._handle(self)

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class FakeKube9Server:
    """The fake server. Thread-safe; all helpers may be called while requests are served."""

    def __init__(
        self,
        api_keys: Iterable[str] = ("test-api-key",),
        port: int = 0,
        host: str = "127.0.0.1",
        metrics_enabled: bool = False,
        metrics_interval_seconds: int = 60,
        status_update_interval_seconds: int = 60,
        reregistration_interval_hours: int = 24,
        assigned_cluster_id: str | None = None,
        max_body_bytes: int | None = None,
        tls: tuple[str, str] | None = None,
    ):
        self.host = host
        # TLS mode: (certfile, keyfile), PEM. Loaded now, so that a bad pair fails here.
        self.tls = tuple(str(p) for p in tls) if tls is not None else None
        self._ssl_context: ssl.SSLContext | None = None
        if self.tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(self.tls[0], self.tls[1])
            self._ssl_context = ctx
        self._tls_failures: list[str] = []
        self._tls_handshakes = 0
        self._port = port
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._keys: list[str] = list(api_keys)
        self.metrics_enabled = metrics_enabled
        self.metrics_interval_seconds = metrics_interval_seconds
        self.status_update_interval_seconds = status_update_interval_seconds
        self.reregistration_interval_hours = reregistration_interval_hours
        # The clusterId answered to a registration; default: cls_ + 32 hex of the identifier.
        self.assigned_cluster_id = assigned_cluster_id
        # Collections whose body on the wire is bigger than this are answered 413.
        self.max_body_bytes = max_body_bytes
        self._records: list[RecordedRequest] = []
        self._violations: list[str] = []
        self._duplicates: list[str] = []
        self._accepted_ids: set[str] = set()
        self._registered: dict[str, dict] = {}  # clusterIdentifier -> configuration answered
        self._scripts: dict[str, deque[_Script]] = {p: deque() for p in PATHS}
        self._slow = 0.0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._generation = 0
        self._down = threading.Event()
        self._down.set()
        self._conns: set[socket.socket] = set()
        self._seq = 0

    # --- lifecycle

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.host}:{self._port}"

    @property
    def tls_failures(self) -> list[str]:
        """TLS mode: the handshakes that failed, as `client: error` strings, in order (e.g. the
        client aborted with an `unknown ca` alert because it does not trust the certificate)."""
        with self._lock:
            return list(self._tls_failures)

    @property
    def tls_handshakes(self) -> int:
        """TLS mode: how many handshakes completed (as the server sees it: a client that checks
        the host name after the handshake, as libcurl does, may still hang up without a request)."""
        with self._lock:
            return self._tls_handshakes

    @property
    def running(self) -> bool:
        with self._lock:
            return self._httpd is not None

    def start(self) -> "FakeKube9Server":
        """Starts listening: on an ephemeral port the first time (unless port= was given), on
        the same port after a stop()."""
        with self._lock:
            if self._httpd is not None:
                return self
        httpd = None
        deadline = time.monotonic() + 5
        while httpd is None:
            try:
                httpd = _HTTPServer((self.host, self._port), _Handler)
            except OSError:
                if self._port == 0 or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        httpd.fake = self  # type: ignore[attr-defined]
        if self._ssl_context is not None:
            # Accepted sockets are wrapped without a handshake; _Handler.setup() does it.
            httpd.socket = self._ssl_context.wrap_socket(httpd.socket, server_side=True,
                                                         do_handshake_on_connect=False)
        with self._lock:
            self._generation += 1
            httpd.generation = self._generation  # type: ignore[attr-defined]
            self._port = httpd.server_address[1]
            self._httpd = httpd
            self._down = threading.Event()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"fake-kube9-server:{self._port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Goes down: the port is closed, open connections are cut, answers being delayed are
        never sent. start() brings it back on the same port with every record kept."""
        with self._lock:
            httpd, self._httpd = self._httpd, None
            self._down.set()
            conns = list(self._conns)
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        if down_for:
            time.sleep(down_for)
        self.start()

    def __enter__(self) -> "FakeKube9Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _tls_done(self) -> None:
        with self._lock:
            self._tls_handshakes += 1
            self._cond.notify_all()

    def _tls_failed(self, client: Any, error: BaseException) -> None:
        with self._lock:
            self._tls_failures.append(f"{client}: {error}")
            self._cond.notify_all()

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # --- configuration at run time

    @property
    def api_key(self) -> str | None:
        """The first accepted key (the one tests usually give the operator)."""
        with self._lock:
            return self._keys[0] if self._keys else None

    @property
    def api_keys(self) -> list[str]:
        with self._lock:
            return list(self._keys)

    def set_api_keys(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._keys = list(keys)

    def add_api_key(self, key: str) -> None:
        with self._lock:
            if key not in self._keys:
                self._keys.append(key)

    def revoke_api_key(self, key: str) -> None:
        with self._lock:
            self._keys = [k for k in self._keys if k != key]

    def configure(self, **settings: Any) -> None:
        """Changes any of: metrics_enabled, metrics_interval_seconds,
        status_update_interval_seconds, reregistration_interval_hours, assigned_cluster_id,
        max_body_bytes. Registration answers use the values current when they are sent."""
        allowed = {"metrics_enabled", "metrics_interval_seconds", "status_update_interval_seconds",
                   "reregistration_interval_hours", "assigned_cluster_id", "max_body_bytes"}
        unknown = set(settings) - allowed
        if unknown:
            raise TypeError(f"unknown settings {sorted(unknown)}")
        with self._lock:
            for k, v in settings.items():
                setattr(self, k, v)

    def slow(self, seconds: float) -> None:
        """Delays every answer by `seconds` from now on (0 to stop). A stop() cuts the wait."""
        with self._lock:
            self._slow = float(seconds)

    # --- scripted answers

    def fail_next(
        self,
        path: str,
        status: int,
        n: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        type: str | None = None,  # noqa: A002 - mirrors the envelope's field
        match: Callable[[RecordedRequest], bool] | None = None,
        delay: float = 0.0,
    ) -> None:
        """The next `n` valid, authenticated requests to `path` (that match `type` and `match`,
        when given) are answered `status` with `headers` and `body` (default: the contract's
        error shape), after `delay` seconds. Scripts are consumed in the order queued."""
        self._queue(path, _Script(status, n, dict(headers or {}), body, False, delay,
                                  self._matcher(type, match)))

    def drop_next(self, path: str, n: int = 1, type: str | None = None,  # noqa: A002
                  match: Callable[[RecordedRequest], bool] | None = None, delay: float = 0.0) -> None:
        """The next `n` matching requests to `path` are read and then the connection is closed
        with no answer at all."""
        self._queue(path, _Script(0, n, {}, None, True, delay, self._matcher(type, match)))

    def rate_limit_next(self, path: str, retry_after: int | str, n: int = 1, **kw: Any) -> None:
        self.fail_next(path, 429, n, headers={"Retry-After": str(retry_after)}, **kw)

    def pending_scripts(self, path: str | None = None) -> int:
        """How many scripted answers are still to be given (for `path`, or in all)."""
        with self._lock:
            paths = [path] if path else list(PATHS)
            return sum(s.remaining for p in paths for s in self._scripts[p])

    def clear_scripts(self) -> None:
        with self._lock:
            for q in self._scripts.values():
                q.clear()

    @staticmethod
    def _matcher(type_: str | None, match: Callable[[RecordedRequest], bool] | None):
        if type_ is None:
            return match
        if type_ not in COLLECTION_TYPES:
            raise ValueError(f"unknown collection type {type_!r}")
        return lambda r: r.type == type_ and (match is None or match(r))

    def _queue(self, path: str, script: _Script) -> None:
        if path not in PATHS:
            raise ValueError(f"unknown path {path!r}; use one of {PATHS}")
        if script.remaining < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._scripts[path].append(script)

    def _take_script(self, rec: RecordedRequest) -> _Script | None:
        with self._lock:
            queue = self._scripts[rec.path]
            for script in queue:
                if script.match is None or script.match(rec):
                    script.remaining -= 1
                    if script.remaining == 0:
                        queue.remove(script)
                    return script
        return None

    # --- what was received

    def requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Every request received (to `path`, when given), in order."""
        with self._lock:
            return [r for r in self._records if path is None or r.path == path]

    def registrations(self, status: int | None = None) -> list[RecordedRequest]:
        """Every registration attempt (answered `status`, when given)."""
        return [r for r in self.requests(REGISTER_PATH) if status is None or r.status == status]

    def successful_registrations(self) -> list[RecordedRequest]:
        return [r for r in self.registrations(200) if r.outcome in ("registered", "reregistered")]

    def collections(self, type: str | None = None, status: int | None = 200) -> list[RecordedRequest]:  # noqa: A002
        """Collections answered `status` (default 200: accepted, duplicates included; None: every
        attempt), of `type` when given."""
        return [
            r for r in self.requests(COLLECTIONS_PATH)
            if (status is None or r.status == status) and (type is None or r.type == type)
            and (status != 200 or r.outcome in ("accepted", "duplicate"))
        ]

    def collection_ids(self, type: str | None = None) -> set[str]:  # noqa: A002
        """The distinct collectionIds accepted (of `type`, when given)."""
        return {r.collection_id for r in self.collections(type)}

    @property
    def violations(self) -> list[str]:
        """Every contract violation seen, as readable strings."""
        with self._lock:
            return list(self._violations)

    @property
    def duplicates(self) -> list[str]:
        """collectionIds accepted again after they had been accepted once."""
        with self._lock:
            return list(self._duplicates)

    @property
    def auth_failures(self) -> list[RecordedRequest]:
        """Well-formed requests answered 401 because their key is not accepted."""
        return [r for r in self.requests() if r.outcome == "unauthorized"]

    def registered_cluster_identifiers(self) -> list[str]:
        with self._lock:
            return list(self._registered)

    def clear(self) -> None:
        """Forgets the records (not the registrations, accepted ids or scripts)."""
        with self._lock:
            self._records.clear()
            self._violations.clear()
            self._duplicates.clear()
            self._tls_failures.clear()
            self._tls_handshakes = 0

    def summary(self, last: int = 25) -> str:
        with self._lock:
            recs = self._records[-last:]
            lines = [f"fake kube9-server {self.url} ({'up' if self._httpd else 'down'}), "
                     f"{len(self._records)} requests, {len(self._violations)} violations, "
                     f"{len(self._duplicates)} duplicates"]
            lines += [r.describe() for r in recs]
            if self.tls is not None:
                lines.append(f"{self._tls_handshakes} completed, {len(self._tls_failures)} failed TLS handshakes")
                lines += [f"  {f}" for f in self._tls_failures[-5:]]
            return "\n".join(lines)

    def wait_for(self, check: Callable[[], Any], timeout: float = 10.0, what: str = "a condition",
                 interval: float = 0.1) -> Any:
        """Calls `check` each time a request is recorded (and every `interval` s) until it
        returns a truthy value, which is returned. Raises AssertionError with the last value and
        a summary of the requests received after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout:.0f}s waiting for {what}; last value: {value!r}\n{self.summary()}"
                )
            with self._cond:
                self._cond.wait(min(interval, remaining))

    # --- request handling

    def _handle(self, h: _Handler) -> None:
        arrived, arrived_mono = time.time(), time.monotonic()
        raw, read_problem, fatal = self._read_body(h)
        if fatal:  # the connection is unusable (client went away, unreadable framing)
            h.close_connection = True
            if read_problem is None:
                return
        with self._lock:
            stale = getattr(h.server, "generation", -1) != self._generation or self._httpd is None
        if stale:
            self._drop(h)
            return

        method = h.command
        target = h.path
        path, _, query = target.partition("?")
        header_items = [(k, v) for k, v in h.headers.items()]
        headers = {k.lower(): v for k, v in header_items}
        with self._lock:
            self._seq += 1
            seq = self._seq
        rec = RecordedRequest(seq, arrived, arrived_mono, method, target, path, header_items,
                              headers, raw, None, None)
        if isinstance(h.connection, ssl.SSLSocket):
            rec.tls_version = h.connection.version()
        problems: list[str] = []
        status_for_problems = 400
        auth_malformed = False

        if read_problem:
            problems.append(read_problem)
        if path not in PATHS:
            problems.append(f"unknown path {path!r}")
            status_for_problems = 404
        elif method != "POST":
            problems.append(f"method {method} instead of POST")
            status_for_problems = 405
        if query:
            problems.append(f"unexpected query string {query!r}")

        def one(name: str) -> str | None:
            values = h.headers.get_all(name) or []
            if len(values) > 1:
                problems.append(f"header {name} sent {len(values)} times")
            return values[-1] if values else None

        if one("Host") is None:
            problems.append("no Host header")

        key = None
        auth = one("Authorization")
        if auth is None:
            problems.append("no Authorization header")
            auth_malformed = True
        else:
            m = BEARER_RE.match(auth)
            if not m:
                problems.append("Authorization is not 'Bearer <key>'")
                auth_malformed = True
            else:
                key = m.group(1)
        rec.api_key = key

        ctype = one("Content-Type")
        if ctype is None:
            problems.append("no Content-Type header")
        else:
            media, *params = [p.strip() for p in ctype.split(";")]
            if media.lower() != "application/json" or any(
                p.lower().replace(" ", "") not in ("charset=utf-8",) for p in params
            ):
                problems.append(f"Content-Type is {ctype!r}, not application/json")

        ua_version = None
        ua = one("User-Agent")
        m = USER_AGENT_RE.match(ua or "")
        if not m or not SEMVER_RE.match(m.group(1)):
            problems.append(f"User-Agent is {ua!r}, not kube9-operator/<semver>")
        else:
            ua_version = m.group(1)

        encoding = one("Content-Encoding")
        idem = one("Idempotency-Key")
        body: bytes | None = raw
        if path == COLLECTIONS_PATH and (encoding or "").lower() != "gzip":
            problems.append(f"Content-Encoding is {encoding!r}, not gzip")
        if path == REGISTER_PATH and (encoding or "identity").lower() not in ("identity", "gzip"):
            problems.append(f"unsupported Content-Encoding {encoding!r}")
        if (encoding or "").lower() == "gzip":
            try:
                body = gzip.decompress(raw)
                if len(body) > MAX_DECOMPRESSED_BYTES:
                    raise OSError("decompressed body too large")
            except (OSError, EOFError, zlib.error) as e:
                problems.append(f"body is not valid gzip: {e}")
                body = None
        rec.body = body

        doc = None
        if body is not None and path in PATHS and method == "POST":
            doc, problem = strict_json(body)
            if problem:
                problems.append(problem)
            rec.json = doc
            if problem is None:
                if path == REGISTER_PATH:
                    problems += validate_register_body(doc, ua_version)
                else:
                    problems += validate_collection_envelope(doc, idem, check_idempotency_key=True)

        with self._lock:
            key_ok = key is not None and key in self._keys
            # Checks against the server's state, for an authenticated, otherwise valid collection.
            if key_ok and not problems and path == COLLECTIONS_PATH:
                cls = doc["data"]["clusterId"]
                matching = [ci for ci in self._registered if cluster_id_for(ci) == cls]
                if not matching:
                    problems.append(
                        f"data.clusterId {cls!r} is not cls_ + 32 hex of a registered clusterIdentifier "
                        f"(registered: {list(self._registered)})"
                    )
                elif doc["type"] == "metrics-batch" and not any(
                    self._registered[ci].get("metricsEnabled") for ci in matching
                ):
                    problems.append("metrics-batch sent although registration did not return metricsEnabled")

        script = None
        delay = 0.0
        drop = False
        resp_headers: dict[str, str] = {}
        if problems:
            # A wrong path or method first, then a malformed Authorization (401), then 400.
            status = status_for_problems if status_for_problems != 400 else (401 if auth_malformed else 400)
            response: Any = error_body(status, "; ".join(problems))
            rec.outcome = "invalid"
        elif not key_ok:
            status, response = 401, error_body(401, "API key is not valid")
            rec.outcome = "unauthorized"
        elif (path == COLLECTIONS_PATH and self.max_body_bytes is not None
              and len(raw) > self.max_body_bytes):
            status = 413
            response = error_body(413, f"body of {len(raw)} bytes exceeds {self.max_body_bytes}")
            rec.outcome = "too_large"
        elif (script := self._take_script(rec)) is not None:
            rec.outcome = "dropped" if script.drop else "scripted"
            status = script.status
            resp_headers = dict(script.headers)
            response = script.body if script.body is not None else error_body(status, "scripted failure")
            delay = script.delay
            drop = script.drop
        elif path == REGISTER_PATH:
            status, response = 200, self._register(doc)
            rec.outcome = response["status"]
        else:
            status, response, rec.outcome = self._accept(doc)

        with self._lock:
            rec.violations = problems
            rec.status = None if drop else status
            rec.response = None if drop else response
            rec.response_headers = resp_headers
            for p in problems:
                self._violations.append(f"#{seq} {method} {target}: {p}")
            self._records.append(rec)
            self._cond.notify_all()
            down = self._down
            delay += self._slow

        if delay > 0 and down.wait(delay):
            self._drop(h)  # went down while the answer was being held
            return
        if drop:
            self._drop(h)
            return
        self._respond(h, status, response, resp_headers, close=fatal)

    def _register(self, doc: dict) -> dict:
        ident = doc["clusterIdentifier"]
        with self._lock:
            first = ident not in self._registered
            configuration = {
                "statusUpdateIntervalSeconds": self.status_update_interval_seconds,
                "reregistrationIntervalHours": self.reregistration_interval_hours,
                "metricsEnabled": bool(self.metrics_enabled),
                "metricsIntervalSeconds": self.metrics_interval_seconds,
            }
            self._registered[ident] = dict(configuration)
            return {
                "status": "registered" if first else "reregistered",
                "clusterId": self.assigned_cluster_id or cluster_id_for(ident),
                "tier": "pro",
                "configuration": configuration,
                "message": "Cluster registered" if first else "Cluster re-registered",
            }

    def _accept(self, doc: dict) -> tuple[int, dict, str]:
        cid = doc["data"]["collectionId"]
        with self._lock:
            if cid in self._accepted_ids:
                self._duplicates.append(cid)
                return 200, {"status": "duplicate", "collectionId": cid}, "duplicate"
            self._accepted_ids.add(cid)
            return 200, {"status": "accepted", "collectionId": cid}, "accepted"

    @staticmethod
    def _read_body(h: _Handler) -> tuple[bytes, str | None, bool]:
        """(body, problem, connection unusable)."""
        te = h.headers.get("Transfer-Encoding")
        cl = h.headers.get("Content-Length")
        try:
            if te is not None:
                if te.strip().lower() != "chunked":
                    return b"", f"unsupported Transfer-Encoding {te!r}", True
                if cl is not None:
                    return b"", "both Transfer-Encoding and Content-Length", True
                chunks = []
                total = 0
                while True:
                    line = h.rfile.readline(1024)
                    if not line:
                        return b"", None, True
                    size = int(line.split(b";")[0].strip(), 16)
                    if size == 0:
                        while h.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        break
                    total += size
                    if total > MAX_REQUEST_BYTES:
                        return b"", "body too large", True
                    chunks.append(h.rfile.read(size))
                    h.rfile.readline(16)
                return b"".join(chunks), None, False
            if cl is None:
                return b"", None, False
            if len(h.headers.get_all("Content-Length")) > 1 or not cl.strip().isdigit():
                return b"", f"bad Content-Length {cl!r}", True
            length = int(cl)
            if length > MAX_REQUEST_BYTES:
                return b"", "body too large", True
            data = h.rfile.read(length)
            if len(data) != length:
                return b"", None, True
            return data, None, False
        except (OSError, ValueError):
            return b"", None, True

    @staticmethod
    def _drop(h: _Handler) -> None:
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    @staticmethod
    def _respond(h: _Handler, status: int, response: Any, headers: dict[str, str], close: bool) -> None:
        if isinstance(response, (bytes, bytearray)):
            payload = bytes(response)
        elif isinstance(response, str):
            payload = response.encode()
        else:
            payload = json.dumps(response).encode()
        try:
            h.send_response(status)
            names = {k.lower() for k in headers}
            for k, v in headers.items():
                h.send_header(k, v)
            if "content-type" not in names:
                h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            if close:
                h.send_header("Connection", "close")
                h.close_connection = True
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(payload)
            h.wfile.flush()
        except OSError:
            h.close_connection = True
