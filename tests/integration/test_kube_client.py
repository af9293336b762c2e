"""The C++ Kubernetes client and reflector against the real API server: runs the GoogleTest
binary tests/integration/kube_integration_test.cc (built by `make build`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import REPO_ROOT, Cluster, clean_env, compact_etcd


def test_kube_client_against_the_real_api_server(cluster: Cluster) -> None:
    binary = Path(
        os.environ.get("KUBE9_KUBE_INTEGRATION_TEST", REPO_ROOT / "build" / "tests" / "integration" / "kube_integration_test")
    )
    assert binary.exists(), f"{binary} is missing: run `make build`"
    # WatchFromAnExpiredVersionIsGone watches events, which etcd serves (no watch cache), from
    # resourceVersion 1: gone once etcd is compacted, however young the cluster.
    compact_etcd()
    env = clean_env({"KUBECONFIG": str(cluster.kubeconfig)})
    result = subprocess.run([str(binary), "--gtest_brief=1"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kube_integration_test failed:\n{result.stdout}\n{result.stderr}"
    assert "[  PASSED  ] 9 tests." in result.stdout, result.stdout
