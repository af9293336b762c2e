"""A small forward HTTP proxy for the integration suite (tests/integration/test_proxy.py).

Python 3 standard library only. It runs in the test process, on 127.0.0.1, and records every
request it is asked to handle:

    proxy = ForwardProxy()                 # or ForwardProxy(credentials=("user", "secret"))
    proxy.start()                          # ephemeral port; proxy.url is http://127.0.0.1:PORT
    ...                                    # run a client with HTTPS_PROXY=proxy.url
    proxy.connects("localhost:8443")       # what it was asked for
    proxy.stop()

What it does:

- `CONNECT host:port` (how a client reaches an https:// URL through a proxy): connects to the
  target and, once the tunnel is answered `200 Connection established`, relays bytes both ways
  until either side closes. The bytes are end-to-end TLS; the first MiB the client sends through
  each tunnel is kept, so that a test can show that no secret crossed the proxy in clear text.
- `METHOD http://host:port/path` (absolute-form: how a client reaches an http:// URL through a
  proxy): forwards the request to the target with `Connection: close` and relays the answer,
  also with `Connection: close`. Request bodies need a Content-Length.
- `refuse = STATUS` (settable at any time) answers every request with that status instead, and
  `credentials = (user, password)` answers 407 to a request without the matching Basic
  `Proxy-Authorization`. A refused request is recorded too, with the status answered.

Every request is recorded as a ProxyRecord (method, target, host, port, the raw request head,
the status answered). `stop()` closes the port and cuts every tunnel.
"""

from __future__ import annotations

import base64
import dataclasses
import select
import socket
import socketserver
import threading
import urllib.parse
from typing import Any

MAX_HEAD_BYTES = 64 * 1024
KEPT_TUNNEL_BYTES = 1024 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te",
              "trailer", "transfer-encoding", "upgrade"}


@dataclasses.dataclass
class ProxyRecord:
    """One request the proxy was asked to handle."""

    method: str
    target: str  # as sent: host:port for CONNECT, the absolute URI otherwise
    host: str
    port: int
    head: bytes  # the request line and headers, as received
    status: int | None = None  # what the proxy answered (200 for an established tunnel)
    error: str | None = None  # why the target could not be reached
    client_bytes: bytearray = dataclasses.field(default_factory=bytearray)  # tunnelled, first MiB
    client_bytes_total: int = 0
    server_bytes_total: int = 0
    closed: bool = False

    @property
    def host_port(self) -> str:
        return f"{self.host}:{self.port}"

    def describe(self) -> str:
        return (f"{self.method} {self.target} -> {self.status}"
                + (f" ({self.error})" if self.error else "")
                + (f", {self.client_bytes_total} bytes up / {self.server_bytes_total} down"
                   if self.method == "CONNECT" and self.status == 200 else ""))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: "ForwardProxy"


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        proxy = self.server.proxy
        conn: socket.socket = self.request
        proxy._track(conn, True)
        try:
            conn.settimeout(30)
            head = _read_head(conn)
            if head is None:
                return
            proxy._serve(conn, head)
        except OSError:
            pass
        finally:
            proxy._track(conn, False)
            _close(conn)


def _read_head(sock: socket.socket) -> bytes | None:
    """The request head up to and including the blank line, read byte-exactly (nothing after it
    is consumed: for a CONNECT, the tunnel's first bytes stay in the socket)."""
    head = bytearray()
    while not head.endswith(b"\r\n\r\n"):
        b = sock.recv(1)
        if not b or len(head) >= MAX_HEAD_BYTES:
            return None
        head += b
    return bytes(head)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(min(65536, n - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _split_host_port(authority: str, default_port: int) -> tuple[str, int]:
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    return host, int(port) if port else default_port


def _reply(conn: socket.socket, status: int, reason: str, extra: dict[str, str] | None = None) -> None:
    body = f"{status} {reason}\n".encode()
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: text/plain", f"Content-Length: {len(body)}",
             "Connection: close", *(f"{k}: {v}" for k, v in (extra or {}).items())]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


REASONS = {403: "Forbidden", 407: "Proxy Authentication Required", 502: "Bad Gateway", 400: "Bad Request",
           405: "Method Not Allowed", 501: "Not Implemented", 503: "Service Unavailable"}


class ForwardProxy:
    """The proxy. Thread-safe; every helper may be called while requests are served."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, refuse: int | None = None,
                 credentials: tuple[str, str] | None = None):
        self.host = host
        self._port = port
        self.refuse = refuse
        self.credentials = credentials
        self._lock = threading.Lock()
        self._records: list[ProxyRecord] = []
        self._socks: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    def url_with_credentials(self, user: str, password: str) -> str:
        q = urllib.parse.quote
        return f"http://{q(user, safe='')}:{q(password, safe='')}@{self.host}:{self._port}"

    def start(self) -> "ForwardProxy":
        server = _Server((self.host, self._port), _Handler)
        server.proxy = self
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"forward-proxy:{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            _close(s)
        if self._thread is not None:
            self._thread.join(5)

    # --- what it saw

    def records(self) -> list[ProxyRecord]:
        with self._lock:
            return list(self._records)

    def targets(self) -> list[str]:
        """host:port of every request, in order."""
        return [r.host_port for r in self.records()]

    def connects(self, host_port: str | None = None) -> list[ProxyRecord]:
        return [r for r in self.records() if r.method == "CONNECT" and (host_port is None or r.host_port == host_port)]

    def tunnels(self, host_port: str | None = None) -> list[ProxyRecord]:
        """CONNECTs that were answered 200 (an established tunnel)."""
        return [r for r in self.connects(host_port) if r.status == 200]

    def seen(self, needle: str | bytes) -> list[str]:
        """Where `needle` appears in what clients sent: request heads and tunnelled bytes."""
        n = needle.encode() if isinstance(needle, str) else needle
        with self._lock:
            return [r.describe() for r in self._records if n in r.head or n in r.client_bytes]

    def summary(self) -> str:
        recs = self.records()
        return "\n".join([f"forward proxy {self.url}: {len(recs)} requests"] + [f"  {r.describe()}" for r in recs])

    # --- serving

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._lock:
            (self._socks.add if add else self._socks.discard)(sock)

    def _record(self, rec: ProxyRecord) -> None:
        with self._lock:
            self._records.append(rec)

    def _update(self, rec: ProxyRecord, **fields: Any) -> None:
        with self._lock:
            for k, v in fields.items():
                setattr(rec, k, v)

    def _authorized(self, head: bytes) -> bool:
        if self.credentials is None:
            return True
        want = "Basic " + base64.b64encode(f"{self.credentials[0]}:{self.credentials[1]}".encode()).decode()
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "proxy-authorization" and value.strip() == want:
                return True
        return False

    def _serve(self, conn: socket.socket, head: bytes) -> None:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3:
            _reply(conn, 400, REASONS[400])
            return
        method, target, _version = parts
        if method == "CONNECT":
            host, port = _split_host_port(target, 443)
        else:
            url = urllib.parse.urlsplit(target)
            if url.scheme != "http" or not url.hostname:
                rec = ProxyRecord(method, target, url.hostname or "", url.port or 0, head, status=400)
                self._record(rec)
                _reply(conn, 400, REASONS[400])
                return
            host, port = url.hostname, url.port or 80
        rec = ProxyRecord(method, target, host, port, head)
        self._record(rec)

        refuse = self.refuse
        if refuse is not None:
            self._update(rec, status=refuse)
            _reply(conn, refuse, REASONS.get(refuse, "Refused"))
            return
        if not self._authorized(head):
            self._update(rec, status=407)
            _reply(conn, 407, REASONS[407], {"Proxy-Authenticate": 'Basic realm="kube9-test-proxy"'})
            return
        try:
            upstream = socket.create_connection((host, port), timeout=10)
        except OSError as e:
            self._update(rec, status=502, error=str(e))
            _reply(conn, 502, REASONS[502])
            return
        self._track(upstream, True)
        try:
            if method == "CONNECT":
                self._update(rec, status=200)
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._relay(conn, upstream, rec)
            else:
                self._forward(conn, upstream, head, rec)
        finally:
            self._track(upstream, False)
            _close(upstream)
            self._update(rec, closed=True)

    def _relay(self, client: socket.socket, upstream: socket.socket, rec: ProxyRecord) -> None:
        client.settimeout(None)
        upstream.settimeout(None)
        socks = [client, upstream]
        while True:
            readable, _, broken = select.select(socks, [], socks, 1.0)
            if broken:
                return
            for s in readable:
                try:
                    data = s.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                other = upstream if s is client else client
                try:
                    other.sendall(data)
                except OSError:
                    return
                with self._lock:
                    if s is client:
                        rec.client_bytes_total += len(data)
                        room = KEPT_TUNNEL_BYTES - len(rec.client_bytes)
                        if room > 0:
                            rec.client_bytes += data[:room]
                    else:
                        rec.server_bytes_total += len(data)

    def _forward(self, client: socket.socket, upstream: socket.socket, head: bytes, rec: ProxyRecord) -> None:
        lines = head.decode("latin-1").split("\r\n")
        url = urllib.parse.urlsplit(lines[0].split(" ")[1])
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        out = [f"{rec.method} {path} HTTP/1.1"]
        length = 0
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            lname = name.strip().lower()
            if lname == "content-length":
                length = int(value.strip())
            if lname in HOP_BY_HOP:
                if lname == "transfer-encoding":
                    self._update(rec, status=501, error="chunked request bodies are not supported")
                    _reply(client, 501, REASONS[501])
                    return
                continue
            out.append(line)
        out.append("Connection: close")
        body = _recv_exact(client, length) if length else b""
        with self._lock:
            rec.client_bytes += body[:KEPT_TUNNEL_BYTES]
            rec.client_bytes_total = len(body)
        upstream.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
        # The answer's head, with Connection: close (this proxy serves one request a connection).
        answer = _read_head(upstream)
        if answer is None:
            self._update(rec, status=502, error="no answer from the target")
            _reply(client, 502, REASONS[502])
            return
        alines = [l for l in answer.decode("latin-1").split("\r\n") if l]
        dropped = {"connection", "keep-alive", "proxy-connection"}
        kept = [alines[0]] + [l for l in alines[1:] if l.partition(":")[0].strip().lower() not in dropped]
        client.sendall(("\r\n".join(kept + ["Connection: close"]) + "\r\n\r\n").encode("latin-1"))
        try:
            status = int(alines[0].split(" ")[1])
        except (IndexError, ValueError):
            status = None
        self._update(rec, status=status)
        total = 0
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            total += len(data)
            client.sendall(data)
        self._update(rec, server_bytes_total=total)
