"""The dashboard data ConfigMap (docs/PRODUCT.md §12), written with the status: its numbers equal
what the real API server lists."""

from __future__ import annotations

import json

from conftest import create_object, list_items, wait_for


def test_dashboard_numbers_equal_the_api_counts(api, namespace, start_operator):
    for i in range(3):
        create_object(api, f"/apis/apps/v1/namespaces/{namespace}/deployments", {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"web-{i}"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": f"web-{i}"}},
                     "template": {"metadata": {"labels": {"app": f"web-{i}"}},
                                  "spec": {"containers": [{"name": "app", "image": "example/app:1"}]}}}})
    op = start_operator(namespace, interval="5s", args=["--sample-interval=1s"])

    def counts():
        return {"namespaceCount": len(list_items(api, "/api/v1/namespaces")),
                "deployments": len(list_items(api, "/apis/apps/v1/deployments")),
                "pods": len(list_items(api, "/api/v1/pods")),
                "jobs": len(list_items(api, "/apis/batch/v1/jobs")),
                "totalNodes": len(list_items(api, "/api/v1/nodes"))}

    def dashboard():
        cm = api.get_configmap(namespace, "kube9-dashboard-data")
        if cm is None:
            return False, None
        assert set(cm["data"]) == {"dashboard"}, cm["data"]
        assert cm["metadata"]["labels"]["app.kubernetes.io/name"] == "kube9-operator"
        d = json.loads(cm["data"]["dashboard"])
        seen = {"namespaceCount": d["namespaceCount"], "deployments": d["workloads"]["deployments"],
                "pods": d["workloads"]["pods"], "jobs": d["workloads"]["jobs"], "totalNodes": d["nodes"]["totalNodes"]}
        return seen == counts(), (seen, counts(), d)

    _, _, d = wait_for(dashboard, 30, "the dashboard ConfigMap to match the API's counts", operator=op)
    assert list(d) == ["namespaceCount", "workloads", "nodes", "operatorMetrics", "lastUpdated"], d
    assert d["workloads"]["deployments"] >= 3
    assert isinstance(d["nodes"]["cpuCapacity"], str) and d["nodes"]["memoryCapacity"].endswith(" Gi"), d
    # Every default collector, the events history included, but verticalpodautoscalers: the test
    # cluster does not serve the VPA API.
    assert d["operatorMetrics"]["collectorsRunning"] == 21, d
    assert d["operatorMetrics"]["lastCollectionTime"] is not None
    status = api.get_status(namespace)
    assert status is not None and "dashboard" not in json.dumps(list(status)), status
