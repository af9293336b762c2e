"""--shard/--total-shards with 3 processes against the real API server (issue 14, point 4).

The 3 shards together serve exactly what one instance serves: their kube_* series' union is the
single instance's series (each once), every kube9_* cluster series summed over the shards is the
single instance's value (the families that are not shares come from shard 0 alone), and only
shard 0 writes the status ConfigMap (docs/ksm-compatibility.md "Sharding").
"""

from __future__ import annotations

import re
import time

from conftest import STATUS_CONFIGMAP, random_namespace, wait_for
from test_ksm_compat import make_objects

SHARDS = 3
# The families of exporter/cluster_metrics.cc: shares of the cluster, summed over the shards.
CLUSTER_FAMILIES = (
    "kube9_nodes", "kube9_node_conditions", "kube9_node_allocatable", "kube9_pods", "kube9_containers_waiting",
    "kube9_container_restarts", "kube9_containers_oom_killed", "kube9_resource_requests", "kube9_resource_limits",
    "kube9_workload_replicas", "kube9_pvcs", "kube9_jobs", "kube9_health_check_affected",
)
# Not shares: written by shard 0 only.
WRITER_ONLY = ("kube9_cluster_info", "kube9_health_score")
SERIES = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$")
DASHBOARD_CONFIGMAP = "kube9-operator-dashboard"


def series(text: str, names: tuple[str, ...]) -> dict[str, float]:
    """'name{labels}' -> value, for the families named."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = SERIES.match(line)
        if m and m.group(1) in names:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def kube_series(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("kube_")]


def test_three_shards_equal_one_instance_and_only_shard_0_writes_the_status(api, namespace, start_operator):
    names = make_objects(api, namespace)
    common = ["--kube-state-metrics", "--sample-interval=1s"]
    # The single instance writes its status elsewhere, so the shards' namespace shows theirs only.
    single_ns = random_namespace()
    api.create_namespace(single_ns)
    try:
        whole = start_operator(single_ns, args=common)

        # Shards 1 and 2 first: ready (their first LISTs done) and sampling, but no status.
        others = [start_operator(namespace, args=[*common, f"--shard={k}", f"--total-shards={SHARDS}"])
                  for k in range(1, SHARDS)]
        for op in others:
            wait_for(lambda op=op: ("kube9_pods{" in op.metrics(), None), 30, "a shard's first sample", operator=op)
        time.sleep(6)  # more than a status interval (5 s) after readiness
        for name in (STATUS_CONFIGMAP, DASHBOARD_CONFIGMAP):
            assert api.get_configmap(namespace, name) is None, f"a shard other than 0 wrote {name}"
        for op in others:
            text = op.metrics()
            assert not series(text, WRITER_ONLY), "cluster-level families come from shard 0 only"
            assert not series(text, ("kube9_operator_status_last_success_timestamp_seconds",)), \
                "no status series on a shard that writes none (the stale-status alert would fire)"
            assert op.get("/readyz").status == 200
            assert any("serving this shard's metrics only" in e.get("msg", "") for e in op.json_logs()), \
                op.describe()

        first = start_operator(namespace, args=[*common, "--shard=0", f"--total-shards={SHARDS}"])
        wait_for(lambda: (api.get_status(namespace) is not None, None), 20, "shard 0 to write the status",
                 operator=first)
        shards = [first, *others]

        def complete(text: str) -> bool:
            return all(f'pod="{p}"' in text for p in names["pods"])

        last: dict = {}

        def compare():
            single = whole.metrics()
            texts = [op.metrics() for op in shards]
            if not complete(single) or not complete("".join(texts)):
                return False, "not every pod listed yet"
            problems = []
            # kube_*: the union is the single instance's series, each series in one shard only.
            union: list[str] = [line for t in texts for line in kube_series(t)]
            if sorted(union) != sorted(kube_series(single)):
                extra = set(union) - set(kube_series(single))
                missing = set(kube_series(single)) - set(union)
                problems.append(f"kube_*: {len(union)} series in the shards ({len(set(union))} distinct), "
                                f"{len(kube_series(single))} in one instance; missing {sorted(missing)[:5]}, "
                                f"extra {sorted(extra)[:5]}")
            # kube9_*: per-shard shares sum to the single instance's values, series for series.
            summed: dict[str, float] = {}
            for t in texts:
                for key, value in series(t, CLUSTER_FAMILIES).items():
                    summed[key] = summed.get(key, 0.0) + value
            expected = series(single, CLUSTER_FAMILIES)
            if set(summed) != set(expected):
                problems.append(f"series only summed: {sorted(set(summed) - set(expected))[:5]}, "
                                f"only single: {sorted(set(expected) - set(summed))[:5]}")
            problems += [f"{k}: shards sum to {summed[k]}, one instance {v}" for k, v in expected.items()
                         if k in summed and abs(summed[k] - v) > 1e-6 * max(1.0, abs(v))]
            # Not shares: shard 0 writes them as the single instance does; the others not at all.
            if series(texts[0], WRITER_ONLY) != series(single, WRITER_ONLY):
                problems.append(f"shard 0's {WRITER_ONLY} differ from one instance's")
            if any(series(t, WRITER_ONLY) for t in texts[1:]):
                problems.append(f"{WRITER_ONLY} written by a shard other than 0")
            last["kube"] = len(union)
            last["kube9"] = len(expected)
            last["per_shard_pods"] = [sum(v for k, v in series(t, ("kube9_pods",)).items()) for t in texts]
            return not problems, problems[:10]

        wait_for(compare, 90, "3 shards to serve what one instance serves", interval=1)
        # Not vacuous: many series, and every shard has a share of the pods.
        assert last["kube"] > 300 and last["kube9"] > 50, last
        assert all(n > 0 for n in last["per_shard_pods"]), last

        # With the status there, the others still leave it alone: shard 0 gone (killed, no final
        # write), it stays as shard 0 last wrote it for more than a status interval.
        first.kill()
        written = api.get_configmap(namespace)["metadata"]["resourceVersion"]
        time.sleep(7)
        assert api.get_configmap(namespace)["metadata"]["resourceVersion"] == written
        assert all(op.poll() is None for op in others)
    finally:
        api.delete_namespace(single_ns)
