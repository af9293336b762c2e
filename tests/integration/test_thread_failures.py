"""No silent death (docs/development.md "Threads"): an exception thrown on a real thread of the
running operator, injected with the test-only KUBE9_FAULT_INJECTION, is caught at the thread's
edge, logged and counted. A restartable loop is restarted and the status says degraded, naming
it; a failure of the status loop (or of the HTTP server's I/O thread) ends the process through
the normal shutdown, with the final status written and exit code 1."""

from __future__ import annotations

import signal

import pytest

from conftest import metric_value, wait_for

INJECTED = "injected fault (KUBE9_FAULT_INJECTION)"


def failure_logs(op, thread: str) -> list[dict]:
    return [e for e in op.json_logs() if e.get("msg") == "thread failed" and e.get("thread") == thread]


def status_where(api, namespace, op, predicate, what: str) -> dict:
    return wait_for(lambda: ((s := api.get_status(namespace)) is not None and predicate(s), s), 20, what, operator=op)


def test_a_failed_sampler_is_restarted_counted_and_degrades_the_status(api, namespace, start_operator):
    op = start_operator(namespace, interval="5s", env={"KUBE9_FAULT_INJECTION": "throw:sampler:once"})
    # Ready means the sampler ran after its restart: the collectors' condition is set by it.
    logs = wait_for(lambda: (len(failure_logs(op, "sampler")) == 1, failure_logs(op, "sampler")), 10,
                    "the failure in the log", operator=op)
    assert logs[0]["level"] == "error" and logs[0]["error"] == INJECTED and logs[0]["restarting"] is True, logs

    text = op.metrics()
    assert metric_value(text, "kube9_operator_thread_failures_total", thread="sampler") == 1, text
    # Every thread's counter is there from its start, at 0.
    for thread in ("status", "collections", "w:pods", "w:nodes"):
        assert metric_value(text, "kube9_operator_thread_failures_total", thread=thread) == 0, (thread, text)

    status = status_where(api, namespace, op, lambda s: s["health"] == "degraded", "a degraded status")
    assert status["error"] == f"sampler thread failed and was restarted: {INJECTED}", status
    # The operator carries on: samples (cluster metrics), health and status writes.
    assert op.get("/healthz").status == 200
    assert metric_value(op.metrics(), "kube9_operator_thread_failures_total", thread="sampler") == 1
    assert op.poll() is None

    op.send_signal(signal.SIGTERM)
    assert op.wait_exit(timeout=5) == 0, op.describe()
    assert api.get_status(namespace)["error"] == "Shutting down"


def test_a_watch_thread_that_keeps_failing_keeps_being_restarted_and_degraded(api, namespace, start_operator):
    op = start_operator(namespace, interval="5s", env={"KUBE9_FAULT_INJECTION": "throw:w:pods"}, wait_ready=False)
    op.wait_http()
    # Restarted after 1 s, 2 s, 4 s (jittered): at least three failures within about 10 s.
    wait_for(lambda: ((n := metric_value(op.metrics(), "kube9_operator_thread_failures_total",
                                         thread="w:pods") or 0) >= 3, n), 20, "three failures of w:pods", operator=op)
    status = status_where(api, namespace, op, lambda s: s["health"] == "degraded", "a degraded status")
    assert status["error"].startswith("w:pods thread failed and was restarted: "), status
    assert all(e["restarting"] is True for e in failure_logs(op, "w:pods"))
    # Its collector never listed, so the operator is not ready; the others carry on.
    assert op.get("/readyz").status == 503
    assert op.poll() is None
    op.send_signal(signal.SIGTERM)
    assert op.wait_exit(timeout=5) == 0, op.describe()


# Threads that are not restarted: the status loop (it writes the final status) and the HTTP
# server's I/O thread.
@pytest.mark.parametrize("thread", ["status", "http-io"])
def test_a_thread_that_is_not_restarted_ends_the_operator_with_the_final_status_written(
        api, namespace, start_operator, thread):
    op = start_operator(namespace, interval="5s", env={"KUBE9_FAULT_INJECTION": f"throw:{thread}"}, wait_ready=False)
    rc = op.wait_exit(timeout=15)
    assert rc == 1, f"exit code {rc}\n{op.describe()}"

    final = api.get_status(namespace)
    assert final is not None, "no final status"
    assert final["health"] == "unhealthy", final
    assert final["error"] == f"Shutting down: {thread} thread failed: {INJECTED}", final

    logs = failure_logs(op, thread)
    assert len(logs) == 1 and logs[0]["restarting"] is False and logs[0]["error"] == INJECTED, logs
    assert any(e.get("msg") == "shutting down after a thread failure" for e in op.json_logs()), op.describe()
    assert any(e.get("msg") == "final status written" for e in op.json_logs()), op.describe()
