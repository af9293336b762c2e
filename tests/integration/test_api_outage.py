"""An API server outage: stay alive, report not ready, count failures, recover by itself."""

from __future__ import annotations

import signal
import subprocess
import time

from conftest import CLUSTER_SH, metric_value, metric_values, parse_rfc3339_millis, run, wait_for

OUTAGE_SECONDS = 30


def cluster_cmd(command: str) -> None:
    out = run(["bash", str(CLUSTER_SH), command], timeout=180)
    assert out.returncode == 0, f"scripts/cluster.sh {command} failed:\n{out.stdout}\n{out.stderr}"


def test_api_outage_keeps_liveness_drops_readiness_and_recovers(api, namespace, start_operator):
    op = start_operator(namespace, interval="5s")
    wait_for(lambda: ((s := api.get_status(namespace)) is not None, s), 10, "the first status", operator=op)
    # A second operator is stopped during the outage: its final status cannot be written, and
    # it must still exit 0 within 5 s (a pod being deleted must not hang on an absent API).
    stopping = start_operator(namespace, interval="5s")
    stopping_result = None
    failures_before = metric_value(op.metrics(), "kube9_operator_status_writes_total", result="failure") or 0.0

    healthz_bad: list = []
    readyz_seen: list[tuple[float, int, str]] = []
    failures_during = failures_before
    no_response_series: list[float] = []
    try:
        cluster_cmd("stop-apiserver")
        stopped = time.monotonic()
        while time.monotonic() - stopped < OUTAGE_SECONDS:
            t = round(time.monotonic() - stopped, 1)
            h = op.try_get("/healthz", timeout=3)
            if h is None or h.status != 200:
                healthz_bad.append((t, None if h is None else (h.status, h.text)))
            r = op.try_get("/readyz", timeout=3)
            readyz_seen.append((t, None if r is None else r.status, "" if r is None else r.text))
            text = op.metrics()
            failures_during = metric_value(text, "kube9_operator_status_writes_total", result="failure") or 0.0
            no_response_series = metric_values(text, "kube9_operator_kubernetes_api_requests_total", code="0")
            if stopping_result is None and t >= 10:
                stopping.send_signal(signal.SIGTERM)
                signalled = time.monotonic()
                try:
                    rc = stopping.proc.wait(timeout=8)
                except subprocess.TimeoutExpired:
                    rc = None
                stopping_result = (rc, round(time.monotonic() - signalled, 2))
            time.sleep(1)
        assert op.poll() is None, f"operator exited during the outage\n{op.describe()}"
    finally:
        restart_requested = time.time()
        cluster_cmd("start-apiserver")
    restarted = time.monotonic()

    assert stopping_result is not None
    rc, took = stopping_result
    assert rc == 0 and took < 5, (
        f"SIGTERM during the outage: exit code {rc} after {took}s (want 0 within 5 s)\n{stopping.describe()}"
    )
    assert not healthz_bad, f"/healthz was not 200 during the API outage: {healthz_bad}\n{op.describe()}"
    statuses = [s for _, s, _ in readyz_seen]
    assert 503 in statuses, f"/readyz never went 503 during the outage: {readyz_seen}\n{op.describe()}"
    first_503 = statuses.index(503)
    assert all(s == 503 for s in statuses[first_503:]), f"/readyz flapped back during the outage: {readyz_seen}"
    assert readyz_seen[first_503][0] <= 12, f"/readyz took {readyz_seen[first_503][0]}s to go 503"
    assert failures_during > failures_before, (
        f"status_writes_total{{result=\"failure\"}} did not increase ({failures_before} -> {failures_during})"
    )
    assert no_response_series and sum(no_response_series) > 0, (
        "no kube9_operator_kubernetes_api_requests_total{code=\"0\"} series during the outage\n" + op.metrics()
    )

    # Recovery, with no restart of the operator.
    def written_after_restart():
        s = api.get_status(namespace)
        return s is not None and parse_rfc3339_millis(s["lastUpdate"]) > restart_requested, s

    wait_for(written_after_restart, 20, "a status written after the API server came back", operator=op)

    # The collectors were failing throughout the outage: if the API server took long to come
    # back, the status may say degraded (a collector failing for more than 3 sample intervals)
    # until they have listed again, within their 30 s backoff cap.
    def healthy_after_restart():
        done, s = written_after_restart()
        return done and s["health"] == "healthy", s

    status = wait_for(healthy_after_restart, 45, "a healthy status after the API server came back", operator=op)
    assert status["error"] is None, status

    def ready():
        r = op.get("/readyz")
        return (r.status, r.text.strip()) == (200, "Ready"), (r.status, r.text)

    wait_for(ready, 5, "/readyz 200 after the API server came back", operator=op)
    assert time.monotonic() - restarted < 25
    text = op.metrics()
    last_success = metric_value(text, "kube9_operator_status_last_success_timestamp_seconds")
    assert last_success is not None and last_success > restart_requested, (last_success, restart_requested)
