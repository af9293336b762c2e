"""The status ConfigMap: the contract with the kube9 VS Code extension (PRODUCT.md §2)."""

from __future__ import annotations

import json
import time

from conftest import (
    ADDITIVE_STATUS_BLOCKS,
    COLLECTION_STATS_FIELDS,
    LAST_UPDATE_RE,
    SEMVER_RE,
    STATUS_CONFIGMAP,
    STATUS_FIELDS,
    metric_value,
    parse_rfc3339_millis,
    wait_for,
)


def test_free_tier_status_document_and_periodic_updates(api, namespace, start_operator, operator_version):
    op = start_operator(namespace, interval="5s")

    cm = wait_for(lambda: ((c := api.get_configmap(namespace)) is not None, c), 10,
                  f"ConfigMap {namespace}/{STATUS_CONFIGMAP}", operator=op)

    labels = cm["metadata"].get("labels", {})
    assert labels.get("app.kubernetes.io/name") == "kube9-operator", labels
    assert labels.get("app.kubernetes.io/component") == "status", labels
    # Exactly one data key: a `namespace` key would redirect the extension elsewhere.
    assert list(cm.get("data", {})) == ["status"], cm.get("data")
    assert not cm.get("binaryData"), cm.get("binaryData")

    raw = cm["data"]["status"]
    pairs = json.loads(raw, object_pairs_hook=lambda p: p)  # keeps order and duplicates
    keys = [k for k, _ in pairs]
    assert keys[: len(STATUS_FIELDS)] == STATUS_FIELDS, f"fields or their order differ from the contract:\n{raw}"
    # After the contract's fields, only the additive blocks the operator documents.
    assert set(keys[len(STATUS_FIELDS):]) <= ADDITIVE_STATUS_BLOCKS, raw
    status = json.loads(raw)
    stats_pairs = dict(pairs)["collectionStats"]
    assert [k for k, _ in stats_pairs] == COLLECTION_STATS_FIELDS, raw

    # Pretty-printed with a 2-space indent (byte for byte what a 2-space pretty printer gives).
    assert raw.rstrip("\n") == json.dumps(status, indent=2, ensure_ascii=False), f"not 2-space pretty JSON:\n{raw}"

    # Free tier values, with exact JSON types (a 0/1 is not a boolean, "null" is not null).
    assert status["mode"] == "operated"
    assert status["tier"] == "free"
    assert status["registered"] is False
    assert status["apiKeyConfigured"] is False
    assert status["error"] is None
    assert status["health"] == "healthy"
    assert status["namespace"] == namespace
    assert isinstance(status["version"], str) and SEMVER_RE.match(status["version"]), status["version"]
    assert status["version"] == operator_version
    assert isinstance(status["lastUpdate"], str) and LAST_UPDATE_RE.match(status["lastUpdate"]), status["lastUpdate"]
    written_at = parse_rfc3339_millis(status["lastUpdate"])
    assert abs(written_at - time.time()) < 10, f"lastUpdate {status['lastUpdate']} is not about now"
    stats = status["collectionStats"]
    for key in ("totalSuccessCount", "totalFailureCount", "collectionsStoredCount"):
        assert type(stats[key]) is int and stats[key] == 0, (key, stats)
    assert stats["lastSuccessTime"] is None, stats

    # lastUpdate advances once per interval (5 s): observe two advances.
    seen = [status["lastUpdate"]]
    documents = [status]

    def two_advances():
        s = api.get_status(namespace)
        if s is not None and s["lastUpdate"] != seen[-1]:
            seen.append(s["lastUpdate"])
            documents.append(s)
        return len(seen) >= 3, seen

    wait_for(two_advances, 20, "lastUpdate to advance twice", interval=0.2, operator=op)
    times = [parse_rfc3339_millis(v) for v in seen]
    steps = [b - a for a, b in zip(times, times[1:])]
    assert all(4.0 <= s <= 8.0 for s in steps), f"lastUpdate steps {steps} (values {seen}) are not about 5 s"
    for doc in documents[1:]:
        assert LAST_UPDATE_RE.match(doc["lastUpdate"]), doc["lastUpdate"]
        same = {k: v for k, v in doc.items() if k != "lastUpdate" and k not in ADDITIVE_STATUS_BLOCKS}
        first = {k: v for k, v in status.items() if k != "lastUpdate" and k not in ADDITIVE_STATUS_BLOCKS}
        assert same == first, f"status changed besides lastUpdate:\n{doc}\nvs\n{status}"


def test_status_is_restored_after_foreign_edit_and_recreated_after_delete(api, namespace, start_operator):
    """Another writer takes over the `status` field (the next apply would conflict with it: 409
    unless forced), then the ConfigMap is deleted: the operator wins and recreates it, each
    within about one interval."""
    op = start_operator(namespace, interval="5s")
    cm = wait_for(lambda: ((c := api.get_configmap(namespace)) is not None, c), 10, "the ConfigMap", operator=op)

    cm["data"]["status"] = '{"mode": "edited by someone else"}'
    path = f"/api/v1/namespaces/{namespace}/configmaps/{STATUS_CONFIGMAP}"
    put = api.request("PUT", path + "?fieldManager=someone-else", cm)
    assert put.status == 200, (put.status, put.body[:300])
    edited_at = time.time()

    def restored():
        c = api.get_configmap(namespace)
        try:
            s = json.loads(c["data"]["status"])
        except (TypeError, KeyError, json.JSONDecodeError):
            return False, c
        return s.get("mode") == "operated" and s.get("health") == "healthy", c["data"]

    wait_for(restored, 9, "the operator to overwrite the foreign edit", operator=op)
    assert time.time() - edited_at < 9

    delete = api.request("DELETE", path)
    assert delete.status == 200, (delete.status, delete.body[:300])
    deleted_at = time.time()
    cm = wait_for(lambda: ((c := api.get_configmap(namespace)) is not None, c), 9,
                  "the ConfigMap to be recreated", operator=op)
    assert time.time() - deleted_at < 9
    assert cm["metadata"]["labels"].get("app.kubernetes.io/component") == "status", cm["metadata"]
    status = json.loads(cm["data"]["status"])
    assert status["health"] == "healthy" and status["namespace"] == namespace, status
    assert parse_rfc3339_millis(status["lastUpdate"]) >= deleted_at - 0.5
    text = op.metrics()
    assert (metric_value(text, "kube9_operator_status_writes_total", result="failure") or 0) == 0, (
        "a status write failed along the way\n" + op.describe()
    )
    reply = op.get("/readyz")
    assert reply.status == 200, (reply.status, reply.text)
