"""/metrics as Prometheus scrapes it, and the landing page (PRODUCT.md §3, §4)."""

from __future__ import annotations

import gzip
import html.parser
import re
import time

import pytest

from conftest import METRICS_CONTENT_TYPE, metric_value, metric_values, parse_metrics, run

PROMTOOL = "/usr/bin/promtool"


def promtool_check(body: str) -> None:
    out = run([PROMTOOL, "check", "metrics"], timeout=30, input=body)
    output = (out.stdout + out.stderr).strip()
    assert out.returncode == 0 and output == "", (
        f"promtool check metrics exited {out.returncode}:\n{output}\n--- body:\n{body}"
    )


def family_types(body: str) -> dict[str, str]:
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", body, flags=re.M))


@pytest.fixture
def op(namespace, start_operator):
    return start_operator(namespace, interval="5s")


def test_metrics_text_format_gzip_and_promtool(op, operator_version):
    plain = op.get("/metrics")
    assert plain.status == 200, plain.status
    assert plain.headers.get("content-type") == METRICS_CONTENT_TYPE, plain.headers
    assert plain.headers.get("content-encoding") in (None, "identity"), plain.headers
    body = plain.text
    promtool_check(body)

    # Build info carries the real version.
    build = metric_values(body, "kube9_operator_build_info", version=operator_version)
    assert build == [1.0], f"kube9_operator_build_info{{version=\"{operator_version}\"}}: {build}\n{body}"
    rss = metric_value(body, "process_resident_memory_bytes")
    assert rss is not None and rss > 0, rss
    # The first status write is visible in the self metrics.
    assert (metric_value(body, "kube9_operator_status_writes_total", result="success") or 0) >= 1, body
    last = metric_value(body, "kube9_operator_status_last_success_timestamp_seconds")
    assert last is not None and abs(last - time.time()) < 30, last
    api_requests = metric_values(body, "kube9_operator_kubernetes_api_requests_total", resource="configmaps")
    assert api_requests and sum(api_requests) >= 1, body

    # gzip when the client accepts it: same format once decompressed.
    zipped = op.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert zipped.status == 200
    assert zipped.headers.get("content-encoding") == "gzip", zipped.headers
    assert zipped.headers.get("content-type") == METRICS_CONTENT_TYPE, zipped.headers
    assert zipped.body[:2] == b"\x1f\x8b", zipped.body[:10]
    unzipped = gzip.decompress(zipped.body).decode()
    assert family_types(unzipped) == family_types(body)
    assert {n for n, _, _ in parse_metrics(unzipped)} == {n for n, _, _ in parse_metrics(body)}
    promtool_check(unzipped)


@pytest.mark.parametrize(
    "accept",
    [
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited;q=0.7,"
        "text/plain;version=0.0.4;q=0.3",
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    ],
    ids=["openmetrics", "prometheus-negotiation", "protobuf-only"],
)
def test_metrics_other_accept_headers_still_get_valid_text(op, accept):
    reply = op.get("/metrics", headers={"Accept": accept})
    assert reply.status == 200, (reply.status, reply.body[:200])
    assert reply.headers.get("content-type") == METRICS_CONTENT_TYPE, reply.headers
    promtool_check(reply.text)
    assert "kube9_operator_build_info" in reply.text


def test_landing_page_links_endpoints(op):
    reply = op.get("/")
    assert reply.status == 200, reply.status
    assert reply.headers.get("content-type", "").startswith("text/html"), reply.headers

    class Links(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.hrefs: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.hrefs.extend(v for k, v in attrs if k == "href" and v)

    parser = Links()
    parser.feed(reply.text)
    for path in ("/metrics", "/healthz", "/readyz"):
        assert path in parser.hrefs, f"landing page does not link {path}: {parser.hrefs}\n{reply.text}"
    # It shows tier and health (PRODUCT.md §4).
    assert re.search(r"\bfree\b", reply.text) and re.search(r"\bhealthy\b", reply.text), reply.text
    for path in parser.hrefs:
        linked = op.get(path)
        assert linked.status == 200, f"{path} linked from / returned {linked.status}"
