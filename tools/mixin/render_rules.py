#!/usr/bin/env python3
"""Renders the kubernetes-mixin's alerting and recording rules, as the kube-prometheus-stack
Helm chart ships them, into one Prometheus rule file.

kube-prometheus-stack's `templates/prometheus/rules-1.14/` is generated from kube-prometheus,
which renders the kubernetes-mixin (and the node, etcd, Prometheus and Alertmanager mixins) with
its default selectors: kube-state-metrics is `job="kube-state-metrics"`. The chart itself cannot
be rendered whole here (its subcharts come from chart repositories), so this builds a chart of
only what the rule templates need: the chart's metadata without its dependencies, its values,
its helpers and the rule templates. The real Helm renders it; the `spec.groups` of every
PrometheusRule are written out as one rule file.

Usage: render_rules.py HELM CHART_DIR OUT_FILE
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

# A Kubernetes version inside the templates' supported range (they test semver ranges).
KUBE_VERSION = "v1.35.4"


def main(helm: str, source: Path, out: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="mixin-chart-") as tmp:
        chart = Path(tmp) / "kube-prometheus-stack"
        (chart / "templates" / "prometheus").mkdir(parents=True)
        meta = yaml.safe_load((source / "Chart.yaml").read_text())
        meta.pop("dependencies", None)
        (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
        shutil.copyfile(source / "values.yaml", chart / "values.yaml")
        shutil.copyfile(source / "templates" / "_helpers.tpl", chart / "templates" / "_helpers.tpl")
        shutil.copyfile(source / "templates" / "prometheus" / "_rules.tpl",
                        chart / "templates" / "prometheus" / "_rules.tpl")
        shutil.copytree(source / "templates" / "prometheus" / "rules-1.14",
                        chart / "templates" / "prometheus" / "rules-1.14")
        for p in chart.rglob("*"):  # the module cache is read-only; the copies need not be
            p.chmod(0o755 if p.is_dir() else 0o644)
        rendered = subprocess.run(
            [helm, "template", "kube-prometheus-stack", str(chart), "--namespace", "monitoring",
             "--kube-version", KUBE_VERSION],
            check=True, capture_output=True, text=True).stdout
    groups = []
    for doc in yaml.safe_load_all(rendered):
        if doc and doc.get("kind") == "PrometheusRule":
            groups.extend(doc["spec"]["groups"])
    if not groups:
        print(f"{sys.argv[0]}: no PrometheusRule in the rendered chart", file=sys.stderr)
        return 1
    header = (f"# The kubernetes-mixin's rules as kube-prometheus-stack {meta['version']} ships them,\n"
              f"# rendered by tools/mixin/render_rules.py; {len(groups)} groups, "
              f"{sum(len(g['rules']) for g in groups)} rules.\n")
    out.write_text(header + yaml.safe_dump({"groups": groups}, sort_keys=False, width=1000))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
