"""A strict fake of the two Argo CD API endpoints the operator calls (docs/TESTING.md: Argo CD's
REST API cannot run here, so it gets a fake, like kube9-server):

- GET /api/v1/applications/{applicationName}/resource-tree[?appNamespace=NS]
- GET /api/v1/session/userinfo

It answers as argocd-server does (grpc-gateway JSON errors {"error", "code", "message"} with
gRPC codes, userinfo that lets every caller in and says loggedIn), checks the bearer token, and
refuses anything else (another method, path or query parameter) with a recorded protocol error
that the tests assert is empty. It can be told to fail: `mode` "forbidden" (403 for the tree),
and `delay` seconds before every answer (timeouts).
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import re
import ssl
import threading
import time
import urllib.parse
from typing import Any

TREE_PATH = re.compile(r"^/api/v1/applications/([^/]+)/resource-tree$")


@dataclasses.dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None


class _Handler(http.server.BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, why: str) -> None:
        self.server.fake.protocol_errors.append(f"{self.command} {self.path}: {why}")
        self._send(400, {"error": why, "code": 3, "message": why})

    def do_GET(self):  # noqa: N802 - http.server's naming
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        auth = self.headers.get("Authorization")
        fake.requests.append(Recorded("GET", url.path, query, auth))
        if fake.delay:
            time.sleep(fake.delay)
        accepted = auth == f"Bearer {fake.token}"
        if url.path == "/api/v1/session/userinfo":
            if query:
                return self._refuse("userinfo takes no query parameters")
            if not accepted:  # the session service lets everyone in and says who is logged in
                return self._send(200, {"loggedIn": False})
            return self._send(200, {"loggedIn": True, "username": "kube9-operator", "iss": "argocd"})
        m = TREE_PATH.match(url.path)
        if not m:
            return self._refuse("no such endpoint in the fake")
        if set(query) - {"appNamespace"} or any(len(v) != 1 for v in query.values()):
            return self._refuse(f"unexpected query {url.query!r}")
        if auth is None or not auth.startswith("Bearer "):
            return self._send(401, {"error": "no session information", "code": 16, "message": "no session information"})
        if not accepted:
            msg = "invalid session: token signature is invalid"
            return self._send(401, {"error": msg, "code": 16, "message": msg})
        name = urllib.parse.unquote(m.group(1))
        ns = query.get("appNamespace", [fake.namespace])[0]
        if fake.mode == "forbidden":
            msg = f"permission denied: applications, get, default/{name}"
            return self._send(403, {"error": msg, "code": 7, "message": msg})
        tree = fake.trees.get((ns, name))
        if tree is None:
            msg = f'applications.argoproj.io "{name}" not found'
            return self._send(404, {"error": msg, "code": 5, "message": msg})
        self._send(200, tree)

    def _other(self):
        self._refuse(f"method {self.command} not allowed")

    do_POST = do_PUT = do_PATCH = do_DELETE = _other  # noqa: N815


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeArgoCd"


class FakeArgoCd:
    def __init__(self, token: str, namespace: str = "argocd", tls: tuple[str, str] | None = None):
        self.token = token
        self.namespace = namespace  # Argo CD's own: the default appNamespace
        self.trees: dict[tuple[str, str], dict] = {}
        self.mode = "ok"
        self.delay = 0.0
        self.requests: list[Recorded] = []
        self.protocol_errors: list[str] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._tls = tls is not None
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FakeArgoCd":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
