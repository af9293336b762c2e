#!/usr/bin/env bash
# Builds the test tools (kube-apiserver, etcd, helm, and kube-state-metrics for the
# compatibility diff and side-by-side benchmarks) from the Go module proxy into .local/bin/.
# Each binary is also kept in a per-user cache outside the checkout, keyed by what it is built
# from, so that a fresh clone on the same machine (CI) copies it instead of rebuilding.
# Idempotent: a tool already in .local/bin with the right key is left alone.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.local/bin"
cache="${KUBE9_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube9-operator/tools}"
mkdir -p "$bin" "$cache"

K8S_VERSION=v1.35.4
HELM_VERSION=v3.19.5
# The kube-state-metrics the `kube_*` families are diffed against (docs/ksm-compatibility.md).
KSM_VERSION=v2.20.0
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

log() { printf '[build-tools] %s\n' "$*" >&2; }

# key_of NAME EXTRA...: a short hash of everything the tool is built from.
key_of() {
  local name=$1; shift
  { go env GOVERSION; printf '%s\n' "$@"; } | sha256sum | cut -c1-16 | sed "s/^/$name-/"
}

# install_tool NAME KEY BUILD_FUNCTION: copy from cache, or build into the cache first.
install_tool() {
  local name=$1 key=$2 build=$3
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/.$name.key" 2>/dev/null)" = "$key" ]; then
    return 0
  fi
  if [ ! -x "$cache/$key/$name" ]; then
    log "building $name ($key); a cold build of kube-apiserver takes 10-25 minutes"
    local start=$SECONDS tmp="$cache/$key.tmp.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"
    "$build" "$tmp/$name"
    rm -rf "$cache/$key"; mv "$tmp" "$cache/$key"
    log "built $name in $((SECONDS - start)) s"
  else
    log "using cached $name ($key)"
  fi
  cp "$cache/$key/$name" "$bin/$name.tmp" && mv "$bin/$name.tmp" "$bin/$name"
  echo "$key" > "$bin/.$name.key"
}

testenv="$root/tools/testenv"
testenv_key_input=$(cat "$testenv/go.mod" "$testenv/go.sum")

build_apiserver() {
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local pkg=k8s.io/component-base/version
  (cd "$testenv" && go build -trimpath -pgo=off -o "$1" -ldflags "-s -w \
      -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor \
      -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z \
      -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION" \
      k8s.io/kubernetes/cmd/kube-apiserver)
}
build_etcd() {
  (cd "$testenv" && go build -trimpath -pgo=off -o "$1" -ldflags "-s -w" go.etcd.io/etcd/server/v3)
}
build_helm() {
  local gobin; gobin=$(mktemp -d)
  GOBIN="$gobin" GOFLAGS= go install -trimpath -ldflags "-s -w \
      -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
      -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
      "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$gobin/helm" "$1"; rm -rf "$gobin"
}

# kube-state-metrics' own module builds as published (no replaces), so `go install` at the pinned
# version is enough; its version package is prometheus/common's, as in its Makefile.
build_ksm() {
  local gobin pkg=github.com/prometheus/common/version; gobin=$(mktemp -d)
  GOBIN="$gobin" GOFLAGS= go install -trimpath -pgo=off -ldflags "-s -w \
      -X $pkg.Version=${KSM_VERSION#v} -X $pkg.Branch=release -X $pkg.Revision=$KSM_VERSION \
      -X $pkg.BuildUser=kube9 -X $pkg.BuildDate=1970-01-01T00:00:00Z" \
      "k8s.io/kube-state-metrics/v2@$KSM_VERSION"
  mv "$gobin/kube-state-metrics" "$1"; rm -rf "$gobin"
}

want=${*:-kube-apiserver etcd helm kube-state-metrics}
for tool in $want; do
  case $tool in
    kube-apiserver) install_tool kube-apiserver "$(key_of kube-apiserver "$K8S_VERSION" "$testenv_key_input")" build_apiserver ;;
    etcd) install_tool etcd "$(key_of etcd "$testenv_key_input")" build_etcd ;;
    helm) install_tool helm "$(key_of helm "$HELM_VERSION")" build_helm ;;
    kube-state-metrics) install_tool kube-state-metrics "$(key_of kube-state-metrics "$KSM_VERSION")" build_ksm ;;
    *) log "unknown tool $tool"; exit 2 ;;
  esac
done
