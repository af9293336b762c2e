"""The release binary (`make release`, the build the Dockerfile performs) smoke-tested, and the
Dockerfile checked for what cannot be run here (there is no container engine): it builds with
`make release`, its runtime stage has no shell to run and a numeric non-root user that the
chart's securityContext matches."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from conftest import CHART, REPO_ROOT, clean_env, it, run, unique

DOCKERFILE = REPO_ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def release_binary() -> Path:
    path = Path(os.environ.get("KUBE9_RELEASE_BINARY", REPO_ROOT / "build-release" / "kube9-operator"))
    assert path.is_file() and os.access(path, os.X_OK), f"{path} not found: run `make release`"
    return path


def test_release_binary_version_matches_the_chart(release_binary):
    out = run([str(release_binary), "version"], timeout=10, env=clean_env())
    assert out.returncode == 0, out.stderr
    m = re.match(r"^kube9-operator (\S+) \(commit \S+\)$", out.stdout.strip())
    assert m, out.stdout
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert m.group(1) == chart["appVersion"], "Chart.yaml appVersion must be the operator's version"


def test_release_binary_is_an_optimized_build(release_binary):
    """Release, not the debug-info build of `make build`: no .debug_info section."""
    data = release_binary.read_bytes()
    assert data[:4] == b"\x7fELF"
    assert b".debug_info" not in data, "the release binary carries debug info (built RelWithDebInfo?)"


def test_release_binary_help(release_binary):
    for args in (["--help"], ["serve", "--help"], ["rbac", "--help"]):
        out = run([str(release_binary), *args], timeout=10, env=clean_env())
        assert out.returncode == 0 and "Usage:" in out.stdout, (args, out.stdout, out.stderr)
    out = run([str(release_binary), "serve", "--no-such-flag"], timeout=10, env=clean_env())
    assert out.returncode == 2, (out.returncode, out.stderr)


def test_release_binary_loads_no_library_it_does_not_use(release_binary):
    """HTTP is the operator's own client on OpenSSL (http/openssl_transport.h): Debian's libcurl
    and the libraries it drags in (GnuTLS, Kerberos, LDAP, SSH, RTMP, HTTP/2...) cost about 6 MiB
    of resident memory and are not loaded (docs/benchmarks.md "Resident memory at 1,000 pods")."""
    out = run(["ldd", str(release_binary)], timeout=10, env=clean_env())
    assert out.returncode == 0, out.stderr
    loaded = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    unwanted = [lib for lib in loaded
                if re.match(r"lib(curl|gnutls|nghttp2|rtmp|ssh2|ldap|lber|gssapi|krb5|sasl2|idn2|psl|p11-kit)\b", lib)]
    assert not unwanted, f"the release binary loads {unwanted}"
    assert any(lib.startswith("libssl.so") for lib in loaded), loaded


def test_release_binary_serves_health_and_becomes_ready(release_binary, cluster, api, tmp_path):
    namespace = unique("rel")
    api.create_namespace(namespace)
    port = it.free_port()
    # With the image's environment, as the container runs it.
    op = it.Operator(release_binary, ["serve", f"--kubeconfig={cluster.kubeconfig}",
                                      f"--web.listen-address=127.0.0.1:{port}", f"--namespace={namespace}"],
                     {**clean_env(), **runtime_env()}, tmp_path / "release-operator", port, namespace)
    try:
        op.wait_http()
        assert op.get("/healthz").status == 200
        op.wait_ready(timeout=30)
        assert api.get_status(namespace)["health"] == "healthy"
    finally:
        op.kill()
        api.delete_namespace(namespace)


# --- the Dockerfile --------------------------------------------------------------------------


def stages() -> list[tuple[str, list[str]]]:
    """(FROM line, instructions) per stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append((line, []))
        elif result:
            result[-1][1].append(line)
    return result


def runtime_env() -> dict[str, str]:
    """The runtime stage's `ENV KEY=VALUE` settings."""
    env: dict[str, str] = {}
    for instruction in stages()[-1][1]:
        if instruction.upper().startswith("ENV "):
            for item in instruction[4:].split():
                key, sep, value = item.partition("=")
                assert sep, f"only ENV KEY=VALUE is used: {instruction!r}"
                env[key] = value
    return env


def test_dockerfile_builds_with_make_release():
    build_from, build = stages()[0]
    assert re.search(r"\bAS build\b", build_from)
    assert any(re.match(r"RUN make release\b", i) for i in build), build
    apt = " ".join(i for i in build if "apt-get install" in i)
    deps = (REPO_ROOT / "scripts" / "deps.sh").read_text()
    wanted = re.search(r"packages=\(\n(.*?)\n\)", deps, re.S).group(1).split()
    # Test tools, and ccache, which only speeds up rebuilds on a developer's machine or CI.
    test_only = {"libgtest-dev", "libgmock-dev", "libbenchmark-dev", "prometheus", "curl", "openssl",
                 "python3-yaml", "python3-pytest", "ccache", "clang", "clang-format", "libclang-rt-14-dev"}
    missing = [p for p in wanted if p not in test_only and p not in apt.split()]
    assert not missing, f"the image's build stage lacks packages of scripts/deps.sh: {missing}"


def test_dockerfile_runtime_is_minimal_and_non_root():
    runtime_from, runtime = stages()[-1]
    assert "distroless" in runtime_from, runtime_from
    assert not [i for i in runtime if i.upper().startswith("RUN")], "the runtime stage must not need a shell"
    users = [i.split()[1] for i in runtime if i.upper().startswith("USER ")]
    assert users, "no USER in the runtime stage"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0 and (not gid or (gid.isdigit() and int(gid) > 0)), users[-1]
    assert any(i.startswith("ENTRYPOINT") and "kube9-operator" in i for i in runtime)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["podSecurityContext"]["runAsUser"] == int(uid), "chart and image must agree on the user"


def test_dockerignore_keeps_build_state_out():
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".local", "build", "build-*"):
        assert entry in ignored, entry
