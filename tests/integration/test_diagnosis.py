"""The slow-readiness record of conftest.Operator.cluster_diagnosis, checked without a cluster:
which lines of the control plane's logs it keeps, and the TCP sockets it lists."""
import calendar
import os
import socket

from conftest import notable_log_line, tcp_queues

# 2026-12-06 23:59:50 UTC: the test started ten seconds before midnight.
SINCE = calendar.timegm((2026, 12, 6, 23, 59, 50, 0, 0, 0))


def test_klog_warnings_and_traces_from_the_start_on_are_kept_across_midnight():
    assert notable_log_line("W1207 00:00:10.123456  1 watch.go:1] slow watch", SINCE)
    assert notable_log_line("E1206 23:59:51.000001  1 x.go:2] error", SINCE)
    assert notable_log_line('I1206 23:59:55.1  1 trace.go:3] Trace[42]: "List" total time: 1.2s', SINCE)
    assert not notable_log_line("W1206 23:59:40.000001  1 x.go:4] before the start", SINCE)
    assert not notable_log_line("I1206 23:59:55.000001  1 x.go:5] routine", SINCE)


def test_etcd_json_lines_above_info_from_the_start_on_are_kept():
    assert notable_log_line('{"level":"warn","ts":"2026-12-07T00:00:01.5Z","msg":"slow fdatasync"}', SINCE)
    assert not notable_log_line('{"level":"info","ts":"2026-12-07T00:00:01.5Z","msg":"ok"}', SINCE)
    assert not notable_log_line('{"level":"error","ts":"2026-12-06T23:59:00Z","msg":"before"}', SINCE)
    assert not notable_log_line("not a log line", SINCE)


def test_tcp_queues_lists_the_process_sockets_with_their_states():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            with accepted:
                client.sendall(b"x" * 1000)  # unread by `accepted`: its receive queue
                lines = tcp_queues(os.getpid()).splitlines()
    assert f"127.0.0.1:{port} 0.0.0.0:0 listen 0 0" in lines
    assert any(line.startswith(f"127.0.0.1:{port} ") and line.endswith(" established 0 1000") for line in lines), lines
