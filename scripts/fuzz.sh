#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz/<name>_fuzzer.cc, built by `make fuzz-build` into
# <build>/fuzzers) one after the other, each for SECONDS, starting from its seed corpus in
# tests/fuzz/corpus/<name>. The repo's seeds are only read: what a run adds goes to
# <build>/corpus/<name> (kept between `make fuzz` runs; fresh for every smoke run), crashes and
# other findings to <build>/artifacts/<name>/, the output to <build>/logs/<name>.log.
#
# Usage: scripts/fuzz.sh [--smoke] BUILD_DIR SECONDS [TARGET...]   (default: every target)
#
# Prints per target the inputs run (libFuzzer's stat::number_of_executed_units), the time and
# the corpus size; exits non-zero when any target found something. A finding is replayed with
# `<build>/fuzzers/<name>_fuzzer <artifact>`.
set -uo pipefail

smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
[ $# -ge 2 ] || { echo "usage: $0 [--smoke] BUILD_DIR SECONDS [TARGET...]" >&2; exit 2; }
build=$(cd "$1" && pwd)
seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$root"/tests/fuzz/*_fuzzer.cc; do t=$(basename "$f" _fuzzer.cc); targets+=("$t"); done
fi

# Undefined behaviour is a finding like a crash; leaks too.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export ASAN_OPTIONS=detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}

failed=()
for t in "${targets[@]}"; do
  bin="$build/fuzzers/${t}_fuzzer"
  seeds="$root/tests/fuzz/corpus/$t"
  [ -x "$bin" ] || { echo "[fuzz] $t: no $bin (make fuzz-build)" >&2; failed+=("$t"); continue; }
  [ -d "$seeds" ] || { echo "[fuzz] $t: no seed corpus $seeds" >&2; failed+=("$t"); continue; }
  if [ $smoke -eq 1 ]; then corpus="$build/smoke-corpus/$t"; rm -rf "$corpus"; else corpus="$build/corpus/$t"; fi
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  log="$build/logs/$t.log"
  dict=()
  [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
  # A smoke run (make test) walks the same sequence of inputs every time, so that it passes or
  # fails the same way on every machine: a slower one only stops earlier on that sequence.
  # `make fuzz` explores with a new seed each run.
  seed=()
  [ $smoke -eq 1 ] && seed=(-seed=1)
  start=$(date +%s)
  # The first corpus folder is the one libFuzzer writes to: the build's, never the repo's.
  "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "${seed[@]}" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  size=$(ls "$corpus" | wc -l)
  seeds_n=$(ls "$seeds" | wc -l)
  if [ $rc -eq 0 ]; then
    printf '[fuzz] %-18s ok      %10s execs in %4ss, corpus %s (+ %s seeds)\n' "$t" "${execs:-?}" "$elapsed" "$size" "$seeds_n"
  else
    printf '[fuzz] %-18s FAILED  %10s execs in %4ss: see %s and %s\n' "$t" "${execs:-?}" "$elapsed" "$log" "$artifacts" >&2
    grep -E 'ERROR: |runtime error|invariant failed|SUMMARY' "$log" | head -5 >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "[fuzz] findings or errors in: ${failed[*]}" >&2
  exit 1
fi
