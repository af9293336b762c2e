"""A throwaway PKI for the TLS and proxy tests, made with the openssl CLI in a temporary folder:
a CA (root/ca.pem, root/ca.key) and server certificates it issues (root/NAME.pem, root/NAME.key).
Valid for two days; nothing trusts the CA but the tests that pass it on (`--server-ca-file`)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def openssl(*args: str, cwd: Path) -> None:
    out = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"openssl {' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"


def new_ca(root: Path, common_name: str) -> None:
    """root/ca.pem and root/ca.key: a self-signed CA that may only sign certificates."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl CLI is needed to generate the test CA and certificates")
    (root / "ca.cnf").write_text(
        f"[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = {common_name}\n"
        "[v3_ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n"
        "subjectKeyIdentifier = hash\n"
    )
    openssl("req", "-x509", "-new", *_EC_KEY, "-config", "ca.cnf", "-extensions", "v3_ca",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-sha256", cwd=root)


def issue(root: Path, name: str, san: str, usage: str = "serverAuth") -> None:
    """A server certificate root/`name`.pem (key `name`.key) for `san`, issued by root/ca.pem,
    and checked by openssl against that CA. usage="clientAuth" makes a client certificate."""
    (root / f"{name}.ext").write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        f"extendedKeyUsage = {usage}\n"
        f"subjectAltName = {san}\n"
    )
    openssl("req", "-new", *_EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN=kube9 test {name}", cwd=root)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", "0x" + secrets.token_hex(16), "-days", "2", "-sha256",
            "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=root)
    purpose = "sslclient" if usage == "clientAuth" else "sslserver"
    openssl("verify", "-CAfile", "ca.pem", "-purpose", purpose, f"{name}.pem", cwd=root)
