"""ThreadSanitizer smoke run (`make tsan-test`, docs/development.md "Threads"): the binary built
with -fsanitize=thread, with every collector and the Pro tier against the fake kube9-server, so
that every thread the operator has does its work at once: watches see objects created and
patched, the sampler samples, the status loop writes, the registrar registers, the uploader's
workers upload, /metrics is scraped concurrently; then SIGTERM. Any TSan report fails it.

Skipped unless KUBE9_TSAN_BINARY names that binary."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO_ROOT, create_object, patch_object, wait_for

pytestmark = pytest.mark.skipif(not os.environ.get("KUBE9_TSAN_BINARY"),
                                reason="KUBE9_TSAN_BINARY is not set (make tsan-test sets it)")

TSAN_REPORT = "WARNING: ThreadSanitizer"
DEFAULT_TSAN_OPTIONS = (f"halt_on_error=1 second_deadlock_stack=1 "
                        f"suppressions={REPO_ROOT / 'tests' / 'tsan.supp'}")
BUSY_SECONDS = 25


@pytest.fixture(scope="module")
def binary() -> Path:
    """The TSan build instead of KUBE9_BINARY (overrides conftest's fixture)."""
    path = Path(os.environ["KUBE9_TSAN_BINARY"])
    assert path.is_file() and os.access(path, os.X_OK), f"{path} is not an executable"
    return path


def assert_no_report(op) -> None:
    """halt_on_error=1: a report ends the process, and the report is the reason to show."""
    if TSAN_REPORT in op.stderr():
        pytest.fail(f"ThreadSanitizer reported:\n{op.stderr()[-20000:]}")


def scrape_all(op) -> None:
    for path in ("/metrics", "/healthz", "/readyz", "/"):
        reply = op.try_get(path, timeout=10)
        if reply is None:
            assert_no_report(op)
        assert reply is not None, f"no answer on {path}\n{op.describe()}"


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "tsan"}},
            "spec": {"containers": [{"name": "c", "image": "registry.example/tsan:1"}]}}


def test_a_busy_run_under_thread_sanitizer_reports_nothing(api, namespace, start_operator, kube9_server, tmp_path):
    server = kube9_server
    server.configure(metrics_enabled=True, metrics_interval_seconds=1)
    key_file = tmp_path / "api-key"
    key_file.write_text(server.api_key)
    env = {"TSAN_OPTIONS": os.environ.get("TSAN_OPTIONS") or DEFAULT_TSAN_OPTIONS}
    op = start_operator(
        namespace, interval="5s", env=env, wait_ready=False,
        args=[f"--server-url={server.url}", f"--api-key-file={key_file}", f"--spool.path={tmp_path / 'spool'}",
              "--collection.initial-delay=1s", "--upload.max-batch-age=2s", "--sample-interval=1s",
              "--upload.concurrency=2"])
    op.wait_ready(timeout=90)  # everything runs several times slower under TSan
    server.wait_for(server.successful_registrations, 60, "a registration")

    deadline = time.monotonic() + BUSY_SECONDS
    n = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        while time.monotonic() < deadline:
            # Work for the watch threads while four clients scrape at once.
            scrapes = [pool.submit(scrape_all, op) for _ in range(4)]
            n += 1
            base = f"/api/v1/namespaces/{namespace}"
            create_object(api, f"{base}/pods", pod(f"p{n}"))
            create_object(api, f"{base}/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{n}"},
                "spec": {"ports": [{"port": 80}], "selector": {"app": "tsan"}}})
            create_object(api, f"{base}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                      "metadata": {"name": f"c{n}"}})
            patch_object(api, f"{base}/pods/p{n}", {"metadata": {"labels": {"round": str(n)}}})
            for s in scrapes:
                s.result()
            assert_no_report(op)
            assert op.poll() is None, f"the operator exited\n{op.describe()}"
            time.sleep(0.5)

    wait_for(lambda: ((s := api.get_status(namespace)) is not None and s.get("registered") is True, s), 30,
             "a status written after registration", operator=op)
    server.wait_for(lambda: server.collections(), 60, "an upload")

    op.send_signal(signal.SIGTERM)
    rc = op.wait_exit(timeout=30)
    assert_no_report(op)
    assert TSAN_REPORT not in op.stdout(), op.stdout()[-20000:]
    assert rc == 0, f"exit code {rc}\n{op.describe()}"
    final = api.get_status(namespace)
    assert final is not None and final["error"] == "Shutting down", final
