"""A second operator on a port already in use fails clearly instead of running half-way."""

from __future__ import annotations

from conftest import random_namespace


def test_second_operator_on_same_port_exits_non_zero(api, namespace, start_operator):
    first = start_operator(namespace, interval="5s")
    other_ns = random_namespace()
    second = start_operator(other_ns, interval="5s", port=first.port, wait_ready=False)
    rc = second.wait_exit(timeout=10)
    assert rc != 0, f"second operator exited {rc}\n{second.describe()}"
    output = second.stdout() + second.stderr()
    address = f"127.0.0.1:{first.port}"
    assert address in output and ("cannot listen" in output or "in use" in output), (
        f"no clear message naming {address}:\n{second.describe()}"
    )
    # The first one is unaffected.
    assert first.poll() is None, first.describe()
    reply = first.get("/healthz")
    assert reply.status == 200
    assert first.get("/readyz").status == 200
