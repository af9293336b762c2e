"""TLS and authentication on the HTTP port (docs/configuration.md, "TLS and authentication"):
the real binary with `--web.config.file`, scraped over TLS by a client that verifies it; client
certificates required (none, or one of another CA, is refused; ours gets in); basic auth (401
without or with wrong credentials, 200 with them, probes open); the certificate files rotated
under the running process and the new certificate served without a restart, a broken rotation
keeping the old one; an invalid file stopping the start with every problem.

The PKI is throwaway, made with the openssl CLI (throwaway_pki.py); bcrypt hashes come from the
machine's libcrypt (libxcrypt), as htpasswd -B would make them.

Run: KUBE9_BINARY=build/kube9-operator python3 -m pytest -q tests/integration/test_web_config.py
"""

from __future__ import annotations

import base64
import ctypes
import http.client
import os
import signal
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import free_port, metric_value, run, wait_for
from throwaway_pki import issue, new_ca

PASSWORD = "scrape-me-" + base64.b16encode(os.urandom(4)).decode()


def bcrypt(password: str, cost: int = 4) -> str:
    """A $2b$ hash from libxcrypt (crypt_gensalt picks a random salt)."""
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    setting = lib.crypt_gensalt(b"$2b$", cost, None, 0)
    assert setting, "crypt_gensalt failed"
    hashed = lib.crypt(password.encode(), setting).decode()
    assert hashed.startswith("$2b$"), hashed
    return hashed


@dataclass
class Pki:
    root: Path
    ca: Path
    other_ca: Path  # a CA nothing trusts


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    root = tmp_path_factory.mktemp("web-pki")
    new_ca(root, "kube9 web test CA")
    for name in ("server", "renewed"):
        issue(root, name, "IP:127.0.0.1,DNS:localhost")
    issue(root, "prometheus", "DNS:prometheus.monitoring.svc", usage="clientAuth")
    issue(root, "grafana", "DNS:grafana.monitoring.svc", usage="clientAuth")
    other = tmp_path_factory.mktemp("other-pki")
    new_ca(other, "kube9 web test other CA")
    issue(other, "intruder", "DNS:prometheus.monitoring.svc", usage="clientAuth")
    return Pki(root, root / "ca.pem", other / "ca.pem")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    peer_der: bytes


def https_get(port: int, path: str, ca: Path, client: tuple[Path, Path] | None = None,
              auth: tuple[str, str] | None = None, timeout: float = 5) -> Reply:
    ctx = ssl.create_default_context(cafile=str(ca))
    if client:
        ctx.load_cert_chain(str(client[0]), str(client[1]))
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ctx)
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read().decode()
        peer = conn.sock.getpeercert(binary_form=True)
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body, peer)
    finally:
        conn.close()


def refused(port: int, ca: Path, client: tuple[Path, Path] | None = None) -> str | None:
    """None when a TLS request for /metrics succeeds, else why it failed."""
    try:
        https_get(port, "/metrics", ca, client)
        return None
    except (ssl.SSLError, ConnectionError, http.client.HTTPException, socket.timeout, OSError) as e:
        return f"{type(e).__name__}: {e}"


def der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "web" / "web-config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def replace(path: Path, content: bytes) -> None:
    """As the kubelet updates a Secret volume: a new file renamed over the old one."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def start_tls(start_operator, namespace: str, config: Path, pki: Pki, client=None):
    op = start_operator(namespace, args=[f"--web.config.file={config}"], wait_ready=False)

    def ready():
        try:
            r = https_get(op.port, "/readyz", pki.ca, client, timeout=2)
            return r.status == 200, (r.status, r.body[:200])
        except (OSError, ssl.SSLError, http.client.HTTPException) as e:
            return False, repr(e)

    wait_for(ready, 20, "/readyz over TLS to return 200", operator=op)
    return op


@pytest.fixture
def tls_files(tmp_path: Path, pki: Pki) -> Path:
    """A copy of the server certificate and key next to the config (the test rotates them)."""
    d = tmp_path / "web"
    d.mkdir(parents=True, exist_ok=True)
    (d / "tls.crt").write_bytes((pki.root / "server.pem").read_bytes())
    (d / "tls.key").write_bytes((pki.root / "server.key").read_bytes())
    (d / "ca.crt").write_bytes(pki.ca.read_bytes())
    return d


def test_scrape_over_tls_and_probes(namespace, start_operator, pki, tls_files, tmp_path):
    config = write_config(tmp_path, "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
                                    "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n")
    op = start_tls(start_operator, namespace, config, pki)

    r = https_get(op.port, "/metrics", pki.ca)
    assert r.status == 200, r
    assert r.peer_der == der(pki.root / "server.pem")
    assert r.headers.get("x-content-type-options") == "nosniff", r.headers
    assert "kube9_operator_build_info" in r.body
    assert metric_value(r.body, "kube9_operator_web_tls_reloads_total", result="failure") == 0.0, r.body
    expiry = metric_value(r.body, "kube9_operator_web_tls_certificate_expiry_timestamp_seconds")
    assert expiry is not None and expiry > 0, r.body
    for probe in ("/healthz", "/readyz"):
        assert https_get(op.port, probe, pki.ca).status == 200, probe

    # A client that does not trust the CA refuses the server; plain HTTP gets no metrics.
    assert refused(op.port, pki.other_ca) is not None
    plain = op.try_get("/metrics")
    assert plain is None or plain.status != 200, plain


def test_client_certificate_required(namespace, start_operator, pki, tls_files, tmp_path):
    config = write_config(tmp_path, "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
                                    "  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n"
                                    "  client_allowed_sans: [prometheus.monitoring.svc]\n")
    prometheus = (pki.root / "prometheus.pem", pki.root / "prometheus.key")
    op = start_tls(start_operator, namespace, config, pki, client=prometheus)

    assert https_get(op.port, "/metrics", pki.ca, prometheus).status == 200
    assert refused(op.port, pki.ca) is not None, "no client certificate"
    intruder_dir = pki.other_ca.parent
    assert refused(op.port, pki.ca, (intruder_dir / "intruder.pem", intruder_dir / "intruder.key")) is not None, \
        "a certificate of another CA, even with the allowed SAN"
    assert refused(op.port, pki.ca, (pki.root / "grafana.pem", pki.root / "grafana.key")) is not None, \
        "a certificate of the right CA without an allowed SAN"
    assert op.poll() is None, op.describe()


def test_exec_probes_ask_on_the_probe_socket_when_client_certificates_are_required(
        namespace, start_operator, binary, pki, tls_files, tmp_path):
    # The chart's exec probes: the kubelet cannot present a client certificate, `probe` asks
    # the operator on its Unix socket instead, in plain HTTP, for the probes only.
    config = write_config(tmp_path, "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
                                    "  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n")
    sock = tmp_path / "run" / "probe.sock"
    sock.parent.mkdir()
    prometheus = (pki.root / "prometheus.pem", pki.root / "prometheus.key")
    op = start_operator(namespace, args=[f"--web.config.file={config}", f"--web.probe-socket={sock}"],
                        wait_ready=False)

    def probe(*args: str):
        return run([str(binary), "probe", *args], timeout=20)

    def ready():
        r = probe(f"--socket={sock}", "/readyz")
        return r.returncode == 0, (r.returncode, r.stdout, r.stderr)

    wait_for(ready, 20, "`probe /readyz` to succeed", operator=op)
    r = probe("--socket", str(sock), "--timeout=2s", "/healthz")
    assert (r.returncode, r.stderr) == (0, ""), r
    assert r.stdout.strip(), "the operator's answer, on stdout only"
    assert oct(sock.stat().st_mode & 0o777) == "0o600"
    assert refused(op.port, pki.ca) is not None, "the port still requires a client certificate"
    assert https_get(op.port, "/metrics", pki.ca, prometheus).status == 200

    # The socket answers the probes only: nothing there skips the certificate to /metrics.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(str(sock))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    reply = b""
    while chunk := s.recv(65536):
        reply += chunk
    s.close()
    assert reply.startswith(b"HTTP/1.1 404 "), reply[:200]
    assert b"kube9_operator" not in reply

    # No operator there: exit code 1, why on stderr, nothing on stdout.
    r = probe(f"--socket={tmp_path / 'none.sock'}", "/healthz")
    assert (r.returncode, r.stdout) == (1, ""), r
    assert "none.sock: connect: No such file or directory" in r.stderr, r.stderr
    # Invalid flags: every problem listed, exit code 2.
    r = probe("--timeout=soon", "/metrics")
    assert r.returncode == 2 and r.stdout == "", r
    for problem in ("--timeout: must be a positive duration", "unexpected argument '/metrics'", "--socket is required"):
        assert problem in r.stderr, (problem, r.stderr)

    op.send_signal(signal.SIGTERM)
    assert op.wait_exit(15) == 0, op.describe()
    assert not sock.exists(), "removed at shutdown"


def test_basic_auth(namespace, start_operator, pki, tls_files, tmp_path):
    config = write_config(tmp_path, "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
                                    f"basic_auth_users:\n  prometheus: {bcrypt(PASSWORD)}\n")
    op = start_tls(start_operator, namespace, config, pki)

    for path in ("/metrics", "/"):
        r = https_get(op.port, path, pki.ca)
        assert r.status == 401, (path, r)
        assert r.headers.get("www-authenticate") == 'Basic realm="kube9-operator"', r.headers
        assert "kube9_operator" not in r.body
        assert https_get(op.port, path, pki.ca, auth=("prometheus", PASSWORD + "x")).status == 401, path
        assert https_get(op.port, path, pki.ca, auth=("nobody", PASSWORD)).status == 401, path
    for _ in range(3):  # a scraper's repeated credentials (the second on are cached)
        r = https_get(op.port, "/metrics", pki.ca, auth=("prometheus", PASSWORD))
        assert r.status == 200, r
        assert "kube9_operator_build_info" in r.body
    for probe in ("/healthz", "/readyz"):
        assert https_get(op.port, probe, pki.ca).status == 200, f"{probe} needs no credentials"
    assert PASSWORD not in op.stdout() + op.stderr()


def test_rotated_certificate_is_served_without_restart(namespace, start_operator, pki, tls_files, tmp_path):
    config = write_config(tmp_path, "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n")
    op = start_tls(start_operator, namespace, config, pki)
    pid = op.pid
    assert https_get(op.port, "/healthz", pki.ca).peer_der == der(pki.root / "server.pem")

    replace(tls_files / "tls.key", (pki.root / "renewed.key").read_bytes())
    replace(tls_files / "tls.crt", (pki.root / "renewed.pem").read_bytes())

    def served():
        peer = https_get(op.port, "/healthz", pki.ca).peer_der
        return peer == der(pki.root / "renewed.pem"), len(peer)

    wait_for(served, 10, "the renewed certificate to be served", operator=op)
    body = https_get(op.port, "/metrics", pki.ca).body
    assert (metric_value(body, "kube9_operator_web_tls_reloads_total", result="success") or 0) >= 1, body

    # A broken rotation (a key that is not the certificate's) keeps the renewed certificate.
    replace(tls_files / "tls.key", (pki.root / "server.key").read_bytes())

    def failure_counted():
        text = https_get(op.port, "/metrics", pki.ca).body
        return (metric_value(text, "kube9_operator_web_tls_reloads_total", result="failure") or 0) >= 1, None

    wait_for(failure_counted, 10, "the failed reload to be counted", operator=op)
    assert https_get(op.port, "/healthz", pki.ca).peer_der == der(pki.root / "renewed.pem")
    assert op.poll() is None and op.pid == pid
    assert any(e.get("msg", "").startswith("cannot reload the TLS certificate") for e in op.json_logs()), \
        op.describe()


def test_invalid_web_config_stops_the_start_with_every_problem(binary, cluster, tmp_path):
    config = write_config(tmp_path, "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n"
                                    "  min_version: TLS10\nbasic_auth_users:\n  alice: hunter2\n"
                                    "rate_limit:\n  interval: 1s\n")
    out = run([str(binary), "serve", f"--kubeconfig={cluster.kubeconfig}", f"--web.config.file={config}",
               f"--web.listen-address=127.0.0.1:{free_port()}"], timeout=20)
    assert out.returncode == 2, (out.returncode, out.stderr)
    for problem in ("tls_server_config.min_version: TLS10 is not supported", "basic_auth_users.alice: not a bcrypt hash",
                    "rate_limit: not supported", "missing.crt: cannot read it", "missing.key: cannot read it"):
        assert problem in out.stderr, out.stderr
    assert "hunter2" not in out.stderr + out.stdout
