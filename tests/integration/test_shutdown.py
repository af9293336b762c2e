"""Graceful shutdown: final status written, exit 0 within 5 s (PRODUCT.md §2)."""

from __future__ import annotations

import signal
import time

import pytest

from conftest import ADDITIVE_STATUS_BLOCKS, parse_rfc3339_millis, wait_for


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_writes_final_unhealthy_status_and_exits_zero(api, namespace, start_operator, sig):
    op = start_operator(namespace, interval="5s")
    before = wait_for(lambda: ((s := api.get_status(namespace)) is not None and s["health"] == "healthy", s),
                      10, "a healthy status", operator=op)

    signalled = time.time()
    op.send_signal(sig)
    started = time.monotonic()
    rc = op.wait_exit(timeout=5)
    took = time.monotonic() - started
    assert rc == 0, f"exit code {rc} after {sig.name}\n{op.describe()}"
    assert took < 5, f"exit took {took:.2f}s"

    final = api.get_status(namespace)
    assert final is not None
    assert final["health"] == "unhealthy", final
    assert final["error"] == "Shutting down", final
    # Written by the shutdown itself, not left over from the last periodic write.
    assert parse_rfc3339_millis(final["lastUpdate"]) >= signalled - 0.5, (final["lastUpdate"], signalled)
    unchanged = {k: before[k] for k in ("mode", "tier", "version", "registered", "apiKeyConfigured", "namespace")}
    assert {k: final[k] for k in unchanged} == unchanged, final
    contract = [k for k in final if k not in ADDITIVE_STATUS_BLOCKS]
    assert contract == [k for k in before if k not in ADDITIVE_STATUS_BLOCKS], "the final status lost contract fields"
