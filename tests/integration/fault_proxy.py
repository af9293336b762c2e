"""A fault-injecting reverse proxy between the operator and the local kube-apiserver, for
tests/integration/test_api_faults.py (issue #10 point 8).

Python 3 standard library only. It runs in the test process, on 127.0.0.1:

    proxy = FaultProxy(upstream="https://127.0.0.1:16443", upstream_ca=CA, cert=PEM, key=KEY)
    proxy.start()                  # proxy.url is https://127.0.0.1:PORT, served with `cert`
    proxy.inject("truncate", verbs={"list"}, paths={"/api/v1/pods"}, seconds=15)
    proxy.end_watches(gone=True)   # open watches end with a 410 ERROR event: the client relists
    ...
    proxy.clear()
    proxy.stop()

What it does:

- Terminates TLS with `cert`/`key` (a throwaway CA's certificate for IP:127.0.0.1) and speaks
  HTTP/1.1 with keep-alive (no ALPN, so clients fall back from HTTP/2).
- Forwards every request (method, path and query, headers including Authorization, body) to
  `upstream` over TLS verified with `upstream_ca`, without Accept-Encoding so that bodies come
  back uncompressed and can be cut or edited, and streams the answer back chunked, piece by
  piece as it arrives; a watch event by event, each passed on once its line is complete, so
  that an event injected or an end forced by the proxy never lands inside another.
- At most one fault at a time, for the requests it matches (verbs: list, watch, get, post,
  patch, ...; paths: exact paths, None for every path), until it is cleared, its time is up or
  it has hit `max_hits` requests:
  * drip:     the answer's body goes out `drip_bytes` at a time, `drip_delay` seconds apart
              (at full speed again as soon as the fault is cleared);
  * truncate: a LIST body is cut in the middle; odd hits close the connection there (no last
              chunk: a transport error), even hits end the chunked body properly (a complete
              HTTP response whose JSON is cut: a decode error);
  * mute:     a watch gets `200` and headers, then nothing: the connection is held open and
              silent (TCP alive) until the client hangs up, the proxy stops or `mute_hold`
              seconds passed, even after the fault was cleared, as a stuck middlebox would;
  * bloat:    a LIST page gets one extra pod of `bloat_bytes` (a huge annotation), in the
              middle of its items, the JSON otherwise valid; see also inject_watch_event;
  * throttle: `429 Too Many Requests` with `Retry-After: retry_after` and a metav1.Status
              body, without asking the API server.
- end_watches() ends every open watch stream at once, cleanly or with an ERROR 410 event, so a
  client makes its next request (a re-watch, or a relist) while a fault is on.
- Every request is recorded as an Exchange (time, method, path, verb, fault applied, status).
- Everything is bounded: requests are answered only until stop(), which closes every socket,
  and stop() runs by itself after `max_lifetime` seconds.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import select
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from typing import Any

MAX_HEAD_BYTES = 64 * 1024
MAX_EDITED_BODY = 64 * 1024 * 1024  # a LIST read whole to be cut or bloated
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
              "content-length", "host", "accept-encoding", "expect"}
KINDS = {"drip", "truncate", "mute", "bloat", "throttle"}
MiB = 1024 * 1024


def verb_of(method: str, path: str, query: dict[str, list[str]]) -> str:
    """list / watch / get for GETs (by the shape of the path), else the method in lower case."""
    if method != "GET":
        return method.lower()
    if query.get("watch", [""])[0] in ("true", "1"):
        return "watch"
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        rest = parts[2:]
    elif parts[:1] == ["apis"]:
        rest = parts[3:]
    else:
        return "get"
    if len(rest) >= 3 and rest[0] == "namespaces":
        rest = rest[2:]
    return "list" if len(rest) == 1 else "get"


def bloat_pod(namespace: str, name: str, size: int, resource_version: str = "") -> dict[str, Any]:
    """A pod whose JSON is about `size` bytes, almost all of it one annotation."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": str(uuid.uuid4()),
                            "creationTimestamp": "2026-01-01T00:00:00Z",
                            "annotations": {"kube9.test/bloat": "x" * size}}
    if resource_version:
        meta["resourceVersion"] = resource_version
    return {"metadata": meta,
            "spec": {"containers": [{"name": "app", "image": "registry.invalid/app:1"}]},
            "status": {"phase": "Running"}}


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


@dataclasses.dataclass
class Fault:
    kind: str
    verbs: frozenset[str]
    paths: frozenset[str] | None
    until: float  # time.monotonic() after which it is off by itself
    max_hits: int | None = None
    drip_bytes: int = 64
    drip_delay: float = 0.1
    bloat_bytes: int = 10 * MiB
    bloat_namespace: str = "default"
    bloat_name: str = "bloat"
    retry_after: int = 1
    mute_hold: float = 180.0
    hits: int = 0

    def matches(self, verb: str, path: str) -> bool:
        return (time.monotonic() < self.until and verb in self.verbs
                and (self.paths is None or path in self.paths)
                and (self.max_hits is None or self.hits < self.max_hits))


@dataclasses.dataclass
class Exchange:
    """One request the proxy received."""

    at: float  # time.monotonic() when its head was read
    method: str
    path: str
    query: str
    verb: str
    fault: str | None  # the fault applied to it
    status: int | None = None  # what the client was answered (None: no answer)
    ended: str = ""  # how the answer ended: complete, closed, kicked, muted, error

    def describe(self) -> str:
        return (f"{self.method} {self.path}{'?' + self.query if self.query else ''} [{self.verb}]"
                f" -> {self.status} {self.ended}{' fault=' + self.fault if self.fault else ''}")


class _Watch:
    """An open watch stream, so that end_watches() and inject_watch_event() can reach it."""

    def __init__(self, client: ssl.SSLSocket, path: str, resource_version: str):
        self.client = client
        self.path = path
        self.resource_version = resource_version  # the last one passed on
        self.write_lock = threading.Lock()
        self.upstream: http.client.HTTPSConnection | None = None
        self.kicked: str | None = None  # "clean" or "gone"

    def send(self, data: bytes) -> None:
        with self.write_lock:
            self.client.sendall(data)

    def kick(self, how: str) -> None:
        self.kicked = how
        up = self.upstream
        if up is not None and up.sock is not None:
            try:
                up.sock.shutdown(socket.SHUT_RDWR)  # unblocks the streaming thread's read
            except OSError:
                pass


class FaultProxy:
    def __init__(self, upstream: str, upstream_ca: str, cert: str, key: str, max_lifetime: float = 900.0):
        u = urllib.parse.urlsplit(upstream)
        assert u.scheme == "https" and u.hostname == "127.0.0.1", f"loopback HTTPS upstream only: {upstream}"
        self.upstream_host, self.upstream_port = u.hostname, u.port or 443
        self._upstream_ctx = ssl.create_default_context(cafile=upstream_ca)
        self._server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_ctx.load_cert_chain(cert, key)
        self._max_lifetime = max_lifetime
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._exchanges: list[Exchange] = []
        self._watches: set[_Watch] = set()
        self._sockets: set[socket.socket] = set()
        self._stopped = threading.Event()
        self._listener: socket.socket | None = None
        self.port = 0

    # --- control ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, name="fault-proxy-accept", daemon=True).start()
        timer = threading.Timer(self._max_lifetime, self.stop)
        timer.daemon = True
        timer.start()

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            sockets = list(self._sockets)
            if self._listener is not None:
                sockets.append(self._listener)
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def inject(self, kind: str, *, verbs: set[str] | frozenset[str] = frozenset({"list", "watch"}),
               paths: set[str] | frozenset[str] | None = None, seconds: float = 60.0,
               max_hits: int | None = None, **params: Any) -> Fault:
        """Switches a fault on (replacing any other) for `seconds` at most."""
        assert kind in KINDS, kind
        fault = Fault(kind, frozenset(verbs), None if paths is None else frozenset(paths),
                      time.monotonic() + seconds, max_hits, **params)
        with self._lock:
            self._fault = fault
        return fault

    def clear(self) -> None:
        with self._lock:
            self._fault = None

    def end_watches(self, gone: bool = False, path: str | None = None) -> int:
        """Ends the open watch streams (of `path`, or all): with an ERROR event carrying a 410
        Status when `gone` (the client must relist), else with the stream's last chunk (the
        client re-watches). Returns how many were ended."""
        with self._lock:
            watches = [w for w in self._watches if path is None or w.path == path]
        for w in watches:
            w.kick("gone" if gone else "clean")
        return len(watches)

    def inject_watch_event(self, path: str, event_type: str, obj: dict[str, Any]) -> int:
        """Sends one event into every open watch stream of `path`, with the stream's last
        resourceVersion; returns how many streams got it."""
        with self._lock:
            watches = [w for w in self._watches if w.path == path]
        sent = 0
        for w in watches:
            o = json.loads(json.dumps(obj))
            o.setdefault("metadata", {})["resourceVersion"] = w.resource_version
            line = json.dumps({"type": event_type, "object": o}, separators=(",", ":")).encode() + b"\n"
            try:
                w.send(_chunk(line))
                sent += 1
            except OSError:
                pass
        return sent

    def open_watches(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for w in self._watches if path is None or w.path == path)

    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    # --- serving ---------------------------------------------------------------------------

    def _track(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.add(s)
        if self._stopped.is_set():
            s.close()

    def _untrack(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(s)
        try:
            s.close()
        except OSError:
            pass

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve_connection, args=(raw,), name="fault-proxy-conn",
                             daemon=True).start()

    def _fault_for(self, verb: str, path: str) -> Fault | None:
        with self._lock:
            f = self._fault
            if f is None or not f.matches(verb, path):
                return None
            if f.kind == "mute" and verb != "watch":
                return None
            if f.kind in ("truncate", "bloat") and verb != "list":
                return None
            f.hits += 1
            return f

    def _active(self, fault: Fault) -> bool:
        with self._lock:
            return self._fault is fault and time.monotonic() < fault.until

    def _serve_connection(self, raw: socket.socket) -> None:
        self._track(raw)
        try:
            raw.settimeout(30)
            conn = self._server_ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            self._untrack(raw)
            return
        self._track(conn)
        try:
            rfile = conn.makefile("rb")
            while not self._stopped.is_set():
                conn.settimeout(120)  # an idle keep-alive connection
                line = rfile.readline(MAX_HEAD_BYTES)
                if not line.strip():
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: list[tuple[str, str]] = []
                while True:
                    h = rfile.readline(MAX_HEAD_BYTES)
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.decode("latin-1").partition(":")
                    headers.append((name.strip(), value.strip()))
                lower = {k.lower(): v for k, v in headers}
                if lower.get("expect", "").lower() == "100-continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                length = int(lower.get("content-length", "0"))
                body = rfile.read(length) if length else b""
                if not self._handle(conn, method, target, headers, body):
                    return
        except (OSError, ValueError, ssl.SSLError, http.client.HTTPException):
            return
        finally:
            self._untrack(conn)
            self._untrack(raw)

    def _record(self, ex: Exchange) -> Exchange:
        with self._lock:
            self._exchanges.append(ex)
        return ex

    def _handle(self, conn: ssl.SSLSocket, method: str, target: str, headers: list[tuple[str, str]],
                body: bytes) -> bool:
        """Answers one request; returns whether the connection may serve another."""
        u = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(u.query)
        verb = verb_of(method, u.path, query)
        fault = self._fault_for(verb, u.path)
        ex = self._record(Exchange(time.monotonic(), method, u.path, u.query, verb, fault.kind if fault else None))

        if fault is not None and fault.kind == "throttle":
            status = json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                 "message": "Too many requests, please try again later.",
                                 "reason": "TooManyRequests", "code": 429,
                                 "details": {"retryAfterSeconds": fault.retry_after}}).encode()
            conn.sendall(b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
                         b"Retry-After: %d\r\nContent-Length: %d\r\n\r\n%s" % (fault.retry_after, len(status), status))
            ex.status, ex.ended = 429, "complete"
            return True

        if fault is not None and fault.kind == "mute":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            ex.status, ex.ended = 200, "muted"
            self._hold(conn, fault.mute_hold)
            return False

        up = http.client.HTTPSConnection(self.upstream_host, self.upstream_port, context=self._upstream_ctx,
                                          timeout=700 if verb == "watch" else 70)
        watch: _Watch | None = None
        try:
            up.putrequest(method, target, skip_accept_encoding=True)
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP:
                    up.putheader(k, v)
            if body or method in ("POST", "PUT", "PATCH"):
                up.putheader("Content-Length", str(len(body)))
            up.endheaders(body or None)
            if up.sock is not None:
                self._track(up.sock)
            resp = up.getresponse()
            head = [f"HTTP/1.1 {resp.status} {resp.reason}"]
            head += [f"{k}: {v}" for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            if resp.status in (204, 304) or method == "HEAD":
                conn.sendall(("\r\n".join(head + ["Content-Length: 0"]) + "\r\n\r\n").encode("latin-1"))
                ex.status, ex.ended = resp.status, "complete"
                return True
            conn.sendall(("\r\n".join(head + ["Transfer-Encoding: chunked"]) + "\r\n\r\n").encode("latin-1"))
            ex.status = resp.status
            ok = 200 <= resp.status < 300

            if ok and fault is not None and fault.kind in ("truncate", "bloat"):
                data = resp.read(MAX_EDITED_BODY)
                if fault.kind == "bloat":
                    doc = json.loads(data)
                    items = doc.get("items") or []
                    items.insert(len(items) // 2, bloat_pod(fault.bloat_namespace, fault.bloat_name,
                                                            fault.bloat_bytes))
                    doc["items"] = items
                    self._send_body(conn, json.dumps(doc, separators=(",", ":")).encode(), None)
                    conn.sendall(LAST_CHUNK)
                    ex.ended = "complete"
                    return True
                self._send_body(conn, data[: len(data) // 2], None)
                if fault.hits % 2 == 1:
                    ex.ended = "closed"
                    return False  # no last chunk: the response is cut off
                conn.sendall(LAST_CHUNK)
                ex.ended = "complete"
                return True

            if verb == "watch" and ok:
                watch = _Watch(conn, u.path, query.get("resourceVersion", [""])[0])
                watch.upstream = up
                with self._lock:
                    self._watches.add(watch)
            pending = b""  # a watch is passed on in whole lines (events), never a part of one
            while watch is None or not watch.kicked:
                try:
                    data = resp.read1(65536)
                except (OSError, http.client.HTTPException):
                    data = b""
                if not data:
                    break
                if watch is None:
                    self._send_body(conn, data, fault)
                    continue
                pending += data
                cut = pending.rfind(b"\n") + 1
                lines, pending = pending[:cut], pending[cut:]
                for line in lines.split(b"\n")[:-1]:
                    self._send_line(watch, line + b"\n", fault)
            if watch is not None and pending and not watch.kicked:
                watch.send(_chunk(pending))  # the server's stream ended inside a line: pass it on
            if watch is not None and watch.kicked == "gone":
                gone = {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                                    "status": "Failure", "reason": "Expired", "code": 410,
                                                    "message": "too old resource version (fault proxy)"}}
                watch.send(_chunk(json.dumps(gone).encode() + b"\n") + LAST_CHUNK)
                ex.ended = "kicked"
            elif watch is not None:
                watch.send(LAST_CHUNK)
                ex.ended = "kicked" if watch.kicked else "complete"
            else:
                conn.sendall(LAST_CHUNK)
                ex.ended = "complete"
            return True
        except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as e:
            ex.ended = f"error: {e}"
            return False
        finally:
            if watch is not None:
                with self._lock:
                    self._watches.discard(watch)
            if up.sock is not None:
                self._untrack(up.sock)
            up.close()

    def _send_body(self, conn: ssl.SSLSocket, data: bytes, fault: Fault | None) -> None:
        """Sends `data` as chunks: dripped while `fault` is an active drip, else at once."""
        while data:
            if fault is not None and fault.kind == "drip" and self._active(fault):
                conn.sendall(_chunk(data[: fault.drip_bytes]))
                data = data[fault.drip_bytes:]
                if self._stopped.wait(fault.drip_delay):
                    raise OSError("proxy stopped")
            else:
                conn.sendall(_chunk(data))
                return

    def _send_line(self, watch: _Watch, line: bytes, fault: Fault | None) -> None:
        """Sends one watch event, dripped while `fault` is an active drip; nothing once the
        watch was ended, and, when it is ended mid-line, the rest of the line at once, so that
        what follows (an ERROR event, the end) starts on a line of its own. Under the watch's
        write lock: an injected event never lands inside another."""
        with watch.write_lock:
            if watch.kicked:
                return
            rv = _resource_version(line)
            if rv:
                watch.resource_version = rv
            while line:
                if fault is not None and fault.kind == "drip" and self._active(fault) and not watch.kicked:
                    watch.client.sendall(_chunk(line[: fault.drip_bytes]))
                    line = line[fault.drip_bytes:]
                    if self._stopped.wait(fault.drip_delay):
                        raise OSError("proxy stopped")
                else:
                    watch.client.sendall(_chunk(line))
                    return

    def _hold(self, conn: ssl.SSLSocket, seconds: float) -> None:
        """Keeps a connection open and silent until the client hangs up, the proxy stops or
        `seconds` passed."""
        deadline = time.monotonic() + seconds
        while not self._stopped.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([conn], [], [], 0.5)
            if readable:
                try:
                    if not conn.recv(4096):
                        return  # the client hung up
                except ssl.SSLWantReadError:
                    continue
                except OSError:
                    return


def _resource_version(line: bytes) -> str:
    try:
        event = json.loads(line)
        return str(event["object"]["metadata"]["resourceVersion"])
    except (ValueError, KeyError, TypeError):
        return ""
