"""`helm lint` of the chart with its defaults and with every option on, and values.schema.json
refusing bad values before anything reaches a cluster, each with a message naming the value."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import CHART, KUBE_VERSION, set_args

VALUES_ALL = Path(__file__).resolve().parent / "values-all.yaml"


def test_lint_defaults(helm):
    out = helm("lint", CHART, "--strict")
    assert "1 chart(s) linted, 0 chart(s) failed" in out.stdout, out.stdout


def test_lint_every_option_on(helm, chart_with_assets):
    out = helm("lint", chart_with_assets, "--strict", "--values", VALUES_ALL)
    assert "0 chart(s) failed" in out.stdout, out.stdout
    # Pro tier with an inline key instead of an existing Secret: the other way to give it.
    out = helm("lint", chart_with_assets, "--strict", "--values", VALUES_ALL,
               *set_args({"pro.existingSecret": "", "pro.apiKey": "k9_example"}))
    assert "0 chart(s) failed" in out.stdout, out.stdout


def test_no_key_is_written_twice():
    """Helm keeps the last of two equal keys without a word: a merge that writes a block twice
    silently loses the first one's settings."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        assert not twice, f"line {node.start_mark.line + 1}: {twice} written twice"
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    yaml.load((CHART / "values.yaml").read_text(), Loader=Strict)

    def pairs(items):
        keys = [k for k, _ in items]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        assert not twice, f"values.schema.json: {twice} written twice"
        return dict(items)

    json.loads((CHART / "values.schema.json").read_text(), object_pairs_hook=pairs)


def test_every_value_is_documented_and_in_the_schema():
    """values.yaml comments every leaf, and the schema knows every key (its top level and each
    object refuse unknown keys, so an undocumented value could not be set at all)."""
    import yaml

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema.get("additionalProperties") is False

    def walk(v, s, path):
        assert s is not None, f"{path} is not in values.schema.json"
        if isinstance(v, dict) and s.get("type") == "object" and "properties" in s:
            for key, child in v.items():
                walk(child, s["properties"].get(key), f"{path}.{key}")

    for key, value in values.items():
        walk(value, schema["properties"].get(key), key)
    assert_documented((CHART / "values.yaml").read_text().splitlines())


def assert_documented(lines: list[str]) -> None:
    """A key is documented by a comment right above it (which covers everything under it), or,
    for a block of keys, by each of its children being documented."""
    import re

    key_re = re.compile(r"^( *)([A-Za-z][\w.-]*):")
    keys = [(i, len(m.group(1)), m.group(2)) for i, line in enumerate(lines) if (m := key_re.match(line))]

    def commented(i: int) -> bool:
        return i > 0 and lines[i - 1].strip().startswith("#")

    def check(index: int) -> None:
        i, indent, key = keys[index]
        if commented(i):
            return
        children = []
        for j in range(index + 1, len(keys)):
            if keys[j][1] <= indent:
                break
            if keys[j][1] == indent + 2:
                children.append(j)
        assert children, f"values.yaml line {i + 1}: {key!r} has no comment"
        for j in children:
            check(j)

    for index, (_, indent, _) in enumerate(keys):
        if indent == 0:
            check(index)


def persistence_param(prefix: str, name: str, key: str, value, where: str, fragment: str):
    """A bad value of `prefix`.`key`; the error names the path `prefix`/`where`."""
    path = "/" + prefix.replace(".", "/") + (f"/{where}" if where else "")
    which = "alias" if prefix.startswith("pro.") else "persistence"
    return pytest.param({f"{prefix}.{key}": value}, [path, fragment], id=f"{which}-{name}")


# (values, what the error must say): each a different kind of mistake.
BAD_VALUES = [
    pytest.param({"logLevel": "verbose"}, ["/logLevel", "must be one of", "debug"], id="enum"),
    pytest.param({"statusUpdateIntervalSeconds": "sixty"}, ["/statusUpdateIntervalSeconds", "want integer"], id="type"),
    pytest.param({"statusUpdateIntervalSeconds": 300}, ["/statusUpdateIntervalSeconds", "maximum", "240"], id="maximum"),
    pytest.param({"statusUpdateIntervalSeconds": 2}, ["/statusUpdateIntervalSeconds", "minimum", "5"], id="minimum"),
    pytest.param({"replicaCount": 2}, ["additional properties 'replicaCount' not allowed"], id="unknown-top-level-key"),
    pytest.param({"pro": {"apikey": "x"}}, ["/pro", "additional properties 'apikey' not allowed"], id="unknown-nested-key"),
    pytest.param({"collectors": ["pods", "secrets"]}, ["/collectors/1", "must be one of"], id="collector-not-readable"),
    pytest.param({"pro.serverUrl": "http://api.kube9.io"}, ["/pro/serverUrl", "does not match pattern"], id="plain-http-server"),
    pytest.param({"port": 0}, ["/port", "minimum"], id="port-zero"),
    pytest.param({"image.pullPolicy": "Sometimes"}, ["/image/pullPolicy", "must be one of"], id="pull-policy"),
    pytest.param({"pro.spool.maxBytes": 1000}, ["/pro/spool/maxBytes", "minimum"], id="spool-too-small"),
    pytest.param({"pro.resourceInventoryIntervalSeconds": 60}, ["/pro/resourceInventoryIntervalSeconds", "minimum", "want 1,800"],
                 id="collection-interval-too-short"),
    pytest.param({"extraEnv": [{"name": "API_KEY", "value": "k9_secret"}]}, ["/extraEnv/0/name"], id="api-key-in-env"),
    # persistence.* and its deprecated alias pro.spool.persistence.* share one schema.
    *[persistence_param(prefix, *case) for prefix in ("persistence", "pro.spool.persistence") for case in [
        ("not-boolean", "enabled", "yes", "enabled", "want boolean"),
        ("access-modes-not-a-list", "accessModes", "ReadWriteOnce", "accessModes", "want array"),
        ("access-modes-empty", "accessModes", [], "accessModes", "minItems"),
        ("read-only", "accessModes", ["ReadOnlyMany"], "accessModes/0", "must be one of"),
        ("unknown-key", "storageclass", "fast", "", "additional properties 'storageclass' not allowed"),
        ("size-fraction", "size", "1.5Gi", "size", "does not match pattern"),
        ("size-unit", "size", "80MB", "size", "does not match pattern"),
        ("size-number", "size", 1073741824, "size", "want string"),
        ("storage-class", "storageClass", "Fast_SSD", "storageClass", "does not match pattern"),
        ("existing-claim", "existingClaim", "My Claim", "existingClaim", "does not match pattern"),
        ("resource-policy", "resourcePolicy", "delete", "resourcePolicy", "must be one of"),
    ]],
    pytest.param({"argocd.namespace": "Argo CD"}, ["/argocd/namespace", "does not match pattern"], id="argocd-namespace"),
    pytest.param({"argocd.apiBaseUrl": "argocd-server:443"}, ["/argocd/apiBaseUrl", "does not match pattern"],
                 id="argocd-url-without-scheme"),
    pytest.param({"argocd.tokenSecret.key": ""}, ["/argocd/tokenSecret/key", "minLength"], id="argocd-token-key-empty"),
    pytest.param({"argocd": {"token": "x"}}, ["/argocd", "additional properties 'token' not allowed"],
                 id="argocd-inline-token"),
    pytest.param({"gitops.discoveryInterval": "0s"}, ["/gitops/discoveryInterval", "does not match pattern"],
                 id="gitops-discovery-interval"),
    pytest.param({"sharding.totalShards": 0}, ["/sharding/totalShards", "minimum"], id="no-shards"),
    pytest.param({"sharding.totalShards": "3"}, ["/sharding/totalShards", "want integer"], id="shards-as-text"),
    pytest.param({"kubeStateMetrics.enabled": "yes"}, ["/kubeStateMetrics/enabled", "want boolean"], id="ksm-not-boolean"),
    pytest.param({"kubeStateMetrics.metricLabelsAllowlist": ["pods=app"]},
                 ["/kubeStateMetrics/metricLabelsAllowlist/0", "does not match pattern"], id="ksm-labels-allowlist-syntax"),
    pytest.param({"kubeStateMetrics.metricAllowlist": ["a,b"]},
                 ["/kubeStateMetrics/metricAllowlist/0", "does not match pattern"], id="ksm-regex-with-comma"),
    pytest.param({"kubeStateMetrics.metricAllowlist": ["a"], "kubeStateMetrics.metricDenylist": ["b"]},
                 ["/kubeStateMetrics", "not"], id="ksm-allow-and-deny"),
]


@pytest.mark.parametrize("values,message", BAD_VALUES)
def test_schema_rejects_bad_values(helm, values, message):
    for command in (["template", "k9", CHART, "--kube-version", KUBE_VERSION], ["lint", CHART]):
        out = helm(*command, *set_args(values), check=False)
        assert out.returncode != 0, f"helm {command[0]} accepted {values}:\n{out.stdout[:2000]}"
        text = out.stdout + out.stderr
        assert "schema" in text, text
        for fragment in message:
            assert fragment in text, f"helm {command[0]} with {values}: {fragment!r} missing from:\n{text}"
        # The key is never echoed back in an error.
        assert "k9_secret" not in text


@pytest.mark.parametrize("values,message", [
    pytest.param({"pro.apiKey": "k9_a", "pro.existingSecret": "s"}, "pro.apiKey and pro.existingSecret are both set",
                 id="two-api-keys"),
    pytest.param({"serviceAccount.create": False}, "serviceAccount.name is required", id="no-service-account"),
    pytest.param({"persistence.existingClaim": "my-data"},
                 "persistence.existingClaim is set but persistence.enabled is false", id="claim-without-persistence"),
    pytest.param({"pro.spool.persistence.existingClaim": "my-spool"},
                 "pro.spool.persistence.existingClaim is set but pro.spool.persistence.enabled is false",
                 id="alias-claim-without-persistence"),
    pytest.param({"persistence.enabled": True, "persistence.size": "87Mi"},
                 "persistence.size 87Mi is smaller than the data volume needs (92274688 bytes)",
                 id="claim-smaller-than-the-events-history"),
    pytest.param({"pro.existingSecret": "s", "persistence.enabled": True, "persistence.size": "167Mi"},
                 "persistence.size 167Mi is smaller than the data volume needs (176160768 bytes)",
                 id="claim-smaller-than-history-and-spool"),
    pytest.param({"pro.existingSecret": "s", "pro.spool.persistence.enabled": True,
                  "pro.spool.persistence.size": "80Mi"},
                 "pro.spool.persistence.size 80Mi is smaller than the data volume needs (176160768 bytes)",
                 id="alias-claim-sized-for-the-spool-alone"),
    pytest.param({"pro.existingSecret": "s", "pro.spool.persistence.enabled": True,
                  "pro.spool.maxBytes": 1073741824, "pro.spool.persistence.size": "1Gi"},
                 "pro.spool.persistence.size 1Gi is smaller than the data volume needs",
                 id="spool-grew-past-its-claim"),
    pytest.param({"sharding.totalShards": 3, "persistence.enabled": True, "persistence.existingClaim": "my-data"},
                 "persistence.existingClaim cannot be shared by the 3 shards' pods", id="shards-sharing-a-claim"),
])
def test_template_refuses_contradictions(helm, values, message):
    out = helm("template", "k9", CHART, "--kube-version", KUBE_VERSION, *set_args(values), check=False)
    assert out.returncode != 0 and message in out.stderr, out.stderr


def test_optional_monitoring_objects_need_their_files(helm, tmp_path):
    """Enabling the PrometheusRule or the dashboards on a chart that carries no rule file or
    dashboard fails with a clear message instead of rendering an empty object."""
    bare = tmp_path / "kube9-operator"
    shutil.copytree(CHART, bare, symlinks=False, ignore=shutil.ignore_patterns("files"))
    for values, message in (({"prometheusRule.enabled": True}, "no rule file in files/alerts"),
                            ({"grafanaDashboards.enabled": True}, "no dashboard in files/dashboards")):
        out = helm("template", "k9", bare, "--kube-version", KUBE_VERSION, *set_args(values), check=False)
        assert out.returncode != 0 and message in out.stderr, out.stderr


def test_chart_requires_a_supported_kubernetes(helm):
    out = helm("template", "k9", CHART, "--kube-version", "v1.24.0", check=False)
    assert out.returncode != 0 and "kubeVersion" in out.stderr, out.stderr
