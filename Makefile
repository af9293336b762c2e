# kube9-operator: the two commands a newcomer needs are `make demo` and `make test`.
# Everything else here is what they are made of.

BUILD_DIR ?= build
JOBS ?= 2
PYTEST ?= python3 -m pytest
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
# ccache (installed by make deps) makes rebuilds of unchanged files free, also across clones:
# paths under the checkout are hashed relative to it.
CCACHE := $(shell command -v ccache 2>/dev/null)
ifneq ($(CCACHE),)
CCACHE_FLAGS := -DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE) -DCMAKE_C_COMPILER_LAUNCHER=$(CCACHE)
CMAKE_FLAGS += $(CCACHE_FLAGS)
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
endif

.PHONY: all deps build unit-test sanitize-test tsan-test tools cluster-up cluster-down integration-test test demo clean bench
.PHONY: release chart-test monitoring-test fuzz-build fuzz fuzz-smoke format

all: build

deps:
	@bash scripts/deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

# Produces $(BUILD_DIR)/kube9-operator and the unit test binaries.
build: deps $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j $(JOBS)

unit-test: build
	ctest --test-dir $(BUILD_DIR) -j $(JOBS) --output-on-failure

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
SANITIZE_DIR ?= $(BUILD_DIR)/sanitize
sanitize-test: deps
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug $(CCACHE_FLAGS) \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
	ninja -C $(SANITIZE_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 ctest --test-dir $(SANITIZE_DIR) -j $(JOBS) --output-on-failure

# The unit tests and a short run of the real binary under ThreadSanitizer (docs/development.md
# "Threads"): any report fails the target. The suppressions file is for reports inside
# uninstrumented third-party libraries only, each one justified there.
TSAN_DIR ?= $(BUILD_DIR)/tsan
TSAN_OPTIONS_VALUE = halt_on_error=1 second_deadlock_stack=1 suppressions=$(abspath tests/tsan.supp)
tsan-test: deps cluster-up
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CCACHE_FLAGS) \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer"
	ninja -C $(TSAN_DIR) -j $(JOBS)
	TSAN_OPTIONS="$(TSAN_OPTIONS_VALUE)" ctest --test-dir $(TSAN_DIR) -j $(JOBS) --output-on-failure
	TSAN_OPTIONS="$(TSAN_OPTIONS_VALUE)" KUBE9_TSAN_BINARY=$(abspath $(TSAN_DIR))/kube9-operator \
	  $(PYTEST) -q tests/integration/test_tsan_smoke.py

# kube-apiserver, etcd, helm and kube-state-metrics, built from the Go module proxy once and cached.
tools:
	@bash scripts/build-tools.sh

cluster-up: tools
	@bash scripts/cluster.sh up

cluster-down:
	@bash scripts/cluster.sh down

# The real binary against the real control plane; leaves the cluster running.
integration-test: build cluster-up
	KUBE9_BINARY=$(abspath $(BUILD_DIR))/kube9-operator \
	  KUBE9_KUBE_INTEGRATION_TEST=$(abspath $(BUILD_DIR))/tests/integration/kube_integration_test \
	  $(PYTEST) -q tests/integration

test: unit-test sanitize-test tsan-test fuzz-smoke integration-test chart-test monitoring-test

# The libFuzzer targets (tests/fuzz, docs/hardening.md "Fuzzing"), built with Debian's clang into
# their own folder: every library with coverage, AddressSanitizer and UndefinedBehaviorSanitizer.
# `make fuzz` runs each target FUZZ_SECONDS (new inputs stay in $(FUZZ_DIR)/corpus, findings go to
# $(FUZZ_DIR)/artifacts); `make fuzz-smoke`, part of `make test`, runs each for a short, bounded
# time from its seed corpus. FUZZ_TARGETS="quantity time_format" picks targets.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 120
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TARGETS ?=
$(FUZZ_DIR)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DKUBE9_FUZZ=ON -DKUBE9_BUILD_TESTS=OFF $(CCACHE_FLAGS)

fuzz-build: deps $(FUZZ_DIR)/build.ninja
	ninja -C $(FUZZ_DIR) -j $(JOBS) kube9_fuzzers

fuzz: fuzz-build
	bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	bash scripts/fuzz.sh --smoke $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# The dashboards and alert rules without a cluster (README "Dashboards and alerts"): promtool
# check rules and test rules, and the dashboards' lint. Their end-to-end test through a real
# Prometheus is tests/integration/test_monitoring_e2e.py, in integration-test.
monitoring-test: deps
	$(PYTEST) -q tests/monitoring

# The release binary, built exactly as the Dockerfile's build stage builds it (the Dockerfile
# runs `make release RELEASE_DIR=/build`): Release, no tests, only the operator. No `deps`
# prerequisite, so that the image build needs nothing but the apt packages it installs itself.
RELEASE_DIR ?= build-release
RELEASE_CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=Release -DKUBE9_BUILD_TESTS=OFF
release:
	cmake -S . -B $(RELEASE_DIR) -G Ninja $(RELEASE_CMAKE_FLAGS) $(CCACHE_FLAGS)
	ninja -C $(RELEASE_DIR) -j $(JOBS) kube9-operator

# The Helm chart with the real helm and the real control plane (tests/chart): lint, render,
# schema, install under Pod Security "restricted", the chart's own RBAC proven with the
# operator binary, upgrade, uninstall; and a smoke test of the release binary.
chart-test: build release cluster-up
	KUBE9_BINARY=$(abspath $(BUILD_DIR))/kube9-operator \
	  KUBE9_RELEASE_BINARY=$(abspath $(RELEASE_DIR))/kube9-operator \
	  $(PYTEST) -q tests/chart

# Benchmark v1 (docs/benchmarks.md), not a test: loads synthetic clusters into a separate
# control plane (.local/bench-cluster, ports 26443/22379/22380), measures the operator, then
# kube-state-metrics and the operator with --kube-state-metrics side by side (phase ksm), and
# writes bench/results/<timestamp>.json. Sizes as pods:nodes: BENCH_SIZES=1000:100,10000:500;
# phases: BENCH_PHASES=cpu,relist,metrics,events,ksm.
bench: build tools
	KUBE9_BINARY=$(abspath $(BUILD_DIR))/kube9-operator python3 bench/run.py

demo: build tools
	@bash scripts/demo.sh $(BUILD_DIR)/kube9-operator

# clang-format (.clang-format) on the C++ files changed since FORMAT_BASE (default: main), so
# that a change formats what it touches and nothing else.
FORMAT_BASE ?= main
format:
	@command -v clang-format >/dev/null || { echo "clang-format is missing: make deps installs it" >&2; exit 1; }
	@git diff --name-only --diff-filter=AM $(FORMAT_BASE) -- '*.cc' '*.h' | xargs -r clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(RELEASE_DIR) $(FUZZ_DIR)
