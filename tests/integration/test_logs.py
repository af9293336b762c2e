"""Logs: one JSON object (or logfmt record) per line; tokens never logged (PRODUCT.md §6)."""

from __future__ import annotations

import re
import signal

from conftest import LAST_UPDATE_RE, random_namespace, wait_for

LEVELS = {"debug", "info", "warn", "error"}


def test_json_log_lines(api, namespace, start_operator):
    op = start_operator(namespace, interval="5s", args=["--log.level=debug"])
    op.send_signal(signal.SIGTERM)
    assert op.wait_exit(5) == 0, op.describe()
    text = op.stdout()
    assert text.endswith("\n"), "the last log line is not terminated"
    entries = op.json_logs()
    assert entries, "no log output"
    for e in entries:
        assert {"time", "level", "msg"} <= set(e), e
        assert isinstance(e["time"], str) and LAST_UPDATE_RE.match(e["time"]), e
        assert e["level"] in LEVELS, e
        assert isinstance(e["msg"], str) and e["msg"], e
    msgs = [e["msg"] for e in entries]
    assert "starting kube9-operator" in msgs, msgs
    start = entries[msgs.index("starting kube9-operator")]
    assert start["level"] == "info" and start.get("namespace") == namespace, start
    assert any(e["level"] == "debug" for e in entries), "--log.level=debug logged nothing at debug level"
    assert op.stderr() == "", op.stderr()


LOGFMT_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.\-]*)=("(?:[^"\\]|\\.)*"|[^\s"=]*)(?:\s+|$)')


def parse_logfmt(line: str) -> list[tuple[str, str]]:
    pairs, pos = [], 0
    while pos < len(line):
        m = LOGFMT_PAIR.match(line, pos)
        assert m, f"not logfmt at column {pos}: {line!r}"
        pairs.append((m.group(1), m.group(2)))
        pos = m.end()
    return pairs


def test_logfmt_log_lines(api, namespace, start_operator):
    op = start_operator(namespace, interval="5s", args=["--log.format=logfmt"])
    op.send_signal(signal.SIGINT)
    assert op.wait_exit(5) == 0, op.describe()
    lines = op.log_lines()
    assert lines, "no log output"
    for line in lines:
        assert not line.startswith("{"), f"JSON line with --log.format=logfmt: {line!r}"
        pairs = parse_logfmt(line)
        keys = [k for k, _ in pairs]
        assert keys[:3] == ["time", "level", "msg"], line
        assert LAST_UPDATE_RE.match(pairs[0][1]), line
        assert pairs[1][1] in LEVELS, line
    assert any(re.search(r'\blevel=info msg="starting kube9-operator"', line) for line in lines), lines
    assert any(f"namespace={namespace}" in line for line in lines), lines


def test_bearer_token_never_logged(cluster, api, start_operator):
    # Debug level, with failing writes first (missing namespace) and then successful ones: the
    # paths most likely to dump a request.
    ns = random_namespace()
    op = start_operator(ns, interval="5s", kubeconfig=cluster.kubeconfig_token,
                        args=["--log.level=debug"], wait_ready=False)
    op.wait_http()
    wait_for(lambda: (any(e.get("level") == "warn" for e in op.json_logs()), op.log_lines()[-3:]),
             10, "a warning about the missing namespace", operator=op)
    api.create_namespace(ns)
    try:
        op.wait_ready(timeout=15)
        metrics = op.metrics()
        landing = op.get("/").text
        op.send_signal(signal.SIGTERM)
        assert op.wait_exit(5) == 0, op.describe()
    finally:
        api.delete_namespace(ns)
    token = cluster.admin_token
    assert len(token) >= 16
    output = op.stdout() + op.stderr()
    assert any(e["msg"] == "final status written" for e in op.json_logs()), op.describe()
    assert token not in output, "the admin bearer token appears in the operator's output"
    assert token not in metrics and token not in landing, "the admin bearer token is served over HTTP"
