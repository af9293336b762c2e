"""Shared helpers of the chart suite: the real Helm (.local/bin/helm, `make tools`), the chart
in helm/kube9-operator, and the integration suite's fixtures for the local control plane and
the operator binary (tests/integration/conftest.py, loaded here rather than copied).

Rendering needs no cluster; installing uses the admin kubeconfig of scripts/cluster.sh, in
fresh namespaces and with unique release names, because other suites share the cluster.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "helm" / "kube9-operator"
HELM = Path(os.environ.get("KUBE9_HELM", REPO_ROOT / ".local" / "bin" / "helm"))
KUBECTL = os.environ.get("KUBE9_KUBECTL", "kubectl")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The version `helm template` renders for. Helm built from the module proxy without its
# chartutil ldflags assumes v1.20, below the chart's kubeVersion; this is the local control
# plane's version (scripts/build-tools.sh).
KUBE_VERSION = "v1.35.4"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# The integration suite's conftest, under a name of its own (this file is `conftest` here).
it = _load("kube9_integration_conftest", REPO_ROOT / "tests" / "integration" / "conftest.py")
# Its test_rbac module imports `from conftest import ...`: let that name mean the integration
# conftest while it loads, for its token kubeconfig and 403 counting helpers.
_saved = sys.modules.get("conftest")
sys.modules["conftest"] = it
try:
    it_rbac = _load("kube9_integration_test_rbac", REPO_ROOT / "tests" / "integration" / "test_rbac.py")
finally:
    if _saved is not None:
        sys.modules["conftest"] = _saved
    else:
        del sys.modules["conftest"]

# Fixtures reused as they are: the control plane, its admin API, the binary, the operator.
cluster = it.cluster
api = it.api
binary = it.binary
start_operator = it.start_operator
wait_for = it.wait_for
run = it.run
clean_env = it.clean_env


# --- helm ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def helm_home(tmp_path_factory) -> Path:
    """Helm's cache, config and data folders: private to the run, never the user's."""
    return tmp_path_factory.mktemp("helm-home")


def helm_env(home: Path, kubeconfig: Path | None = None) -> dict[str, str]:
    env = clean_env({
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    })
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return env


@pytest.fixture(scope="session")
def helm(helm_home: Path):
    """helm(*args, check=True, kubeconfig=None) -> CompletedProcess; fails the test on a
    non-zero exit when check is true, with helm's output in the message."""
    assert HELM.is_file(), f"{HELM} not found: run `make tools`"

    def call(*args: str, check: bool = True, kubeconfig: Path | None = None,
             timeout: float = 180) -> subprocess.CompletedProcess:
        out = run([str(HELM), *map(str, args)], timeout=timeout, env=helm_env(helm_home, kubeconfig))
        if check:
            assert out.returncode == 0, (
                f"helm {' '.join(map(str, args))} exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
        return out

    return call


def set_args(values: dict[str, Any] | None) -> list[str]:
    """--set-json arguments for a flat {path: value} dict (values keep their JSON types)."""
    import json

    args: list[str] = []
    for key, value in (values or {}).items():
        args += ["--set-json", f"{key}={json.dumps(value)}"]
    return args


@pytest.fixture(scope="session")
def render(helm):
    """render(values=None, values_files=(), chart=CHART, release="k9", namespace="kube9-system")
    -> list of the rendered objects (parsed YAML)."""

    def call(values: dict[str, Any] | None = None, values_files=(), chart: Path = CHART,
             release: str = "k9", namespace: str = "kube9-system") -> list[dict]:
        args = ["template", release, chart, "--namespace", namespace, "--kube-version", KUBE_VERSION]
        for f in values_files:
            args += ["--values", f]
        out = helm(*args, *set_args(values))
        return [doc for doc in yaml.safe_load_all(out.stdout) if doc]

    return call


def find(objects: list[dict], kind: str, name: str | None = None) -> list[dict]:
    return [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(objects: list[dict], kind: str) -> dict:
    found = find(objects, kind)
    assert len(found) == 1, f"expected one {kind}, got {[o['metadata']['name'] for o in found]}"
    return found[0]


@pytest.fixture
def chart_with_assets(tmp_path: Path) -> Path:
    """A copy of the chart with at least one alert rule file and one dashboard in files/: the
    chart's own when it has them, else the suite's fixtures (the PrometheusRule and dashboard
    templates only turn what is there into objects)."""
    copy = tmp_path / "kube9-operator"
    shutil.copytree(CHART, copy, symlinks=False)
    alerts, dashboards = copy / "files" / "alerts", copy / "files" / "dashboards"
    if not list(alerts.glob("*.y*ml")):
        alerts.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "alerts.yaml", alerts / "fixture-alerts.yaml")
        shutil.copy(FIXTURES / "alerts_test.yaml", alerts / "fixture-alerts_test.yaml")
    if not list(dashboards.glob("*.json")):
        dashboards.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "dashboard.json", dashboards / "fixture-dashboard.json")
    return copy


# --- kubectl (the machine's) -----------------------------------------------------------------


@pytest.fixture(scope="session")
def kubectl(cluster):
    """kubectl(*args, check=True, input=None) -> CompletedProcess, as the cluster's admin."""

    def call(*args: str, check: bool = True, input: str | None = None, timeout: float = 60):
        out = run([KUBECTL, f"--kubeconfig={cluster.kubeconfig}", *map(str, args)], timeout=timeout,
                  env=clean_env(), input=input)
        if check:
            assert out.returncode == 0, f"kubectl {' '.join(map(str, args))} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
        return out

    return call


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"
