"""kube9-server answers that once crashed the operator (issue #10): a reply of 1,000,000 `[`
sent RapidJSON's recursive parser through the stack, and reply bodies had no size limit. The
real binary against the fake kube9-server: the bombs are counted, logged and survived, and the
operator goes on to register and upload (docs/hardening.md, "Outside replies")."""

from __future__ import annotations

import pytest

from conftest import metric_value, metric_values
from fake_kube9_server import COLLECTIONS_PATH, REGISTER_PATH
from test_pro_tier import assert_no_violations, start_pro

pytestmark = pytest.mark.pro_tier

BOMB = b"[" * 1_000_000


def test_nesting_bombs_and_oversized_replies_are_counted_and_survived(api, namespace, start_operator,
                                                                       kube9_server, tmp_path):
    server = kube9_server
    # Registration: a 200 whose body is the bomb, then one over the 1 MiB reply limit.
    server.fail_next(REGISTER_PATH, 200, body=BOMB)
    server.fail_next(REGISTER_PATH, 200, body=b'{"pad":"' + b"x" * (2 << 20) + b'"}')
    # Uploads: an error body that is the bomb (refused for good, as its 400 says).
    server.fail_next(COLLECTIONS_PATH, 400, body=BOMB)
    op = start_pro(start_operator, namespace, server, tmp_path)

    server.wait_for(server.successful_registrations, 90, "a registration after the two hostile replies")
    server.wait_for(lambda: server.collections(status=400), 60, "an upload answered with the bomb")
    server.wait_for(lambda: server.collections(), 60, "an upload accepted after it")
    # The answer is read after the server recorded the request: wait for the operator to count it.
    server.wait_for(lambda: sum(metric_values(op.metrics(), "kube9_operator_uploads_total", result="rejected")) == 1,
                    20, "the bombed upload counted as rejected")
    assert op.poll() is None, "the operator died"

    text = op.metrics()
    assert metric_value(text, "kube9_operator_registration_attempts_total", result="invalid_response") == 2, text
    reasons = [e.get("error", "") for e in op.json_logs() if e.get("msg") == "registration with kube9-server failed"]
    assert any("nests deeper than 64 levels" in r for r in reasons), reasons
    assert any("response body larger than 1 MiB" in r for r in reasons), reasons
    assert_no_violations(server)
