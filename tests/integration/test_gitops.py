"""GitOps awareness (PRODUCT.md §11) against the real API server and a strict fake Argo CD API:

- detection through API discovery: the `argocd` status block flips to detected when the real
  group, kind and plural of Argo CD's Application CRD are served (installed after the operator
  started), with the version read from an argocd-server Deployment, and back to detected: false
  when the CRD goes; Flux's toolkit groups likewise in the `gitops` block; all of it with
  exactly the RBAC `kube9-operator rbac` prints;
- the resource-tree probe (resourceTreeCapable, resourceTreeLastError) against the fake;
- `kube9-operator query argocd resource-tree get` as the VS Code extension runs it: the command
  line split on spaces, stdout parsed as exactly one JSON object, every failure one JSON line on
  stderr with §11's code and exit status.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

import pytest

from conftest import (
    clean_env,
    create_object,
    delete_object,
    free_port,
    parse_rfc3339_millis,
    random_namespace,
    run,
    wait_for,
)
from fake_argocd import FakeArgoCd
from gitops_crds import ARGOCD_APPLICATIONS, FLUX_HELMRELEASES, FLUX_KUSTOMIZATIONS, install, uninstall, uninstall_all
from test_rbac import cleanup, grant, token_kubeconfig
from throwaway_pki import issue, new_ca

TREE = {
    "nodes": [
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "guestbook", "name": "guestbook-ui",
         "uid": "6f4a7b0e-0000-4000-8000-000000000001", "resourceVersion": "123",
         "health": {"status": "Healthy"}, "createdAt": "2026-12-01T10:00:00Z"},
        {"group": "apps", "version": "v1", "kind": "ReplicaSet", "namespace": "guestbook",
         "name": "guestbook-ui-5d8f9c", "uid": "6f4a7b0e-0000-4000-8000-000000000002",
         "parentRefs": [{"group": "apps", "kind": "Deployment", "namespace": "guestbook", "name": "guestbook-ui",
                         "uid": "6f4a7b0e-0000-4000-8000-000000000001"}],
         "info": [{"name": "Revision", "value": "Rev:1"}], "health": {"status": "Healthy"}},
        {"version": "v1", "kind": "Pod", "namespace": "guestbook", "name": "guestbook-ui-5d8f9c-x2x4q",
         "images": ["gcr.io/heptio-images/ks-guestbook-demo:0.2"],
         "health": {"status": "Degraded", "message": "Back-off pulling image \u00e9"},
         "networkingInfo": {"labels": {"app": "guestbook-ui"}}},
    ],
    "orphanedNodes": [],
    "hosts": [{"name": "node-1", "resourcesInfo": [{"resourceName": "cpu", "requestedByApp": 250, "capacity": 4000}]}],
}

CODES = {  # §11: code -> exit status
    "INVALID_ARGUMENT": 2, "APPLICATION_NOT_FOUND": 3, "ARGOCD_TOKEN_MISSING": 4, "ARGOCD_AUTH_FAILED": 4,
    "ARGOCD_RBAC_DENIED": 5, "TIMEOUT": 6, "ARGOCD_API_UNREACHABLE": 7, "ARGOCD_NOT_DETECTED": 7, "INTERNAL_ERROR": 1,
}


@pytest.fixture
def no_gitops_crds(api):
    """No Argo CD or Flux CRD before or after the test (other tests may have left one)."""
    uninstall_all(api)
    yield
    uninstall_all(api)


def argocd_server_deployment(version_label: str | None, image: str) -> dict:
    labels = {"app.kubernetes.io/name": "argocd-server"}
    if version_label:
        labels["app.kubernetes.io/version"] = version_label
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "argocd-server", "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "argocd-server"}},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": "argocd-server"}},
                              "spec": {"containers": [{"name": "argocd-server", "image": image}]}}},
    }


def argocd_block(api, namespace: str) -> dict | None:
    status = api.get_status(namespace)
    return None if status is None else status.get("argocd")


# --- detection and the status block ---------------------------------------------------------------


def test_argocd_installed_after_start_is_detected_and_its_removal_noticed(
        api, cluster, binary, namespace, start_operator, tmp_path, no_gitops_crds):
    # Exactly the printed RBAC: discovery needs no grant, the version is read with the
    # deployments LIST the operator already has.
    name, sa_token = grant(api, binary, namespace, None)
    argocd_ns = random_namespace()
    api.create_namespace(argocd_ns)
    try:
        create_object(api, f"/apis/apps/v1/namespaces/{argocd_ns}/deployments",
                      argocd_server_deployment("v2.13.1", "quay.io/argoproj/argocd:v2.13.1"))
        op = start_operator(namespace, kubeconfig=token_kubeconfig(cluster, tmp_path, sa_token),
                            args=["--gitops.discovery-interval=1s"], env={"ARGOCD_NAMESPACE": argocd_ns})
        # Not installed: said so only after a real look, with exactly the four fields.
        block = wait_for(lambda: ((b := argocd_block(api, namespace)) is not None, b), 20, "the argocd block",
                         operator=op)
        assert block == {"detected": False, "namespace": None, "version": None,
                         "lastChecked": block["lastChecked"]}, block
        parse_rfc3339_millis(block["lastChecked"])

        install(api, ARGOCD_APPLICATIONS)
        block = wait_for(lambda: ((b := argocd_block(api, namespace) or {}).get("detected") is True, b), 20,
                         "argocd.detected to become true", operator=op)
        assert list(block) == ["detected", "namespace", "version", "lastChecked", "resourceTreeCapable",
                               "resourceTreeLastError"], block
        assert block["namespace"] == argocd_ns and block["version"] == "v2.13.1", block
        # No token configured: not capable, and the extension is told why.
        assert block["resourceTreeCapable"] is False
        assert block["resourceTreeLastError"]["code"] == "ARGOCD_TOKEN_MISSING", block
        assert set(block["resourceTreeLastError"]) == {"code", "message"}
        status = api.get_status(namespace)
        assert status["health"] == "healthy" and status["gitops"]["argocd"] == {"detected": True}, status

        uninstall(api, ARGOCD_APPLICATIONS)
        block = wait_for(lambda: ((b := argocd_block(api, namespace) or {}).get("detected") is False, b), 20,
                         "argocd.detected to become false again", operator=op)
        assert block == {"detected": False, "namespace": None, "version": None,
                         "lastChecked": block["lastChecked"]}, block
        assert 'code="403"' not in "\n".join(
            l for l in op.metrics().splitlines() if l.startswith("kube9_operator_kubernetes_api_requests_total"))
    finally:
        cleanup(api, name)
        api.delete_namespace(argocd_ns)


def test_the_version_falls_back_to_the_image_tag_and_is_null_without_the_deployment(
        api, binary, namespace, start_operator, no_gitops_crds):
    argocd_ns = random_namespace()
    api.create_namespace(argocd_ns)
    try:
        install(api, ARGOCD_APPLICATIONS)
        op = start_operator(namespace, args=["--gitops.discovery-interval=1s"], env={"ARGOCD_NAMESPACE": argocd_ns})
        block = wait_for(lambda: ((b := argocd_block(api, namespace) or {}).get("detected") is True, b), 20,
                         "argocd detected", operator=op)
        assert block["version"] is None and block["namespace"] == argocd_ns, block
        create_object(api, f"/apis/apps/v1/namespaces/{argocd_ns}/deployments",
                      argocd_server_deployment(None, "registry.local:5000/argoproj/argocd:v3.0.4@sha256:" + "a" * 64))
        wait_for(lambda: ((b := argocd_block(api, namespace) or {}).get("version") == "v3.0.4", b), 20,
                 "the version from the image tag", operator=op)
    finally:
        api.delete_namespace(argocd_ns)


def test_flux_toolkit_groups_are_detected_with_their_versions(api, namespace, start_operator, no_gitops_crds):
    op = start_operator(namespace, args=["--gitops.discovery-interval=1s"])

    def gitops():
        status = api.get_status(namespace) or {}
        return status.get("gitops")

    block = wait_for(lambda: ((g := gitops()) is not None, g), 20, "the gitops block", operator=op)
    assert block["flux"] == {"detected": False, "groups": []}, block
    install(api, FLUX_KUSTOMIZATIONS)
    block = wait_for(lambda: ((g := gitops() or {}).get("flux", {}).get("detected") is True, g), 20,
                     "flux detected", operator=op)
    assert block["flux"]["groups"] == [{"name": "kustomize.toolkit.fluxcd.io", "versions": ["v1", "v1beta2"]}], block
    assert block["argocd"] == {"detected": False}
    install(api, FLUX_HELMRELEASES)
    block = wait_for(lambda: (len((g := gitops() or {}).get("flux", {}).get("groups", [])) == 2, g), 20,
                     "both flux groups", operator=op)
    assert [g["name"] for g in block["flux"]["groups"]] == ["kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io"]
    uninstall(api, FLUX_KUSTOMIZATIONS)
    uninstall(api, FLUX_HELMRELEASES)
    wait_for(lambda: ((g := gitops() or {}).get("flux", {}).get("detected") is False, g), 20, "flux gone",
             operator=op)


# --- the fake Argo CD API ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("argocd-pki")
    new_ca(root, "kube9 throwaway Argo CD CA")
    issue(root, "argocd", "IP:127.0.0.1")
    return root


@pytest.fixture
def argocd(pki):
    fake = FakeArgoCd(token=f"argocd.{secrets.token_urlsafe(32)}", tls=(str(pki / "argocd.pem"), str(pki / "argocd.key")))
    fake.trees[("team-a", "guestbook")] = TREE
    fake.trees[("argocd", "guestbook")] = {"nodes": []}
    fake.start()
    yield fake
    fake.stop()
    assert fake.protocol_errors == [], fake.protocol_errors


@pytest.fixture
def token_file(tmp_path, argocd) -> Path:
    path = tmp_path / "argocd-token"
    path.write_text(argocd.token + "\n")
    return path


def argocd_env(argocd: FakeArgoCd, token_file: Path | None, pki: Path, **extra: str) -> dict[str, str]:
    env = {"ARGOCD_API_BASE_URL": argocd.url, "ARGOCD_CA_FILE": str(pki / "ca.pem")}
    if token_file is not None:
        env["ARGOCD_API_TOKEN_FILE"] = str(token_file)
    env.update(extra)
    return clean_env(env)


def extension_exec(binary: Path, command: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess:
    """As the VS Code extension runs a command: the line split on spaces, no TTY, no stdin."""
    return subprocess.run([str(binary), *command.split(" ")], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def extension_parse(stdout: str) -> dict:
    """The extension's parse: skip leading one-line JSON objects with a `level` key, then
    everything from the first line starting with `{` is one JSON object."""
    lines = stdout.splitlines()
    while lines and lines[0].startswith("{"):
        try:
            first = json.loads(lines[0])
        except json.JSONDecodeError:
            break
        if not (isinstance(first, dict) and "level" in first):
            break
        lines.pop(0)
    start = next(i for i, l in enumerate(lines) if l.startswith("{"))
    return json.loads("\n".join(lines[start:]))


def failure(out: subprocess.CompletedProcess, code: str, secret: str | None = None) -> dict:
    assert out.returncode == CODES[code], (out.returncode, out.stdout, out.stderr)
    assert out.stdout == "", out.stdout
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and out.stderr.endswith("\n"), f"stderr is not exactly one line: {out.stderr!r}"
    err = json.loads(lines[0])
    assert list(err) == ["ok", "code", "message"], err
    assert err["ok"] is False and err["code"] == code and err["message"], err
    if secret:
        assert secret not in out.stderr, "the token leaked into stderr"
    return err


GET = "query argocd resource-tree get guestbook --namespace=team-a --format=json"


def test_the_resource_tree_is_exactly_what_argocd_served(binary, argocd, token_file, pki):
    out = extension_exec(binary, GET, argocd_env(argocd, token_file, pki))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert json.loads(out.stdout) == TREE, "stdout is exactly one JSON object, the tree"
    assert extension_parse(out.stdout) == TREE
    [req] = argocd.requests
    assert req.path == "/api/v1/applications/guestbook/resource-tree"
    assert req.query == {"appNamespace": ["team-a"]}
    assert req.authorization == f"Bearer {argocd.token}"
    # Without --namespace, Argo CD's own namespace; --argocd.ca-file instead of the variable.
    env = argocd_env(argocd, token_file, pki)
    del env["ARGOCD_CA_FILE"]
    out = extension_exec(binary, f"query argocd resource-tree get guestbook --format=json --argocd.ca-file={pki / 'ca.pem'}",
                         env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"nodes": []}
    assert argocd.requests[-1].query == {}


@pytest.mark.parametrize("case", ["wrong-token", "forbidden", "not-found", "timeout"])
def test_argocd_refusals_map_to_their_codes(binary, argocd, token_file, pki, case):
    command, code = GET, None
    if case == "wrong-token":
        token_file.write_text("argocd.not-the-right-token-" + secrets.token_hex(8))
        code = "ARGOCD_AUTH_FAILED"
    elif case == "forbidden":
        argocd.mode = "forbidden"
        code = "ARGOCD_RBAC_DENIED"
    elif case == "not-found":
        command = GET.replace("guestbook", "no-such-app")
        code = "APPLICATION_NOT_FOUND"
    elif case == "timeout":
        argocd.delay = 4
        command += " --timeout=1s"
        code = "TIMEOUT"
    out = extension_exec(binary, command, argocd_env(argocd, token_file, pki))
    err = failure(out, code, secret=argocd.token)
    if case == "forbidden":
        assert "permission denied" in err["message"], err  # Argo CD's own words are quoted
    assert len(argocd.requests) == 1


def test_a_missing_token_is_refused_before_any_request(binary, argocd, tmp_path, pki):
    failure(extension_exec(binary, GET, argocd_env(argocd, None, pki)), "ARGOCD_TOKEN_MISSING")
    err = failure(extension_exec(binary, GET, argocd_env(argocd, tmp_path / "absent", pki)), "ARGOCD_TOKEN_MISSING")
    assert str(tmp_path / "absent") in err["message"]
    empty = tmp_path / "empty"
    empty.write_text("\n")
    failure(extension_exec(binary, GET, argocd_env(argocd, empty, pki)), "ARGOCD_TOKEN_MISSING")
    assert argocd.requests == []


@pytest.mark.parametrize("command", [
    "query argocd resource-tree get",
    "query argocd resource-tree get a b --namespace=team-a",
    "query argocd resource-tree get guestbook --format=yaml",
    "query argocd resource-tree get ../../api/v1/session --namespace=team-a",
    "query argocd resource-tree get guestbook --namespace=Team_A",
    "query argocd resource-tree get guestbook --bogus=1",
    "query argocd resource-tree get guestbook --timeout=0s",
    "query argocd resource-tree list",
])
def test_bad_arguments_are_invalid_argument(binary, argocd, token_file, pki, command):
    failure(extension_exec(binary, command, argocd_env(argocd, token_file, pki)), "INVALID_ARGUMENT")
    assert argocd.requests == []


def test_an_untrusted_certificate_or_a_closed_port_is_unreachable(binary, argocd, token_file, pki):
    env = argocd_env(argocd, token_file, pki)
    del env["ARGOCD_CA_FILE"]  # the system's CAs do not vouch for the throwaway CA
    err = failure(extension_exec(binary, GET, env), "ARGOCD_API_UNREACHABLE", secret=argocd.token)
    assert argocd.url in err["message"], err
    env = argocd_env(argocd, token_file, pki, ARGOCD_API_BASE_URL=f"http://127.0.0.1:{free_port()}")
    failure(extension_exec(binary, GET, env), "ARGOCD_API_UNREACHABLE", secret=argocd.token)


def test_unreachable_without_argocd_installed_is_not_detected(api, cluster, binary, argocd, token_file, pki,
                                                               no_gitops_crds):
    closed = f"http://127.0.0.1:{free_port()}"
    env = argocd_env(argocd, token_file, pki, ARGOCD_API_BASE_URL=closed, KUBECONFIG=str(cluster.kubeconfig))
    failure(extension_exec(binary, GET, env), "ARGOCD_NOT_DETECTED")
    install(api, ARGOCD_APPLICATIONS)
    failure(extension_exec(binary, GET, env), "ARGOCD_API_UNREACHABLE")


def test_help_exits_zero(binary):
    out = run([str(binary), "query", "argocd", "resource-tree", "get", "--help"], timeout=10, env=clean_env())
    assert out.returncode == 0 and "ARGOCD_API_TOKEN_FILE" in out.stdout and out.stderr == ""


# --- the probe ---------------------------------------------------------------------------------------


def test_the_probe_follows_the_token(api, namespace, start_operator, argocd, token_file, pki, no_gitops_crds):
    install(api, ARGOCD_APPLICATIONS)
    op = start_operator(namespace, args=["--gitops.discovery-interval=1s"], env=argocd_env(argocd, token_file, pki))
    block = wait_for(lambda: ((b := argocd_block(api, namespace) or {}).get("resourceTreeCapable") is True, b), 20,
                     "resourceTreeCapable", operator=op)
    assert block["resourceTreeLastError"] is None and block["detected"] is True, block
    assert any(r.path == "/api/v1/session/userinfo" and r.authorization == f"Bearer {argocd.token}"
               for r in argocd.requests)
    # A rotated Secret with a token Argo CD does not accept: read again, and said at once.
    token_file.write_text("argocd.revoked-" + secrets.token_hex(8))
    block = wait_for(lambda: ((b := argocd_block(api, namespace) or {}).get("resourceTreeCapable") is False, b), 20,
                     "resourceTreeCapable false", operator=op)
    assert block["resourceTreeLastError"]["code"] == "ARGOCD_AUTH_FAILED", block
    assert argocd.token not in json.dumps(api.get_status(namespace))
    assert argocd.token not in op.stdout() + op.stderr()
