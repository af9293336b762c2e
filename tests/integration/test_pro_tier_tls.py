"""Pro tier over HTTPS (README "Pro tier", `--server-ca-file`): the operator talks TLS to
kube9-server, verifies the certificate (chain and host name), and `--server-ca-file PATH` adds
a CA to the system's trusted ones.

The fake kube9-server runs in TLS mode (FakeKube9Server(tls=(cert, key))) with a certificate
for IP 127.0.0.1 issued by a throwaway CA generated at test time with the `openssl` CLI. The
system CA bundle cannot trust that CA, so without `--server-ca-file` the handshake must fail.

Run: KUBE9_BINARY=build/kube9-operator python3 -m pytest -q tests/integration/test_pro_tier_tls.py
"""

from __future__ import annotations

import http.client
import re
import secrets
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from conftest import clean_env, free_port, metric_value, run
from fake_kube9_server import REGISTER_PATH, FakeKube9Server
from test_pro_tier import FIRST_RUN_TYPES, SecretVolume, assert_degraded_not_registered, start_pro, wait_status
from throwaway_pki import issue, new_ca

pytestmark = pytest.mark.pro_tier

CERT_PROBLEM_RE = re.compile(r"certificate|SSL|TLS|verif|issuer", re.I)


# --- a throwaway PKI, made with the openssl CLI --------------------------------------------------


class Pki:
    def __init__(self, root: Path):
        self.root = root
        self.ca = root / "ca.pem"
        self.ca_key = root / "ca.key"
        self.server = root / "server.pem"  # SAN IP:127.0.0.1, issued by ca
        self.server_key = root / "server.key"
        self.wrong_name = root / "wrong-name.pem"  # SAN DNS:kube9-server.invalid only, issued by ca
        self.wrong_name_key = root / "wrong-name.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    new_ca(root, "kube9 throwaway test CA")
    issue(root, "server", "IP:127.0.0.1")
    issue(root, "wrong-name", "DNS:kube9-server.invalid")
    pki = Pki(root)
    # The chain is sound for openssl itself (issue() checks it), and the system's CAs do not
    # vouch for it.
    untrusted = subprocess.run(["openssl", "verify", "server.pem"], cwd=root, capture_output=True, text=True,
                               timeout=60)
    assert untrusted.returncode != 0, "the system CA store trusts the throwaway CA?\n" + untrusted.stdout
    return pki


def tls_server(cert: Path, key: Path, **kw) -> FakeKube9Server:
    return FakeKube9Server(api_keys=[f"k9test_{secrets.token_hex(20)}"], tls=(str(cert), str(key)), **kw)


@pytest.fixture
def https_server(pki):
    server = tls_server(pki.server, pki.server_key, metrics_enabled=True, metrics_interval_seconds=1)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def wrong_name_server(pki):
    server = tls_server(pki.wrong_name, pki.wrong_name_key)
    server.start()
    yield server
    server.stop()


def post_register(server: FakeKube9Server, context: ssl.SSLContext) -> int:
    """A (deliberately incomplete) registration over HTTPS; returns the HTTP status."""
    conn = http.client.HTTPSConnection(server.host, server.port, context=context, timeout=5)
    try:
        conn.request("POST", REGISTER_PATH, body=b"{}", headers={"Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


def registration_state(op) -> dict[str, float | None]:
    text = op.metrics()
    return {s: metric_value(text, "kube9_operator_registration_state", state=s)
            for s in ("pending", "registered", "rejected", "rate_limited", "unreachable")}


# --- the fake server's TLS mode on its own (no operator) -------------------------------------------


def test_fake_server_tls_mode_verifies_and_survives_restart(https_server, pki):
    server = https_server
    assert server.url == f"https://127.0.0.1:{server.port}"
    trusting = ssl.create_default_context(cafile=str(pki.ca))
    assert post_register(server, trusting) == 401  # reached the validator: no Authorization
    rec = server.requests()[-1]
    assert rec.tls_version in ("TLSv1.2", "TLSv1.3"), rec
    assert server.tls_failures == [] and server.tls_handshakes == 1

    # A client with only the system's CAs refuses the certificate; the server records it.
    with pytest.raises(ssl.SSLCertVerificationError):
        post_register(server, ssl.create_default_context())
    server.wait_for(lambda: server.tls_failures, 5, "a failed handshake")
    assert len(server.requests()) == 1
    # Plain HTTP to the TLS port is no request either.
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    with pytest.raises((OSError, http.client.HTTPException)):
        conn.request("POST", REGISTER_PATH, body=b"{}")
        conn.getresponse().read()
    conn.close()
    assert len(server.requests()) == 1

    port = server.port
    server.stop()
    with pytest.raises(OSError):
        post_register(server, trusting)
    server.start()
    assert server.port == port and server.url == f"https://127.0.0.1:{port}"
    assert post_register(server, trusting) == 401
    assert len(server.requests()) == 2


# --- the operator ----------------------------------------------------------------------------------


def test_server_ca_file_trusts_the_private_ca_and_everything_goes_over_tls(api, namespace, start_operator,
                                                                          https_server, pki, tmp_path):
    server = https_server
    op = start_pro(start_operator, namespace, server, tmp_path, extra=[f"--server-ca-file={pki.ca}"])

    server.wait_for(server.successful_registrations, 30, "a successful registration over HTTPS")
    status = wait_status(api, namespace, op, lambda s: s.get("registered") is True, 15,
                         "the status to say registered")
    assert status["mode"] == "enabled" and status["tier"] == "pro", status
    assert status["apiKeyConfigured"] is True and status["health"] == "healthy" and status["error"] is None, status
    assert status.get("clusterId"), status

    wanted = (*FIRST_RUN_TYPES, "metrics-batch")
    server.wait_for(lambda: all(server.collections(t) for t in wanted), 60,
                    f"collections of every type ({', '.join(wanted)}) over HTTPS")
    assert registration_state(op)["registered"] == 1.0
    assert op.poll() is None

    requests = server.requests()
    assert requests and all(r.tls_version in ("TLSv1.2", "TLSv1.3") for r in requests), server.summary()
    assert server.violations == [], "\n".join(server.violations[:20]) + "\n" + server.summary()
    assert server.tls_failures == [], server.summary()


def test_without_server_ca_file_the_private_ca_is_not_trusted(api, namespace, start_operator, https_server,
                                                              tmp_path):
    server = https_server
    op = start_pro(start_operator, namespace, server, tmp_path)

    # The operator did try: the server saw its handshakes fail (the client refused the certificate).
    server.wait_for(lambda: server.tls_failures, 30, "the operator's TLS handshake to fail")
    status = wait_status(api, namespace, op,
                         lambda s: s.get("health") == "degraded" and CERT_PROBLEM_RE.search(s.get("error") or ""),
                         20, "the status to say degraded with a certificate problem")
    error = assert_degraded_not_registered(status)
    assert re.search(r"unreachable", error, re.I), f"the error does not say the server is unreachable: {error!r}"
    assert server.api_key not in error

    # It keeps running and keeps retrying; nothing ever reaches the HTTP layer.
    time.sleep(6)
    assert op.poll() is None, op.describe()
    health = op.get("/healthz")
    assert health.status == 200, health
    s = api.get_status(namespace)
    assert s["registered"] is False and s["health"] == "degraded", s
    assert registration_state(op)["unreachable"] == 1.0, op.metrics()
    assert (metric_value(op.metrics(), "kube9_operator_registration_attempts_total", result="error") or 0) >= 1
    assert server.successful_registrations() == [], server.summary()
    assert server.requests() == [], "a request got past a TLS handshake that should have failed\n" + server.summary()
    assert server.api_key not in op.stdout() + op.stderr()


def test_host_name_is_verified_even_with_a_trusted_ca(api, namespace, start_operator, wrong_name_server, pki,
                                                      tmp_path):
    """The CA is trusted, but the certificate names kube9-server.invalid, not 127.0.0.1."""
    server = wrong_name_server
    op = start_pro(start_operator, namespace, server, tmp_path, extra=[f"--server-ca-file={pki.ca}"])
    # The name is checked in the handshake: the server sees it fail (or, with libcurl, complete
    # and then a hang-up).
    server.wait_for(lambda: server.tls_handshakes or server.tls_failures, 30, "the operator to connect")
    status = wait_status(api, namespace, op,
                         lambda s: s.get("health") == "degraded" and CERT_PROBLEM_RE.search(s.get("error") or ""),
                         20, "the status to say degraded with a certificate problem")
    assert status["registered"] is False and status["tier"] == "free", status
    assert re.search(r"name|host", status["error"], re.I), f"the error does not name the host name: {status!r}"
    time.sleep(3)
    assert op.poll() is None, op.describe()
    assert server.requests() == [], "a request was sent to a server with the wrong name\n" + server.summary()


def _serve_with_ca_file(binary, cluster, namespace: str, server: FakeKube9Server, ca_file: Path,
                        tmp_path: Path) -> subprocess.CompletedProcess:
    vol = SecretVolume(tmp_path / "secret")
    vol.write(server.api_key)
    args = [str(binary), "serve", f"--kubeconfig={cluster.kubeconfig}", f"--namespace={namespace}",
            f"--web.listen-address=127.0.0.1:{free_port()}", f"--server-url={server.url}",
            f"--api-key-file={vol.path}", f"--spool.path={tmp_path / 'spool'}", f"--server-ca-file={ca_file}"]
    try:
        return run(args, timeout=10, env=clean_env())
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"serve did not exit within 10 s with --server-ca-file={ca_file}:\n"
                             f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}") from None


# "corrupt-pem" has the PEM markers but no certificate inside: before every certificate was decoded
# at start-up, it started the operator and then broke every connection, system CAs included.
@pytest.mark.parametrize("kind", ["text", "binary", "empty", "private-key", "missing", "directory", "corrupt-pem"])
def test_server_ca_file_that_is_not_pem_makes_serve_exit_2(binary, cluster, namespace, https_server, pki,
                                                            tmp_path, kind):
    bad = tmp_path / f"bad-ca-{kind}"
    if kind == "text":
        bad.write_text("this is not a certificate\n")
    elif kind == "binary":
        bad.write_bytes(secrets.token_bytes(512))
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "private-key":
        bad.write_bytes(pki.ca_key.read_bytes())  # PEM, but no certificate in it
    elif kind == "directory":
        bad.mkdir()
    elif kind == "corrupt-pem":
        bad.write_text("-----BEGIN CERTIFICATE-----\nthis is not base64 DER!\n-----END CERTIFICATE-----\n")
    out = _serve_with_ca_file(binary, cluster, namespace, https_server, bad, tmp_path)
    assert out.returncode == 2, f"exit code {out.returncode}\nstdout: {out.stdout[-2000:]}\nstderr: {out.stderr}"
    assert "--server-ca-file" in out.stderr and str(bad) in out.stderr, f"unclear message: {out.stderr!r}"
    assert https_server.requests() == [] and https_server.tls_failures == [], https_server.summary()
