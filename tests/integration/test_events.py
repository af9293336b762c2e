"""The events history (docs/PRODUCT.md §9) against the real API server: v1 Events created and
patched through the API appear in `kube9-operator query events list` once each, with their
fields and counts; repeats stay one row; restarts (even SIGKILL) relist without duplicates;
every flag and filter, and the command's exit codes and streams, as the VS Code extension
uses them (it parses stdout as one JSON document)."""

from __future__ import annotations

import datetime
import json
import time
import secrets
import signal
import subprocess
import threading
from pathlib import Path

from conftest import CLUSTER_SH, clean_env, create_object, metric_value, patch_object, run, wait_for


def rfc3339(t: float) -> str:
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def millis(t: float) -> str:
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def query(binary: Path, *flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), "query", "events", "list", *flags], capture_output=True, text=True,
                          timeout=20, env=clean_env(env), stdin=subprocess.DEVNULL)


def listed(binary: Path, data: Path, *flags: str) -> dict:
    out = query(binary, f"--data.path={data}", *flags)
    assert out.returncode == 0, (out.returncode, out.stdout, out.stderr)
    return json.loads(out.stdout)  # exactly one JSON document, nothing else


def v1_event(ns: str, name: str, kind: str, obj_ns: str, obj_name: str, type_: str, reason: str, message: str,
             count: int, first: float, last: float, component: str = "kubelet") -> dict:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
            "involvedObject": {"kind": kind, "namespace": obj_ns, "name": obj_name},
            "type": type_, "reason": reason, "message": message, "count": count,
            "firstTimestamp": rfc3339(first), "lastTimestamp": rfc3339(last), "source": {"component": component}}


def test_events_appear_once_with_their_fields_and_repeats_update_the_row(api, binary, namespace, start_operator,
                                                                         tmp_path):
    data = tmp_path / "data"
    op = start_operator(namespace, args=[f"--data.path={data}"])
    now = int(time.time())
    node = f"node-{secrets.token_hex(4)}"
    create_object(api, f"/api/v1/namespaces/{namespace}/events", v1_event(
        namespace, "api-0.backoff", "Pod", namespace, "api-0", "Warning", "BackOff",
        "Back-off restarting failed container app", 1, now - 7200, now - 3600))
    create_object(api, f"/api/v1/namespaces/{namespace}/events", v1_event(
        namespace, "api-1.sched", "Pod", namespace, "api-1", "Warning", "FailedScheduling",
        "0/3 nodes are available", 4, now - 600, now - 60, component="default-scheduler"))
    create_object(api, f"/api/v1/namespaces/{namespace}/events", v1_event(
        namespace, "api-2.scheduled", "Pod", namespace, "api-2", "Normal", "Scheduled", "assigned", 1, now, now))
    create_object(api, "/api/v1/namespaces/default/events", v1_event(
        "default", f"{node}.notready", "Node", "", node, "Normal", "NodeNotReady", "Node is not ready", 1,
        now - 300, now - 300, component="node-controller"))

    def ours():
        doc = listed(binary, data, f"--object-namespace={namespace}")
        return doc["pagination"]["total"] == 2, doc
    doc = wait_for(ours, 20, "the two Warning events of the namespace", operator=op)
    by_name = {e["object_name"]: e for e in doc["events"]}
    assert set(by_name) == {"api-0", "api-1"}, doc  # Normal "Scheduled" is not recorded
    assert [e["object_name"] for e in doc["events"]] == ["api-1", "api-0"], "newest first"
    backoff = by_name["api-0"]
    assert list(backoff) == ["id", "event_type", "severity", "title", "description", "object_kind",
                             "object_namespace", "object_name", "metadata", "created_at"], backoff
    assert backoff["event_type"] == "cluster" and backoff["severity"] == "warning", backoff
    assert backoff["title"] == "Pod BackOff: api-0"
    assert backoff["description"] == "Back-off restarting failed container app"
    assert backoff["object_kind"] == "Pod" and backoff["object_namespace"] == namespace
    assert backoff["metadata"] == {"reason": "BackOff", "count": 1, "first_timestamp": millis(now - 7200),
                                   "last_timestamp": millis(now - 3600), "source": "kubelet"}, backoff
    assert backoff["created_at"] == millis(now - 3600)
    sched = by_name["api-1"]
    assert sched["severity"] == "error" and sched["metadata"]["count"] == 4
    assert sched["metadata"]["source"] == "default-scheduler"

    node_doc = wait_for(lambda: ((d := listed(binary, data, f"--object-name={node}"))["pagination"]["total"] == 1, d),
                        20, "the node's NodeNotReady event", operator=op)
    ev = node_doc["events"][0]
    assert ev["severity"] == "critical" and ev["object_kind"] == "Node" and ev["object_namespace"] is None, ev

    # A burst of repeats of one event (the kubelet patches count and lastTimestamp) stays one row.
    path = f"/api/v1/namespaces/{namespace}/events/api-0.backoff"
    for count in range(2, 22):
        patch_object(api, path, {"count": count, "lastTimestamp": rfc3339(now - 3600 + count)})
    def repeated():
        d = listed(binary, data, f"--object-namespace={namespace}", "--object-name=api-0")
        return d["events"] and d["events"][0]["metadata"]["count"] == 21, d
    doc = wait_for(repeated, 20, "the repeated event's count to reach 21", operator=op)
    assert doc["pagination"]["total"] == 1, doc
    assert doc["events"][0]["metadata"]["last_timestamp"] == millis(now - 3600 + 21)
    assert doc["events"][0]["metadata"]["first_timestamp"] == millis(now - 7200)
    assert listed(binary, data, f"--object-namespace={namespace}")["pagination"]["total"] == 2

    text = op.metrics()
    assert metric_value(text, "kube9_operator_events_history_enabled") == 1.0
    assert (metric_value(text, "kube9_operator_events_recorded_total", severity="critical") or 0) >= 1
    assert metric_value(text, "kube9_operator_events_dropped_total", reason="queue_full") == 0.0
    assert "recording to" in op.get("/").text

    # --- every flag and filter, on the events above ----------------------------------------
    mine = f"--object-namespace={namespace}"
    assert [e["object_name"] for e in listed(binary, data, mine, "--severity=error")["events"]] == ["api-1"]
    assert listed(binary, data, mine, "--severity=critical,info")["pagination"]["total"] == 0
    # The extension's exact --since format, and relative durations.
    assert listed(binary, data, mine, f"--since={millis(now - 1800)}")["pagination"]["total"] == 1
    assert listed(binary, data, mine, f"--since={millis(now - 86400)}")["pagination"]["total"] == 2
    assert listed(binary, data, mine, "--since=24h")["pagination"]["total"] == 2
    assert listed(binary, data, mine, "--since=30m")["pagination"]["total"] == 1
    assert listed(binary, data, mine, f"--until={rfc3339(now - 1800)}")["pagination"]["total"] == 1
    offset_form = datetime.datetime.fromtimestamp(now - 1800, datetime.timezone(datetime.timedelta(hours=2)))
    assert listed(binary, data, mine, f"--since={offset_form.isoformat()}")["pagination"]["total"] == 1
    assert listed(binary, data, mine, "--object-kind=Pod")["pagination"]["total"] == 2
    assert listed(binary, data, mine, "--object-kind=Deployment")["pagination"]["total"] == 0
    assert listed(binary, data, mine, "--type=cluster")["pagination"]["total"] == 2
    empty = listed(binary, data, mine, "--type=operator")
    assert empty == {"events": [], "pagination": {"total": 0, "limit": 50, "offset": 0, "returned": 0}}
    page = listed(binary, data, mine, "--limit=1", "--offset=1")
    assert page["pagination"] == {"total": 2, "limit": 1, "offset": 1, "returned": 1}
    assert page["events"][0]["object_name"] == "api-0"
    yaml_out = query(binary, f"--data.path={data}", mine, "--format=yaml")
    assert yaml_out.returncode == 0 and "title: \"Pod BackOff: api-0\"" in yaml_out.stdout, yaml_out
    table = query(binary, f"--data.path={data}", mine, "--format=table")
    assert table.returncode == 0 and "LAST SEEN" in table.stdout and "api-0" in table.stdout

    # stdout is exactly one JSON document even with debug logs; they go to stderr.
    debug = query(binary, f"--data.path={data}", mine, "--log.level=debug", env={"LOG_LEVEL": "debug"})
    assert debug.returncode == 0, debug.stderr
    assert json.loads(debug.stdout)["pagination"]["total"] == 2
    assert debug.stdout.lstrip().startswith("{") and "\"level\"" not in debug.stdout
    assert "\"level\":\"debug\"" in debug.stderr, debug.stderr

    # No flags: the store named by the container's environment (the chart sets KUBE9_DATA_PATH).
    plain = query(binary, env={"KUBE9_DATA_PATH": str(data)})
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["pagination"]["limit"] == 50


def test_invalid_flags_exit_2_and_an_unreadable_store_exits_1_with_json_on_stderr(binary, tmp_path):
    for flags in (["--limit=0"], ["--limit=1001"], ["--offset=-1"], ["--severity=fatal"], ["--type=Warning"],
                  ["--since=yesterday"], ["--format=xml"], ["--page=2"], ["--since=1h", "--until=2h"]):
        out = query(binary, f"--data.path={tmp_path}", *flags)
        assert out.returncode == 2, (flags, out)
        assert out.stdout == "", (flags, out.stdout)
        err = json.loads(out.stderr)
        assert set(err) == {"error", "details"}, err
    missing = query(binary, f"--data.path={tmp_path / 'nothing'}")
    assert missing.returncode == 1 and missing.stdout == ""
    assert set(json.loads(missing.stderr)) == {"error", "details"}
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "events.db").write_bytes(b"not a database" * 1000)
    bad = query(binary, f"--data.path={tmp_path / 'garbage'}")
    assert bad.returncode == 1 and bad.stdout == "", bad
    assert json.loads(bad.stderr)["error"] == "cannot read the events store"
    helped = query(binary, "--help")
    assert helped.returncode == 0 and "--object-namespace" in helped.stdout


def test_a_restart_even_by_sigkill_relists_without_duplicates_or_losses(api, binary, namespace, start_operator,
                                                                         tmp_path):
    data = tmp_path / "data"
    now = int(time.time())
    op = start_operator(namespace, args=[f"--data.path={data}"])
    for i in range(30):
        create_object(api, f"/api/v1/namespaces/{namespace}/events", v1_event(
            namespace, f"w{i}", "Pod", namespace, f"p{i}", "Warning", "Unhealthy", f"probe failed {i}", 1,
            now - 100 + i, now - 100 + i))
    mine = f"--object-namespace={namespace}"
    wait_for(lambda: ((d := listed(binary, data, mine))["pagination"]["total"] == 30, d["pagination"]), 20,
             "30 events recorded", operator=op)
    op.send_signal(signal.SIGKILL)
    op.wait_exit(10)
    # Committed rows survive the kill (WAL), and a fresh LIST of the same events adds none.
    assert listed(binary, data, mine)["pagination"]["total"] == 30
    op2 = start_operator(namespace, args=[f"--data.path={data}"])
    patch_object(api, f"/api/v1/namespaces/{namespace}/events/w0", {"count": 5, "lastTimestamp": rfc3339(now)})
    def updated():
        d = listed(binary, data, mine, "--object-name=p0")
        return d["events"] and d["events"][0]["metadata"]["count"] == 5, d
    wait_for(updated, 20, "the repeat seen after the restart", operator=op2)
    doc = listed(binary, data, mine, "--limit=1000")
    assert doc["pagination"]["total"] == 30, doc["pagination"]
    assert len({e["id"] for e in doc["events"]}) == 30
    assert metric_value(op2.metrics(), "kube9_operator_events_rows") >= 30


def test_an_unusable_data_directory_turns_the_history_off_and_the_operator_runs_on(binary, namespace,
                                                                                  start_operator, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    op = start_operator(namespace, args=[f"--data.path={blocker}/data"])  # waits for /readyz 200
    assert metric_value(op.metrics(), "kube9_operator_events_history_enabled") == 0.0
    landing = op.get("/").text
    assert "Events history: off: " in landing and str(blocker) in landing, landing
    assert any(e.get("msg") == "events history off" and str(blocker) in e.get("reason", "")
               for e in op.json_logs()), op.describe()


def test_an_api_server_restart_relists_without_duplicates(api, binary, namespace, start_operator, tmp_path):
    data = tmp_path / "data"
    now = int(time.time())
    op = start_operator(namespace, args=[f"--data.path={data}"])
    for i in range(5):
        create_object(api, f"/api/v1/namespaces/{namespace}/events", v1_event(
            namespace, f"r{i}", "Pod", namespace, f"q{i}", "Warning", "FailedMount", f"mount {i}", 1, now, now))
    mine = f"--object-namespace={namespace}"
    wait_for(lambda: ((d := listed(binary, data, mine))["pagination"]["total"] == 5, d["pagination"]), 20,
             "5 events recorded", operator=op)
    for command in ("stop-apiserver", "start-apiserver"):
        out = run(["bash", str(CLUSTER_SH), command], timeout=180)
        assert out.returncode == 0, f"scripts/cluster.sh {command}:\n{out.stdout}\n{out.stderr}"
    # After the outage: a repeat of one event and a new one, through the re-established watch.
    patch_object(api, f"/api/v1/namespaces/{namespace}/events/r0", {"count": 3, "lastTimestamp": rfc3339(now + 5)})
    create_object(api, f"/api/v1/namespaces/{namespace}/events", v1_event(
        namespace, "r5", "Pod", namespace, "q5", "Warning", "FailedMount", "mount 5", 1, now + 5, now + 5))
    def caught_up():
        d = listed(binary, data, mine, "--limit=1000")
        counts = {e["object_name"]: e["metadata"]["count"] for e in d["events"]}
        return d["pagination"]["total"] == 6 and counts.get("q0") == 3, (d["pagination"], counts)
    wait_for(caught_up, 60, "the events after the API server restart, once each", operator=op)


def test_sigkill_mid_write_keeps_the_store_consistent_and_loses_nothing_committed(api, binary, namespace,
                                                                                 start_operator, tmp_path):
    """Killed while batches are being written: the store opens without recovery, what a reader
    saw committed before the kill is still there, and after a restart every event is there once."""
    data = tmp_path / "data"
    now = int(time.time())
    op = start_operator(namespace, args=[f"--data.path={data}"])
    total = 200
    errors: list[str] = []

    def burst():
        try:
            for i in range(total):
                create_object(api, f"/api/v1/namespaces/{namespace}/events", v1_event(
                    namespace, f"k{i}", "Pod", namespace, f"k{i}", "Warning", "BackOff", f"burst {i}", 1,
                    now + i, now + i))
        except AssertionError as e:
            errors.append(str(e))

    creator = threading.Thread(target=burst)
    creator.start()
    mine = f"--object-namespace={namespace}"
    seen = wait_for(lambda: ((d := listed(binary, data, mine, "--limit=1000"))["pagination"]["total"] >= 40, d), 30,
                    "the burst to be partly written", operator=op)
    op.send_signal(signal.SIGKILL)
    op.wait_exit(10)
    committed = {e["id"] for e in seen["events"]}
    after_kill = listed(binary, data, mine, "--limit=1000")
    assert committed <= {e["id"] for e in after_kill["events"]}, "rows a reader saw committed were lost"
    creator.join(60)
    assert not errors, errors

    op2 = start_operator(namespace, args=[f"--data.path={data}"])
    wait_for(lambda: ((d := listed(binary, data, mine, "--limit=1000"))["pagination"]["total"] == total,
                      d["pagination"]), 30, "every event of the burst after the restart", operator=op2)
    doc = listed(binary, data, mine, "--limit=1000")
    assert len({e["id"] for e in doc["events"]}) == total
    assert not (data / "events.db.corrupt").exists(), "the killed store needed no recovery"
    assert not any("unusable" in e.get("msg", "") or "damaged" in e.get("msg", "") for e in op2.json_logs())
