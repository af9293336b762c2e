#!/usr/bin/env bash
# Builds the test tools (kube-apiserver, etcd, helm, and kube-state-metrics for the
# compatibility diff and side-by-side benchmarks) from the Go module proxy into .local/bin/, and
# renders the kubernetes-mixin's rules (from a chart repository the proxy serves) into
# .local/share/kubernetes-mixin.rules.yml.
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
# The kubernetes-mixin's rules, as kube-prometheus-stack 88.6.1 ships them (generated from the
# mixin by kube-prometheus). The proxy serves the charts repository at a pseudo-version; the
# mixin's own repositories answer 403 (docs/ksm-compatibility.md).
MIXIN_CHARTS=github.com/prometheus-community/helm-charts
MIXIN_CHARTS_VERSION=v0.0.0-20260828105119-ed5d7d9b5933
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

log() { printf '[build-tools] %s\n' "$*" >&2; }

# key_of NAME EXTRA...: a short hash of everything the tool is built from.
key_of() {
  local name=$1; shift
  { go env GOVERSION; printf '%s\n' "$@"; } | sha256sum | cut -c1-16 | sed "s/^/$name-/"
}

# install_tool NAME KEY BUILD_FUNCTION [DIR]: copy from cache into DIR (.local/bin), or build
# into the cache first.
install_tool() {
  local name=$1 key=$2 build=$3 dest=${4:-$bin}
  mkdir -p "$dest"
  if [ -f "$dest/$name" ] && [ "$(cat "$dest/.$name.key" 2>/dev/null)" = "$key" ]; then
    return 0
  fi
  if [ ! -f "$cache/$key/$name" ]; then
    local note=""
    [ "$name" = kube-apiserver ] && note="; a cold build takes 10-25 minutes"
    log "building $name ($key)$note"
    local start=$SECONDS tmp="$cache/$key.tmp.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"
    "$build" "$tmp/$name"
    rm -rf "$cache/$key"; mv "$tmp" "$cache/$key"
    log "built $name in $((SECONDS - start)) s"
  else
    log "using cached $name ($key)"
  fi
  cp "$cache/$key/$name" "$dest/$name.tmp" && mv "$dest/$name.tmp" "$dest/$name"
  echo "$key" > "$dest/.$name.key"
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

# The rule templates of kube-prometheus-stack, rendered by the Helm built above.
build_mixin_rules() {
  local dir
  dir=$(cd "$cache" && GOFLAGS= go mod download -json "$MIXIN_CHARTS@$MIXIN_CHARTS_VERSION" |
        python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))')
  python3 "$root/tools/mixin/render_rules.py" "$bin/helm" "$dir/charts/kube-prometheus-stack" "$1"
}

want=${*:-kube-apiserver etcd helm kube-state-metrics kubernetes-mixin}
for tool in $want; do
  case $tool in
    kube-apiserver) install_tool kube-apiserver "$(key_of kube-apiserver "$K8S_VERSION" "$testenv_key_input")" build_apiserver ;;
    etcd) install_tool etcd "$(key_of etcd "$testenv_key_input")" build_etcd ;;
    helm) install_tool helm "$(key_of helm "$HELM_VERSION")" build_helm ;;
    kube-state-metrics) install_tool kube-state-metrics "$(key_of kube-state-metrics "$KSM_VERSION")" build_ksm ;;
    kubernetes-mixin)
      [ -x "$bin/helm" ] || { log "kubernetes-mixin needs helm: build it first"; exit 2; }
      install_tool kubernetes-mixin.rules.yml \
        "$(key_of kubernetes-mixin "$MIXIN_CHARTS_VERSION" "$HELM_VERSION" "$(cat "$root/tools/mixin/render_rules.py")")" \
        build_mixin_rules "$root/.local/share" ;;
    *) log "unknown tool $tool"; exit 2 ;;
  esac
done
