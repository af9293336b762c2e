"""Shared fixtures for the integration suite: the real kube9-operator binary against the local
control plane of scripts/cluster.sh (kube-apiserver + etcd on loopback).

Only the Python standard library and pytest are used. The Kubernetes API is reached with
urllib + ssl (CA file and admin bearer token printed by `scripts/cluster.sh env`), never kubectl.

Every wait in this suite is bounded (see `wait_for`) and, when it times out, the assertion
message shows the last value observed and the tail of the operator's log.
"""

from __future__ import annotations

import calendar
import dataclasses
import gzip
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SH = REPO_ROOT / "scripts" / "cluster.sh"
STATUS_CONFIGMAP = "kube9-operator-status"

# Status fields of the contract with the VS Code extension, in contract order (PRODUCT.md §2).
STATUS_FIELDS = [
    "mode",
    "tier",
    "version",
    "health",
    "lastUpdate",
    "registered",
    "apiKeyConfigured",
    "error",
    "namespace",
    "collectionStats",
]
# Optional blocks after the contract's fields (PRODUCT.md §2: additive only).
ADDITIVE_STATUS_BLOCKS = {"clusterId", "assessment", "argocd", "clusterHealth", "gitops"}
COLLECTION_STATS_FIELDS = [
    "totalSuccessCount",
    "totalFailureCount",
    "collectionsStoredCount",
    "lastSuccessTime",
]
LAST_UPDATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Environment variables the operator reads (PRODUCT.md §6). They are removed from the
# environment of every process the suite starts, so that the developer's shell cannot change
# what a test exercises; a test that wants one sets it explicitly.
OPERATOR_ENV_VARS = [
    "KUBECONFIG",
    "POD_NAMESPACE",
    "LOG_LEVEL",
    "STATUS_UPDATE_INTERVAL_SECONDS",
    "SERVER_URL",
    "API_KEY",
    "REREGISTRATION_INTERVAL_HOURS",
    "CLUSTER_METADATA_INTERVAL_SECONDS",
    "RESOURCE_INVENTORY_INTERVAL_SECONDS",
    "RESOURCE_CONFIGURATION_PATTERNS_INTERVAL_SECONDS",
    "HEALTH_PORT",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "KUBE9_FAULT_INJECTION",  # test-only (docs/development.md "Threads")
    "ARGOCD_NAMESPACE",
    "ARGOCD_API_BASE_URL",
    "ARGOCD_API_TOKEN_FILE",
    "ARGOCD_CA_FILE",
]


# --- generic helpers -------------------------------------------------------------------------


def parse_rfc3339_millis(value: str) -> float:
    """Seconds since the epoch of a `2026-11-27T10:00:00.123Z` timestamp."""
    assert isinstance(value, str) and LAST_UPDATE_RE.match(value), f"not RFC 3339 UTC with millis: {value!r}"
    seconds = calendar.timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S"))
    return seconds + int(value[20:23]) / 1000.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def random_namespace() -> str:
    return f"it-{secrets.token_hex(5)}"


# scripts/cluster.sh's log folder, once the `cluster` fixture has started the cluster.
CLUSTER_LOGS: Path | None = None


def tcp_queues(pid: int) -> str:
    """The TCP sockets process `pid` holds, from /proc (no iproute2 needed): one line each."""
    inodes = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError as e:
        return f"(unreadable: {e})"
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:  # closed since the listing: a connection that ended
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    states = {"01": "established", "02": "syn-sent", "06": "time-wait", "07": "close", "08": "close-wait",
              "0A": "listen"}

    def address(hex_addr: str) -> str:
        ip, port = hex_addr.split(":")
        if len(ip) == 8:
            return f"{socket.inet_ntop(socket.AF_INET, bytes.fromhex(ip)[::-1])}:{int(port, 16)}"
        return f"[{ip}]:{int(port, 16)}"

    lines = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if len(f) > 9 and f[9] in inodes:
                tx, rx = (int(x, 16) for x in f[4].split(":"))
                lines.append(f"{address(f[1])} {address(f[2])} {states.get(f[3], f[3])} {tx} {rx}")
    return "\n".join(lines) or "(none)"


def thread_stacks(pid: int) -> str:
    """Where each thread of process `pid` waits: gdb's backtraces when gdb is installed, else
    each thread's name, state and kernel wait channel from /proc."""
    gdb = shutil.which("gdb")
    if gdb:
        out = run([gdb, "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off", "-ex", "thread apply all bt 20"],
                  timeout=60)
        # Per thread: its name, the frame it waits in, and the project's frames (at most six).
        lines, kept = [], 0
        for line in out.stdout.splitlines():
            if line.startswith("Thread "):
                lines.append(line)
                kept = 0
            elif line.startswith("#") and kept < 6 and (line.startswith("#0 ") or "kube9::" in line):
                lines.append("  " + line[:220])
                kept += 1
        if lines:
            return "\n".join(lines)
    rows = []
    try:
        for task in sorted(Path(f"/proc/{pid}/task").iterdir(), key=lambda t: int(t.name)):
            def read(name: str) -> str:
                try:
                    return (task / name).read_text().strip()
                except OSError:
                    return "?"
            state = read("stat").rsplit(")", 1)[-1].split()[0:1]
            rows.append(f"{task.name} {read('comm')} state={''.join(state)} wchan={read('wchan')} "
                        f"syscall={read('syscall').split(' ')[0]}")
    except OSError as e:
        return f"(unreadable: {e})"
    return "\n".join(rows)


def notable_log_line(line: str, since: float) -> bool:
    """Whether a line of scripts/cluster.sh's logs, written at `since` or later, is a warning,
    an error or a request trace: klog's lines (the API server: `W1206 08:49:26.37 ...`, UTC) or
    JSON lines with "level" and an RFC 3339 "ts" (etcd). klog's stamp has no year: month, day
    and time are compared, which holds across midnight (not across New Year)."""
    if m := re.match(r"^([IWEF])(\d{4} \d\d:\d\d:\d\d)", line):
        return m.group(2) >= time.strftime("%m%d %H:%M:%S", time.gmtime(since)) and (
            m.group(1) != "I" or "Trace[" in line or "total time" in line)
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return False
    return (isinstance(entry, dict) and entry.get("level") not in (None, "info", "debug")
            and str(entry.get("ts", "")) >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(since)))


def cluster_log_since(name: str, started: float, limit: int = 30) -> str:
    """The warnings, errors and request traces that scripts/cluster.sh's log `name`
    (kube-apiserver.log, etcd.log) holds from `started` on."""
    if CLUSTER_LOGS is None:
        return "(no cluster started)"
    log = CLUSTER_LOGS / name
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError as e:
        return f"({log} unreadable: {e})"
    picked = [line[:400] for line in lines if notable_log_line(line, started - 1)]
    return "\n".join(picked[-limit:]) or "(nothing)"


def wait_for(
    check: Callable[[], tuple[bool, Any]],
    timeout: float,
    what: str,
    interval: float = 0.2,
    operator: "Operator | None" = None,
) -> Any:
    """Polls `check` (which returns (done, observed)) until done or `timeout` seconds passed.

    Returns the last observed value. On timeout, or when `operator` exits meanwhile, fails with
    the last observed value and the operator's log tail.
    """
    deadline = time.monotonic() + timeout
    observed: Any = None
    while True:
        done, observed = check()
        if done:
            return observed
        if operator is not None and operator.poll() is not None:
            raise AssertionError(
                f"operator exited with code {operator.poll()} while waiting for {what}; "
                f"last observed: {observed!r}\n{operator.describe()}"
            )
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout:.0f}s waiting for {what}; last observed: {observed!r}"
        + (f"\n{operator.describe()}" if operator is not None else "")
    )


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Samples of a Prometheus text-format body: (name, labels, value)."""
    samples = []
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    line_re = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        assert m, f"unparsable metrics line: {line!r}"
        labels = {k: v for k, v in label_re.findall(m.group(2) or "")}
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def metric_values(text: str, name: str, **labels: str) -> list[float]:
    """Values of every sample called `name` whose labels include `labels`."""
    return [
        v
        for n, ls, v in parse_metrics(text)
        if n == name and all(ls.get(k) == want for k, want in labels.items())
    ]


def metric_value(text: str, name: str, **labels: str) -> float | None:
    values = metric_values(text, name, **labels)
    assert len(values) <= 1, f"{name}{labels} matches {len(values)} series"
    return values[0] if values else None


def run(args: list[str], timeout: float, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    """Runs a command to completion (bounded), capturing text output."""
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO_ROOT, **kw
    )


# Everything stays on loopback: a proxy from the caller's environment must not be used, by the
# operator (clean_env) or by the suite's own clients (no_proxies_in_the_test_process). Compared
# in lower case: the operator and urllib read both spellings. Tests that want a proxy add it.
PROXY_ENV_VARS = {p.lower() for p in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")}


@pytest.fixture(autouse=True)
def no_proxies_in_the_test_process(monkeypatch):
    for name in [k for k in os.environ if k.lower() in PROXY_ENV_VARS]:
        monkeypatch.delenv(name)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OPERATOR_ENV_VARS and k.lower() not in PROXY_ENV_VARS}
    env.update(extra or {})
    return env


# --- the Kubernetes API ----------------------------------------------------------------------


@dataclasses.dataclass
class ApiResponse:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class KubeApi:
    """A minimal client for the local API server: admin bearer token, CA verified."""

    def __init__(self, server: str, ca_file: str, token: str):
        self.server = server.rstrip("/")
        self.token = token
        self.ssl = ssl.create_default_context(cafile=ca_file)

    def request(self, method: str, path: str, body: Any = None, timeout: float = 10) -> ApiResponse:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=timeout) as resp:
                return ApiResponse(resp.status, resp.read())
        except urllib.error.HTTPError as e:
            return ApiResponse(e.code, e.read())

    def create_namespace(self, name: str) -> None:
        resp = self.request(
            "POST",
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        )
        assert resp.status == 201, f"creating namespace {name}: HTTP {resp.status} {resp.body[:500]!r}"

    def get_namespace(self, name: str) -> dict | None:
        resp = self.request("GET", f"/api/v1/namespaces/{name}")
        if resp.status == 404:
            return None
        assert resp.status == 200, f"GET namespace {name}: HTTP {resp.status} {resp.body[:500]!r}"
        return resp.json()

    def delete_namespace(self, name: str) -> None:
        # Without a controller manager the namespace only goes to Terminating; that is enough
        # to keep the cluster tidy, and every test uses a fresh name anyway.
        resp = self.request("DELETE", f"/api/v1/namespaces/{name}")
        assert resp.status in (200, 202, 404), f"DELETE namespace {name}: HTTP {resp.status}"

    def get_configmap(self, namespace: str, name: str = STATUS_CONFIGMAP) -> dict | None:
        resp = self.request("GET", f"/api/v1/namespaces/{namespace}/configmaps/{name}")
        if resp.status == 404:
            return None
        assert resp.status == 200, f"GET configmap {namespace}/{name}: HTTP {resp.status} {resp.body[:500]!r}"
        return resp.json()

    def get_status(self, namespace: str) -> dict | None:
        """The parsed `status` document of the operator's ConfigMap, or None when missing."""
        cm = self.get_configmap(namespace)
        if cm is None:
            return None
        return json.loads(cm["data"]["status"])

    def ready(self) -> bool:
        try:
            return self.request("GET", "/readyz", timeout=3).status == 200
        except (OSError, urllib.error.URLError):
            return False


@dataclasses.dataclass
class Cluster:
    env: dict[str, str]
    api: KubeApi
    kubeconfig: Path
    kubeconfig_token: Path
    admin_token: str


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    """The local control plane, started if needed (`up` is idempotent)."""
    # A cold first run builds kube-apiserver and etcd from the Go module proxy (docs/TESTING.md).
    up = run(["bash", str(CLUSTER_SH), "up"], timeout=3600)
    assert up.returncode == 0, f"scripts/cluster.sh up failed ({up.returncode}):\n{up.stdout}\n{up.stderr}"
    out = run(["bash", str(CLUSTER_SH), "env"], timeout=30)
    assert out.returncode == 0, f"scripts/cluster.sh env failed:\n{out.stderr}"
    env: dict[str, str] = {}
    for line in out.stdout.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, value = words[1].split("=", 1)
            env[key] = value
    for key in ("KUBE9_APISERVER_URL", "KUBE9_CA_FILE", "KUBE9_ADMIN_TOKEN_FILE", "KUBE9_CLUSTER_LOGS"):
        assert env.get(key), f"scripts/cluster.sh env did not print {key}:\n{out.stdout}"
    token = Path(env["KUBE9_ADMIN_TOKEN_FILE"]).read_text().strip()
    global CLUSTER_LOGS
    CLUSTER_LOGS = Path(env["KUBE9_CLUSTER_LOGS"])
    api = KubeApi(env["KUBE9_APISERVER_URL"], env["KUBE9_CA_FILE"], token)
    assert api.ready(), "the API server is not ready after scripts/cluster.sh up"
    return Cluster(
        env=env,
        api=api,
        kubeconfig=Path(env.get("KUBECONFIG", REPO_ROOT / ".local" / "kubeconfig")),
        kubeconfig_token=Path(env.get("KUBE9_KUBECONFIG_TOKEN", REPO_ROOT / ".local" / "kubeconfig-token")),
        admin_token=token,
    )


@pytest.fixture
def api(cluster: Cluster) -> KubeApi:
    return cluster.api


@pytest.fixture
def namespace(api: KubeApi) -> Iterable[str]:
    """A fresh, existing namespace for one test."""
    name = random_namespace()
    api.create_namespace(name)
    yield name
    try:
        api.delete_namespace(name)
    except Exception:  # noqa: BLE001 - cleanup must not hide the test's own result
        pass


# --- the operator binary ---------------------------------------------------------------------


def binary_path() -> Path:
    path = Path(os.environ.get("KUBE9_BINARY", "build/kube9-operator"))
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


@pytest.fixture(scope="session")
def binary() -> Path:
    path = binary_path()
    assert path.is_file() and os.access(path, os.X_OK), (
        f"operator binary {path} not found; build it with "
        "`cmake -S . -B build -G Ninja -DKUBE9_BUILD_TESTS=OFF && ninja -C build` or set KUBE9_BINARY"
    )
    return path


@pytest.fixture(scope="session")
def operator_version(binary: Path) -> str:
    """The version `kube9-operator version` prints."""
    out = run([str(binary), "version"], timeout=10, env=clean_env())
    assert out.returncode == 0, f"`version` exited {out.returncode}: {out.stderr}"
    m = re.match(r"^kube9-operator (\S+)", out.stdout)
    assert m, f"unexpected `version` output: {out.stdout!r}"
    return m.group(1)


@dataclasses.dataclass
class HttpReply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class Operator:
    """One running kube9-operator process with its own port, namespace and log files."""

    def __init__(self, binary: Path, args: list[str], env: dict[str, str], workdir: Path,
                 port: int, namespace: str | None):
        self.args = [str(binary), *args]
        self.port = port
        self.namespace = namespace
        workdir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = workdir / "stdout.log"
        self.stderr_path = workdir / "stderr.log"
        self.started_at = time.time()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # Own session: a Ctrl-C in the test runner reaches pytest, not the operator; the
            # fixture's teardown kills it by pid.
            self.proc = subprocess.Popen(
                self.args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                cwd=REPO_ROOT, start_new_session=True,
            )

    # process

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> int | None:
        return self.proc.poll()

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"operator (pid {self.pid}) did not exit within {timeout}s\n{self.describe()}"
            ) from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    # output

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def log_lines(self) -> list[str]:
        return self.stdout().splitlines()

    def json_logs(self) -> list[dict]:
        """Every complete stdout line parsed as JSON (fails on a line that is not an object)."""
        text = self.stdout()
        lines = text.splitlines()
        if lines and not text.endswith("\n"):
            lines = lines[:-1]  # still being written
        entries = []
        for line in lines:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as e:
                raise AssertionError(f"log line is not JSON ({e}): {line!r}\n{self.describe()}") from None
            assert isinstance(entry, dict), f"log line is not a JSON object: {line!r}"
            entries.append(entry)
        return entries

    def describe(self, lines: int = 30) -> str:
        out = "\n".join(self.log_lines()[-lines:])
        err = "\n".join(self.stderr().splitlines()[-lines:])
        rc = self.proc.poll()
        return (
            f"--- operator {' '.join(self.args[1:])} (pid {self.pid}, "
            f"{'running' if rc is None else f'exit code {rc}'})\n"
            f"--- stdout (last {lines} lines):\n{out}\n--- stderr (last {lines} lines):\n{err}"
        )

    # HTTP

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 5) -> HttpReply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return HttpReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def try_get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 5) -> HttpReply | None:
        """Like get, but None when the server does not answer (not listening yet, or gone)."""
        try:
            return self.get(path, headers, timeout)
        except (OSError, http.client.HTTPException):
            return None

    def metrics(self) -> str:
        reply = self.get("/metrics")
        assert reply.status == 200, f"/metrics returned {reply.status}: {reply.body[:300]!r}"
        if reply.headers.get("content-encoding") == "gzip":
            return gzip.decompress(reply.body).decode()
        return reply.text

    def wait_http(self, timeout: float = 10) -> None:
        """Waits until the HTTP server answers /healthz."""
        def check():
            reply = self.try_get("/healthz", timeout=2)
            return reply is not None, None if reply is None else (reply.status, reply.body[:200])
        wait_for(check, timeout, f"the operator's HTTP server on port {self.port}", operator=self)

    def wait_ready(self, timeout: float = 15, grace: float = 45) -> None:
        """Waits until /readyz says 200 Ready. Past `timeout` it records where the operator
        stands (`cluster_diagnosis`) and waits `grace` seconds more: ready by then passes with that
        record as a warning in pytest's summary; not ready fails with it."""
        def check():
            reply = self.try_get("/readyz", timeout=2)
            observed = None if reply is None else (reply.status, reply.body[:300])
            return reply is not None and reply.status == 200, observed
        try:
            wait_for(check, timeout, "/readyz to return 200", operator=self)
            return
        except AssertionError as e:
            late = f"{e}\n{self.cluster_diagnosis()}"
        try:
            wait_for(check, grace, f"/readyz to return 200 in the {grace:.0f}s after that", operator=self)
        except AssertionError as e:
            raise AssertionError(f"{late}\n--- and then: {e}") from None
        warnings.warn(f"the operator was ready only after {time.time() - self.started_at:.1f}s, "
                      f"slower than {timeout:.0f}s:\n{late}", stacklevel=2)

    def cluster_diagnosis(self) -> str:
        """What tells a slow control plane from a stuck operator: the operator's API request,
        relist, last-sync and store counters; the send and receive queues of its TCP connections
        (bytes the API server has not read, or bytes the operator has not read); what the API
        server and etcd logged since the operator started; and where each of its threads waits."""
        parts = []
        reply = self.try_get("/metrics", timeout=5)
        if reply is not None and reply.status == 200:
            text = reply.text
            wanted = ("kube9_operator_kubernetes_api_requests_total", "kube9_operator_kubernetes_api_errors_total",
                      "kube9_operator_relists_total", "kube9_operator_last_sync_timestamp_seconds",
                      "kube9_operator_store_objects")
            parts.append("--- API counters:\n" + "\n".join(l for l in text.splitlines() if l.startswith(wanted)))
        parts.append("--- TCP connections (local remote state send-queue receive-queue):\n" + tcp_queues(self.pid))
        for log in ("kube-apiserver.log", "etcd.log"):
            parts.append(f"--- {log} since the operator started:\n" + cluster_log_since(log, self.started_at))
        parts.append("--- the operator's threads:\n" + thread_stacks(self.pid))
        return "\n".join(parts)


StartOperator = Callable[..., Operator]


@pytest.fixture
def start_operator(binary: Path, cluster: Cluster, tmp_path: Path) -> Iterable[StartOperator]:
    """Factory: starts `kube9-operator serve` on a free loopback port. Every process it started
    is killed at teardown, whatever the test did.

    start_operator(namespace, interval="5s", kubeconfig=None, args=(), env=None, port=None,
                   wait_ready=True, listen_flag=True)

    namespace and interval None: no --namespace / --status.update-interval flag (the test sets
    the environment instead). listen_flag False: no --web.listen-address flag; the test passes
    HEALTH_PORT=port in env and the fixture still talks to 127.0.0.1:port.
    """
    started: list[Operator] = []

    def start(
        namespace: str | None,
        interval: str | None = "5s",
        kubeconfig: Path | str | None = None,
        args: Iterable[str] = (),
        env: dict[str, str] | None = None,
        port: int | None = None,
        wait_ready: bool = True,
        listen_flag: bool = True,
    ) -> Operator:
        port = port or free_port()
        argv = ["serve", f"--kubeconfig={kubeconfig or cluster.kubeconfig}"]
        if listen_flag:
            argv.append(f"--web.listen-address=127.0.0.1:{port}")
        if namespace is not None:
            argv.append(f"--namespace={namespace}")
        if interval is not None:
            argv.append(f"--status.update-interval={interval}")
        args = list(args)
        workdir = tmp_path / f"operator-{len(started)}"
        if not any(a.startswith("--data.path") for a in args) and "KUBE9_DATA_PATH" not in (env or {}):
            # Each operator its own events history, never the machine's /var/lib/kube9-operator.
            argv.append(f"--data.path={workdir / 'data'}")
        argv.extend(args)
        op = Operator(binary, argv, clean_env(env), workdir, port, namespace)
        started.append(op)
        if wait_ready:
            op.wait_ready()
        return op

    yield start
    for op in started:
        op.kill()


# --- objects and their status (tests of the cluster collectors) -------------------------------
# Additions only: nothing above depends on them.


def api_request(api: KubeApi, method: str, path: str, body: Any = None,
                content_type: str = "application/json", timeout: float = 10) -> ApiResponse:
    """Like KubeApi.request, with a chosen Content-Type (merge-patch for status updates)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(api.server + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {api.token}")
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, context=api.ssl, timeout=timeout) as resp:
            return ApiResponse(resp.status, resp.read())
    except urllib.error.HTTPError as e:
        return ApiResponse(e.code, e.read())


def create_object(api: KubeApi, collection: str, obj: dict) -> dict:
    """POSTs `obj` to a collection path (e.g. /api/v1/namespaces/NS/pods); returns what was stored."""
    resp = api_request(api, "POST", collection, obj)
    assert resp.status == 201, f"POST {collection}: HTTP {resp.status} {resp.body[:800]!r}"
    return resp.json()


def patch_object(api: KubeApi, path: str, patch: dict, subresource: str = "") -> dict:
    """Merge-patches an object (or its `status` subresource); returns what was stored."""
    full = path + (f"/{subresource}" if subresource else "")
    resp = api_request(api, "PATCH", full, patch, content_type="application/merge-patch+json")
    assert resp.status == 200, f"PATCH {full}: HTTP {resp.status} {resp.body[:800]!r}"
    return resp.json()


def patch_status(api: KubeApi, path: str, status: dict) -> dict:
    return patch_object(api, path, {"status": status}, subresource="status")


def delete_object(api: KubeApi, path: str) -> None:
    # gracePeriodSeconds=0: without a kubelet a pod with a grace period would linger as Terminating.
    resp = api_request(api, "DELETE", path, {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
    assert resp.status in (200, 202), f"DELETE {path}: HTTP {resp.status} {resp.body[:500]!r}"


def list_items(api: KubeApi, path: str) -> list[dict]:
    """Every item of a (cluster-wide) collection, following `continue`."""
    items: list[dict] = []
    cont = ""
    while True:
        sep = "&" if "?" in path else "?"
        resp = api.request("GET", f"{path}{sep}limit=500" + (f"&continue={urllib.parse.quote(cont)}" if cont else ""))
        assert resp.status == 200, f"GET {path}: HTTP {resp.status} {resp.body[:500]!r}"
        doc = resp.json()
        items.extend(doc.get("items") or [])
        cont = (doc.get("metadata") or {}).get("continue") or ""
        if not cont:
            return items


# --- etcd ------------------------------------------------------------------------------------

ETCD_URL = f"http://127.0.0.1:{os.environ.get('KUBE9_ETCD_PORT', '12379')}"


def etcd(path: str, body: dict) -> dict:
    """One call to etcd's JSON gateway (v3 API over HTTP)."""
    req = urllib.request.Request(ETCD_URL + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def compact_etcd() -> int:
    """Compacts etcd at its current revision, so that older resourceVersions are gone for
    good (not only from the API server's watch cache); returns that revision."""
    rev = int(etcd("/v3/kv/range", {"key": "AA=="})["header"]["revision"])
    etcd("/v3/kv/compaction", {"revision": rev, "physical": True})
    return rev


# --- the fake kube9-server (Pro tier, PRODUCT.md §5) -------------------------------------------
# Additions only: nothing above depends on them.


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "pro_tier: end-to-end tests of the Pro tier (registration, uploads) against the fake kube9-server"
    )


@pytest.fixture
def kube9_server() -> Iterable[Any]:
    """A started fake kube9-server (tests/integration/fake_kube9_server.py) on a loopback port,
    accepting one random API key (`kube9_server.api_key`); `kube9_server.url` is its base URL.
    Stopped at teardown."""
    from fake_kube9_server import FakeKube9Server

    server = FakeKube9Server(api_keys=[f"k9test_{secrets.token_hex(20)}"])
    server.start()
    yield server
    server.stop()
