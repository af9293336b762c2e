"""A real Prometheus (Debian's 2.42) scraping the operator, and promtool's linter on /metrics."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, parse_metrics, run, wait_for
from test_cluster_metrics import (
    CLUSTER_FAMILIES,
    RUNNING,
    container,
    cstatus,
    make_pod,
    make_workload,
    waiting,
)

sys.path.insert(0, str(REPO_ROOT / "tests" / "monitoring"))
from kube9_monitoring import PROMETHEUS, Prometheus  # noqa: E402  (one launcher for every test)

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


@pytest.fixture
def start_prometheus(tmp_path):
    started: list[Prometheus] = []

    def start(target: str, job: str) -> Prometheus:
        p = Prometheus(tmp_path / f"prometheus-{len(started)}", target, job)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def populate(api, ns: str) -> None:
    make_pod(api, ns, "a", [container("app")],
             status={"phase": "Running", "containerStatuses": [cstatus("app", RUNNING)]})
    make_pod(api, ns, "b", [container("app")],
             status={"phase": "Running", "containerStatuses": [cstatus("app", waiting("CrashLoopBackOff"), 4)]})
    make_pod(api, ns, "c", [container("app")])
    make_workload(api, ns, "Deployment", "web", {"replicas": 2},
                  {"replicas": 2, "readyReplicas": 1, "availableReplicas": 1, "unavailableReplicas": 1})


def test_prometheus_scrapes_and_queries_kube9_pods(api, namespace, start_operator, start_prometheus):
    assert Path(PROMETHEUS).is_file(), f"{PROMETHEUS} not installed (Debian package prometheus)"
    populate(api, namespace)
    op = start_operator(namespace, interval="5s", args=["--sample-interval=1s"])
    job = f"kube9-{namespace}"
    prom = start_prometheus(f"127.0.0.1:{op.port}", job)
    prom.wait_ready(20)

    def scraped():
        up = prom.query(f'up{{job="{job}"}}')["result"]
        total = prom.query(f'sum(kube9_pods{{namespace="{namespace}"}})')["result"]
        running = prom.query(f'kube9_pods{{namespace="{namespace}",phase="Running"}}')["result"]
        got = (
            [r["value"][1] for r in up],
            [r["value"][1] for r in total],
            [r["value"][1] for r in running],
        )
        return got == (["1"], ["3"], ["2"]), got

    try:
        wait_for(scraped, 20, "Prometheus to see up=1 and 3 pods (2 Running) in the namespace", interval=0.5,
                 operator=op)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{prom.describe()}") from None

    # A PromQL expression over the workload family works as a dashboard would use it.
    unavailable = prom.query(
        f'sum by (workload) (kube9_workload_replicas{{namespace="{namespace}",state="unavailable"}})')["result"]
    assert [(r["metric"], r["value"][1]) for r in unavailable] == [({"workload": "web"}, "1")], unavailable
    targets = prom.api("/api/v1/targets")["activeTargets"]
    mine = [t for t in targets if t["labels"].get("job") == job]
    assert len(mine) == 1 and mine[0]["health"] == "up" and not mine[0]["lastError"], mine


@pytest.mark.parametrize("gzip_flag", [False, True], ids=["plain", "enable-gzip-encoding"])
def test_prometheus_scrapes_the_streamed_per_object_families(api, namespace, start_operator, start_prometheus,
                                                             gzip_flag):
    """With --kube-state-metrics, /metrics is a streamed reply (chunked, no Content-Length):
    plain whatever the client asks, as kube-state-metrics answers, or gzipped when asked (as
    Prometheus does) with --enable-gzip-encoding. Prometheus takes it whole either way."""
    assert Path(PROMETHEUS).is_file(), f"{PROMETHEUS} not installed (Debian package prometheus)"
    populate(api, namespace)
    args = ["--sample-interval=1s", "--kube-state-metrics", "--resources=namespaces,deployments,pods"]
    op = start_operator(namespace, interval="5s", args=args + (["--enable-gzip-encoding"] if gzip_flag else []))
    reply = op.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert reply.status == 200 and "content-length" not in reply.headers, reply.headers
    assert reply.headers.get("transfer-encoding") == "chunked", reply.headers
    assert reply.headers.get("content-encoding") == ("gzip" if gzip_flag else None), reply.headers
    job = f"kube9-ksm-{namespace}"
    prom = start_prometheus(f"127.0.0.1:{op.port}", job)
    prom.wait_ready(20)

    def scraped():
        up = prom.query(f'up{{job="{job}"}}')["result"]
        pods = prom.query(f'count(kube_pod_info{{job="{job}",namespace="{namespace}"}})')["result"]
        ours = prom.query(f'sum(kube9_pods{{job="{job}",namespace="{namespace}"}})')["result"]
        got = ([r["value"][1] for r in up], [r["value"][1] for r in pods], [r["value"][1] for r in ours])
        return got == (["1"], ["3"], ["3"]), got

    try:
        wait_for(scraped, 30, "Prometheus to scrape the aggregates and the per-object families", interval=0.5,
                 operator=op)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{prom.describe()}") from None
    targets = prom.api("/api/v1/targets")["activeTargets"]
    mine = [t for t in targets if t["labels"].get("job") == job]
    assert len(mine) == 1 and mine[0]["health"] == "up" and not mine[0]["lastError"], mine


def test_promtool_check_metrics_is_clean(api, namespace, start_operator):
    assert Path(PROMTOOL).is_file(), f"{PROMTOOL} not installed (Debian package prometheus)"
    populate(api, namespace)
    op = start_operator(namespace, interval="5s", args=["--sample-interval=1s"])
    # One more pod after the start, so that watch-event counters have series too.
    make_pod(api, namespace, "late", [container("app")])

    expected = set(CLUSTER_FAMILIES) | {
        "kube9_operator_store_objects", "kube9_operator_watch_events_total", "kube9_operator_relists_total",
        "kube9_operator_last_sync_timestamp_seconds", "kube9_operator_scrape_duration_seconds_bucket",
        "kube9_operator_build_info", "kube9_operator_objects_skipped_total",
    }

    def all_families():
        op.metrics()  # a scrape, so that the scrape-duration histogram has observations
        names = {n for n, _, _ in parse_metrics(op.metrics())}
        return expected <= names, sorted(expected - names)

    wait_for(all_families, 10, "every family on /metrics", operator=op)
    text = op.metrics()
    out = run([PROMTOOL, "check", "metrics"], timeout=30, input=text)
    assert out.returncode == 0 and out.stdout == "" and out.stderr == "", (
        f"promtool check metrics (exit {out.returncode}):\n{out.stdout}{out.stderr}"
    )
