"""/readyz and /healthz around the first status write (PRODUCT.md §4)."""

from __future__ import annotations

import time

from conftest import random_namespace, wait_for


def test_readyz_waits_for_first_status_write_and_recovers_when_namespace_appears(api, start_operator):
    ns = random_namespace()
    assert api.get_namespace(ns) is None
    op = start_operator(ns, interval="5s", wait_ready=False)
    op.wait_http()

    # The namespace does not exist: no status can be written, so not ready, but alive.
    def not_ready_with_reason():
        reply = op.get("/readyz")
        return reply.status == 503 and ns in reply.text, (reply.status, reply.text)

    status, reason = wait_for(not_ready_with_reason, 10, f"/readyz 503 naming namespace {ns}", operator=op)
    healthz = op.get("/healthz")
    assert (healthz.status, healthz.text.strip()) == (200, "OK"), (healthz.status, healthz.text)

    def warning_logged():
        warnings = [e for e in op.json_logs() if e.get("level") in ("warn", "warning") and ns in json_text(e)]
        return bool(warnings), warnings

    wait_for(warning_logged, 10, f"a warning log line about namespace {ns}", operator=op)
    assert api.get_configmap(ns) is None

    # Still not ready a little later (it does not claim readiness by itself).
    time.sleep(1)
    reply = op.get("/readyz")
    assert reply.status == 503, (reply.status, reply.text)

    # The namespace appears: within an interval plus backoff (capped at the interval) the
    # status is written and the operator becomes ready, without a restart.
    api.create_namespace(ns)
    created = time.time()
    try:
        wait_for(lambda: ((s := api.get_status(ns)) is not None, s), 15,
                 f"the status ConfigMap in {ns} after creating the namespace", operator=op)

        def ready():
            r = op.get("/readyz")
            return (r.status, r.text.strip()) == (200, "Ready"), (r.status, r.text)

        wait_for(ready, 5, "/readyz 200 Ready", operator=op)
        took = time.time() - created
        status = api.get_status(ns)
        assert status["health"] == "healthy" and status["error"] is None, status
        assert took < 15, f"recovery took {took:.1f}s"
    finally:
        api.delete_namespace(ns)


def json_text(entry: dict) -> str:
    return " ".join(str(v) for v in entry.values())
