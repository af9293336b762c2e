"""TLS and authentication on the HTTP port, as the chart renders them: the web config file in a
Secret of its own (exporter-toolkit keys, absolute paths into the mounted Secrets), the flag
that names it, the mounts, the probes (HTTPS; TCP when every client must present a
certificate, which the kubelet cannot) and the ServiceMonitor (https, tlsConfig, basicAuth).
Mistakes that would leave Prometheus locked out fail `helm template` with the value to fix."""

from __future__ import annotations

import yaml

from conftest import REPO_ROOT, find, one
from test_template import container, pod_spec

HASH = "$2b$10$X0h1gDsPszWURQaxFh.zouP8sCNmRrl1OsALRWCXATe8voyk3fNMa"
WEB_CONFIG_PATH = "/etc/kube9-operator/web-config/web-config.yml"
TLS = {"web.tls.enabled": True, "web.tls.secretName": "k9-metrics-tls"}


def web_config(objects: list[dict]) -> dict:
    secret = [s for s in find(objects, "Secret") if s["metadata"]["name"].endswith("-web-config")]
    assert len(secret) == 1, [s["metadata"]["name"] for s in find(objects, "Secret")]
    return yaml.safe_load(secret[0]["stringData"]["web-config.yml"])


def volumes(objects: list[dict]) -> dict:
    return {v["name"]: v for v in pod_spec(objects).get("volumes", [])}


def mounts(objects: list[dict]) -> dict:
    return {m["name"]: m for m in container(objects).get("volumeMounts", [])}


def test_off_by_default(render):
    objects = render()
    c = container(objects)
    assert not [a for a in c["args"] if a.startswith("--web.config.file")]
    assert not [s for s in find(objects, "Secret") if s["metadata"]["name"].endswith("-web-config")]
    assert "scheme" not in c["livenessProbe"]["httpGet"]


def test_tls(render):
    objects = render({**TLS, "serviceMonitor.enabled": True})
    assert web_config(objects) == {"tls_server_config": {
        "cert_file": "/etc/kube9-operator/tls/tls.crt", "key_file": "/etc/kube9-operator/tls/tls.key",
        "min_version": "TLS12", "client_auth_type": "NoClientCert"}}
    c = container(objects)
    assert f"--web.config.file={WEB_CONFIG_PATH}" in c["args"]
    assert mounts(objects)["web-config"] == {"name": "web-config", "mountPath": "/etc/kube9-operator/web-config",
                                             "readOnly": True}
    assert mounts(objects)["web-tls"] == {"name": "web-tls", "mountPath": "/etc/kube9-operator/tls", "readOnly": True}
    assert volumes(objects)["web-tls"]["secret"]["secretName"] == "k9-metrics-tls"
    assert volumes(objects)["web-config"]["secret"]["items"] == [{"key": "web-config.yml", "path": "web-config.yml"}]
    # The kubelet probes over HTTPS without verifying the certificate.
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http", "scheme": "HTTPS"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http", "scheme": "HTTPS"}
    endpoint = one(objects, "ServiceMonitor")["spec"]["endpoints"][0]
    assert endpoint["scheme"] == "https"
    assert endpoint["tlsConfig"] == {"serverName": "k9-kube9-operator.kube9-system.svc",
                                     "ca": {"secret": {"name": "k9-metrics-tls", "key": "ca.crt"}}}
    assert "insecureSkipVerify" not in endpoint["tlsConfig"]
    assert "basicAuth" not in endpoint


def test_the_pod_rolls_when_the_web_config_changes(render):
    def checksum(values):
        template = one(render(values), "Deployment")["spec"]["template"]
        return template["metadata"]["annotations"]["checksum/web-config"]

    assert checksum(TLS) == checksum(TLS)
    assert checksum(TLS) != checksum({**TLS, "web.tls.minVersion": "TLS13"})


def test_client_certificates_verified_against_a_ca(render):
    objects = render({**TLS, "web.tls.clientAuthType": "RequireAndVerifyClientCert",
                      "web.tls.clientCASecretName": "scraper-ca",
                      "web.tls.clientAllowedSans": ["prometheus.monitoring.svc"],
                      "serviceMonitor.enabled": True,
                      "serviceMonitor.tlsConfig": {"serverName": "kube9.example", "ca": {"secret": {"name": "ca", "key": "ca.crt"}},
                                                   "cert": {"secret": {"name": "prom-client", "key": "tls.crt"}},
                                                   "keySecret": {"name": "prom-client", "key": "tls.key"}}})
    tls = web_config(objects)["tls_server_config"]
    assert tls["client_auth_type"] == "RequireAndVerifyClientCert"
    assert tls["client_ca_file"] == "/etc/kube9-operator/client-ca/ca.crt"
    assert tls["client_allowed_sans"] == ["prometheus.monitoring.svc"]
    assert volumes(objects)["web-client-ca"]["secret"] == {"secretName": "scraper-ca", "defaultMode": 0o440,
                                                           "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    assert mounts(objects)["web-client-ca"]["mountPath"] == "/etc/kube9-operator/client-ca"
    # The kubelet cannot present a certificate: exec probes ask on the probe socket, in a
    # volume of its own, each with a timeout a second under the probe's.
    c = container(objects)
    assert "--web.probe-socket=/run/kube9-operator/probe.sock" in c["args"]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert "httpGet" not in c[probe] and "tcpSocket" not in c[probe]
        assert c[probe]["exec"]["command"] == [
            "/usr/local/bin/kube9-operator", "probe", "--socket=/run/kube9-operator/probe.sock", "--timeout=4s", path]
        assert c[probe]["timeoutSeconds"] == 5
    entrypoint = next(line for line in (REPO_ROOT / "Dockerfile").read_text().splitlines()
                      if line.startswith("ENTRYPOINT"))
    assert '"/usr/local/bin/kube9-operator"' in entrypoint, "the exec probes run the image's binary"
    assert mounts(objects)["probe"]["mountPath"] == "/run/kube9-operator"
    assert volumes(objects)["probe"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1Mi"}
    endpoint = one(objects, "ServiceMonitor")["spec"]["endpoints"][0]
    assert endpoint["tlsConfig"]["keySecret"] == {"name": "prom-client", "key": "tls.key"}, "given tlsConfig as is"


def test_client_ca_defaults_to_the_tls_secrets_ca(render):
    objects = render({**TLS, "web.tls.clientAuthType": "VerifyClientCertIfGiven"})
    assert web_config(objects)["tls_server_config"]["client_ca_file"] == "/etc/kube9-operator/tls/ca.crt"
    assert "web-client-ca" not in volumes(objects)
    assert container(objects)["readinessProbe"]["httpGet"]["scheme"] == "HTTPS", "a certificate is optional"
    assert "probe" not in volumes(objects)
    assert not any(a.startswith("--web.probe-socket") for a in container(objects)["args"])


def test_basic_auth_and_headers(render):
    objects = render({"web.basicAuth.users": {"prometheus": HASH, "grafana": HASH},
                      "web.headers": {"X-Content-Type-Options": "nosniff"},
                      "serviceMonitor.enabled": True, "serviceMonitor.basicAuth.secretName": "scrape-credentials"})
    config = web_config(objects)
    assert config == {"basic_auth_users": {"grafana": HASH, "prometheus": HASH},
                      "http_server_config": {"headers": {"X-Content-Type-Options": "nosniff"}}}
    assert "web-tls" not in volumes(objects)
    c = container(objects)
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, "probes need no credentials"
    endpoint = one(objects, "ServiceMonitor")["spec"]["endpoints"][0]
    assert "scheme" not in endpoint
    assert endpoint["basicAuth"] == {"username": {"name": "scrape-credentials", "key": "username"},
                                     "password": {"name": "scrape-credentials", "key": "password"}}


def test_existing_web_config_secret(render):
    objects = render({**TLS, "web.existingConfigSecret": "my-web-config", "web.existingConfigSecretKey": "web.yml"})
    assert not [s for s in find(objects, "Secret") if s["metadata"]["name"].endswith("-web-config")]
    assert volumes(objects)["web-config"]["secret"]["secretName"] == "my-web-config"
    assert volumes(objects)["web-config"]["secret"]["items"] == [{"key": "web.yml", "path": "web-config.yml"}]
    assert f"--web.config.file={WEB_CONFIG_PATH}" in container(objects)["args"]
    assert "checksum/web-config" not in (one(objects, "Deployment")["spec"]["template"]["metadata"].get("annotations") or {})


def test_mistakes_fail_with_the_value_to_fix(helm):
    from conftest import CHART, KUBE_VERSION, set_args

    cases = [
        ({"web.tls.enabled": True}, "web.tls.secretName is empty"),
        ({"web.basicAuth.users": {"p": HASH}, "serviceMonitor.enabled": True},
         "serviceMonitor.basicAuth.secretName is empty"),
        ({**TLS, "web.tls.clientAllowedSans": ["x"]}, "web.tls.clientAllowedSans needs"),
        ({"web.existingConfigSecret": "mine", "web.basicAuth.users": {"p": HASH}}, "put them in your web config file"),
        ({"web.basicAuth.users": {"p": "hunter2"}}, "/web/basicAuth/users/p"),
        ({"web.tls.minVersion": "TLS10"}, "/web/tls/minVersion"),
        ({"web.tls.clientAuthType": "Sometimes"}, "/web/tls/clientAuthType"),
        ({"web.headers": {"X-Powered-By": "kube9"}}, "additional properties 'X-Powered-By' not allowed"),
    ]
    for values, message in cases:
        out = helm("template", "k9", CHART, "--namespace", "kube9-system", "--kube-version", KUBE_VERSION,
                   *set_args(values), check=False)
        assert out.returncode != 0, values
        assert message in out.stderr, (values, out.stderr)


def test_the_operator_accepts_the_rendered_file(render, binary, tmp_path):
    """The file the chart renders, with every option on, is one the operator loads: run with
    the Secrets' paths pointing at real files, it gets past the web config and stops at the
    (missing) kubeconfig instead."""
    import subprocess

    objects = render({**TLS, "web.tls.clientAuthType": "RequireAndVerifyClientCert",
                      "web.tls.clientCASecretName": "scraper-ca", "web.tls.clientAllowedSans": ["prometheus"],
                      "web.tls.minVersion": "TLS13", "web.basicAuth.users": {"prometheus": HASH},
                      "web.headers": {"X-Frame-Options": "deny", "Strict-Transport-Security": "max-age=300"}})
    text = yaml.safe_dump(web_config(objects)).replace("/etc/kube9-operator/", f"{tmp_path}/")
    for folder in ("tls", "client-ca"):
        (tmp_path / folder).mkdir()
    out = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-keyout", "tls/tls.key", "-out", "tls/tls.crt", "-subj", "/CN=kube9 chart test",
                          "-days", "1"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    (tmp_path / "client-ca" / "ca.crt").write_text((tmp_path / "tls" / "tls.crt").read_text())
    config = tmp_path / "web-config.yml"
    config.write_text(text)
    out = subprocess.run([str(binary), "serve", f"--web.config.file={config}", f"--kubeconfig={tmp_path}/none"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    assert "--web.config.file" not in out.stderr, out.stderr
    assert "kubeconfig" in out.stderr.lower(), out.stderr
