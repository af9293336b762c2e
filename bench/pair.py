#!/usr/bin/env python3
"""Paired scrape timing: two or more operator builds on the same bench cluster, scraped in turn.

On a shared 2-core VM the machine's speed drifts by tens of percent within minutes, so two
builds of the operator measured minutes apart cannot be told apart by 10 %. This runs every
build at once, idle apart from their watches, and scrapes them in turn (A B, B A, ...), each
on a new connection timed by curl, so that drift falls on all of them alike: the timing that
`make bench` also does for kube-state-metrics and the operator (run.paired_scrapes). It prints
each one's median, quartiles and minimum, and its CPU per scrape (utime + stime over the run).

It needs a loaded bench cluster left up by the bench:

    BENCH_SIZES=1000:100 BENCH_PHASES=cpu BENCH_CPU_SECONDS=2 BENCH_KEEP_CLUSTER=1 python3 bench/run.py
    python3 bench/pair.py --scrapes 150 new=build/kube9-operator old=/tmp/old/kube9-operator
    python3 bench/pair.py inline=build/kube9-operator:SOME_ENV=1 threaded=build/kube9-operator

Each subject is NAME=BINARY, optionally followed by :KEY=VALUE,... for its environment. They
run with the `ksm` phase's flags (--kube-state-metrics on every resource both serve). The
BINARY `ksm` is kube-state-metrics itself (built by `make tools`), with that phase's flags:

    python3 bench/pair.py --scrapes 100 ksm=ksm ours=build/kube9-operator

times the two side by side, in turn, and prints the ratio of their medians, which drift on
this machine cannot move the way it moves two runs minutes apart.
"""
import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "bench"))
import run  # noqa: E402  (the bench's subjects, resource list and paired timing)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("subjects", nargs="+", help="NAME=BINARY[:KEY=VALUE,...], or NAME=ksm")
    parser.add_argument("--scrapes", type=int, default=150, help="plain scrapes of each subject (150)")
    parser.add_argument("--gzip", action="store_true", help="gzip scrapes too, as many")
    parser.add_argument("--kubeconfig", default=str(REPO_ROOT / ".local" / "bench-cluster" / "kubeconfig-token"))
    args = parser.parse_args()
    if not Path(args.kubeconfig).is_file():
        print(f"no bench cluster: {args.kubeconfig} is missing (see the usage above)", file=sys.stderr)
        return 2

    resources = run.ksm_resources()
    named: list[tuple[str, run.KsmSubject]] = []
    for spec in args.subjects:
        name, _, rest = spec.partition("=")
        binary, _, env_spec = rest.partition(":")
        if name and binary == "ksm":
            named.append((name, run.KubeStateMetricsSubject(args.kubeconfig, resources)))
            continue
        if not name or not Path(binary).is_file():
            print(f"bad subject {spec!r}: NAME=BINARY[:KEY=VALUE,...] with an existing BINARY", file=sys.stderr)
            return 2
        env = dict(os.environ)
        env.update(kv.split("=", 1) for kv in env_spec.split(",") if kv)
        # The `ksm` phase's own command line and readiness check.
        named.append((name, run.OperatorSubject(Path(binary), args.kubeconfig, resources, env)))
    modes = ("plain", "gzip") if args.gzip else ("plain",)
    result = run.paired_scrapes(named, args.scrapes, modes)
    first = named[0][0]
    for mode in modes:
        for name, _ in named:
            m = result[name][mode]
            print(f"{name:12s} {mode:5s} median {m['median_ms']:7.2f} ms  quartiles {m['q1_ms']:7.2f} {m['q3_ms']:7.2f}"
                  f"  min {m['min_ms']:7.2f}")
        for name, _ in named[1:]:
            ratio = result[first][mode]["median_ms"] / result[name][mode]["median_ms"]
            print(f"{first} / {name} ({mode}): {ratio:.2f}x (ratio of medians)")
    for name, _ in named:
        print(f"{name:12s} CPU per scrape {result[name]['cpu_ms_per_scrape']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
