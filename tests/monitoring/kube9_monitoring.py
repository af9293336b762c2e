"""What the monitoring tests share: the dashboards, the alert rules, the runbooks, the metric
names the operator documents, Grafana's template variables, and a real Prometheus on loopback.

Used by tests/monitoring (no cluster needed) and tests/integration/test_monitoring_e2e.py.
Only the standard library (PyYAML is imported by the tests that read YAML).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = REPO_ROOT / "dashboards"
RULES_FILE = REPO_ROOT / "alerts" / "kube9-operator.rules.yml"
RULES_TEST_FILE = REPO_ROOT / "alerts" / "tests" / "kube9-operator.test.yml"
# The same rules with 3 shards (--total-shards=3): docs/monitoring.md "With sharding".
RULES_SHARDED_TEST_FILE = REPO_ROOT / "alerts" / "tests" / "kube9-operator-sharded.test.yml"
RUNBOOKS = REPO_ROOT / "docs" / "runbooks.md"
KSM_DOC = REPO_ROOT / "docs" / "ksm-compatibility.md"
# Where the metric families and the alerts are documented (tables whose first column names them).
METRICS_DOC = REPO_ROOT / "docs" / "metrics.md"
MONITORING_DOC = REPO_ROOT / "docs" / "monitoring.md"
DOCS = sorted((REPO_ROOT / "docs").glob("*.md"))
RUNBOOK_BASE = "https://github.com/alto9/kube9-operator/blob/main/docs/runbooks.md#"
SCRAPE_JOB = "kube9-operator"  # the job name the rules' `up` alerts expect

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

# Self metrics of the Pro tier work (PRODUCT.md §3, §5), used by the operator dashboard and
# the Pro tier alerts. docs/ documents each family once it ships; until then they are
# accepted from this list, so that a typo in a query is still caught.
PRO_TIER_METRICS = {
    "kube9_operator_ready",
    "kube9_operator_registration_attempts_total",
    "kube9_operator_registration_state",
    "kube9_operator_uploads_total",
    "kube9_operator_upload_bytes_total",
    "kube9_operator_upload_retries_total",
    "kube9_operator_upload_drops_total",
    "kube9_operator_spool_bytes",
    "kube9_operator_spool_items",
    "kube9_operator_spool_max_bytes",
    "kube9_operator_collection_total",
    "kube9_operator_collection_duration_seconds",
    "kube9_operator_collection_last_success",
}
# Series Prometheus itself attaches to every target.
SCRAPE_METRICS = {"up", "scrape_duration_seconds"}
# Families with a `namespace` label: the cluster dashboard's namespace filter must apply to them.
NAMESPACED_FAMILIES = {
    "kube9_pods", "kube9_containers_waiting", "kube9_container_restarts", "kube9_containers_oom_killed",
    "kube9_resource_requests", "kube9_resource_limits", "kube9_workload_replicas", "kube9_pvcs", "kube9_jobs",
    "kube9_gitops_applications", "kube9_gitops_applications_unhealthy", "kube9_gitops_applications_out_of_sync",
    "kube9_gitops_applications_reconcile_failing",
}

# Sharded (--total-shards > 1, docs/ksm-compatibility.md "Sharding"), each shard exports its
# share of these: summed over the shards' instances they give the cluster's value, so a query
# or rule must `sum` them (without instance and pod) before showing or comparing them.
PER_SHARD_FAMILIES = {
    "kube9_nodes", "kube9_node_conditions", "kube9_node_allocatable", "kube9_pods", "kube9_containers_waiting",
    "kube9_container_restarts", "kube9_containers_oom_killed", "kube9_resource_requests", "kube9_resource_limits",
    "kube9_workload_replicas", "kube9_pvcs", "kube9_jobs", "kube9_health_check_affected",
}
# Labels that tell the shards of one operator apart: the target's address, and its pod with
# the chart's ServiceMonitor.
SHARD_LABELS = ("instance", "pod")
AGGREGATORS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
               "quantile"}


# --- documented metric names -------------------------------------------------------------------


def documented_metrics() -> set[str]:
    """Every metric family named in the first column of a table in docs/."""
    names: set[str] = set()
    for line in (line for doc in DOCS for line in doc.read_text().splitlines()):
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        names.update(n for n in re.findall(r"`([a-zA-Z_:][a-zA-Z0-9_:]*)`", first_cell)
                     if n.startswith(("kube9_", "process_")))
    return names


def known_metrics() -> set[str]:
    base = documented_metrics() | PRO_TIER_METRICS
    # Histograms expose _bucket, _sum and _count series.
    return base | {f"{n}{s}" for n in base for s in ("_bucket", "_sum", "_count")} | SCRAPE_METRICS


_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
# A metric name (not a label, function or keyword): kube9_/process_ prefixed, or Prometheus' own.
_SELECTOR_RE = re.compile(
    r"(?<![\w:])(kube9_[a-zA-Z0-9_]+|process_[a-zA-Z0-9_]+|up|scrape_duration_seconds)(?![\w:(])\s*(\{[^}]*\})?")


def metric_selectors(expr: str) -> list[tuple[str, str]]:
    """(metric name, label matchers between braces or '') of every selector of a PromQL expr."""
    without_strings_outside_braces = []
    # Drop string literals that are not inside a selector's braces (e.g. label_replace args).
    depth = 0
    i = 0
    while i < len(expr):
        c = expr[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == '"' and depth == 0:
            m = _STRING_RE.match(expr, i)
            if m:
                without_strings_outside_braces.append('""')
                i = m.end()
                continue
        without_strings_outside_braces.append(c)
        i += 1
    text = "".join(without_strings_outside_braces)
    return [(m.group(1), m.group(2) or "") for m in _SELECTOR_RE.finditer(text)]


def sharded_family_rows() -> dict[str, str]:
    """Family -> what docs/ksm-compatibility.md's sharding table says it is across shards."""
    rows: dict[str, str] = {}
    in_table = False
    for line in KSM_DOC.read_text().splitlines():
        if line.startswith("| families | across shards |"):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) < 2 or set(cells[0]) <= {"-"}:
                continue
            for name in re.findall(r"`(kube9?_[a-zA-Z0-9_*]+)`", cells[0]):
                rows[name] = cells[1]
    return rows


def _without_strings(expr: str) -> str:
    """expr with every string literal blanked to spaces of the same length (positions kept)."""
    out = list(expr)
    for m in _STRING_RE.finditer(expr):
        out[m.start():m.end()] = " " * (m.end() - m.start())
    return "".join(out)


_GROUPING_BEFORE_RE = re.compile(r"(\w+)\s*(by|without)\s*\(([^()]*)\)\s*$")
_NAME_BEFORE_RE = re.compile(r"(\w+)\s*$")
_GROUPING_AFTER_RE = re.compile(r"^\s*(by|without)\s*\(([^()]*)\)")


def innermost_aggregations(expr: str, families: set[str]) -> list[tuple[str, str | None, str | None, set[str]]]:
    """For each selector of `families` in a PromQL expr: (metric, aggregator, by|without|None,
    grouping labels) of the innermost aggregation enclosing it, or (metric, None, None, set())
    when none does. A small reader of PromQL's parentheses, enough for rules and panel queries:
    `sum by (a) (x)`, `sum(x) by (a)`, functions (rate, topk, ...) and plain grouping."""
    text = _without_strings(expr)
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    depth_braces = 0
    for i, c in enumerate(text):
        if c == "{":
            depth_braces += 1
        elif c == "}":
            depth_braces -= 1
        elif depth_braces == 0 and c == "(":
            stack.append(i)
        elif depth_braces == 0 and c == ")":
            pairs.append((stack.pop(), i))
    result = []
    for m in _SELECTOR_RE.finditer(text):
        name = m.group(1)
        if name not in families:
            continue
        enclosing = sorted(((o, c) for o, c in pairs if o < m.start() and m.end() <= c), reverse=True)
        found = (name, None, None, set())
        for open_, close in enclosing:
            before = text[:open_]
            g = _GROUPING_BEFORE_RE.search(before)
            if g and g.group(1) in AGGREGATORS:
                found = (name, g.group(1), g.group(2), {x.strip() for x in g.group(3).split(",") if x.strip()})
                break
            n = _NAME_BEFORE_RE.search(before)
            if n and n.group(1) in AGGREGATORS:
                after = _GROUPING_AFTER_RE.match(text[close + 1:])
                if after:
                    found = (name, n.group(1), after.group(1),
                             {x.strip() for x in after.group(2).split(",") if x.strip()})
                else:
                    found = (name, n.group(1), None, set())
                break
        result.append(found)
    return result


def unsummed_shares(expr: str) -> list[str]:
    """The selectors of per-shard families in expr that are not summed over the shards: whose
    innermost aggregation is not a `sum` that drops instance and pod (`sum(x)`, `sum by (a)
    (x)` without those labels in `by`, or `sum without (instance, pod, ...)`). A max, count or
    topk of the shares, or a bare share, is one shard's part, not the cluster's value."""
    problems = []
    for name, agg, mode, labels in innermost_aggregations(expr, PER_SHARD_FAMILIES):
        if agg is None:
            problems.append(f"{name}: not aggregated over the shards")
        elif agg != "sum":
            problems.append(f"{name}: {agg} of the per-shard shares (sum them first)")
        elif mode == "by" and labels & set(SHARD_LABELS):
            problems.append(f"{name}: sum by {sorted(labels)} keeps the shards apart")
        elif mode == "without" and not set(SHARD_LABELS) <= labels:
            problems.append(f"{name}: sum without {sorted(labels)} keeps {sorted(set(SHARD_LABELS) - labels)}")
    return problems


# --- dashboards ----------------------------------------------------------------------------------


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARD_DIR.glob("*.json"))


def load_dashboard(path: Path) -> dict:
    return json.loads(path.read_text())


def all_panels(dashboard: dict) -> Iterator[dict]:
    """Every panel, rows included, and the panels inside collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        for inner in panel.get("panels", []) or []:
            yield inner


def query_panels(dashboard: dict) -> list[dict]:
    return [p for p in all_panels(dashboard) if p.get("type") != "row"]


_VAR_RE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")


def variables_used(text: str) -> set[str]:
    return {a or b for a, b in _VAR_RE.findall(text)}


def substitute(expr: str, values: dict[str, str]) -> str:
    """Grafana's interpolation of template variables, for the values given (regex-escaped as
    Grafana does for a single value; multi-value and All values are passed in regex form)."""
    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        if name not in values:
            raise KeyError(f"no value for template variable ${name} in {expr!r}")
        return values[name]
    return _VAR_RE.sub(repl, expr)


_LABEL_VALUES_RE = re.compile(r"^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$")


def variable_query(var: dict) -> tuple[str, str] | None:
    """(series selector, label) of a `label_values(selector, label)` query variable."""
    query = var.get("query")
    if isinstance(query, dict):
        query = query.get("query", "")
    m = _LABEL_VALUES_RE.match(query or "")
    return (m.group(1), m.group(2)) if m else None


# --- alert rules and runbooks --------------------------------------------------------------------


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def runbook_sections() -> dict[str, str]:
    """Anchor -> body of every heading of docs/runbooks.md (up to the next heading of any level)."""
    sections: dict[str, str] = {}
    anchor = None
    body: list[str] = []
    for line in RUNBOOKS.read_text().splitlines():
        m = re.match(r"^#{1,6}\s+(.*)$", line)
        if m:
            if anchor is not None:
                sections[anchor] = "\n".join(body)
            anchor, body = github_anchor(m.group(1)), []
        else:
            body.append(line)
    if anchor is not None:
        sections[anchor] = "\n".join(body)
    return sections


def rules_with_for(text: str, duration: str) -> str:
    """The rules file with every alert's `for:` replaced (the e2e test cannot wait 15 minutes)."""
    out, n = re.subn(r"(?m)^(\s+)for:\s*\S+\s*$", rf"\g<1>for: {duration}", text)
    assert n > 0, "no `for:` found in the rules file"
    return out


# --- a real Prometheus ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusError(AssertionError):
    pass


class Prometheus:
    """Debian's Prometheus on 127.0.0.1 with a temp config and storage: scrapes `targets` (one
    host:port or a list) as job `job` every `interval` and evaluates `rule_files` at the same
    interval."""

    def __init__(self, workdir: Path, targets: str | list[str], job: str = SCRAPE_JOB,
                 rule_files: list[Path] = (), interval: str = "1s"):
        targets = [targets] if isinstance(targets, str) else list(targets)
        self.port = free_port()
        self.job = job
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n"
            f"  scrape_interval: {interval}\n"
            f"  scrape_timeout: {interval}\n"
            f"  evaluation_interval: {interval}\n"
            + ("rule_files:\n" + "".join(f"  - {json.dumps(str(p))}\n" for p in rule_files) if rule_files else "")
            + "scrape_configs:\n"
            f"  - job_name: {json.dumps(job)}\n"
            "    static_configs:\n"
            f"      - targets: {json.dumps(targets)}\n"
        )
        self.log_path = workdir / "prometheus.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1h",
                 "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir,
                start_new_session=True,
            )

    def describe(self) -> str:
        tail = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
        return f"--- prometheus on 127.0.0.1:{self.port} (exit {self.proc.poll()}), log tail:\n{tail}"

    def get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None,
            timeout: float = 10) -> tuple[int, Any]:
        """(HTTP status, parsed JSON body or raw bytes); status 0 when nothing answers."""
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        except OSError:
            return 0, b""
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def api(self, path: str, params=None) -> Any:
        """`data` of a successful /api/v1 call; raises PrometheusError with the error otherwise."""
        status, doc = self.get(path, params)
        if status != 200 or not isinstance(doc, dict) or doc.get("status") != "success":
            raise PrometheusError(f"GET {path} {params}: HTTP {status}: {doc!r:.500}")
        return doc["data"]

    def query(self, expr: str) -> dict:
        """Instant query: {"resultType": ..., "result": [...]}."""
        return self.api("/api/v1/query", {"query": expr})

    def query_range(self, expr: str, seconds: float, step: float) -> dict:
        end = time.time()
        return self.api("/api/v1/query_range",
                        {"query": expr, "start": f"{end - seconds:.3f}", "end": f"{end:.3f}", "step": step})

    def label_values(self, label: str, match: str) -> list[str]:
        return self.api(f"/api/v1/label/{urllib.parse.quote(label)}/values", [("match[]", match)])

    def rule_groups(self) -> list[dict]:
        return self.api("/api/v1/rules")["groups"]

    def alerts(self) -> list[dict]:
        return self.api("/api/v1/alerts")["alerts"]

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise PrometheusError(f"prometheus exited\n{self.describe()}")
            status, _ = self.get("/-/ready", timeout=2)
            if status == 200:
                return
            if time.monotonic() > deadline:
                raise PrometheusError(f"prometheus not ready after {timeout}s\n{self.describe()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
