"""API server faults (issue #10 point 8): the operator talks to the local kube-apiserver through a
fault-injecting TLS proxy on loopback (fault_proxy.py), which drips, truncates, mutes, bloats or
throttles its pod LISTs and watches. For each fault: while it lasts, the operator stays alive
(/healthz 200) and its memory bounded (VmRSS and, at the end, VmHWM of /proc/PID/status); once it
is gone, the operator converges by itself: its pod metrics equal what the API holds, including
pods created, changed and deleted while the fault was on, and /readyz is 200. Every fault is seen
in the operator's own metrics.

One operator per fault (a fresh process, so each VmHWM is that fault's peak), with
`--collectors=pods,namespaces` and a 1 s sample interval. Timings and peaks are printed (-s) and
recorded in docs/hardening.md.

Run: KUBE9_BINARY=build/kube9-operator python3 -m pytest -q -s tests/integration/test_api_faults.py
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path
from typing import Callable

import pytest

from conftest import delete_object, list_items, metric_value, parse_metrics, patch_status, wait_for
from fault_proxy import MiB, FaultProxy, bloat_pod
from test_cluster_metrics import PHASES, RUNNING, container, cstatus, make_pod, waiting
from throwaway_pki import issue, new_ca

PODS = "/api/v1/pods"
FAULT_SECONDS = 10  # how long each fault is kept on
CONVERGE_SECONDS = 30  # from the fault's end to metrics equal to the API's truth
BLOAT_FAULT_SECONDS = 6  # the 10 MiB faults: one object each, no backoff to wait out
RSS_BOUND_MIB = 64  # VmRSS and VmHWM, the 10 MiB object included
# A watch that sends nothing is abandoned after the operator's idle bound (kube/client.h,
# kWatchIdleTimeout: 90 s, a minute of bookmarks and a margin) and re-established.
WATCH_IDLE_SECONDS = 90
OPERATOR_ARGS = ["--sample-interval=1s", "--collectors=pods,namespaces"]


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxy_pki(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(ca.pem, proxy.pem, proxy.key): a throwaway CA and a certificate for IP:127.0.0.1."""
    root = tmp_path_factory.mktemp("fault-proxy-pki")
    new_ca(root, "kube9 throwaway fault-proxy CA")
    issue(root, "proxy", "IP:127.0.0.1")
    return root / "ca.pem", root / "proxy.pem", root / "proxy.key"


@pytest.fixture
def proxy(cluster, proxy_pki):
    _, cert, key = proxy_pki
    p = FaultProxy(cluster.env["KUBE9_APISERVER_URL"], cluster.env["KUBE9_CA_FILE"], str(cert), str(key),
                   max_lifetime=600)
    p.start()
    yield p
    p.stop()


@pytest.fixture
def proxied_kubeconfig(cluster, proxy, proxy_pki, tmp_path) -> Path:
    """The token kubeconfig of scripts/cluster.sh, pointed at the proxy and its CA."""
    ca, _, _ = proxy_pki
    m = re.search(r"^\s*token:\s*(\S+)\s*$", cluster.kubeconfig_token.read_text(), re.M)
    assert m, f"no token in {cluster.kubeconfig_token}"
    kc = tmp_path / "proxied-kubeconfig.json"
    kc.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "proxied",
        "clusters": [{"name": "proxy", "cluster": {"server": proxy.url, "certificate-authority": str(ca)}}],
        "users": [{"name": "token", "user": {"token": m.group(1)}}],
        "contexts": [{"name": "proxied", "context": {"cluster": "proxy", "user": "token"}}]}))
    return kc


# --- helpers -------------------------------------------------------------------------------------


def proc_status_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def pods_truth(api, ns: str) -> dict[str, float]:
    counts = {p: 0.0 for p in PHASES}
    for pod in list_items(api, f"/api/v1/namespaces/{ns}/pods"):
        counts[(pod.get("status") or {}).get("phase") or "Unknown"] += 1
    return counts


def pods_seen(text: str, ns: str) -> dict[str, float]:
    return {p: metric_value(text, "kube9_pods", namespace=ns, phase=p) for p in PHASES}


def counters(text: str, name: str, resource: str = "pods") -> dict[str, float]:
    """A counter's samples for one resource, keyed by its other label (kind or reason)."""
    return {next((v for k, v in ls.items() if k != "resource"), ""): v
            for n, ls, v in parse_metrics(text) if n == name and ls.get("resource") == resource}


def increase(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0) > 0}


def populate(api, ns: str) -> None:
    """Five pods in `ns`: three Running, one Pending (CrashLoopBackOff), one Succeeded."""
    for name in ("run-a", "run-b", "run-c"):
        make_pod(api, ns, name, [container("app", {"cpu": "10m"})],
                 status={"phase": "Running", "containerStatuses": [cstatus("app", RUNNING)]})
    make_pod(api, ns, "pending", [container("app")],
             status={"phase": "Pending", "containerStatuses": [cstatus("app", waiting("CrashLoopBackOff"), 3)]})
    make_pod(api, ns, "done", [container("app")], status={"phase": "Succeeded"})


def churn(api, ns: str) -> None:
    """What happens while the fault is on: a pod deleted, one changed, one created."""
    delete_object(api, f"/api/v1/namespaces/{ns}/pods/run-a")
    patch_status(api, f"/api/v1/namespaces/{ns}/pods/run-b", {"phase": "Failed"})
    make_pod(api, ns, "late", [container("app")],
             status={"phase": "Pending", "containerStatuses": [cstatus("app", waiting("ImagePullBackOff"))]})


@dataclasses.dataclass
class Outcome:
    name: str
    converged_after: float  # seconds from the fault's end to metrics equal to the API
    converged_at: float  # time.monotonic() then
    rss_max_mib: float  # the largest VmRSS sampled while the fault was on and until converged
    hwm_mib: float  # VmHWM at the end: the process's peak RSS since it started
    errors: dict[str, float]  # kube9_operator_kubernetes_api_errors_total{resource="pods"} increase, by kind
    relists: dict[str, float]  # kube9_operator_relists_total{resource="pods"} increase, by reason
    skipped: float  # kube9_operator_objects_skipped_total{resource="pods"} increase
    exchanges: list  # what the proxy received while the fault was on

    def summary(self) -> str:
        return (f"{self.name}: converged {self.converged_after:.1f}s after the fault ended; peak RSS "
                f"{self.rss_max_mib:.1f} MiB sampled, VmHWM {self.hwm_mib:.1f} MiB; pod errors {self.errors}; "
                f"relists {self.relists}; skipped {self.skipped:g}; "
                f"{sum(1 for e in self.exchanges if e.fault)} faulted requests")


def run_fault(name: str, api, ns: str, op, proxy: FaultProxy, start: Callable[[], None],
              during: Callable[[float], None] | None = None, fault_seconds: float = FAULT_SECONDS,
              converge_seconds: float = CONVERGE_SECONDS) -> Outcome:
    """Switches a fault on with `start`, keeps it `fault_seconds` (churning the pods after 2 s;
    `during(t)` runs every second), checks liveness and RSS all along, switches it off and
    waits for convergence."""
    text = op.metrics()
    errors0 = counters(text, "kube9_operator_kubernetes_api_errors_total")
    relists0 = counters(text, "kube9_operator_relists_total")
    skipped0 = metric_value(text, "kube9_operator_objects_skipped_total", resource="pods") or 0.0
    rss_max = 0
    seen_from = len(proxy.exchanges())

    start()
    t0 = time.monotonic()
    churned = False
    while (t := time.monotonic() - t0) < fault_seconds:
        assert op.poll() is None, f"{name}: the operator exited during the fault\n{op.describe()}"
        h = op.try_get("/healthz", timeout=3)
        assert h is not None and h.status == 200, (
            f"{name}: /healthz {None if h is None else h.status} {t:.1f}s into the fault\n{op.describe()}")
        rss = proc_status_kib(op.pid)["VmRSS"]
        rss_max = max(rss_max, rss)
        assert rss < RSS_BOUND_MIB * 1024, f"{name}: VmRSS {rss} KiB {t:.1f}s into the fault\n{op.describe()}"
        if not churned and t >= 2:
            churn(api, ns)
            churned = True
        if during is not None:
            during(t)
        time.sleep(1)
    exchanges = proxy.exchanges()[seen_from:]
    proxy.clear()
    cleared = time.monotonic()

    def converged():
        nonlocal rss_max
        rss_max = max(rss_max, proc_status_kib(op.pid)["VmRSS"])
        text = op.metrics()
        want, got = pods_truth(api, ns), pods_seen(text, ns)
        store = metric_value(text, "kube9_operator_store_objects", resource="pods")
        every_pod = float(len(list_items(api, PODS)))
        ready = op.try_get("/readyz", timeout=3)
        done = got == want and store == every_pod and ready is not None and ready.status == 200
        return done, {"pods": got, "want": want, "store": (store, every_pod),
                      "readyz": None if ready is None else ready.status}

    try:
        wait_for(converged, converge_seconds, f"{name}: pod metrics equal to the API after the fault",
                 interval=0.5, operator=op)
    except AssertionError as e:
        hwm = proc_status_kib(op.pid)["VmHWM"] / 1024 if op.poll() is None else None
        raise AssertionError(f"{e}\n(VmHWM {hwm} MiB; the proxy saw: "
                             f"{[x.describe() for x in proxy.exchanges()[seen_from:]]})") from None
    took = time.monotonic() - cleared
    text = op.metrics()
    outcome = Outcome(
        name=name, converged_after=took, converged_at=cleared + took, rss_max_mib=rss_max / 1024, hwm_mib=proc_status_kib(op.pid)["VmHWM"] / 1024,
        errors=increase(counters(text, "kube9_operator_kubernetes_api_errors_total"), errors0),
        relists=increase(counters(text, "kube9_operator_relists_total"), relists0),
        skipped=(metric_value(text, "kube9_operator_objects_skipped_total", resource="pods") or 0.0) - skipped0,
        exchanges=exchanges)
    print(f"\n{outcome.summary()}")
    assert outcome.hwm_mib < RSS_BOUND_MIB, f"{name}: VmHWM {outcome.hwm_mib:.1f} MiB\n{op.describe()}"
    assert op.get("/healthz").status == 200
    return outcome


def start_proxied(api, namespace, start_operator, proxied_kubeconfig, proxy):
    populate(api, namespace)
    op = start_operator(namespace, interval="5s", kubeconfig=proxied_kubeconfig, args=OPERATOR_ARGS)

    def synced():
        text = op.metrics()
        return pods_seen(text, namespace) == pods_truth(api, namespace), pods_seen(text, namespace)

    wait_for(synced, 15, "the pods of the namespace in the metrics", interval=0.25, operator=op)
    assert proxy.open_watches(PODS) == 1, [e.describe() for e in proxy.exchanges()]
    return op


def faulted(outcome: Outcome, kind: str) -> list:
    return [e for e in outcome.exchanges if e.fault == kind]


# --- the faults ----------------------------------------------------------------------------------


def test_proxy_passes_everything_through(api, namespace, start_operator, proxied_kubeconfig, proxy):
    """Without a fault the proxy is invisible: the operator lists, watches and writes its status."""
    op = start_proxied(api, namespace, start_operator, proxied_kubeconfig, proxy)
    status = wait_for(lambda: ((s := api.get_status(namespace)) is not None, s), 10, "the status", operator=op)
    assert status["health"] == "healthy", status
    verbs = {(e.verb, e.path) for e in proxy.exchanges()}
    assert {("list", PODS), ("watch", PODS), ("patch", f"/api/v1/namespaces/{namespace}/configmaps/"
                                                        "kube9-operator-status")} <= verbs, verbs
    assert all(e.status in (200, 201) for e in proxy.exchanges() if e.status is not None), (
        [e.describe() for e in proxy.exchanges()])


def test_slow_drip(api, namespace, start_operator, proxied_kubeconfig, proxy):
    """Pod watches and LISTs dribble in, 64 bytes every 0.2 s: first the re-established watch
    (the pod churn arrives through it), then, once that watch is expired, the relist, which
    crawls until the drip ends."""
    op = start_proxied(api, namespace, start_operator, proxied_kubeconfig, proxy)
    expired: list[int] = []

    def start():
        proxy.inject("drip", verbs={"list", "watch"}, paths={PODS}, seconds=FAULT_SECONDS + 5,
                     drip_bytes=64, drip_delay=0.2)
        assert proxy.end_watches(gone=False, path=PODS) == 1

    def during(t: float) -> None:
        if not expired and t >= FAULT_SECONDS / 2:
            expired.append(proxy.end_watches(gone=True, path=PODS))

    out = run_fault("slow drip", api, namespace, op, proxy, start, during=during)
    assert expired == [1], expired
    dripped = {e.verb for e in faulted(out, "drip")}
    assert dripped == {"watch", "list"}, [e.describe() for e in out.exchanges]
    assert out.relists == {"expired": 1}, out.relists
    assert set(out.errors) <= {"gone"}, f"slow is not an error: {out.errors}"


def test_truncated_list(api, namespace, start_operator, proxied_kubeconfig, proxy):
    """Every pod LIST is cut in the middle (alternately by a closed connection and by a complete
    HTTP response with half the JSON): each is counted as an error and retried with backoff."""
    op = start_proxied(api, namespace, start_operator, proxied_kubeconfig, proxy)

    def start():
        proxy.inject("truncate", verbs={"list"}, paths={PODS}, seconds=FAULT_SECONDS + 5)
        assert proxy.end_watches(gone=True, path=PODS) == 1

    out = run_fault("truncated LIST", api, namespace, op, proxy, start)
    cut = faulted(out, "truncate")
    assert {e.ended for e in cut} == {"closed", "complete"}, [e.describe() for e in cut]
    assert out.errors.get("transport", 0) >= 1 and out.errors.get("decode", 0) >= 1, out.errors
    assert out.relists.get("error", 0) + out.relists.get("decode_error", 0) >= len(cut), (out.relists, len(cut))
    # Backoff: 0.8 s doubling (jitter takes off up to half), not a tight loop.
    assert 2 <= len(cut) <= 6, [e.describe() for e in cut]


def test_watch_that_never_sends(api, namespace, start_operator, proxied_kubeconfig, proxy):
    """The pod watch is ended and its successor gets headers and then silence, the connection
    alive, for as long as the operator keeps it (the proxy holds it even after the fault ends,
    like a stuck middlebox). The operator must give up on it by itself and re-watch."""
    op = start_proxied(api, namespace, start_operator, proxied_kubeconfig, proxy)

    def start():
        proxy.inject("mute", verbs={"watch"}, paths={PODS}, seconds=FAULT_SECONDS, max_hits=1,
                     mute_hold=WATCH_IDLE_SECONDS + 60)
        assert proxy.end_watches(gone=False, path=PODS) == 1

    out = run_fault("watch that never sends", api, namespace, op, proxy, start,
                    converge_seconds=WATCH_IDLE_SECONDS + 15)
    muted = faulted(out, "mute")
    assert len(muted) == 1 and muted[0].ended == "muted", [e.describe() for e in out.exchanges]
    # Abandoned after the idle bound, not sooner (a quiet watch is not a dead one) and not at the
    # watch's own timeout (5 to 10 minutes).
    since_muted = out.converged_at - muted[0].at
    assert WATCH_IDLE_SECONDS - 10 <= since_muted <= WATCH_IDLE_SECONDS + 15, since_muted
    assert out.errors.get("transport", 0) >= 1, out.errors
    # A re-watch from the last resourceVersion is enough (a 410 for it would be the server's call).
    assert set(out.relists) <= {"expired"}, out.relists


def test_ten_mib_object_in_a_list_page(api, namespace, start_operator, proxied_kubeconfig, proxy):
    """A 10 MiB pod in the middle of a pod LIST page: it is skipped and counted, the rest of the
    page is decoded and kept, and memory stays low."""
    op = start_proxied(api, namespace, start_operator, proxied_kubeconfig, proxy)

    def start():
        proxy.inject("bloat", verbs={"list"}, paths={PODS}, seconds=BLOAT_FAULT_SECONDS, max_hits=1,
                     bloat_bytes=10 * MiB, bloat_namespace=namespace, bloat_name="bloat-listed")
        assert proxy.end_watches(gone=True, path=PODS) == 1

    out = run_fault("10 MiB object in a LIST", api, namespace, op, proxy, start, fault_seconds=BLOAT_FAULT_SECONDS)
    assert len(faulted(out, "bloat")) == 1, [e.describe() for e in out.exchanges]
    assert out.skipped == 1, f"the 10 MiB pod is skipped and counted: {out.skipped}"
    assert out.relists == {"expired": 1}, out.relists


def test_ten_mib_object_in_a_watch(api, namespace, start_operator, proxied_kubeconfig, proxy):
    """A 10 MiB pod as an ADDED event on the open pod watch, the pod churn after it: the watch
    ends with a decode error (skipping the event would leave the store with the object's old
    state), the pods are relisted once, and memory stays low (docs/hardening.md, "Outside
    replies")."""
    op = start_proxied(api, namespace, start_operator, proxied_kubeconfig, proxy)
    injected: list[int] = []

    def start():
        injected.append(proxy.inject_watch_event(PODS, "ADDED", bloat_pod(namespace, "bloat-watched", 10 * MiB)))

    out = run_fault("10 MiB object in a watch", api, namespace, op, proxy, start, fault_seconds=BLOAT_FAULT_SECONDS)
    assert injected == [1], injected
    assert out.errors == {"decode": 1}, out.errors
    assert out.relists == {"decode_error": 1}, out.relists
    assert out.skipped == 0, f"the relisted page does not hold the injected pod: {out.skipped}"


def test_429_storm(api, namespace, start_operator, proxied_kubeconfig, proxy):
    """Every request is answered 429 with Retry-After: 1 (pods, namespaces, the status write):
    the operator waits at least that long between tries, backs off, and recovers by itself."""
    op = start_proxied(api, namespace, start_operator, proxied_kubeconfig, proxy)
    everything = {"list", "watch", "get", "post", "put", "patch", "delete"}

    def start():
        proxy.inject("throttle", verbs=everything, paths=None, seconds=FAULT_SECONDS + 5, retry_after=1)
        assert proxy.end_watches(gone=False) >= 2  # pods and namespaces

    out = run_fault("429 storm", api, namespace, op, proxy, start)
    throttled = faulted(out, "throttle")
    by_path: dict[str, list[float]] = {}
    for e in throttled:
        by_path.setdefault(e.path if e.verb != "patch" else "status", []).append(e.at)
    assert PODS in by_path and "/api/v1/namespaces" in by_path, by_path.keys()
    for path, times in by_path.items():
        gaps = [b - a for a, b in zip(times, times[1:])]
        # Retry-After: 1 honoured (0.05 s of slack for scheduling), and backoff on top of it.
        assert all(g >= 0.95 for g in gaps), (path, [round(g, 2) for g in gaps])
        assert len(times) <= FAULT_SECONDS // 2 + 1, (path, len(times), [round(g, 2) for g in gaps])
    print("  requests answered 429, by path: " + "; ".join(
        f"{p}: {len(ts)} at +" + ", +".join(f"{t - ts[0]:.1f}" for t in ts[1:]) for p, ts in by_path.items()))
    assert out.errors.get("throttled", 0) >= 2, out.errors
    assert not out.relists, f"a 429 is no reason to relist: {out.relists}"
