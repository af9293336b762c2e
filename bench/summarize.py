#!/usr/bin/env python3
"""Medians (and ranges) of several benchmark runs: bench/summarize.py bench/results/A.json B.json ...

The machine is shared and noisy (PERFORMANCE.md, "Method"): quote the median of several runs of
`make bench`, not one run. Prints a Markdown table per size: median [min–max] of each figure.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

MIB = 1024  # the JSON holds KiB

FIGURES = [
    ("load throughput (req/s)", lambda r: r["load"]["requests_per_second"], "{:.0f}"),
    ("reference LIST, 11 resources (s)", lambda r: r["reference_list"]["seconds"], "{:.2f}"),
    ("start to ready (s)", lambda r: r["start_to_ready_seconds"], "{:.2f}"),
    ("ready - reference LIST (s)", lambda r: r["start_to_ready_seconds"] - r["reference_list"]["seconds"], "{:.2f}"),
    ("VmHWM at ready (MiB)", lambda r: r["rss_at_ready_kib"]["VmHWM"] / MIB, "{:.1f}"),
    ("steady VmRSS, ready + 20 s (MiB)", lambda r: r["steady"]["VmRSS"] / MIB, "{:.1f}"),
    ("  RssAnon (MiB)", lambda r: r["steady"]["RssAnon"] / MIB, "{:.1f}"),
    ("  RssFile (MiB)", lambda r: r["steady"]["RssFile"] / MIB, "{:.1f}"),
    ("VmRSS after the CPU minute, 4 scrapes (MiB)", lambda r: r["after_cpu_minute"]["VmRSS"] / MIB, "{:.1f}"),
    ("  RssAnon (MiB)", lambda r: r["after_cpu_minute"]["RssAnon"] / MIB, "{:.1f}"),
    ("relist peak (MiB)", lambda r: r["relist"]["peak_kib"] / MIB, "{:.1f}"),
    ("relist peak / steady", lambda r: r["relist"]["peak_over_steady"], "{:.2f}x"),
    ("relist peak / VmRSS just before", lambda r: r["relist"]["peak_over_before"], "{:.2f}x"),
    ("RssAnon relist peak / steady RssAnon", lambda r: r["relist"]["peak_anon_over_steady_anon"], "{:.2f}x"),
    ("relisted, after API server ready (s)", lambda r: r["relist"]["api_ready_to_relisted_seconds"], "{:.2f}"),
    ("VmRSS after relist + 10 s (MiB)", lambda r: r["relist"]["rss_after_kib"]["VmRSS"] / MIB, "{:.1f}"),
    ("VmRSS after the scrape burst (MiB)", lambda r: r["after_scrape_burst"]["VmRSS"] / MIB, "{:.1f}"),
    ("CPU, 60 s with 15 s scrapes (millicores)", lambda r: r["cpu"]["millicores"], "{:.1f}"),
    ("/metrics plain median (ms)", lambda r: r["metrics"]["plain"]["median_ms"], "{:.2f}"),
    ("/metrics plain p99 (ms)", lambda r: r["metrics"]["plain"]["p99_ms"], "{:.2f}"),
    ("/metrics gzip keep-alive median (ms)", lambda r: r["metrics"]["gzip"]["median_ms"], "{:.2f}"),
    ("/metrics gzip keep-alive p99 (ms)", lambda r: r["metrics"]["gzip"]["p99_ms"], "{:.2f}"),
    ("/metrics gzip new connection median (ms)", lambda r: r["metrics"]["gzip_new_conn"]["median_ms"], "{:.2f}"),
    ("/metrics gzip new connection p99 (ms)", lambda r: r["metrics"]["gzip_new_conn"]["p99_ms"], "{:.2f}"),
    ("/metrics server-side mean (ms)", lambda r: r["metrics"].get("server_side_mean_ms", float("nan")), "{:.2f}"),
    ("/metrics size plain (KiB)", lambda r: r["metrics"]["plain"]["bytes"] / 1024, "{:.0f}"),
    ("/metrics size gzip (KiB)", lambda r: r["metrics"]["gzip"]["bytes"] / 1024, "{:.0f}"),
    ("/metrics series", lambda r: r["metrics"]["series"], "{:.0f}"),
    ("events: storm throughput (writes/s)", lambda r: r["events"]["storm"]["requests_per_second"], "{:.0f}"),
    ("events: catch-up after the last write (s)", lambda r: r["events"]["catch_up_seconds"], "{:.2f}"),
    ("events: rows", lambda r: r["events"]["rows"], "{:.0f}"),
    ("events: dropped", lambda r: sum(r["events"]["dropped"].values()), "{:.0f}"),
    ("events: DB in use (MiB)", lambda r: r["events"]["db_bytes_in_use"] / 2**20, "{:.1f}"),
    ("events: DB files (MiB)", lambda r: sum(r["events"]["db_files_bytes"].values()) / 2**20, "{:.1f}"),
    ("events: VmRSS before the storm (MiB)", lambda r: r["events"]["rss_before_kib"]["VmRSS"] / MIB, "{:.1f}"),
    ("events: VmRSS peak (MiB)", lambda r: r["events"]["peak_kib"] / MIB, "{:.1f}"),
    ("events: VmRSS after (MiB)", lambda r: r["events"]["rss_after_kib"]["VmRSS"] / MIB, "{:.1f}"),
    ("events: after - before (MiB)", lambda r: r["events"]["after_minus_before_kib"] / MIB, "{:+.1f}"),
]


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted((Path(__file__).parent / "results").glob("*.json"))
    runs = [json.loads(p.read_text()) for p in paths]
    by_size: dict[tuple[int, int], list[dict]] = {}
    for run in runs:
        for r in run["sizes"]:
            by_size.setdefault((r["pods"], r["nodes"]), []).append(r)
    sizes = sorted(by_size)
    print(f"{len(runs)} runs: " + ", ".join(p.stem for p in paths))
    print()
    head = ["measure"] + [f"{p} pods / {n} nodes (n={len(by_size[(p, n)])})" for p, n in sizes]
    rows = []
    for name, get, fmt in FIGURES:
        cells = []
        for s in sizes:
            try:
                vals = [get(r) for r in by_size[s]]
            except KeyError:
                cells.append("n/a")
                continue
            med = statistics.median(vals)
            cell = fmt.format(med)
            if len(vals) > 1:
                cell += f" [{fmt.format(min(vals))}–{fmt.format(max(vals))}]"
            cells.append(cell)
        rows.append([name] + cells)
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


if __name__ == "__main__":
    main()
