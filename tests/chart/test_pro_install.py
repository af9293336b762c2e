"""The chart's Pro tier wiring, proven with the real binary: the chart installed with the real
Helm and an API key (inline, or in an existing Secret), then everything the kubelet would do for
its pod reproduced on the host from what the API server holds, and the operator run from it.

What is read back from the API server: the Deployment's container args, env, volume mounts and
volumes, and the Secret they name. What the host does in the kubelet's place: the Secret volume
becomes a temporary directory holding the Secret's key at the item's path (with the volume's
mode), the data volume's emptyDir another one (the spool is a directory in it). The args are kept
exactly as rendered except for host paths under those mounts (--api-key-file, --spool.path),
--server-url (the fake kube9-server of
tests/integration/fake_kube9_server.py instead of https://api.kube9.io) and
--web.listen-address (a free loopback port instead of :8080, so that runs never collide);
--collection.initial-delay=1s is appended. The operator talks to the API server with nothing but
a token of the chart's ServiceAccount, as in test_install.py's RBAC proof.

It must register with the key from the Secret, say enabled/pro/registered in its status
ConfigMap, upload every collection type without a contract violation, never be refused by the
API server, and the key must appear neither in its logs nor in any object but its Secret.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import secrets
import sys
from pathlib import Path

import pytest

from conftest import CHART, REPO_ROOT, _load, it, it_rbac, set_args, unique, wait_for

# The fake kube9-server module under its own name, which the integration suite's kube9_server
# fixture imports (tests/integration is not on sys.path here).
fake = sys.modules.get("fake_kube9_server") or _load(
    "fake_kube9_server", REPO_ROOT / "tests" / "integration" / "fake_kube9_server.py")

# Reused as it is: a started fake kube9-server accepting one random key, stopped at teardown.
kube9_server = it.kube9_server

# Chart values of both cases: a faster status and sample interval and a short metrics batch age,
# so that the test takes seconds; debug logs, where a leaked key would most likely show.
FAST_VALUES = {"statusUpdateIntervalSeconds": 5, "sampleIntervalSeconds": 1, "logLevel": "debug",
               "pro.upload.maxBatchAge": "3s"}
# The flags whose value may differ from the rendered one (see the module's docstring).
REWRITTEN = {"--server-url", "--api-key-file", "--spool.path", "--web.listen-address"}


def get_json(kubectl, *args: str) -> dict:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def helm_release_record(kubectl, namespace: str, release: str) -> str:
    """The text of Helm's own record of the release (values included): its storage Secret holds
    base64(gzip(JSON)), which the Secret's data encodes once more."""
    secret = get_json(kubectl, "-n", namespace, "secret", f"sh.helm.release.v1.{release}.v1")
    inner = base64.b64decode(secret["data"]["release"])
    return gzip.decompress(base64.b64decode(inner)).decode()


class HostPod:
    """The kubelet's work for one container of a pod template, done on the host under `root`."""

    def __init__(self, kubectl, namespace: str, spec: dict, root: Path):
        self.containers = spec["containers"]
        assert len(self.containers) == 1, self.containers
        self.container = self.containers[0]
        self.volume_dirs: dict[str, Path] = {}
        self.secrets: dict[str, dict] = {}
        for volume in spec.get("volumes") or []:
            host = root / volume["name"]
            host.mkdir(parents=True)
            self.volume_dirs[volume["name"]] = host
            if "secret" in volume:
                source = volume["secret"]
                secret = get_json(kubectl, "-n", namespace, "secret", source["secretName"])
                self.secrets[volume["name"]] = secret
                items = source.get("items") or [{"key": k, "path": k} for k in secret["data"]]
                for item in items:
                    path = host / item["path"]
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(base64.b64decode(secret["data"][item["key"]]))
                    os.chmod(path, item.get("mode", source.get("defaultMode", 0o644)))
            elif "emptyDir" in volume:
                pass  # an empty directory is all an emptyDir is
            else:
                raise AssertionError(f"a volume this test cannot reproduce on the host: {volume}")
        self.mounts: dict[str, Path] = {}  # mountPath -> host directory
        for mount in self.container.get("volumeMounts") or []:
            assert "subPath" not in mount, mount
            self.mounts[mount["mountPath"].rstrip("/")] = self.volume_dirs[mount["name"]]

    def host_path(self, value: str) -> str | None:
        """`value` with its mount path replaced by the host directory, or None when it is not
        under a mount."""
        # The deepest mount wins, as with nested mounts in the container.
        for mount_path, host in sorted(self.mounts.items(), key=lambda m: -len(m[0])):
            if value == mount_path or value.startswith(mount_path + "/"):
                return str(host) + value[len(mount_path):]
        return None

    def env(self, namespace: str) -> dict[str, str]:
        """The container's env as the kubelet resolves it (only what the chart may use)."""
        env = {}
        for e in self.container.get("env") or []:
            if "value" in e:
                # A path under a mounted volume (the events history's data path) is the host's.
                host = self.host_path(e["value"]) if e["value"].startswith("/") else None
                env[e["name"]] = str(host) if host is not None else e["value"]
                continue
            ref = (e.get("valueFrom") or {}).get("fieldRef") or {}
            assert ref.get("fieldPath") == "metadata.namespace", f"unexpected env source: {e}"
            env[e["name"]] = namespace
        assert "envFrom" not in self.container, self.container["envFrom"]
        return env


@pytest.fixture(params=["inline", "existing-secret"])
def pro_release(request, helm, kubectl, cluster, kube9_server):
    """A Pro tier release in a fresh namespace that enforces Pod Security "restricted": the
    fake server's key given inline (pro.apiKey), or in a Secret of the user's under a key of
    another name (pro.existingSecret, pro.existingSecretKey) next to a decoy key the chart must
    not mount. Yields a dict: namespace, name, fullname, key, decoy (or None), case."""
    ns, name = unique("chart-pro"), unique("k9")
    kubectl("create", "namespace", ns)
    kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted",
            "pod-security.kubernetes.io/enforce-version=latest")
    key, decoy = kube9_server.api_key, None
    values = dict(FAST_VALUES)
    if request.param == "inline":
        values["pro.apiKey"] = key
    else:
        decoy = f"k9test_{secrets.token_hex(20)}"
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "kube9-key"}, "type": "Opaque",
                  "stringData": {"token": key, "api-key": decoy}}
        kubectl("create", "-n", ns, "-f", "-", input=json.dumps(secret))
        values.update({"pro.existingSecret": "kube9-key", "pro.existingSecretKey": "token"})
    helm("install", name, CHART, "--namespace", ns, *set_args(values), kubeconfig=cluster.kubeconfig)
    yield {"namespace": ns, "name": name, "fullname": f"{name}-kube9-operator", "key": key, "decoy": decoy,
           "case": request.param}
    helm("uninstall", name, "--namespace", ns, check=False, kubeconfig=cluster.kubeconfig)
    kubectl("delete", "namespace", ns, "--wait=false", check=False)


def test_chart_pro_tier_runs_the_real_operator(pro_release, kubectl, cluster, kube9_server, start_operator,
                                               tmp_path):
    rel, server = pro_release, kube9_server
    ns, key = rel["namespace"], rel["key"]

    # --- what the API server holds
    deployment = get_json(kubectl, "-n", ns, "deployment", rel["fullname"])
    pod = HostPod(kubectl, ns, deployment["spec"]["template"]["spec"], tmp_path / "volumes")
    assert set(pod.volume_dirs) == {"api-key", "data"}, pod.volume_dirs
    (secret,) = pod.secrets.values()
    want_secret = "kube9-key" if rel["case"] == "existing-secret" else f"{rel['fullname']}-api-key"
    assert secret["metadata"]["name"] == want_secret, secret["metadata"]
    # The key file on the host holds exactly the fake server's key (not the decoy).
    key_file = pod.host_path(next(a.split("=", 1)[1] for a in pod.container["args"]
                                  if a.startswith("--api-key-file=")))
    assert key_file is not None, "--api-key-file is not under a mounted volume"
    assert Path(key_file).read_text() == key

    # --- the command line: the rendered one with only host paths, URL and port rewritten
    rendered = pod.container["args"]
    assert rendered[0] == "serve", rendered
    port = it.free_port()
    args, rewritten = [], set()
    for arg in rendered[1:]:
        flag, eq, value = arg.partition("=")
        new = arg
        if flag == "--server-url":
            assert value == "https://api.kube9.io", arg  # the chart's default, unchanged
            new = f"{flag}={server.url}"
        elif flag == "--web.listen-address":
            new = f"{flag}=127.0.0.1:{port}"
        elif eq and (host := pod.host_path(value)) is not None:
            new = f"{flag}={host}"
        if new != arg:
            rewritten.add(flag)
        args.append(new)
    assert rewritten == REWRITTEN, f"rewrote {sorted(rewritten)} of {rendered}"
    assert "--upload.max-batch-age=3s" in args and "--log.level=debug" in args, args
    args.append("--collection.initial-delay=1s")
    env = pod.env(ns)
    assert env["POD_NAMESPACE"] == ns and "API_KEY" not in env, env

    # --- the chart's ServiceAccount, and nothing else, to reach the API server
    token = kubectl("create", "token", rel["fullname"], "-n", ns, "--duration=1h").stdout.strip()
    kubeconfig = it_rbac.token_kubeconfig(cluster, tmp_path, token)

    server.configure(metrics_enabled=True, metrics_interval_seconds=1)  # all four types, metrics-batch too
    op = start_operator(None, interval=None, kubeconfig=kubeconfig, args=args, env=env, port=port,
                        listen_flag=False)  # waits for /readyz 200

    # --- registered with the key of the Secret
    server.wait_for(server.successful_registrations, 20, "a successful registration")
    registration = server.successful_registrations()[0]
    assert registration.api_key == key
    assert fake.validate_register_body(registration.json) == [], registration.json

    def registered():
        s = cluster.api.get_status(ns)
        return s is not None and s.get("registered") is True, s
    status = wait_for(registered, 20, "the status ConfigMap to say registered", operator=op)
    assert status["mode"] == "enabled" and status["tier"] == "pro", status
    assert status["apiKeyConfigured"] is True and status["health"] == "healthy" and status["error"] is None, status
    assert status["namespace"] == ns, status

    # --- collections arrive, through the spool the chart mounts, and all are valid
    server.wait_for(lambda: all(server.collections(t) for t in fake.COLLECTION_TYPES), 45,
                    "an accepted collection of each type")
    assert server.violations == [], "\n".join(server.violations[:20]) + "\n" + server.summary()
    assert server.auth_failures == [], server.summary()
    assert all(r.api_key == key for r in server.requests()), server.summary()
    # The spool is empty again once everything is delivered: what shows it was used is the
    # operator's own start-up line naming it (and the directory it created in the volume).
    # It shares the one data volume with the events history.
    data = pod.volume_dirs["data"]
    spool_arg = next(a.split("=", 1)[1] for a in args if a.startswith("--spool.path="))
    assert Path(spool_arg).resolve().is_relative_to(data.resolve()), (spool_arg, data)
    started = [e for e in op.json_logs() if e.get("msg", "").startswith("Pro tier")]
    assert started and started[0].get("spool") == spool_arg, started
    assert Path(spool_arg).is_dir(), f"the operator never created its spool in the volume {data}"
    assert (data / "events.db").is_file(), f"the events history is not in the data volume {data}"

    # --- the API server never refused it
    text = op.metrics()
    assert it_rbac.forbidden(text) == 0, [line for line in text.splitlines() if 'code="403"' in line]
    logs = op.stdout() + op.stderr()
    assert "forbidden" not in logs.lower(), op.describe()
    assert op.poll() is None, op.describe()

    # --- the key: in its Secret only, never in the logs or the Deployment
    encoded = base64.b64encode(key.encode()).decode()
    fragments = [key, key[:16], key[-16:], encoded]
    for where, text in (("logs", logs), ("metrics", text), ("landing page", op.get("/").text)):
        assert not [f for f in fragments if f in text], f"the API key appears in the operator's {where}"
    deployment = get_json(kubectl, "-n", ns, "deployment", rel["fullname"])
    assert not [f for f in fragments if f in json.dumps(deployment)], "the API key appears in the Deployment"
    holders = []
    for kind in ("deployments", "replicasets", "pods", "services", "serviceaccounts", "configmaps", "secrets",
                 "roles", "rolebindings", "events"):
        for obj in get_json(kubectl, "-n", ns, kind)["items"]:
            if any(f in json.dumps(obj) for f in (key, encoded)):
                holders.append(f"{obj['kind']}/{obj['metadata']['name']}")
    for kind in ("clusterroles", "clusterrolebindings"):
        obj = get_json(kubectl, kind, rel["fullname"])
        if any(f in json.dumps(obj) for f in (key, encoded)):
            holders.append(f"{obj['kind']}/{obj['metadata']['name']}")
    # Helm's release record (gzip inside its Secret) is checked on its own below.
    assert holders == [f"Secret/{want_secret}"], holders
    record = helm_release_record(kubectl, ns, rel["name"])
    if rel["case"] == "existing-secret":
        # The point of existingSecret: the key never reaches Helm's storage...
        assert key not in record and "kube9-key" in record
        # ...and the decoy next to it in the Secret was neither mounted nor sent.
        assert not [r for r in server.requests() if rel["decoy"] in r.text + json.dumps(r.header_items)]
    else:
        # An inline key is part of the release's values (why values.yaml prefers existingSecret);
        # this also shows the decoding above finds what is there.
        assert key in record
