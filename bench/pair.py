#!/usr/bin/env python3
"""Paired scrape timing: two or more operator builds on the same bench cluster, scraped in turn.

`make bench` times kube-state-metrics and the operator one after the other, as the issue asks.
On a shared 2-core VM the machine's speed drifts by tens of percent within minutes, so two
builds of the operator measured minutes apart cannot be told apart by 10 %. This runs every
build at once, idle apart from their watches, and scrapes them in turn (A B, B A, ...), each
on a new connection timed by curl, so that drift falls on all of them alike. It prints each
one's median, quartiles and minimum, and its CPU per scrape (utime + stime over the run).

It needs a loaded bench cluster left up by the bench:

    BENCH_SIZES=1000:100 BENCH_PHASES=cpu BENCH_CPU_SECONDS=2 BENCH_KEEP_CLUSTER=1 python3 bench/run.py
    python3 bench/pair.py --scrapes 150 new=build/kube9-operator old=/tmp/old/kube9-operator
    python3 bench/pair.py inline=build/kube9-operator:SOME_ENV=1 threaded=build/kube9-operator

Each subject is NAME=BINARY, optionally followed by :KEY=VALUE,... for its environment. They
run with the `ksm` phase's flags (--kube-state-metrics on every resource both serve).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "bench"))
import run  # noqa: E402  (the bench's own subjects, resource list, timing and /proc readers)


def ready(subject: "run.OperatorSubject") -> bool:
    try:
        return subject.ready()
    except OSError:  # not listening yet
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("subjects", nargs="+", help="NAME=BINARY[:KEY=VALUE,...]")
    parser.add_argument("--scrapes", type=int, default=150, help="plain scrapes of each subject (150)")
    parser.add_argument("--kubeconfig", default=str(REPO_ROOT / ".local" / "bench-cluster" / "kubeconfig-token"))
    args = parser.parse_args()
    if not Path(args.kubeconfig).is_file():
        print(f"no bench cluster: {args.kubeconfig} is missing (see the usage above)", file=sys.stderr)
        return 2

    resources = run.ksm_resources()
    subjects: list[tuple[str, run.OperatorSubject, subprocess.Popen]] = []
    try:
        for spec in args.subjects:
            name, _, rest = spec.partition("=")
            binary, _, env_spec = rest.partition(":")
            if not name or not Path(binary).is_file():
                print(f"bad subject {spec!r}: NAME=BINARY[:KEY=VALUE,...] with an existing BINARY", file=sys.stderr)
                return 2
            env = dict(os.environ)
            env.update(kv.split("=", 1) for kv in env_spec.split(",") if kv)
            # The `ksm` phase's own command line and readiness check.
            subject = run.OperatorSubject(Path(binary), args.kubeconfig, resources, env)
            proc = subprocess.Popen(subject.cmd, env=subject.env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subjects.append((name, subject, proc))
        for name, subject, proc in subjects:
            deadline = time.monotonic() + 60
            while not ready(subject):
                if proc.poll() is not None or time.monotonic() > deadline:
                    print(f"{name}: not ready (exit code {proc.poll()})", file=sys.stderr)
                    return 1
                time.sleep(0.2)
        time.sleep(5)  # the first samples and syncs are over
        times: dict[str, list[float]] = {name: [] for name, _, _ in subjects}
        before = {name: run.cpu_ticks(proc.pid) for name, _, proc in subjects}
        for i in range(args.scrapes):
            for name, subject, _ in (subjects if i % 2 == 0 else subjects[::-1]):
                times[name].append(run.scrape_timed(subject.port, gzip_ok=False, timeout=60)[0] * 1000)
        for name, _, proc in subjects:
            t = sorted(times[name])
            cpu_ms = (run.cpu_ticks(proc.pid) - before[name]) * 1000 / run.CLK_TCK / args.scrapes
            print(f"{name:12s} plain median {statistics.median(t):7.2f} ms  quartiles {t[len(t) // 4]:7.2f}"
                  f" {t[3 * len(t) // 4]:7.2f}  min {t[0]:7.2f}  CPU/scrape {cpu_ms:5.2f} ms")
        return 0
    finally:
        for _, _, proc in subjects:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
