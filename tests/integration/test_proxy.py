"""Outbound traffic through an HTTP proxy (PRODUCT.md §5: "Outbound traffic honours
HTTPS_PROXY/NO_PROXY"), end to end: the real binary, the local control plane, the fake
kube9-server in TLS mode and a recording forward proxy (forward_proxy.py) on loopback.

How the hosts are told apart. The operator's HTTP client (http/openssl_transport.h) reads the
proxy variables as libcurl 7.88, which it replaced, did: it matches NO_PROXY entries against the
host *name* of the URL (an IP entry, optionally CIDR, against an IP literal; a name against the name and its
subdomains) and never bypasses the proxy for loopback or `localhost` on its own. So:

- the kube-apiserver is https://127.0.0.1:16443 (the kubeconfig's address), excluded with
  NO_PROXY=127.0.0.1;
- the fake kube9-server is https://localhost:PORT with a certificate for DNS:localhost from a
  throwaway CA (`--server-ca-file`); NO_PROXY=127.0.0.1 does not cover the name `localhost`, so
  the operator must reach it through the proxy with a CONNECT tunnel.

The operator's environment is built by conftest's clean_env, which drops every proxy variable
of the caller's shell and then adds the ones a test passes, so each test controls exactly which
proxy variables the operator sees.

Run: KUBE9_BINARY=build/kube9-operator python3 -m pytest -q tests/integration/test_proxy.py
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import free_port, metric_values, wait_for
from fake_kube9_server import REGISTER_PATH, FakeKube9Server
from forward_proxy import ForwardProxy
from test_pro_tier import (
    FIRST_RUN_TYPES,
    assert_degraded_not_registered,
    assert_no_violations,
    assert_registration_state,
    produced_ids,
    start_pro,
    wait_status,
)
from throwaway_pki import issue, new_ca

pytestmark = pytest.mark.pro_tier

# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def localhost_pki(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server.key): a throwaway CA and a certificate for DNS:localhost only."""
    root = tmp_path_factory.mktemp("proxy-pki")
    new_ca(root, "kube9 throwaway proxy-test CA")
    issue(root, "server", "DNS:localhost")
    return root / "ca.pem", root / "server.pem", root / "server.key"


@pytest.fixture
def server(localhost_pki):
    """The fake kube9-server over TLS at https://localhost:PORT (metrics batches every second)."""
    _, cert, key = localhost_pki
    s = FakeKube9Server(api_keys=[f"k9test_{secrets.token_hex(20)}"], host="localhost", tls=(str(cert), str(key)),
                        metrics_enabled=True, metrics_interval_seconds=1)
    s.start()
    assert s.url == f"https://localhost:{s.port}"
    yield s
    s.stop()


@pytest.fixture
def proxy():
    p = ForwardProxy()
    p.start()
    yield p
    p.stop()


@pytest.fixture
def kube_api(cluster) -> str:
    """host:port of the kube-apiserver the operator's kubeconfig points at (127.0.0.1:16443)."""
    url = urllib.parse.urlsplit(cluster.env["KUBE9_APISERVER_URL"])
    assert url.hostname == "127.0.0.1", f"these tests exclude the API server by IP: {url.geturl()}"
    return f"{url.hostname}:{url.port or 443}"


def host_port(server: FakeKube9Server) -> str:
    return f"{server.host}:{server.port}"


def everything_logged(op) -> str:
    return op.stdout() + op.stderr()


def assert_secret_nowhere(secret: str, op, api, namespace: str, proxy: ForwardProxy | None = None) -> None:
    """`secret` is in neither the operator's output nor its status, nor (in clear text) in
    anything the proxy received."""
    assert secret not in everything_logged(op), "a secret is in the operator's output"
    status = api.get_status(namespace)
    assert status is None or secret not in json.dumps(status), f"a secret is in the status: {status}"
    if proxy is not None:
        assert proxy.seen(secret) == [], f"the proxy saw a secret in clear text: {proxy.seen(secret)}"


def assert_ready_and_synced(op) -> None:
    """/readyz 200 (every collector has listed, the status was written) and a sync time for
    every collector in the metrics."""
    reply = op.get("/readyz")
    assert (reply.status, reply.text.strip()) == (200, "Ready"), (reply.status, reply.text)
    synced = metric_values(op.metrics(), "kube9_operator_last_sync_timestamp_seconds")
    assert synced and all(v > 0 for v in synced), op.metrics()


# --- through the proxy ---------------------------------------------------------------------------


@pytest.mark.parametrize("proxy_var,no_proxy_var", [("HTTPS_PROXY", "NO_PROXY"), ("https_proxy", "no_proxy")])
def test_https_proxy_carries_registration_and_uploads_and_no_proxy_keeps_the_kube_api_direct(
        api, namespace, start_operator, server, proxy, localhost_pki, kube_api, tmp_path, proxy_var, no_proxy_var):
    ca, _, _ = localhost_pki
    password = f"proxy-pw-{secrets.token_hex(8)}"
    proxy.credentials = ("kube9", password)  # a 407 to anything without them
    env = {proxy_var: proxy.url_with_credentials("kube9", password), no_proxy_var: "127.0.0.1"}
    op = start_pro(start_operator, namespace, server, tmp_path, extra=[f"--server-ca-file={ca}"], env=env)

    server.wait_for(server.successful_registrations, 30, "a successful registration through the proxy")
    status = wait_status(api, namespace, op, lambda s: s.get("registered") is True, 15,
                         "the status to say registered")
    assert status["tier"] == "pro" and status["health"] == "healthy" and status["error"] is None, status
    wanted = (*FIRST_RUN_TYPES, "metrics-batch")
    server.wait_for(lambda: all(server.collections(t) for t in wanted), 40,
                    f"collections of every type ({', '.join(wanted)}) through the proxy")
    # Every collection produced so far is delivered (not merely some).
    mark = time.time()
    produced = produced_ids(op, until=mark)
    assert produced, op.describe()
    server.wait_for(lambda: produced <= server.collection_ids(), 20,
                    f"every collection produced before {mark:.0f} to be accepted")
    assert_registration_state(op, "registered")

    # The proxy tunnelled kube9-server, and nothing else. Handshakes are read before tunnels:
    # a connection that bypassed the proxy would make the server count more handshakes than
    # the proxy counted tunnels.
    handshakes = server.tls_handshakes
    tunnels = proxy.tunnels(host_port(server))
    assert tunnels and handshakes <= len(tunnels), (handshakes, proxy.summary())
    assert set(proxy.targets()) == {host_port(server)}, proxy.summary()
    assert all(r.method == "CONNECT" and r.status == 200 for r in proxy.records()), proxy.summary()
    assert all(b"proxy-authorization: basic" in r.head.lower() for r in proxy.records()), proxy.summary()
    assert server.tls_failures == [], server.summary()
    assert all(r.tls_version in ("TLSv1.2", "TLSv1.3") for r in server.requests()), server.summary()
    assert_no_violations(server)

    # NO_PROXY=127.0.0.1: the kube-apiserver was reached directly, and the operator is ready.
    assert proxy.connects(kube_api) == [], proxy.summary()
    assert_ready_and_synced(op)

    # The key crossed the proxy only inside TLS; neither it nor the proxy's password is logged.
    assert_secret_nowhere(server.api_key, op, api, namespace, proxy)
    assert_secret_nowhere(password, op, api, namespace)


def test_without_no_proxy_the_kube_api_goes_through_the_proxy_too(api, namespace, start_operator, proxy, kube_api):
    """The control for NO_PROXY above: HTTPS_PROXY applies to the Kubernetes client as well, so
    the API server is reached through a tunnel unless NO_PROXY excludes it (free tier here)."""
    op = start_operator(namespace, env={"HTTPS_PROXY": proxy.url}, wait_ready=False)
    op.wait_ready(timeout=30)
    assert proxy.tunnels(kube_api), proxy.summary()
    assert set(proxy.targets()) == {kube_api}, proxy.summary()
    assert_ready_and_synced(op)
    status = api.get_status(namespace)
    assert status is not None and status["health"] == "healthy", status


def test_no_proxy_covering_kube9_server_bypasses_the_proxy(api, namespace, start_operator, server, proxy,
                                                           localhost_pki, tmp_path):
    ca, _, _ = localhost_pki
    proxy.refuse = 403  # anything that did reach it would fail loudly
    env = {"HTTPS_PROXY": proxy.url, "NO_PROXY": "kube9.example.invalid, 127.0.0.1, localhost"}
    op = start_pro(start_operator, namespace, server, tmp_path, extra=[f"--server-ca-file={ca}"], env=env)

    server.wait_for(server.successful_registrations, 30, "a successful registration, directly")
    wait_status(api, namespace, op, lambda s: s.get("registered") is True, 15, "the status to say registered")
    server.wait_for(lambda: all(server.collections(t) for t in FIRST_RUN_TYPES), 40,
                    "the first collections, directly")
    assert_ready_and_synced(op)
    assert proxy.records() == [], proxy.summary()
    assert_no_violations(server)


# --- a proxy that refuses, or is not there -------------------------------------------------------


@pytest.mark.parametrize("refusal", ["forbidden", "wrong-credentials", "down"])
def test_proxy_refusal_degrades_the_status_and_leaks_nothing(api, namespace, start_operator, server, proxy,
                                                             localhost_pki, kube_api, tmp_path, refusal):
    ca, _, _ = localhost_pki
    password = f"proxy-pw-{secrets.token_hex(8)}"
    if refusal == "forbidden":
        proxy.refuse = 403
        proxy_url, expected = proxy.url, r"CONNECT tunnel failed, response 403"
    elif refusal == "wrong-credentials":
        proxy.credentials = ("kube9", f"other-{secrets.token_hex(8)}")
        proxy_url, expected = proxy.url_with_credentials("kube9", password), r"CONNECT tunnel failed, response 407"
    else:
        port = free_port()  # nothing listens there
        proxy_url, expected = f"http://127.0.0.1:{port}", rf"(?i)connect.*127\.0\.0\.1 port {port}"
    op = start_pro(start_operator, namespace, server, tmp_path, extra=[f"--server-ca-file={ca}"],
                   env={"HTTPS_PROXY": proxy_url, "NO_PROXY": "127.0.0.1"})

    status = wait_status(api, namespace, op,
                         lambda s: s.get("health") == "degraded" and re.search(expected, s.get("error") or ""),
                         30, f"the status to say degraded with an error matching {expected!r}")
    error = assert_degraded_not_registered(status)
    assert error.startswith("kube9-server is unreachable: "), error
    assert_registration_state(op, "unreachable")

    def warned():
        lines = [e for e in op.json_logs() if "registration" in str(e.get("msg", "")) and re.search(
            expected, str(e.get("error", "")))]
        return bool(lines), lines
    wait_for(warned, 10, "a warning log line naming the proxy's refusal", operator=op)

    # Nothing reached kube9-server; the proxy, when up, was asked for it (only) and said no.
    assert server.requests() == [] and server.tls_handshakes == 0, server.summary()
    if refusal != "down":
        refused = proxy.connects(host_port(server))
        assert refused and all(r.status == (403 if refusal == "forbidden" else 407) for r in refused), proxy.summary()
        assert set(proxy.targets()) == {host_port(server)}, proxy.summary()
    assert proxy.connects(kube_api) == [], proxy.summary()

    # The operator lives on: alive, ready (the kube API is direct), serving.
    assert op.poll() is None, op.describe()
    health = op.get("/healthz")
    assert health.status == 200, health
    assert_ready_and_synced(op)

    assert_secret_nowhere(server.api_key, op, api, namespace, proxy)
    assert_secret_nowhere(password, op, api, namespace)


# --- plain http:// (loopback only): http_proxy is read in lower case only, as libcurl did -------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy"])
def test_plain_http_server_url_uses_lowercase_http_proxy_only(api, namespace, start_operator, proxy, tmp_path,
                                                              variable):
    server = FakeKube9Server(api_keys=[f"k9test_{secrets.token_hex(20)}"], host="localhost")
    server.start()
    try:
        assert server.url == f"http://localhost:{server.port}"
        op = start_pro(start_operator, namespace, server, tmp_path,
                       env={variable: proxy.url, "NO_PROXY": "127.0.0.1"})
        server.wait_for(server.successful_registrations, 30, "a successful registration")
        wait_status(api, namespace, op, lambda s: s.get("registered") is True, 15, "the status to say registered")
        if variable == "HTTP_PROXY":
            # Upper case is ignored (the "httpoxy" defence): a direct request.
            assert proxy.records() == [], proxy.summary()
        else:
            forwarded = [r for r in proxy.records() if r.method == "POST"]
            assert forwarded and forwarded[0].target == f"{server.url}{REGISTER_PATH}", proxy.summary()
            assert all(r.host_port == host_port(server) and r.status == 200 for r in forwarded), proxy.summary()
            # Why a proxy must only ever see https://: over plain HTTP it reads the key.
            assert proxy.seen(server.api_key), proxy.summary()
        assert_no_violations(server)
    finally:
        server.stop()
