#!/usr/bin/env bash
# make demo: a local control plane with a few sample workloads, and the operator running in
# the foreground against it. Ctrl-C stops the operator (which writes its final status) and
# whatever this script started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/kube9-operator}
port=${KUBE9_DEMO_PORT:-8080}
cluster="$root/scripts/cluster.sh"

started_cluster=false
if ! bash "$cluster" status >/dev/null 2>&1; then
  bash "$cluster" up
  started_cluster=true
fi
eval "$(bash "$cluster" env)"

# --- sample workloads ---------------------------------------------------------------------
# There is no kubelet or controller manager: objects are created, then their status is set
# through the status subresource, as a real cluster would report it.
api() {  # api METHOD PATH [JSON]
  curl -sS --fail-with-body --cacert "$KUBE9_CA_FILE" -H "Authorization: Bearer $(cat "$KUBE9_ADMIN_TOKEN_FILE")" \
    -H 'Content-Type: application/json' -X "$1" "$KUBE9_APISERVER_URL$2" ${3:+--data "$3"} -o /dev/null
}
exists() { curl -sS -o /dev/null -w '%{http_code}' --cacert "$KUBE9_CA_FILE" \
  -H "Authorization: Bearer $(cat "$KUBE9_ADMIN_TOKEN_FILE")" "$KUBE9_APISERVER_URL$1" | grep -q 200; }

if ! exists /api/v1/namespaces/demo; then
  echo "[demo] creating sample workloads in namespace demo"
  api POST /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}}'
  api POST /apis/apps/v1/namespaces/demo/deployments '{"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27",
    "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}}}]}}}}'
  for pod in web-1 web-2 crashy; do
    api POST /api/v1/namespaces/demo/pods "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"$pod\",
      \"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"nginx:1.27\"}]}}"
  done
fi
# Status patches need the merge-patch content type.
patch_status() {
  curl -sS --fail-with-body --cacert "$KUBE9_CA_FILE" -H "Authorization: Bearer $(cat "$KUBE9_ADMIN_TOKEN_FILE")" \
    -H 'Content-Type: application/merge-patch+json' -X PATCH "$KUBE9_APISERVER_URL$1" --data "$2" -o /dev/null
}
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
patch_status /apis/apps/v1/namespaces/demo/deployments/web/status \
  '{"status":{"replicas":3,"readyReplicas":2,"availableReplicas":2,"unavailableReplicas":1,"updatedReplicas":3}}'
for pod in web-1 web-2; do
  patch_status "/api/v1/namespaces/demo/pods/$pod/status" "{\"status\":{\"phase\":\"Running\",\"startTime\":\"$now\",
    \"containerStatuses\":[{\"name\":\"main\",\"ready\":true,\"restartCount\":0,\"image\":\"nginx:1.27\",\"imageID\":\"\",
    \"state\":{\"running\":{\"startedAt\":\"$now\"}}}]}}"
done
patch_status /api/v1/namespaces/demo/pods/crashy/status "{\"status\":{\"phase\":\"Running\",\"startTime\":\"$now\",
  \"containerStatuses\":[{\"name\":\"main\",\"ready\":false,\"restartCount\":7,\"image\":\"nginx:1.27\",\"imageID\":\"\",
  \"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},
  \"lastState\":{\"terminated\":{\"reason\":\"OOMKilled\",\"exitCode\":137}}}]}}"

# --- the operator ---------------------------------------------------------------------------
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "[demo] port $port is taken; set KUBE9_DEMO_PORT to another port" >&2
  exit 1
fi

cleanup() {
  trap - INT TERM EXIT
  if [ -n "${op_pid:-}" ] && kill -0 "$op_pid" 2>/dev/null; then
    kill -TERM "$op_pid" 2>/dev/null || true
    wait "$op_pid" 2>/dev/null || true
  fi
  if $started_cluster; then bash "$cluster" down; fi
  echo "[demo] stopped"
}
trap cleanup INT TERM EXIT

cat <<MSG

[demo] kube9-operator is starting against $KUBE9_APISERVER_URL (namespace kube9-system).
       Metrics:        http://127.0.0.1:$port/metrics
       Readiness:      http://127.0.0.1:$port/readyz
       Landing page:   http://127.0.0.1:$port/
       Status:         $binary status --kubeconfig $KUBECONFIG
       kubectl:        kubectl --kubeconfig $KUBECONFIG get configmap kube9-operator-status -n kube9-system -o yaml
       Press Ctrl-C to stop everything this demo started.

MSG
"$binary" serve --kubeconfig "$KUBECONFIG" --namespace kube9-system \
  --web.listen-address "127.0.0.1:$port" --status.update-interval 15s --log.format logfmt &
op_pid=$!
wait "$op_pid"
