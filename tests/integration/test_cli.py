"""Command line: configuration errors, --help, and the `status` command (PRODUCT.md §6, §8)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from conftest import clean_env, free_port, parse_rfc3339_millis, run, wait_for


def test_invalid_configuration_lists_every_problem_and_exits_2(binary, cluster):
    out = run(
        [str(binary), "serve", f"--kubeconfig={cluster.kubeconfig}", "--status.update-interval=1s",
         "--log.level=loud", "--web.listen-address=nope", "--log.format=xml",
         # 2^63 ms and a bit: once wrapped around into 29m52s and accepted (issue #10).
         "--upload.max-backoff=2562047788015216h"],
        timeout=10,
        env=clean_env({"STATUS_UPDATE_INTERVAL_SECONDS": "abc"}),
    )
    assert out.returncode == 2, f"exit code {out.returncode}\nstdout: {out.stdout}\nstderr: {out.stderr}"
    err = out.stderr
    problems = {
        "--status.update-interval=1s": ["--status.update-interval", "1s"],
        "--log.level=loud": ["--log.level", "loud"],
        "--web.listen-address=nope": ["--web.listen-address", "nope"],
        "--log.format=xml": ["--log.format", "xml"],
        "--upload.max-backoff=2562047788015216h": ["--upload.max-backoff", "2562047788015216h"],
        "STATUS_UPDATE_INTERVAL_SECONDS=abc": ["STATUS_UPDATE_INTERVAL_SECONDS", "abc"],
    }
    lines = err.splitlines()
    for problem, words in problems.items():
        assert any(all(w in line for w in words) for line in lines), f"stderr does not report {problem}:\n{err}"
    # Nothing was started: no "serving" log line on stdout.
    assert "serving" not in out.stdout, out.stdout


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["serve", "--help"], ["status", "--help"], ["version", "--help"], ["-h"], ["serve", "-h"]],
    ids=lambda a: " ".join(a),
)
def test_help_exits_zero_and_prints_usage(binary, argv):
    out = run([str(binary), *argv], timeout=10, env=clean_env())
    assert out.returncode == 0, f"exit code {out.returncode}\n{out.stdout}\n{out.stderr}"
    assert out.stdout.startswith("Usage: kube9-operator"), out.stdout
    if argv[0] == "serve":
        for flag in ("--web.listen-address", "--kubeconfig", "--namespace", "--status.update-interval",
                     "--log.level", "--log.format", "POD_NAMESPACE", "STATUS_UPDATE_INTERVAL_SECONDS"):
            assert flag in out.stdout, f"serve --help does not mention {flag}"
    if argv[0] == "status":
        for flag in ("--kubeconfig", "--namespace", "--output"):
            assert flag in out.stdout, f"status --help does not mention {flag}"


def test_version_flag_prints_what_the_version_command_prints(binary):
    command = run([str(binary), "version"], timeout=10, env=clean_env())
    flag = run([str(binary), "--version"], timeout=10, env=clean_env())
    assert command.returncode == 0 and flag.returncode == 0, (command, flag)
    assert re.match(r"^kube9-operator \S+ \(commit \S+\)\n$", flag.stdout), flag.stdout
    assert flag.stdout == command.stdout and flag.stderr == "", (flag, command)


def test_unknown_command_exits_non_zero(binary):
    out = run([str(binary), "frobnicate"], timeout=10, env=clean_env())
    assert out.returncode != 0, out
    assert "frobnicate" in out.stderr, out.stderr


def status_cli(binary, kubeconfig, namespace, *extra):
    return run([str(binary), "status", f"--kubeconfig={kubeconfig}", "-n", namespace, *extra],
               timeout=20, env=clean_env())


def test_status_command_text_and_json(binary, cluster, api, namespace, start_operator):
    # A long interval keeps the ConfigMap still while it is compared with the CLI's output.
    op = start_operator(namespace, interval="60s")
    doc = wait_for(lambda: ((s := api.get_status(namespace)) is not None, s), 10, "the status", operator=op)

    text = status_cli(binary, cluster.kubeconfig, namespace)
    assert text.returncode == 0, f"{text.returncode}\n{text.stdout}\n{text.stderr}"
    rows = {}
    for line in text.stdout.splitlines():
        m = re.match(r"^\s*([A-Za-z][A-Za-z ]*?):\s+(.*)$", line)
        if m:
            rows[m.group(1).lower()] = m.group(2)
    assert rows.get("mode") == "operated", text.stdout
    assert rows.get("tier") == "free", text.stdout
    assert rows.get("health") == "healthy", text.stdout
    assert rows.get("last update", "").startswith(doc["lastUpdate"]), text.stdout
    assert namespace in text.stdout

    as_json = status_cli(binary, cluster.kubeconfig, namespace, "-o", "json")
    assert as_json.returncode == 0, f"{as_json.returncode}\n{as_json.stdout}\n{as_json.stderr}"
    assert json.loads(as_json.stdout) == api.get_status(namespace)

    # The token kubeconfig works for the status command too.
    token_json = status_cli(binary, cluster.kubeconfig_token, namespace, "--output=json")
    assert token_json.returncode == 0, token_json.stderr
    assert json.loads(token_json.stdout) == api.get_status(namespace)


def test_status_command_without_operator(binary, cluster, namespace):
    out = status_cli(binary, cluster.kubeconfig, namespace)
    assert out.returncode == 1, f"{out.returncode}\n{out.stdout}\n{out.stderr}"
    message = out.stdout + out.stderr
    assert "not installed" in message and namespace in message, message


def test_operator_with_bearer_token_kubeconfig_and_env_configuration(cluster, api, namespace, start_operator):
    # The token kubeconfig proves the bearer-token path; namespace, interval, port and log level
    # come from the environment variables of the earlier operator (PRODUCT.md §6).
    port = free_port()
    op = start_operator(None, interval=None, kubeconfig=cluster.kubeconfig_token, port=port, listen_flag=False,
                        env={"POD_NAMESPACE": namespace, "STATUS_UPDATE_INTERVAL_SECONDS": "5",
                             "HEALTH_PORT": str(port), "LOG_LEVEL": "debug"})
    status = wait_for(lambda: ((s := api.get_status(namespace)) is not None, s), 10, "the status", operator=op)
    assert status["health"] == "healthy" and status["namespace"] == namespace, status
    logs = op.json_logs()
    start = [e for e in logs if e.get("msg") == "starting kube9-operator"]
    assert start and start[0].get("status_interval") == "5s", start
    assert any(e.get("level") == "debug" for e in logs), f"LOG_LEVEL=debug logged nothing at debug level:\n{op.describe()}"
    # Second write about 5 s later proves the interval from the environment is used.
    first = status["lastUpdate"]
    later = wait_for(lambda: ((s := api.get_status(namespace))["lastUpdate"] != first, s), 9,
                     "the second status write", operator=op)
    step = parse_rfc3339_millis(later["lastUpdate"]) - parse_rfc3339_millis(first)
    assert 4.0 <= step <= 8.0, (first, later["lastUpdate"])


@pytest.mark.parametrize("command", [["serve"], ["status"],
                                     ["collect", "--dry-run", "--type=cluster-metadata"]],
                         ids=lambda c: c[0])
@pytest.mark.parametrize("how", ["flag", "env"])
def test_cluster_access_errors_exit_2_in_every_command(binary, tmp_path, command, how):
    # No usable kubeconfig is a configuration problem (docs/configuration.md): exit 2 whichever
    # command met it, with the reason on stderr.
    missing = tmp_path / "no-such-kubeconfig"
    argv = [str(binary), *command] + ([f"--kubeconfig={missing}"] if how == "flag" else [])
    if command[0] == "serve":
        argv.append(f"--web.listen-address=127.0.0.1:{free_port()}")
    env = clean_env({"KUBECONFIG": str(missing)} if how == "env" else {})
    out = run(argv, timeout=20, env=env)
    assert out.returncode == 2, f"exit code {out.returncode}\nstdout: {out.stdout}\nstderr: {out.stderr}"
    assert f"kube9-operator {command[0]}: kubeconfig {missing}" in out.stderr, out.stderr


def test_kubeconfig_env_with_several_files_is_merged_like_kubectl(binary, cluster, api, namespace, tmp_path):
    # The cluster (with its CA as a file next to it) in one directory, the user (a token file
    # next to it) in another, the context in a third file, and a missing file first: kubectl
    # skips the missing one and merges the rest, resolving each file's relative paths against
    # its own directory.
    ca = base64.b64decode(re.search(r"certificate-authority-data:\s*(\S+)",
                                    cluster.kubeconfig_token.read_text()).group(1))
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "ca.crt").write_bytes(ca)
    (tmp_path / "clusters" / "config").write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: split\n  cluster:\n"
        f"    server: {cluster.env['KUBE9_APISERVER_URL']}\n    certificate-authority: ca.crt\n")
    (tmp_path / "users").mkdir()
    (tmp_path / "users" / "token").write_text(cluster.admin_token + "\n")
    (tmp_path / "users" / "config").write_text(
        "apiVersion: v1\nkind: Config\nusers:\n- name: split\n  user:\n    tokenFile: token\n")
    (tmp_path / "context").write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: split\n"
        "contexts:\n- name: split\n  context: {cluster: split, user: split}\n")
    document = {"health": "healthy", "written": "by the test"}
    created = api.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube9-operator-status"},
        "data": {"status": json.dumps(document)}})
    assert created.status == 201, created
    kubeconfig = ":".join(str(p) for p in (tmp_path / "missing", tmp_path / "context",
                                           tmp_path / "clusters" / "config", tmp_path / "users" / "config"))
    out = run([str(binary), "status", "-n", namespace, "-o", "json"], timeout=20,
              env=clean_env({"KUBECONFIG": kubeconfig}))
    assert out.returncode == 0, f"exit code {out.returncode}\nstdout: {out.stdout}\nstderr: {out.stderr}"
    assert json.loads(out.stdout) == document
