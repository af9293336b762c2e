#!/usr/bin/env python3
"""Benchmark v1 of kube9-operator (docs/benchmarks.md; targets in PERFORMANCE.md).

For each size (pods:nodes) it:

 1. starts a fresh, separate control plane (scripts/cluster.sh down + up with
    KUBE9_CLUSTER_DIR=.local/bench-cluster on ports 26443/22379/22380, never the default
    cluster of the tests) and loads a synthetic cluster into it with bench/load.py;
 2. times a reference LIST of the eleven resources the operator reads (in parallel, pages of
    500 like the operator), so that "start to ready" can be compared with "LIST time + 1 s";
 3. starts build/kube9-operator and measures the time from exec to the first 200 on /readyz;
 4. lets it settle (BENCH_SETTLE_SECONDS, 20) and records the steady RSS (VmRSS, RssAnon,
    RssFile, RssShmem from /proc/<pid>/status) and checks the aggregates against what was loaded;
 5. averages CPU (utime + stime ticks of /proc/<pid>/stat) over BENCH_CPU_SECONDS (60) with a
    gzip scrape of /metrics every 15 s, in millicores;
 6. forces a full relist by restarting the bench API server (stop-apiserver, start-apiserver),
    confirms it through kube9_operator_relists_total, and tracks VmRSS every 100 ms before,
    during and after, plus VmHWM (reset through /proc/<pid>/clear_refs just before), to report
    the relist peak relative to the steady RSS (and to the RSS just before the relist);
 7. scrapes /metrics BENCH_SCRAPES (200) times in a row, plain and with Accept-Encoding: gzip
    over one keep-alive connection (as Prometheus does), and gzip with a new connection per
    scrape, and reports median / p99 / max latency, the body sizes and the RSS afterwards;
 8. at 10k pods and more (BENCH_EVENTS_MIN_PODS), sends an event storm through the API server
    (BENCH_EVENTS, 50,000 writes, BENCH_EVENTS_REPEATS, 20% of them repeats: patches of an
    existing event's count, lastTimestamp and series; 75% Warning, 20% Normal with a reason the
    history keeps, 5% routine Normal) and reports the operator's RSS before, at the peak and
    after, the rows, bytes and drops of its events history, how long the history took to catch
    up after the last write, and `query events list` on the result.

 9. kube-state-metrics side by side (issue 14), once the operator above has exited: on the same
    cluster, .local/bin/kube-state-metrics (`make tools`) and then build/kube9-operator
    --kube-state-metrics, each with --resources set to the resources both serve (the operator's
    family sets in collectors/ksm/registry.cc), one process at a time. For each: the steady
    VmRSS BENCH_SETTLE_SECONDS after its watches are open (kube-state-metrics) or it is ready
    (the operator), before any scrape, and VmHWM then (the peak of the initial LISTs); CPU over
    BENCH_CPU_SECONDS with a gzip scrape every BENCH_SCRAPE_INTERVAL s (both run with
    --enable-gzip-encoding so that both answer Prometheus' Accept-Encoding the same way;
    the first scrape checks that every pod is served); the relist peak: VmHWM, reset just
    before the bench API server is restarted, read BENCH_KSM_RELIST_SECONDS (20) s after it
    is ready again, with no scrape in between, and the pods' LIST (or watch-list) counters
    confirming the relist; then BENCH_KSM_SCRAPES (15) plain and as many gzip scrapes, each on
    a new connection, timed to the last byte read, their bytes, the series and families
    served, and VmHWM over those scrapes; BENCH_KSM_SCRAPE_GAP_SECONDS (45) s later, the same
    scrapes again: median, min and max are over both blocks, whose own medians are kept too.
    The ratios ours / kube-state-metrics go into the table and the issue's targets (RSS
    steady and at the relist <= 1/5, scrapes >= 3x faster); the operator's aggregates-only
    figures are those of steps 4-8 (all collectors, no --kube-state-metrics). Then both run
    at once, idle apart from their watches, and are scraped in turn, BENCH_KSM_PAIRED_SCRAPES
    (30; 0: not) plain and as many gzip scrapes each: on a shared VM whose speed drifts
    within minutes, this ratio of medians is the one that drift cannot move (both ratios are
    reported, and both are held to the 3x target).

Steps 5 to 9 are phases: BENCH_PHASES (cpu,relist,metrics,events,ksm) selects some of them, e.g.
BENCH_SIZES=10000:500 BENCH_PHASES=events for the event storm alone. The operator runs with
its events history on, in a fresh temporary --data.path per size (the image's emptyDir).

It prints one table (plus the PERFORMANCE.md targets that apply, met or missed) and writes
bench/results/<timestamp>.json; the operator's and the control plane's logs of the run are kept
in bench/results/<timestamp>-logs/.

Environment: BENCH_SIZES (1000:100,10000:500), BENCH_PHASES (cpu,relist,metrics,events,ksm),
BENCH_KSM_SCRAPES (15), BENCH_KSM_SCRAPE_GAP_SECONDS (45), BENCH_KSM_RELIST_SECONDS (20),
BENCH_KSM_PAIRED_SCRAPES (30),
BENCH_EVENTS (50000), BENCH_EVENTS_REPEATS (0.2), BENCH_EVENTS_MIN_PODS (10000),
BENCH_EVENTS_HISTORY (1; 0 runs the operator without its events history, for comparison),
BENCH_NAMESPACES (50), BENCH_LOAD_WORKERS (32),
BENCH_SETTLE_SECONDS (20), BENCH_CPU_SECONDS (60), BENCH_SCRAPE_INTERVAL (15), BENCH_SCRAPES
(200), BENCH_APISERVER_PORT (26443), BENCH_ETCD_PORT (22379), BENCH_ETCD_PEER_PORT (22380),
BENCH_CLUSTER_DIR (.local/bench-cluster), BENCH_KEEP_CLUSTER (0: the bench cluster is taken
down at the end), KUBE9_BINARY (build/kube9-operator).

The operator runs with the environment the image gives it: the `ENV` lines of the Dockerfile's
last stage, on top of this process's environment.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import platform
import re
import shlex
import signal
import socket
import sqlite3
import statistics
import subprocess
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load as loader  # noqa: E402  (bench/load.py)

REPO_ROOT = Path(__file__).resolve().parents[1]
CLUSTER_SH = REPO_ROOT / "scripts" / "cluster.sh"
RESULTS = REPO_ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 2**20
# What runs after start-to-ready and the steady state, in this order (BENCH_PHASES selects).
PHASES = ("cpu", "relist", "metrics", "events", "ksm")
# The event storm runs at this size and above (BENCH_EVENTS_MIN_PODS).
EVENTS_MIN_PODS = int(os.environ.get("BENCH_EVENTS_MIN_PODS", "10000"))

RESOURCE_PATHS = {
    "nodes": "/api/v1/nodes",
    "namespaces": "/api/v1/namespaces",
    "pods": "/api/v1/pods",
    "services": "/api/v1/services",
    "persistentvolumeclaims": "/api/v1/persistentvolumeclaims",
    "deployments": "/apis/apps/v1/deployments",
    "statefulsets": "/apis/apps/v1/statefulsets",
    "daemonsets": "/apis/apps/v1/daemonsets",
    "replicasets": "/apis/apps/v1/replicasets",
    "jobs": "/apis/batch/v1/jobs",
    "cronjobs": "/apis/batch/v1/cronjobs",
}


def image_env(dockerfile: Path = REPO_ROOT / "Dockerfile") -> dict[str, str]:
    """The `ENV KEY=VALUE` settings of the Dockerfile's last stage: what the shipped image runs with."""
    env: dict[str, str] = {}
    for line in dockerfile.read_text().splitlines():
        line = line.strip()
        if line.upper().startswith("FROM "):
            env = {}  # a new stage; only the last one is the image
        elif line.upper().startswith("ENV "):
            for item in shlex.split(line[4:]):
                key, sep, value = item.partition("=")
                if not sep:
                    raise ValueError(f"Dockerfile: only ENV KEY=VALUE is understood here: {line!r}")
                env[key] = value
    return env


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# --- the bench control plane -----------------------------------------------------------------


class BenchCluster:
    def __init__(self, logs_dir: Path):
        self.env = dict(os.environ)
        self.env.update({
            "KUBE9_CLUSTER_DIR": os.environ.get("BENCH_CLUSTER_DIR", ".local/bench-cluster"),
            "KUBE9_APISERVER_PORT": str(env_int("BENCH_APISERVER_PORT", 26443)),
            "KUBE9_ETCD_PORT": str(env_int("BENCH_ETCD_PORT", 22379)),
            "KUBE9_ETCD_PEER_PORT": str(env_int("BENCH_ETCD_PEER_PORT", 22380)),
        })
        self.logs_dir = logs_dir
        self.log_offsets: dict[str, int] = {}

    def state_dir(self) -> Path:
        state = Path(self.env["KUBE9_CLUSTER_DIR"])
        return state if state.is_absolute() else REPO_ROOT / state

    def mark_logs(self) -> None:
        """Remembers where the control plane's logs end, so that save_logs copies only what follows."""
        for name in ("kube-apiserver.log", "etcd.log"):
            f = self.state_dir() / "logs" / name
            self.log_offsets[name] = f.stat().st_size if f.exists() else 0

    def sh(self, command: str) -> float:
        """Runs scripts/cluster.sh COMMAND; returns its wall time."""
        started = time.monotonic()
        proc = subprocess.run(["bash", str(CLUSTER_SH), command], env=self.env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"scripts/cluster.sh {command} failed ({proc.returncode}):\n{proc.stderr}")
        return time.monotonic() - started

    def vars(self) -> dict[str, str]:
        out = subprocess.run(["bash", str(CLUSTER_SH), "env"], env=self.env, check=True, capture_output=True,
                             text=True).stdout
        env = {}
        for line in out.splitlines():
            if line.startswith("export "):
                k, _, v = line[len("export "):].partition("=")
                env[k] = shlex.split(v)[0] if v else ""
        return env

    def target(self) -> loader.Target:
        v = self.vars()
        return loader.Target(v["KUBE9_APISERVER_URL"], v["KUBE9_CA_FILE"],
                             Path(v["KUBE9_ADMIN_TOKEN_FILE"]).read_text().strip())

    def kubeconfig(self) -> str:
        return self.vars()["KUBE9_KUBECONFIG_TOKEN"]

    def save_logs(self, suffix: str) -> None:
        for name in ("kube-apiserver.log", "etcd.log"):
            src = self.state_dir() / "logs" / name
            if src.exists():
                with open(src, "rb") as f:
                    f.seek(self.log_offsets.get(name, 0))
                    (self.logs_dir / f"{Path(name).stem}-{suffix}.log").write_bytes(f.read())


def reference_list(target: loader.Target, page_size: int = 500) -> dict:
    """Lists every resource the operator reads, all in parallel, in pages; only reads bytes."""
    results: dict[str, dict] = {}

    def one(resource: str, path: str) -> None:
        api = loader.Api(target)
        started = time.monotonic()
        nbytes = pages = 0
        cont = ""
        while True:
            q = f"?limit={page_size}" + (f"&continue={cont}" if cont else "")
            status, body = api.request("GET", path + q)
            if status != 200:
                raise SystemExit(f"reference LIST {path}: HTTP {status}")
            nbytes += len(body)
            pages += 1
            # Only the continue token is needed; it sits in the list's metadata at the start.
            m = re.search(rb'"continue":"([^"]*)"', body[:2048])
            cont = m.group(1).decode() if m else ""
            if not cont:
                break
        api.close()
        results[resource] = {"seconds": round(time.monotonic() - started, 3), "bytes": nbytes, "pages": pages}

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=kv) for kv in RESOURCE_PATHS.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"seconds": round(time.monotonic() - started, 3),
            "bytes": sum(r["bytes"] for r in results.values()), "resources": results}


# --- the operator process --------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon, RssFile, RssShmem, VmSize in KiB; Threads."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "VmSize", "Threads"):
            out[key] = int(value.split()[0])
    return out


def smaps_by_mapping(pid: int, top: int = 12) -> list[dict]:
    """Rss and Anonymous KiB per mapped file (or [heap], [anon], [stack]), largest first."""
    totals: dict[str, list[int]] = {}
    current = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split(None, 5)
        if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
            current = head[5].strip() if len(head) == 6 else "[anon]"
            totals.setdefault(current, [0, 0])
        elif line.startswith("Rss:"):
            totals[current][0] += int(line.split()[1])
        elif line.startswith("Anonymous:"):
            totals[current][1] += int(line.split()[1])
    rows = sorted(totals.items(), key=lambda kv: -kv[1][0])
    return [{"mapping": k, "rss_kib": v[0], "anonymous_kib": v[1]} for k, v in rows[:top] if v[0] > 0]


def cpu_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def reset_hwm(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Sampler(threading.Thread):
    """Samples /proc/<pid>/status every `period` seconds: (t, VmRSS, RssAnon, RssFile) in KiB."""

    def __init__(self, pid: int, period: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.samples: list[tuple[float, int, int, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                s = proc_status(self.pid)
            except (FileNotFoundError, ProcessLookupError):
                return
            self.samples.append((time.monotonic(), s["VmRSS"], s.get("RssAnon", 0), s.get("RssFile", 0)))
            self.stop.wait(self.period)

    def window(self, start: float, end: float) -> list[tuple[float, int, int, int]]:
        return [s for s in self.samples if start <= s[0] <= end]


class Http:
    """A keep-alive HTTP connection to the operator."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str, gzip_ok: bool = False, timeout: float = 10) -> tuple[int, bytes, dict]:
        headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self.conn.request("GET", path, headers=headers)
                resp = self.conn.getresponse()
                body = resp.read()
                hdrs = {k.lower(): v for k, v in resp.getheaders()}
                if hdrs.get("connection", "").lower() == "close":
                    self.close()
                return resp.status, body, hdrs
            except (ConnectionError, http.client.HTTPException, socket.timeout):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def metrics_text(http_: Http) -> str:
    status, body, hdrs = http_.get("/metrics", gzip_ok=True)
    if status != 200:
        raise RuntimeError(f"/metrics: HTTP {status}")
    if hdrs.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return body.decode()


SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out = []
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        m = SAMPLE_RE.match(line)
        if m and m.group(1) == name:
            out.append((dict(LABEL_RE.findall(m.group(2) or "")), float(m.group(3))))
    return out


def by_label(text: str, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for labels, v in samples(text, name):
        out[labels.get(label, "")] = out.get(labels.get(label, ""), 0) + v
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


# --- one size --------------------------------------------------------------------------------


def bench_size(pods: int, nodes: int, binary: Path, logs_dir: Path, phases: list[str]) -> dict:
    label = f"{pods}p-{nodes}n"
    cluster = BenchCluster(logs_dir)
    r: dict = {"pods": pods, "nodes": nodes, "loadavg_start": loadavg()}

    log(f"== {pods} pods / {nodes} nodes: fresh bench cluster (down, up)")
    cluster.sh("down")
    cluster.mark_logs()
    r["cluster_up_seconds"] = round(cluster.sh("up"), 2)
    target = cluster.target()

    log("loading")
    r["load"] = loader.load(target, pods, nodes, namespaces=env_int("BENCH_NAMESPACES", 50),
                            workers=env_int("BENCH_LOAD_WORKERS", 32))

    # The reference LIST, three times (the first one may warm caches); the median is reported.
    lists = [reference_list(target) for _ in range(3)]
    r["reference_list"] = sorted(lists, key=lambda x: x["seconds"])[1]
    r["reference_list"]["runs_seconds"] = [x["seconds"] for x in lists]
    log(f"reference LIST of 11 resources: {r['reference_list']['seconds']:.3f} s "
        f"(runs {r['reference_list']['runs_seconds']}), {r['reference_list']['bytes'] / MIB:.1f} MiB")

    port = free_port()
    op_log = open(logs_dir / f"operator-{label}.log", "wb")
    # The events history on, as in the image (an emptyDir at /var/lib/kube9-operator): a fresh
    # data directory per size, removed at the end.
    data_dir = Path(tempfile.mkdtemp(prefix=f"kube9-bench-data-{label}-"))
    cmd = [str(binary), "--kubeconfig", cluster.kubeconfig(), "--namespace", "kube9-system",
           "--web.listen-address", f"127.0.0.1:{port}", "--sample-interval", "15s", "--log.level", "warn",
           "--data.path", str(data_dir)]
    if os.environ.get("BENCH_EVENTS_HISTORY", "1") == "0":
        # For comparison: the operator without its events history (and without the events phase).
        cmd += ["--collectors", ",".join(RESOURCE_PATHS)]
        phases = [p for p in phases if p != "events"]
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "POD_NAMESPACE", "LOG_LEVEL",
                                                            "HEALTH_PORT", "KUBERNETES_SERVICE_HOST")}
    env.update(image_env())
    r["operator_command"] = " ".join(cmd)
    r["operator_image_env"] = image_env()
    log(f"starting the operator on 127.0.0.1:{port}")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=op_log, stderr=subprocess.STDOUT, env=env)
    sampler = Sampler(proc.pid)
    sampler.start()
    http_ = Http(port)
    operator_done = False
    try:
        # --- start to ready
        deadline = t0 + 300
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"operator exited with {proc.returncode}; see {op_log.name}")
            try:
                status, _, _ = http_.get("/readyz", timeout=2)
                if status == 200:
                    break
            except (OSError, http.client.HTTPException):
                http_.close()
            if time.monotonic() > deadline:
                raise SystemExit("operator not ready within 300 s")
            time.sleep(0.01)
        t_ready = time.monotonic()
        r["start_to_ready_seconds"] = round(t_ready - t0, 3)
        at_ready = proc_status(proc.pid)
        r["rss_at_ready_kib"] = at_ready
        log(f"ready after {r['start_to_ready_seconds']:.3f} s (reference LIST {r['reference_list']['seconds']:.3f} s);"
            f" VmHWM so far {at_ready['VmHWM'] / 1024:.1f} MiB")

        # --- steady state
        settle = env_int("BENCH_SETTLE_SECONDS", 20)
        log(f"settling {settle} s")
        time.sleep(settle)
        steady = proc_status(proc.pid)
        r["steady"] = steady
        r["steady_smaps_top"] = smaps_by_mapping(proc.pid)
        text = metrics_text(http_)
        stores = by_label(text, "kube9_operator_store_objects", "resource")
        r["store_objects"] = stores
        r["check"] = {
            "kube9_pods_sum": sum(v for _, v in samples(text, "kube9_pods")),
            "kube9_nodes_sum": sum(v for _, v in samples(text, "kube9_nodes")),
            "kube9_nodes_not_ready": by_label(text, "kube9_nodes", "ready").get("false", 0),
            "expected_pods": r["load"]["pods"],
            "expected_nodes": nodes,
            "expected_nodes_not_ready": r["load"]["nodes_not_ready"],
            "kube9_health_score": samples(text, "kube9_health_score")[0][1],
        }
        # The assessment's own measure of its last run (it runs once synced, then hourly).
        r["assessment_operator"] = {
            "run_seconds": next((v for _, v in samples(text, "kube9_assessment_run_duration_seconds")), None),
            "runs": next((v for _, v in samples(text, "kube9_assessment_runs_total")), None),
        }
        ok = (r["check"]["kube9_pods_sum"] == pods and r["check"]["kube9_nodes_sum"] == nodes
              and r["check"]["kube9_nodes_not_ready"] == r["load"]["nodes_not_ready"])
        r["check"]["ok"] = ok
        log(f"steady VmRSS {steady['VmRSS'] / 1024:.1f} MiB (RssAnon {steady['RssAnon'] / 1024:.1f},"
            f" RssFile {steady['RssFile'] / 1024:.1f}); aggregates {'match' if ok else 'DO NOT match'} the load")

        if "cpu" in phases:
            measure_cpu(r, proc, http_)
        if "relist" in phases:
            measure_relist(r, proc, http_, cluster, sampler, steady, stores)
        if "metrics" in phases:
            measure_metrics(r, proc, http_, port)
        if "events" in phases and pods >= EVENTS_MIN_PODS:
            r["events"] = measure_events(proc, http_, sampler, target, binary, data_dir, nodes, env)
        r["cpu_seconds_total"] = round(cpu_ticks(proc.pid) / CLK_TCK, 2)
        operator_done = True
    finally:
        sampler.stop.set()
        http_.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        r["operator_exit_code"] = proc.returncode
        op_log.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        # The kube-state-metrics side by side runs on the same cluster once the operator above
        # has exited, so that the processes never share the 2 cores (or the API server).
        try:
            if "ksm" in phases and operator_done:
                try:
                    r["ksm"] = measure_ksm(pods, nodes, cluster, binary, logs_dir, label, r, env)
                except (Exception, SystemExit) as e:  # keep this size's other figures
                    log(f"ksm: side by side failed: {e}")
                    r["ksm_error"] = str(e)
        finally:
            cluster.save_logs(label)
            if os.environ.get("BENCH_KEEP_CLUSTER", "0") != "1":
                cluster.sh("down")
    r["loadavg_end"] = loadavg()
    r["assessment"] = assessment_bench(pods, nodes)
    return r


def assessment_bench(pods: int, nodes: int) -> dict:
    """The assessment's run time and RSS growth in process (bench/assessment_bench.cc), at this size."""
    exe = Path(os.environ.get("KUBE9_BINARY", REPO_ROOT / "build" / "kube9-operator")).resolve().parent / "assessment_bench"
    if not os.access(exe, os.X_OK):
        log(f"{exe} is not built: no assessment figures")
        return {}
    out = subprocess.run([str(exe), str(pods), str(nodes), "20"], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        log(f"assessment_bench failed ({out.returncode}): {out.stderr[-500:]}")
        return {}
    a = json.loads(out.stdout)
    a["rss_growth_kib"] = a["rss_kib_after_first_run"] - a["rss_kib_before"]
    log(f"assessment: {a['checks']} checks, run {a['run_ms_median']:.1f} ms median ({a['run_ms_max']:.1f} max),"
        f" RSS growth {a['rss_growth_kib'] / 1024:.2f} MiB")
    return a


def measure_cpu(r: dict, proc: subprocess.Popen, http_: Http) -> None:
    cpu_seconds = env_int("BENCH_CPU_SECONDS", 60)
    interval = env_int("BENCH_SCRAPE_INTERVAL", 15)
    log(f"CPU over {cpu_seconds} s with a gzip scrape every {interval} s")
    la0 = loadavg()
    ticks0, c0 = cpu_ticks(proc.pid), time.monotonic()
    next_scrape = c0
    scrapes = 0
    while True:
        now = time.monotonic()
        if now >= c0 + cpu_seconds:
            break
        if now >= next_scrape:
            http_.get("/metrics", gzip_ok=True)
            scrapes += 1
            next_scrape += interval
        time.sleep(max(0.0, min(next_scrape, c0 + cpu_seconds) - time.monotonic()))
    ticks1, c1 = cpu_ticks(proc.pid), time.monotonic()
    r["cpu"] = {
        "seconds": round(c1 - c0, 2),
        "ticks": ticks1 - ticks0,
        "clk_tck": CLK_TCK,
        "millicores": round((ticks1 - ticks0) / CLK_TCK / (c1 - c0) * 1000, 2),
        "scrapes": scrapes,
        "loadavg_before": la0,
        "loadavg_after": loadavg(),
    }
    r["after_cpu_minute"] = proc_status(proc.pid)
    log(f"CPU {r['cpu']['millicores']} millicores ({ticks1 - ticks0} ticks in {c1 - c0:.1f} s, {scrapes} scrapes);"
        f" VmRSS now {r['after_cpu_minute']['VmRSS'] / 1024:.1f} MiB")


def measure_relist(r: dict, proc: subprocess.Popen, http_: Http, cluster: BenchCluster, sampler: Sampler,
                   steady: dict, stores: dict) -> None:
    # Before the scrape burst (measure_metrics), so that what precedes the relist is the steady state of
    # an operator scraped every 15 s. The relist is detected by polling /metrics twice a
    # second over the same keep-alive connection (one HTTP worker, as in the CPU minute).
    log("forcing a relist: restarting the bench API server")
    before_relists = by_label(metrics_text(http_), "kube9_operator_relists_total", "resource")
    # The events watch does not expire: kube-apiserver keeps no watch cache for events (its
    # default), so the new API server resumes it from etcd and the history needs no relist.
    before_relists.pop("events", None)
    pre = proc_status(proc.pid)
    hwm_reset = reset_hwm(proc.pid)
    time.sleep(2)
    t_stop = time.monotonic()
    stop_seconds = cluster.sh("stop-apiserver")
    t_start, wall_start = time.monotonic(), time.time()
    start_seconds = cluster.sh("start-apiserver")
    t_api_ready = time.monotonic()
    # Relisted: every resource's relist counter went up and its last successful LIST ended
    # after the API server was started again (kube9_operator_last_sync_timestamp_seconds has
    # whole seconds only; the API server was down for many seconds before this point, so the
    # floor is safe); and every store holds what it held before. A watch the new API server
    # could resume (its watch cache reached back far enough) needs no relist: 60 s after the
    # API server is ready, the relist counts as done when pods (the bulk) relisted, at the
    # last resource that did, and the others are reported as resumed.
    relisted = None
    resumed: list[str] = []
    deadline = time.monotonic() + 300
    last: dict = {}
    done: set[str] = set()
    last_progress = t_api_ready
    while time.monotonic() < deadline:
        try:
            t = metrics_text(http_)
            now_relists = by_label(t, "kube9_operator_relists_total", "resource")
            now_stores = by_label(t, "kube9_operator_store_objects", "resource")
            now_syncs = by_label(t, "kube9_operator_last_sync_timestamp_seconds", "resource")
            last = {"relists": now_relists, "stores": now_stores, "syncs": now_syncs}
            now_done = {k for k, v in before_relists.items()
                        if now_relists.get(k, 0) > v and now_syncs.get(k, 0) >= int(wall_start)}
            if now_done != done:
                done, last_progress = now_done, time.monotonic()
            stores_ok = all(now_stores.get(k) == v for k, v in stores.items())
            if stores_ok and done == set(before_relists):
                relisted = last_progress
                break
            if stores_ok and "pods" in done and time.monotonic() > t_api_ready + 60:
                relisted, resumed = last_progress, sorted(set(before_relists) - done)
                log(f"resumed their watches without a relist: {', '.join(resumed)}")
                break
        except (OSError, RuntimeError, http.client.HTTPException):
            http_.close()
        time.sleep(0.5)
    if relisted is None:
        raise SystemExit(f"the operator did not relist the pods within 300 s; last {last}")
    # Ready again (status writes work again)?
    while time.monotonic() < deadline:
        if http_.get("/readyz")[0] == 200:
            break
        time.sleep(0.1)
    t_ready_again = time.monotonic()
    time.sleep(10)
    t_end = time.monotonic()
    after = proc_status(proc.pid)
    window = sampler.window(t_stop - 2, t_end)
    peak_sampled = max(s[1] for s in window)
    peak_anon = max(s[2] for s in window)
    peak = max(after["VmHWM"], peak_sampled) if hwm_reset else peak_sampled
    t_all = metrics_text(http_)
    reasons: dict[str, float] = {}
    for labels, v in samples(t_all, "kube9_operator_relists_total"):
        reasons[labels.get("reason", "")] = reasons.get(labels.get("reason", ""), 0) + v
    r["relist"] = {
        "hwm_reset": hwm_reset,
        "stop_apiserver_seconds": round(stop_seconds, 2),
        "start_apiserver_seconds": round(start_seconds, 2),
        # From the start of `start-apiserver` (which includes the API server's own start-up)
        # until a scrape showed every collector relisted (polled every 0.5 s).
        "start_to_relisted_seconds": round(relisted - t_start, 3),
        "api_ready_to_relisted_seconds": round(relisted - t_api_ready, 3),
        "apiserver_ready_to_operator_ready_seconds": round(t_ready_again - t_api_ready, 3),
        "relists_by_reason_total": reasons,
        "resumed_without_relist": resumed,
        "rss_before_kib": pre,
        "rss_after_kib": after,
        "peak_vmrss_sampled_kib": peak_sampled,
        "peak_vmhwm_kib": after["VmHWM"] if hwm_reset else None,
        "peak_kib": peak,
        "peak_rss_anon_sampled_kib": peak_anon,
        "peak_over_steady": round(peak / steady["VmRSS"], 3),
        "peak_anon_over_steady_anon": round(peak_anon / steady["RssAnon"], 3),
        "peak_over_before": round(peak / pre["VmRSS"], 3),
        "samples": [(round(s[0] - t_stop, 2), s[1], s[2], s[3]) for s in window],
        "marks": {"stop": 0.0, "start": round(t_start - t_stop, 2), "api_ready": round(t_api_ready - t_stop, 2),
                  "relisted": round(relisted - t_stop, 2), "ready_again": round(t_ready_again - t_stop, 2)},
    }
    log(f"relisted (seen on a scrape) {r['relist']['api_ready_to_relisted_seconds']} s after the API server"
        f" was ready again;"
        f" peak {peak / 1024:.1f} MiB = {r['relist']['peak_over_steady']}x steady,"
        f" {r['relist']['peak_over_before']}x the {pre['VmRSS'] / 1024:.1f} MiB just before"
        f" (RssAnon peak {peak_anon / 1024:.1f} MiB = {r['relist']['peak_anon_over_steady_anon']}x)")


def measure_metrics(r: dict, proc: subprocess.Popen, http_: Http, port: int) -> None:
    n = env_int("BENCH_SCRAPES", 200)
    lat: dict[str, dict] = {}
    # plain and gzip over one keep-alive connection (as Prometheus scrapes); gzip_new_conn
    # opens a connection per scrape (its TCP handshake included), for comparison.
    for mode in ("plain", "gzip", "gzip_new_conn"):
        times, sizes = [], []
        for _ in range(n):
            client = Http(port) if mode == "gzip_new_conn" else http_
            s0 = time.perf_counter()
            status, body, hdrs = client.get("/metrics", gzip_ok=(mode != "plain"))
            times.append(time.perf_counter() - s0)
            if client is not http_:
                client.close()
            sizes.append(len(body))
            if status != 200 or (mode != "plain") != (hdrs.get("content-encoding") == "gzip"):
                raise SystemExit(f"/metrics {mode}: HTTP {status}, encoding {hdrs.get('content-encoding')}")
        lat[mode] = {
            "scrapes": n,
            "median_ms": round(statistics.median(times) * 1000, 3),
            "p99_ms": round(pct(times, 99) * 1000, 3),
            "max_ms": round(max(times) * 1000, 3),
            "min_ms": round(min(times) * 1000, 3),
            "bytes": int(statistics.median(sizes)),
        }
        log(f"/metrics {mode}: median {lat[mode]['median_ms']} ms, p99 {lat[mode]['p99_ms']} ms, "
            f"{lat[mode]['bytes']} bytes")
    text = metrics_text(http_)
    lat["series"] = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    lat["series_by_family"] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            fam = SAMPLE_RE.match(line).group(1)
            lat["series_by_family"][fam] = lat["series_by_family"].get(fam, 0) + 1
    dur = samples(text, "kube9_operator_scrape_duration_seconds_sum")
    cnt = samples(text, "kube9_operator_scrape_duration_seconds_count")
    if dur and cnt and cnt[0][1] > 0:
        lat["server_side_mean_ms"] = round(dur[0][1] / cnt[0][1] * 1000, 3)
    r["metrics"] = lat
    r["after_scrape_burst"] = proc_status(proc.pid)
    log(f"VmRSS after the scrape burst {r['after_scrape_burst']['VmRSS'] / 1024:.1f} MiB"
        f" (RssAnon {r['after_scrape_burst']['RssAnon'] / 1024:.1f})")


# --- kube-state-metrics side by side (issue 14) ------------------------------------------------

KSM_BINARY = REPO_ROOT / ".local" / "bin" / "kube-state-metrics"
KSM_REGISTRY = REPO_ROOT / "collectors" / "ksm" / "registry.cc"
# kube-state-metrics' resources whose families the operator can serve (its --resources list).
KSM_RESOURCES = ("certificatesigningrequests", "configmaps", "cronjobs", "daemonsets", "deployments",
                 "endpointslices", "horizontalpodautoscalers", "ingresses", "jobs", "leases", "limitranges",
                 "mutatingwebhookconfigurations", "namespaces", "networkpolicies", "nodes", "persistentvolumeclaims",
                 "persistentvolumes", "poddisruptionbudgets", "pods", "replicasets", "replicationcontrollers",
                 "resourcequotas", "secrets", "services", "statefulsets", "storageclasses",
                 "validatingwebhookconfigurations", "volumeattachments")


def ksm_resources() -> list[str]:
    """The resources both serve: the operator's family sets (collectors/ksm/registry.cc, one
    `{"resource", &Maker}` line each) that kube-state-metrics also has, in registry order."""
    ours = re.findall(r'\{"([a-z]+)",\s*&\w+\}', KSM_REGISTRY.read_text())
    if not ours:
        raise SystemExit(f"ksm: no family set found in {KSM_REGISTRY}")
    return [r for r in ours if r in KSM_RESOURCES]


def scrape(port: int, path: str = "/metrics", gzip_ok: bool = False, timeout: float = 120) -> tuple[float, bytes, dict]:
    """One GET on a new connection: (seconds until the whole body was read, body, headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        s0 = time.perf_counter()
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
        resp = conn.getresponse()
        body = resp.read()
        seconds = time.perf_counter() - s0
        if resp.status != 200:
            raise RuntimeError(f"{path} on :{port}: HTTP {resp.status}")
        return seconds, body, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def scrape_timed(port: int, gzip_ok: bool, timeout: float = 120) -> tuple[float, int, str | None]:
    """One GET on a new connection, timed by curl, a C client, when it is installed: (seconds
    until the whole body was read, body bytes, Content-Encoding). Python's http.client reads a
    90 MB chunked body about 0.1 s slower than a Go or C scraper would, the same for both
    subjects, which would hide most of the difference between them."""
    curl = shutil.which("curl")
    if curl is None:
        seconds, body, hdrs = scrape(port, gzip_ok=gzip_ok, timeout=timeout)
        return seconds, len(body), hdrs.get("content-encoding")
    out = subprocess.run(
        [curl, "-sS", "-o", "/dev/null", "--max-time", str(timeout), "-w",
         "%{http_code} %{time_total} %{size_download} %header{content-encoding}"]
        + (["-H", "Accept-Encoding: gzip"] if gzip_ok else []) + [f"http://127.0.0.1:{port}/metrics"],
        capture_output=True, text=True, timeout=timeout + 10)
    fields = out.stdout.split()
    if out.returncode != 0 or len(fields) < 3 or fields[0] != "200":
        raise RuntimeError(f"/metrics on :{port}: curl {out.returncode} {out.stdout!r} {out.stderr.strip()}")
    return float(fields[1]), int(fields[2]), fields[3] if len(fields) > 3 else None


def scrape_mode(port: int, mode: str, who: str) -> tuple[float, int]:
    """scrape_timed in `mode` ("plain" or "gzip"), ending the bench when the reply's encoding is
    not the one asked for: (seconds, body bytes)."""
    seconds, size, encoding = scrape_timed(port, gzip_ok=(mode == "gzip"))
    if (mode == "gzip") != (encoding == "gzip"):
        raise SystemExit(f"{who} {mode}: Content-Encoding {encoding}")
    return seconds, size


def exposition_counts(text: str) -> dict:
    """Series (all, and kube_* ones) and kube_* families of a text exposition."""
    series = kube_series = 0
    families: set[str] = set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series += 1
        if line.startswith("kube_"):
            kube_series += 1
            families.add(line.split("{", 1)[0].split(" ", 1)[0])
    return {"series": series, "kube_series": kube_series, "kube_families": sorted(families)}


class KsmSubject:
    """One of the two processes compared: how to start it, when it is ready, and how many
    times it has listed pods (to confirm the forced relist)."""

    def __init__(self, name: str, cmd: list[str], port: int, env: dict[str, str] | None = None):
        self.name, self.cmd, self.port, self.env = name, cmd, port, env

    def ready(self) -> bool:
        raise NotImplementedError

    def pod_lists(self) -> float | None:
        raise NotImplementedError


class KubeStateMetricsSubject(KsmSubject):
    def __init__(self, kubeconfig: str, resources: list[str]):
        port, self.telemetry, self.resources = free_port(), free_port(), resources
        # gzip on (off by default in kube-state-metrics) so that both answer Prometheus'
        # `Accept-Encoding: gzip` the same way; a plain request is answered as without it.
        super().__init__("kube-state-metrics", [
            str(KSM_BINARY), f"--kubeconfig={kubeconfig}", "--host=127.0.0.1", f"--port={port}",
            "--telemetry-host=127.0.0.1", f"--telemetry-port={self.telemetry}", f"--resources={','.join(resources)}",
            "--enable-gzip-encoding"], port)

    def _telemetry(self) -> str:
        return scrape(self.telemetry, timeout=10)[1].decode()

    def ready(self) -> bool:
        # Its /readyz only says that self metrics exist. A reflector starts its watch once its
        # LIST is in the store: a successful watch of every resource means every store is
        # filled (with the watch-list protocol the initial events come on that watch; the
        # settle time that follows covers them, and the first scrape checks the pods).
        ok = {labels.get("resource") for labels, v in samples(self._telemetry(), "kube_state_metrics_watch_total")
              if labels.get("result") == "success" and v > 0}
        return len(ok) >= len(self.resources)

    def pod_lists(self) -> float | None:
        t = self._telemetry()
        lists = sum(v for labels, v in samples(t, "kube_state_metrics_list_total")
                    if labels.get("resource") == "*v1.Pod" and labels.get("result") == "success")
        watches = sum(v for labels, v in samples(t, "kube_state_metrics_watch_total")
                      if labels.get("resource") == "*v1.Pod" and labels.get("result") == "success")
        return lists + watches


class OperatorSubject(KsmSubject):
    def __init__(self, binary: Path, kubeconfig: str, resources: list[str], env: dict[str, str]):
        port = free_port()
        super().__init__("kube9-operator", [
            str(binary), "--kubeconfig", kubeconfig, "--namespace", "kube9-system",
            "--web.listen-address", f"127.0.0.1:{port}", "--sample-interval", "15s", "--log.level", "warn",
            "--kube-state-metrics", "--resources", ",".join(resources), "--enable-gzip-encoding"], port, env)

    def ready(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/readyz")
            return conn.getresponse().status == 200
        finally:
            conn.close()

    def pod_lists(self) -> float | None:
        # The whole /metrics (the kube_* families too): called only where its buffers do not
        # count (before the HWM is reset, after the peak was read).
        text = gzip.decompress(scrape(self.port, gzip_ok=True)[1]).decode()
        return by_label(text, "kube9_operator_relists_total", "resource").get("pods", 0)


def wait_ready(subject: KsmSubject, proc: subprocess.Popen, what: str, see: str = "") -> None:
    """Polls the subject's readiness every 50 ms; SystemExit when it exits or takes 300 s."""
    deadline = time.monotonic() + 300
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}{see}")
        try:
            if subject.ready():
                return
        except (OSError, RuntimeError, http.client.HTTPException):
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} not ready within 300 s{see}")
        time.sleep(0.05)


def paired_scrapes(named: list[tuple[str, KsmSubject]], scrapes: int, modes: tuple[str, ...] = ("plain",),
                   logs_dir: Path | None = None, label: str = "", settle: float = 5) -> dict:
    """Every subject at once, idle apart from its watches, scraped in turn (A B, B A, ...), each
    scrape on a new connection timed by curl: the machine's drift, tens of percent within
    minutes on a shared VM, falls on all of them alike, as it cannot on runs one after the
    other. {name: {mode: {median_ms, q1_ms, q3_ms, min_ms, max_ms}, "cpu_ms_per_scrape": ...}}."""
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        for name, subject in named:
            out = open(logs_dir / f"{name}-paired-{label}.log", "wb") if logs_dir else subprocess.DEVNULL
            if logs_dir:
                logs.append(out)
            procs.append(subprocess.Popen(subject.cmd, env=subject.env, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True))
        for (name, subject), proc in zip(named, procs):
            wait_ready(subject, proc, f"paired: {name}")
        time.sleep(settle)  # the first samples and syncs are over
        times = {name: {mode: [] for mode in modes} for name, _ in named}
        before = [cpu_ticks(proc.pid) for proc in procs]
        for mode in modes:
            for i in range(scrapes):
                for name, subject in (named if i % 2 == 0 else named[::-1]):
                    seconds, _ = scrape_mode(subject.port, mode, f"paired: {name}")
                    times[name][mode].append(seconds * 1000)
        out: dict = {}
        for (name, _), proc, ticks in zip(named, procs, before):
            out[name] = {"cpu_ms_per_scrape": round((cpu_ticks(proc.pid) - ticks) * 1000 / CLK_TCK
                                                    / (scrapes * len(modes)), 2)}
            for mode in modes:
                t = sorted(times[name][mode])
                out[name][mode] = {"scrapes": len(t), "median_ms": round(statistics.median(t), 2),
                                   "q1_ms": round(t[len(t) // 4], 2), "q3_ms": round(t[3 * len(t) // 4], 2),
                                   "min_ms": round(t[0], 2), "max_ms": round(t[-1], 2)}
        return out
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for f in logs:
            f.close()


def scrape_block(subject: KsmSubject, n: int, mode: str) -> dict:
    """`n` scrapes of `mode` (plain or gzip), one at a time, each on a new connection timed by
    curl: {"times": [seconds], "sizes": [body bytes]}."""
    times, sizes = [], []
    for _ in range(n):
        seconds, size = scrape_mode(subject.port, mode, f"ksm: {subject.name}")
        times.append(seconds)
        sizes.append(size)
    return {"times": times, "sizes": sizes}


def ksm_run(subject: KsmSubject, cluster: BenchCluster, logs_dir: Path, label: str, pods: int) -> dict:
    """Start, settle, CPU window, forced relist, scrape series, stop: one process alone on the cluster."""
    settle = env_int("BENCH_SETTLE_SECONDS", 20)
    cpu_seconds = env_int("BENCH_CPU_SECONDS", 60)
    interval = env_int("BENCH_SCRAPE_INTERVAL", 15)
    n = env_int("BENCH_KSM_SCRAPES", 15)
    gap = env_int("BENCH_KSM_SCRAPE_GAP_SECONDS", 45)
    relist_wait = env_int("BENCH_KSM_RELIST_SECONDS", 20)
    out: dict = {"command": " ".join(subject.cmd)}
    log_path = logs_dir / f"{subject.name}-ksm-{label}.log"
    log(f"ksm: starting {subject.name} on 127.0.0.1:{subject.port}")
    with open(log_path, "wb") as logf:
        t0 = time.monotonic()
        proc = subprocess.Popen(subject.cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=subject.env, start_new_session=True)
        sampler = Sampler(proc.pid)
        sampler.start()
        try:
            wait_ready(subject, proc, f"ksm: {subject.name}", f"; see {log_path}")
            out["start_to_ready_seconds"] = round(time.monotonic() - t0, 3)
            time.sleep(settle)
            # Before any scrape: VmRSS is the steady state, VmHWM the start's peak (the initial LISTs).
            out["steady"] = proc_status(proc.pid)
            out["steady_smaps_top"] = smaps_by_mapping(proc.pid, top=6)
            log(f"ksm: {subject.name} ready after {out['start_to_ready_seconds']:.2f} s; steady VmRSS"
                f" {out['steady']['VmRSS'] / 1024:.1f} MiB (anon {out['steady']['RssAnon'] / 1024:.1f}),"
                f" VmHWM since start {out['steady']['VmHWM'] / 1024:.1f} MiB")

            # CPU: a gzip scrape every `interval` s, as Prometheus would; the first one checks the pods.
            ticks0, c0 = cpu_ticks(proc.pid), time.monotonic()
            next_scrape, scrapes = c0, 0
            while time.monotonic() < c0 + cpu_seconds:
                if time.monotonic() >= next_scrape:
                    _, body, hdrs = scrape(subject.port, gzip_ok=True)
                    if scrapes == 0:
                        text = (gzip.decompress(body) if hdrs.get("content-encoding") == "gzip" else body).decode()
                        out["pod_info_series"] = sum(1 for line in text.splitlines()
                                                     if line.startswith("kube_pod_info{"))
                        out["complete"] = out["pod_info_series"] == pods
                        del text
                    scrapes += 1
                    next_scrape += interval
                time.sleep(max(0.0, min(next_scrape, c0 + cpu_seconds) - time.monotonic()))
            ticks1, c1 = cpu_ticks(proc.pid), time.monotonic()
            out["cpu"] = {"seconds": round(c1 - c0, 2), "ticks": ticks1 - ticks0, "scrapes": scrapes,
                          "millicores": round((ticks1 - ticks0) / CLK_TCK / (c1 - c0) * 1000, 2)}
            out["after_cpu"] = proc_status(proc.pid)
            log(f"ksm: {subject.name} CPU {out['cpu']['millicores']} m over {c1 - c0:.0f} s ({scrapes} gzip scrapes);"
                f" kube_pod_info {out['pod_info_series']}/{pods}; VmRSS {out['after_cpu']['VmRSS'] / 1024:.1f} MiB")

            # Forced relist: the API server restarted under the watches. The peak is VmHWM, reset just
            # before, read `relist_wait` s after the API server is ready, with no scrape in between.
            lists0 = subject.pod_lists()
            time.sleep(2)
            pre = proc_status(proc.pid)
            hwm_reset = reset_hwm(proc.pid)
            t_stop = time.monotonic()
            cluster.sh("stop-apiserver")
            cluster.sh("start-apiserver")
            t_api = time.monotonic()
            time.sleep(relist_wait)
            after = proc_status(proc.pid)
            window = sampler.window(t_stop, time.monotonic())
            peak_sampled = max((s[1] for s in window), default=after["VmRSS"])
            peak = max(after["VmHWM"], peak_sampled) if hwm_reset else peak_sampled
            lists1 = subject.pod_lists()
            out["relist"] = {"hwm_reset": hwm_reset, "before_kib": pre, "after_kib": after, "peak_kib": peak,
                             "peak_vmrss_sampled_kib": peak_sampled, "wait_after_api_ready_seconds": relist_wait,
                             "outage_seconds": round(t_api - t_stop, 1),
                             "pod_lists_before": lists0, "pod_lists_after": lists1,
                             "relisted": lists1 is not None and lists0 is not None and lists1 > lists0}
            log(f"ksm: {subject.name} relist peak {peak / 1024:.1f} MiB (VmRSS before {pre['VmRSS'] / 1024:.1f},"
                f" after {after['VmRSS'] / 1024:.1f}); pods listed again: {out['relist']['relisted']}")

            # Scrapes: `n` plain then `n` gzip, one at a time, each on a new connection; the peak of
            # the burst is VmHWM, reset before it. Then, `gap` s later, the same again: the
            # machine's speed drifts by tens of percent from one half-minute to the next
            # (docs/benchmarks.md), and a median over two moments is steadier than over one.
            time.sleep(2)
            reset_hwm(proc.pid)
            blocks = {"after_relist": {mode: scrape_block(subject, n, mode) for mode in ("plain", "gzip")}}
            out["after_scrapes"] = proc_status(proc.pid)
            time.sleep(gap)
            blocks["later"] = {mode: scrape_block(subject, n, mode) for mode in ("plain", "gzip")}
            for mode in ("plain", "gzip"):
                times = [t for b in blocks.values() for t in b[mode]["times"]]
                sizes = [z for b in blocks.values() for z in b[mode]["sizes"]]
                out[mode] = {"scrapes": len(times), "median_ms": round(statistics.median(times) * 1000, 1),
                             "min_ms": round(min(times) * 1000, 1), "max_ms": round(max(times) * 1000, 1),
                             "bytes": int(statistics.median(sizes)),
                             "block_median_ms": {name: round(statistics.median(b[mode]["times"]) * 1000, 1)
                                                 for name, b in blocks.items()},
                             "client": "curl" if shutil.which("curl") else "python http.client"}
                if mode == "plain":
                    body = scrape(subject.port)[1]
                    out["exposition"] = exposition_counts(body.decode())
                    del body
                log(f"ksm: {subject.name} {mode} scrape median {out[mode]['median_ms']} ms"
                    f" ({out[mode]['min_ms']}-{out[mode]['max_ms']}; per block"
                    f" {', '.join(f'{v} ms' for v in out[mode]['block_median_ms'].values())}),"
                    f" {out[mode]['bytes']} bytes")
            out["cpu_seconds_total"] = round(cpu_ticks(proc.pid) / CLK_TCK, 2)
        finally:
            sampler.stop.set()
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            out["exit_code"] = proc.returncode
    return out


def measure_ksm(pods: int, nodes: int, cluster: BenchCluster, binary: Path, logs_dir: Path, label: str, r: dict,
                env: dict[str, str]) -> dict | None:
    """kube-state-metrics, then the operator with --kube-state-metrics, on the same families."""
    if not os.access(KSM_BINARY, os.X_OK):
        log(f"ksm: {KSM_BINARY} is not built (make tools): no side by side")
        return None
    resources = ksm_resources()
    log(f"ksm: side by side on --resources={','.join(resources)}")
    kubeconfig = cluster.kubeconfig()
    out: dict = {"resources": resources}
    out["kube_state_metrics"] = ksm_run(KubeStateMetricsSubject(kubeconfig, resources), cluster, logs_dir, label, pods)
    out["kube9_operator"] = ksm_run(OperatorSubject(binary, kubeconfig, resources, env), cluster, logs_dir, label, pods)
    paired_n = env_int("BENCH_KSM_PAIRED_SCRAPES", 30)
    if paired_n > 0:
        log(f"ksm: both at once, {paired_n} plain and {paired_n} gzip scrapes each, in turn")
        out["paired"] = paired_scrapes([("kube_state_metrics", KubeStateMetricsSubject(kubeconfig, resources)),
                                        ("kube9_operator", OperatorSubject(binary, kubeconfig, resources, env))],
                                       paired_n, ("plain", "gzip"), logs_dir, f"ksm-{label}")
    k, o = out["kube_state_metrics"], out["kube9_operator"]
    fam_k, fam_o = set(k["exposition"]["kube_families"]), set(o["exposition"]["kube_families"])
    out["families_only_in_kube_state_metrics"] = sorted(fam_k - fam_o)
    out["families_only_in_kube9_operator"] = sorted(fam_o - fam_k)
    out["ratios"] = {
        "steady_rss": round(o["steady"]["VmRSS"] / k["steady"]["VmRSS"], 3),
        "steady_rss_anon": round(o["steady"]["RssAnon"] / k["steady"]["RssAnon"], 3),
        "start_peak": round(o["steady"]["VmHWM"] / k["steady"]["VmHWM"], 3),
        "relist_peak": round(o["relist"]["peak_kib"] / k["relist"]["peak_kib"], 3),
        "scrape_peak": round(o["after_scrapes"]["VmHWM"] / k["after_scrapes"]["VmHWM"], 3),
        "cpu": round(o["cpu"]["millicores"] / k["cpu"]["millicores"], 3) if k["cpu"]["millicores"] else None,
        "plain_speedup": round(k["plain"]["median_ms"] / o["plain"]["median_ms"], 2),
        "gzip_speedup": round(k["gzip"]["median_ms"] / o["gzip"]["median_ms"], 2),
    }
    if "paired" in out:
        pk, po = out["paired"]["kube_state_metrics"], out["paired"]["kube9_operator"]
        for mode in ("plain", "gzip"):
            out["ratios"][f"paired_{mode}_speedup"] = round(pk[mode]["median_ms"] / po[mode]["median_ms"], 2)
    # The operator without --kube-state-metrics, every collector, measured above on this cluster.
    out["aggregates_only_steady_kib"] = r["steady"]
    log(f"ksm: ours/KSM steady RSS {out['ratios']['steady_rss']}, relist peak {out['ratios']['relist_peak']},"
        f" plain scrape {out['ratios']['plain_speedup']}x faster, gzip {out['ratios']['gzip_speedup']}x"
        + (f"; in turn: plain {out['ratios']['paired_plain_speedup']}x, gzip {out['ratios']['paired_gzip_speedup']}x"
           if "paired" in out else ""))
    return out


def events_counters(http_: Http) -> dict:
    text = metrics_text(http_)
    one = lambda name: sum(v for _, v in samples(text, name))  # noqa: E731
    return {"rows": one("kube9_operator_events_rows"), "bytes": one("kube9_operator_events_bytes"),
            "recorded": one("kube9_operator_events_recorded_total"),
            "dropped": by_label(text, "kube9_operator_events_dropped_total", "reason"),
            "enabled": one("kube9_operator_events_history_enabled"),
            "watch_events": by_label(text, "kube9_operator_watch_events_total", "resource").get("events", 0)}


def history_totals(db: Path) -> tuple[int, int]:
    """(rows, sum of counts) of the events history, read-only while the operator writes."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows, counts = con.execute("SELECT count(*), coalesce(sum(count), 0) FROM events").fetchone()
    finally:
        con.close()
    return int(rows), int(counts)


def measure_events(proc: subprocess.Popen, http_: Http, sampler: Sampler, target: loader.Target, binary: Path,
                   data_dir: Path, nodes: int, env: dict) -> dict:
    """An event storm through the API server while the operator records its events history."""
    n = env_int("BENCH_EVENTS", 50000)
    repeat_share = float(os.environ.get("BENCH_EVENTS_REPEATS", "0.2"))
    settle = env_int("BENCH_SETTLE_SECONDS", 20)
    c0 = events_counters(http_)
    if c0["enabled"] != 1:
        raise SystemExit("events: the operator's events history is off; see its log")
    db = data_dir / "events.db"
    rows0, counts0 = history_totals(db)
    # No scrape from here until the history caught up: a scrape's own buffers (several MiB at
    # 10k pods) would be counted in the peak. The previous phase and the scrape above may have
    # left freed buffers that the next malloc_trim (after the next 15 s sample) gives back: the
    # "before" figure is read after one.
    log(f"events: settling {settle} s before the storm")
    time.sleep(settle)
    before = proc_status(proc.pid)
    hwm_reset = reset_hwm(proc.pid)
    log(f"events: VmRSS before {before['VmRSS'] / 1024:.1f} MiB (RssAnon {before['RssAnon'] / 1024:.1f});"
        f" storm of {n} event writes ({repeat_share:.0%} repeats)")
    t0 = time.monotonic()
    storm = loader.event_storm(target, n, repeat_share, namespaces=env_int("BENCH_NAMESPACES", 50), nodes=nodes,
                               workers=env_int("BENCH_LOAD_WORKERS", 32))
    t_sent = time.monotonic()
    # Caught up: every recorded event has its row, with the count of its last write (a repeat
    # raises it by one), read from the store itself (read-only, as the query command does);
    # polled every 0.2 s. Drops would stop the progress short: 10 s without progress ends it.
    want_rows = rows0 + storm["expected_rows"]
    want_counts = counts0 + storm["expected_recorded_writes"]
    caught = None
    deadline = t_sent + 300
    progress, t_progress = (rows0, counts0), t_sent
    while time.monotonic() < deadline and time.monotonic() - t_progress < 10:
        now_totals = history_totals(db)
        if now_totals[0] >= want_rows and now_totals[1] >= want_counts:
            caught = time.monotonic()
            break
        if now_totals != progress:
            progress, t_progress = now_totals, time.monotonic()
        time.sleep(0.2)
    t_end = caught or time.monotonic()
    during = proc_status(proc.pid)
    window = sampler.window(t0, t_end)
    peak_sampled = max(s[1] for s in window)
    peak = max(during["VmHWM"], peak_sampled) if hwm_reset else peak_sampled
    log(f"events: storm sent in {t_sent - t0:.1f} s; history "
        + (f"caught up {caught - t_sent:.2f} s after the last write" if caught else "DID NOT catch up")
        + f"; peak VmRSS {peak / 1024:.1f} MiB")
    log(f"events: settling {settle} s after the storm")
    time.sleep(settle)
    after = proc_status(proc.pid)
    c1 = events_counters(http_)
    # What the extension runs: the newest page, and the total, read while the operator writes.
    qcmd = [str(binary), "query", "events", "list", "--data.path", str(data_dir), "--format", "json"]
    q0 = time.monotonic()
    q = subprocess.run(qcmd, capture_output=True, text=True, env=env)
    q_seconds = time.monotonic() - q0
    if q.returncode != 0:
        raise SystemExit(f"events: {' '.join(qcmd)} exited {q.returncode}: {q.stderr[:500]}")
    page = json.loads(q.stdout)
    files = {f.name: f.stat().st_size for f in data_dir.iterdir() if f.name.startswith("events.db")}
    out = {
        "storm": storm,
        "storm_seconds": round(t_sent - t0, 2),
        "caught_up": caught is not None,
        "catch_up_seconds": round(caught - t_sent, 2) if caught else None,
        "counters_before": c0,
        "counters_after": c1,
        "rows": c1["rows"] - c0["rows"],
        "expected_rows": storm["expected_rows"],
        "dropped": {k: v - c0["dropped"].get(k, 0) for k, v in c1["dropped"].items() if v - c0["dropped"].get(k, 0)},
        "db_bytes_in_use": c1["bytes"],
        "db_files_bytes": files,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "peak_kib": peak,
        "peak_vmrss_sampled_kib": peak_sampled,
        "hwm_reset": hwm_reset,
        "after_minus_before_kib": after["VmRSS"] - before["VmRSS"],
        "anon_after_minus_before_kib": after["RssAnon"] - before["RssAnon"],
        "file_after_minus_before_kib": after["RssFile"] - before["RssFile"],
        "peak_minus_before_kib": peak - before["VmRSS"],
        "smaps_after_top": smaps_by_mapping(proc.pid),
        "query": {"command": " ".join(qcmd), "seconds": round(q_seconds, 3), "total": page["pagination"]["total"],
                  "returned": page["pagination"]["returned"]},
        "samples": [(round(s[0] - t0, 2), s[1], s[2], s[3]) for s in window],
    }
    log(f"events: {out['rows']:.0f} rows (expected {storm['expected_rows']}), {c1['bytes'] / MIB:.1f} MiB in use,"
        f" files {sum(files.values()) / MIB:.1f} MiB, drops {out['dropped'] or 0};"
        f" VmRSS {before['VmRSS'] / 1024:.1f} -> peak {peak / 1024:.1f} -> {after['VmRSS'] / 1024:.1f} MiB"
        f" ({out['after_minus_before_kib'] / 1024:+.1f}); query: total {out['query']['total']} in {q_seconds:.3f} s")
    return out


# --- report ----------------------------------------------------------------------------------

TARGET_RSS_MIB = {1000: 16, 10000: 32, 150000: 128}


# The events history may add this much over the RSS targets (issue #11).
EVENTS_RSS_ALLOWANCE_MIB = 4


def targets(results: list[dict]) -> list[tuple[str, str, str, bool]]:
    """(size, target, measured, met) for the PERFORMANCE.md targets this bench measures."""
    out = []
    for r in results:
        size = f"{r['pods']}/{r['nodes']}"
        rss = r["steady"]["VmRSS"] / 1024
        if r["pods"] in TARGET_RSS_MIB:
            t = TARGET_RSS_MIB[r["pods"]]
            out.append((size, f"steady RSS <= {t} MiB", f"{rss:.1f} MiB (RssAnon {r['steady']['RssAnon'] / 1024:.1f})",
                        rss <= t))
        if "relist" in r:
            ratio = r["relist"]["peak_over_steady"]
            out.append((size, "relist peak <= 1.25x steady", f"{ratio:.2f}x", ratio <= 1.25))
        if r["pods"] >= 10000:
            if "cpu" in r:
                out.append((size, "CPU <= 5 millicores", f"{r['cpu']['millicores']:.1f} m",
                            r["cpu"]["millicores"] <= 5))
            for mode in ("plain", "gzip") if "metrics" in r else ():
                p99 = r["metrics"][mode]["p99_ms"]
                out.append((size, f"/metrics p99 <= 20 ms ({mode})", f"{p99:.1f} ms", p99 <= 20))
            a = r.get("assessment") or {}
            if a:
                out.append((size, "assessment run < 200 ms", f"{a['run_ms_median']:.1f} ms (max {a['run_ms_max']:.1f})",
                            a["run_ms_max"] < 200))
                out.append((size, "assessment RSS growth <= 2 MiB", f"{a['rss_growth_kib'] / 1024:.2f} MiB",
                            a["rss_growth_kib"] <= 2048))
            lim = r["reference_list"]["seconds"] + 1
            out.append((size, "ready <= LIST + 1 s", f"{r['start_to_ready_seconds']:.2f} s (limit {lim:.2f} s)",
                        r["start_to_ready_seconds"] <= lim))
        if r.get("ksm"):
            x = r["ksm"]["ratios"]
            out.append((size, "ksm: steady RSS <= 1/5 of KSM", f"{x['steady_rss']:.2f}x", x["steady_rss"] <= 0.2))
            out.append((size, "ksm: relist peak <= 1/5 of KSM", f"{x['relist_peak']:.2f}x", x["relist_peak"] <= 0.2))
            out.append((size, "ksm: scrape >= 3x faster (plain)", f"{x['plain_speedup']:.2f}x",
                        x["plain_speedup"] >= 3))
            out.append((size, "ksm: scrape >= 3x faster (gzip)", f"{x['gzip_speedup']:.2f}x", x["gzip_speedup"] >= 3))
            for mode in ("plain", "gzip") if "paired_plain_speedup" in x else ():
                v = x[f"paired_{mode}_speedup"]
                out.append((size, f"ksm: scrape >= 3x faster ({mode}, in turn)", f"{v:.2f}x", v >= 3))
        if "events" in r:
            e = r["events"]
            a = EVENTS_RSS_ALLOWANCE_MIB
            added = e["after_minus_before_kib"] / 1024
            out.append((size, f"events: history adds <= {a} MiB", f"{added:+.1f} MiB after the storm "
                        f"(peak {e['peak_minus_before_kib'] / 1024:+.1f})", added <= a))
            if r["pods"] in TARGET_RSS_MIB:
                t = TARGET_RSS_MIB[r["pods"]] + a
                peak = e["peak_kib"] / 1024
                out.append((size, f"events: peak RSS <= {t} MiB", f"{peak:.1f} MiB", peak <= t))
            out.append((size, "events: all rows, no drops", f"{e['rows']:.0f}/{e['expected_rows']} rows, "
                        f"{sum(e['dropped'].values()):.0f} dropped",
                        e["caught_up"] and e["rows"] == e["expected_rows"] and not e["dropped"]))
    return out


def table(results: list[dict]) -> str:
    def mib(kib: float) -> str:
        return f"{kib / 1024:.1f}"

    def cells(fn) -> list[str]:
        out = []
        for r in results:
            try:
                out.append(fn(r))
            except KeyError:  # a phase not run (BENCH_PHASES) or not at this size
                out.append("-")
        return out

    rows: list[tuple[str, list[str]]] = [
        ("load: objects / requests", cells(lambda r: f"{r['load']['objects']} / {r['load']['requests']}")),
        ("load: time, throughput", cells(lambda r: f"{r['load']['seconds']:.1f} s, "
                                                   f"{r['load']['requests_per_second']:.0f} req/s")),
        ("reference LIST, 11 resources (MiB)", cells(lambda r: f"{r['reference_list']['seconds']:.2f} s "
                                                               f"({r['reference_list']['bytes'] / MIB:.1f})")),
        ("start to ready", cells(lambda r: f"{r['start_to_ready_seconds']:.2f} s")),
        ("VmHWM at ready (MiB)", cells(lambda r: mib(r["rss_at_ready_kib"]["VmHWM"]))),
        ("steady VmRSS, ready + 20 s (MiB)", cells(lambda r: mib(r["steady"]["VmRSS"]))),
        ("  RssAnon / RssFile (MiB)", cells(lambda r: f"{mib(r['steady']['RssAnon'])} / "
                                                      f"{mib(r['steady']['RssFile'])}")),
        ("VmRSS after CPU minute (MiB)", cells(lambda r: f"{mib(r['after_cpu_minute']['VmRSS'])} "
                                                         f"(anon {mib(r['after_cpu_minute']['RssAnon'])})")),
        ("relist peak (MiB), x steady", cells(lambda r: f"{mib(r['relist']['peak_kib'])}, "
                                                        f"{r['relist']['peak_over_steady']:.2f}x")),
        ("  x VmRSS just before relist", cells(lambda r: f"{r['relist']['peak_over_before']:.2f}x")),
        ("  RssAnon relist peak, x steady", cells(lambda r: f"{mib(r['relist']['peak_rss_anon_sampled_kib'])}, "
                                                            f"{r['relist']['peak_anon_over_steady_anon']:.2f}x")),
        ("  relisted, after API /readyz", cells(lambda r: f"{r['relist']['api_ready_to_relisted_seconds']:.2f} s")),
        ("  watches resumed, no relist", cells(lambda r: ", ".join(r["relist"]["resumed_without_relist"]) or "none")),
        ("VmRSS after relist +10 s (MiB)", cells(lambda r: mib(r["relist"]["rss_after_kib"]["VmRSS"]))),
        ("VmRSS after scrape burst (MiB)", cells(lambda r: f"{mib(r['after_scrape_burst']['VmRSS'])} "
                                                           f"(anon {mib(r['after_scrape_burst']['RssAnon'])})")),
        ("CPU avg (window, scrapes)", cells(lambda r: f"{r['cpu']['millicores']:.1f} m ({r['cpu']['seconds']:.0f} s, "
                                                      f"{r['cpu']['scrapes']})")),
        ("/metrics plain: median / p99", cells(lambda r: f"{r['metrics']['plain']['median_ms']:.2f} / "
                                                         f"{r['metrics']['plain']['p99_ms']:.2f} ms")),
        ("/metrics gzip: median / p99", cells(lambda r: f"{r['metrics']['gzip']['median_ms']:.2f} / "
                                                        f"{r['metrics']['gzip']['p99_ms']:.2f} ms")),
        ("/metrics gzip, new conn: median / p99", cells(lambda r: f"{r['metrics']['gzip_new_conn']['median_ms']:.2f}"
                                                                  f" / {r['metrics']['gzip_new_conn']['p99_ms']:.2f}"
                                                                  " ms")),
        ("/metrics server-side mean", cells(lambda r: f"{r['metrics'].get('server_side_mean_ms', float('nan')):.2f}"
                                                      " ms")),
        ("/metrics size plain / gzip (KiB)", cells(lambda r: f"{r['metrics']['plain']['bytes'] / 1024:.0f} / "
                                                             f"{r['metrics']['gzip']['bytes'] / 1024:.0f}")),
        ("/metrics series", cells(lambda r: str(r["metrics"]["series"]))),
        ("assessment run: median / max (in process)", [
            f"{r['assessment']['run_ms_median']:.1f} / {r['assessment']['run_ms_max']:.1f} ms"
            if r.get("assessment") else "-" for r in results]),
        ("assessment RSS growth (in process, MiB)", [
            f"{r['assessment']['rss_growth_kib'] / 1024:.2f}" if r.get("assessment") else "-" for r in results]),
        ("assessment run in the operator", [
            f"{r['assessment_operator']['run_seconds'] * 1000:.1f} ms"
            if (r.get("assessment_operator") or {}).get("run_seconds") is not None else "-" for r in results]),
        ("events: writes (repeats), req/s", cells(lambda r: f"{r['events']['storm']['writes']} "
                                                            f"({r['events']['storm']['repeats']}), "
                                                            f"{r['events']['storm']['requests_per_second']:.0f}"
                                                            " req/s")),
        ("events: storm, catch-up after it", cells(lambda r: f"{r['events']['storm_seconds']:.1f} s, "
                                                             + (f"{r['events']['catch_up_seconds']:.2f} s"
                                                                if r["events"]["caught_up"] else "NOT caught up"))),
        ("events: rows / expected, dropped", cells(lambda r: f"{r['events']['rows']:.0f} / "
                                                             f"{r['events']['expected_rows']}, "
                                                             f"{sum(r['events']['dropped'].values()):.0f}")),
        ("events: DB in use / files (MiB)", cells(lambda r: f"{r['events']['db_bytes_in_use'] / MIB:.1f} / "
                                                            f"{sum(r['events']['db_files_bytes'].values()) / MIB:.1f}"
                                                            )),
        ("events: VmRSS before / peak / after", cells(lambda r: f"{mib(r['events']['rss_before_kib']['VmRSS'])} / "
                                                                f"{mib(r['events']['peak_kib'])} / "
                                                                f"{mib(r['events']['rss_after_kib']['VmRSS'])}")),
        ("  after - before (anon, file) (MiB)", cells(lambda r: "{:+.1f} ({:+.1f}, {:+.1f})".format(
            r["events"]["after_minus_before_kib"] / 1024, r["events"]["anon_after_minus_before_kib"] / 1024,
            r["events"]["file_after_minus_before_kib"] / 1024))),
        ("events: query events list (total)", cells(lambda r: f"{r['events']['query']['seconds'] * 1000:.0f} ms "
                                                              f"({r['events']['query']['total']})")),
    ]
    rows = [(name, vals) for name, vals in rows if any(v != "-" for v in vals)]
    head = ["measure"] + [f"{r['pods']} pods / {r['nodes']} nodes" for r in results]
    w0 = max(len(h) for h, _ in rows + [(head[0], [])])
    ws = [max(len(head[i + 1]), *(len(v[i]) for _, v in rows)) for i in range(len(results))]
    lines = ["| " + head[0].ljust(w0) + " | " + " | ".join(h.ljust(w) for h, w in zip(head[1:], ws)) + " |",
             "|" + "-" * (w0 + 2) + "|" + "|".join("-" * (w + 2) for w in ws) + "|"]
    for name, vals in rows:
        lines.append("| " + name.ljust(w0) + " | " + " | ".join(v.ljust(w) for v, w in zip(vals, ws)) + " |")
    return "\n".join(lines)


def ksm_table(r: dict) -> str:
    """kube-state-metrics against the operator with --kube-state-metrics, at one size."""
    k, o, x = r["ksm"]["kube_state_metrics"], r["ksm"]["kube9_operator"], r["ksm"]["ratios"]

    def mib(kib: float) -> str:
        return f"{kib / 1024:.1f}"

    def scrape_cell(d: dict, mode: str) -> str:
        return f"{d[mode]['median_ms']:.0f} ms ({d[mode]['min_ms']:.0f}-{d[mode]['max_ms']:.0f})"

    def ratio(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}x"

    def paired_cell(d: dict, mode: str) -> str:
        return f"{d[mode]['median_ms']:.1f} ms ({d[mode]['q1_ms']:.1f}-{d[mode]['q3_ms']:.1f})"

    paired = r["ksm"].get("paired") or {}
    pk, po = paired.get("kube_state_metrics"), paired.get("kube9_operator")

    rows = [
        ("kube_* series (families)", *(f"{d['exposition']['kube_series']} ({len(d['exposition']['kube_families'])})"
                                      for d in (k, o)), ""),
        ("all series", str(k["exposition"]["series"]), str(o["exposition"]["series"]), ""),
        ("start to watches open / to ready (s)", f"{k['start_to_ready_seconds']:.2f}",
         f"{o['start_to_ready_seconds']:.2f}", ""),
        ("steady VmRSS, before any scrape (MiB)", mib(k["steady"]["VmRSS"]), mib(o["steady"]["VmRSS"]),
         ratio(x["steady_rss"])),
        ("  RssAnon / RssFile (MiB)", f"{mib(k['steady']['RssAnon'])} / {mib(k['steady']['RssFile'])}",
         f"{mib(o['steady']['RssAnon'])} / {mib(o['steady']['RssFile'])}", ratio(x["steady_rss_anon"])),
        ("start peak: VmHWM through the initial LISTs (MiB)", mib(k["steady"]["VmHWM"]), mib(o["steady"]["VmHWM"]),
         ratio(x["start_peak"])),
        ("VmRSS after the CPU window (MiB)", mib(k["after_cpu"]["VmRSS"]), mib(o["after_cpu"]["VmRSS"]), ""),
        ("relist peak: VmHWM over an API server restart (MiB)", mib(k["relist"]["peak_kib"]),
         mib(o["relist"]["peak_kib"]), ratio(x["relist_peak"])),
        ("  pods listed (or watch-listed) again", str(k["relist"]["relisted"]).lower(),
         str(o["relist"]["relisted"]).lower(), ""),
        ("scrape peak: VmHWM over the scrapes (MiB)", mib(k["after_scrapes"]["VmHWM"]),
         mib(o["after_scrapes"]["VmHWM"]), ratio(x["scrape_peak"])),
        ("VmRSS after the scrapes (MiB)", mib(k["after_scrapes"]["VmRSS"]), mib(o["after_scrapes"]["VmRSS"]), ""),
        (f"CPU, {k['cpu']['seconds']:.0f} s, gzip scrape every {env_int('BENCH_SCRAPE_INTERVAL', 15)} s",
         f"{k['cpu']['millicores']:.1f} m", f"{o['cpu']['millicores']:.1f} m", ratio(x["cpu"])),
        (f"scrape plain, median of {k['plain']['scrapes']} (min-max), {k['plain'].get('client', 'python')}",
         scrape_cell(k, "plain"),
         scrape_cell(o, "plain"), f"{x['plain_speedup']:.2f}x as fast"),
        (f"scrape gzip, median of {k['gzip']['scrapes']} (min-max)", scrape_cell(k, "gzip"), scrape_cell(o, "gzip"),
         f"{x['gzip_speedup']:.2f}x as fast"),
        *((f"scrape {mode}, both up, in turn: median of {pk[mode]['scrapes']} (quartiles)",
           paired_cell(pk, mode), paired_cell(po, mode), f"{x[f'paired_{mode}_speedup']:.2f}x as fast")
          for mode in ("plain", "gzip") if pk),
        ("scrape bytes plain / gzip (MB)", f"{k['plain']['bytes'] / 1e6:.2f} / {k['gzip']['bytes'] / 1e6:.2f}",
         f"{o['plain']['bytes'] / 1e6:.2f} / {o['gzip']['bytes'] / 1e6:.2f}", ""),
        ("operator without --kube-state-metrics: steady VmRSS (MiB)", "",
         mib(r["ksm"]["aggregates_only_steady_kib"]["VmRSS"]), ""),
    ]
    head = (f"{r['pods']} pods / {r['nodes']} nodes", "kube-state-metrics", "kube9-operator", "ours / KSM")
    ws = [max(len(head[i]), *(len(row[i]) for row in rows)) for i in range(4)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, ws)) + " |",
             "|" + "|".join("-" * (w + 2) for w in ws) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, ws)) + " |" for row in rows]
    lines.append(f"both with --resources={','.join(r['ksm']['resources'])}")
    only = r["ksm"]["families_only_in_kube_state_metrics"] + r["ksm"]["families_only_in_kube9_operator"]
    if only:
        lines.append(f"families served by one only: {', '.join(only)}")
    return "\n".join(lines)


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    build_type = ""
    cache = REPO_ROOT / "build" / "CMakeCache.txt"
    if cache.exists():
        m = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", cache.read_text(), re.M)
        build_type = m.group(1) if m else ""
    if not build_type:
        m = re.search(r"set\(CMAKE_BUILD_TYPE (\w+)\)", (REPO_ROOT / "CMakeLists.txt").read_text())
        build_type = f"{m.group(1)} (CMakeLists.txt default)" if m else ""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "mem_total_mib": int(mem) // 1024,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cmake_build_type": build_type,
    }


def main() -> None:
    started = time.monotonic()
    sizes = []
    for part in os.environ.get("BENCH_SIZES", "1000:100,10000:500").split(","):
        p, _, n = part.strip().partition(":")
        sizes.append((int(p), int(n)))
    phases = [p.strip() for p in os.environ.get("BENCH_PHASES", ",".join(PHASES)).split(",") if p.strip()]
    if unknown := [p for p in phases if p not in PHASES]:
        raise SystemExit(f"BENCH_PHASES: unknown {unknown}; known: {','.join(PHASES)}")
    binary = Path(os.environ.get("KUBE9_BINARY", REPO_ROOT / "build" / "kube9-operator")).resolve()
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not built (make build)")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    RESULTS.mkdir(parents=True, exist_ok=True)
    logs_dir = RESULTS / f"{stamp}-logs"
    logs_dir.mkdir()
    version = subprocess.run([str(binary), "version"], capture_output=True, text=True).stdout.strip()
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    doc = {"timestamp": stamp, "machine": machine(), "operator_version": version, "binary": str(binary),
           "binary_sha256": digest, "binary_bytes": binary.stat().st_size, "sizes": []}
    doc["phases"] = phases
    log(f"kube9-operator {version}; sizes {sizes}; phases {phases}; {doc['machine']['cpus']} CPUs")
    for pods, nodes in sizes:
        doc["sizes"].append(bench_size(pods, nodes, binary, logs_dir, phases))
    doc["targets"] = [{"size": s, "target": t, "measured": m, "met": ok} for s, t, m, ok in targets(doc["sizes"])]
    doc["total_seconds"] = round(time.monotonic() - started, 1)
    out = RESULTS / f"{stamp}.json"
    out.write_text(json.dumps(doc, indent=1) + "\n")

    print()
    print(f"kube9-operator benchmark v1 — {doc['machine']['cpus']} CPUs ({doc['machine']['cpu_model']}), "
          f"{doc['machine']['cmake_build_type'] or 'unknown'} build, commit {doc['machine']['git_commit'][:12]}"
          f"{' (dirty)' if doc['machine']['git_dirty'] else ''}")
    print()
    print(table(doc["sizes"]))
    for r in doc["sizes"]:
        if r.get("ksm"):
            print()
            print(ksm_table(r))
    print()
    print("PERFORMANCE.md targets measured here:")
    for t in doc["targets"]:
        print(f"  {'met   ' if t['met'] else 'MISSED'}  {t['size']:<12} {t['target']:<30} {t['measured']}")
    for r in doc["sizes"]:
        if r.get("ksm_error"):
            print(f"  WARNING: at {r['pods']} pods the kube-state-metrics side by side failed: {r['ksm_error']}")
        if not r["check"]["ok"]:
            print(f"  WARNING: at {r['pods']} pods the aggregates did not match the load: {r['check']}")
    print()
    print(f"results: {out.relative_to(REPO_ROOT)} (logs in {logs_dir.relative_to(REPO_ROOT)}/); "
          f"total {doc['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
