#!/usr/bin/env bash
# make demo: a local control plane with a few sample workloads (some failing on purpose), the
# operator running in the foreground against it, and a Prometheus on loopback scraping the
# operator with alerts/kube9-operator.rules.yml loaded. Ctrl-C stops the operator (which writes
# its final status), Prometheus, and whatever else this script started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/kube9-operator}
port=${KUBE9_DEMO_PORT:-8080}
prom_port=${KUBE9_DEMO_PROMETHEUS_PORT:-9090}
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

# More of what the alert rules watch, each created once: a pod that cannot pull its image, a
# claim that stays Pending, a failed Job, and two nodes, one of them NotReady.
create_once() {  # create_once OBJECT-PATH COLLECTION-PATH JSON
  exists "$1" || api POST "$2" "$3"
}
create_once /api/v1/namespaces/demo/pods/puller /api/v1/namespaces/demo/pods '{"apiVersion":"v1","kind":"Pod",
  "metadata":{"name":"puller"},"spec":{"containers":[{"name":"main","image":"registry.invalid/missing:1"}]}}'
create_once /api/v1/namespaces/demo/persistentvolumeclaims/data /api/v1/namespaces/demo/persistentvolumeclaims \
  '{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},
    "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}'
# A finished Job's status cannot change afterwards: it is set once, when the Job is created.
if ! exists /apis/batch/v1/namespaces/demo/jobs/migrate; then
  api POST /apis/batch/v1/namespaces/demo/jobs '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate"},
    "spec":{"backoffLimit":0,"template":{"spec":{"restartPolicy":"Never",
    "containers":[{"name":"migrate","image":"registry.invalid/migrate:1"}]}}}}'
  patch_status /apis/batch/v1/namespaces/demo/jobs/migrate/status "{\"status\":{\"startTime\":\"$now\",\"failed\":1,
    \"conditions\":[{\"type\":\"FailureTarget\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\",
    \"lastTransitionTime\":\"$now\",\"lastProbeTime\":\"$now\"},{\"type\":\"Failed\",\"status\":\"True\",
    \"reason\":\"BackoffLimitExceeded\",\"lastTransitionTime\":\"$now\",\"lastProbeTime\":\"$now\"}]}}"
fi
for node in demo-node-1 demo-node-2; do
  create_once "/api/v1/nodes/$node" /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$node\"}}"
done
patch_status /api/v1/namespaces/demo/pods/puller/status "{\"status\":{\"phase\":\"Pending\",\"startTime\":\"$now\",
  \"containerStatuses\":[{\"name\":\"main\",\"ready\":false,\"restartCount\":0,\"image\":\"registry.invalid/missing:1\",
  \"imageID\":\"\",\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\"}}}]}}"
node_status() {  # node_status NAME READY
  patch_status "/api/v1/nodes/$1/status" "{\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":\"16Gi\",\"pods\":\"110\"},
    \"capacity\":{\"cpu\":\"4\",\"memory\":\"16Gi\",\"pods\":\"110\"},\"conditions\":[
    {\"type\":\"Ready\",\"status\":\"$2\",\"reason\":\"Demo\",\"lastHeartbeatTime\":\"$now\",\"lastTransitionTime\":\"$now\"},
    {\"type\":\"MemoryPressure\",\"status\":\"False\",\"reason\":\"Demo\",\"lastHeartbeatTime\":\"$now\",\"lastTransitionTime\":\"$now\"}]}}"
}
node_status demo-node-1 True
node_status demo-node-2 False

# --- the operator ---------------------------------------------------------------------------
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "[demo] port $port is taken; set KUBE9_DEMO_PORT to another port" >&2
  exit 1
fi
prometheus=$(command -v prometheus || true)
if [ -n "$prometheus" ] && (exec 3<>"/dev/tcp/127.0.0.1/$prom_port") 2>/dev/null; then
  echo "[demo] port $prom_port is taken; set KUBE9_DEMO_PROMETHEUS_PORT to another port" >&2
  exit 1
fi

cleanup() {
  trap - INT TERM EXIT
  if [ -n "${op_pid:-}" ] && kill -0 "$op_pid" 2>/dev/null; then
    kill -TERM "$op_pid" 2>/dev/null || true
    wait "$op_pid" 2>/dev/null || true
  fi
  if [ -n "${prom_pid:-}" ] && kill -0 "$prom_pid" 2>/dev/null; then
    kill -TERM "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
  fi
  if [ -n "${prom_dir:-}" ]; then rm -rf "$prom_dir"; fi
  if $started_cluster; then bash "$cluster" down; fi
  echo "[demo] stopped"
}
trap cleanup INT TERM EXIT

# --- Prometheus -----------------------------------------------------------------------------
# Scrapes the operator as job kube9-operator (the name the alert rules expect) and evaluates the
# rules as shipped: the demo's failing objects show as pending alerts at once and fire once
# their `for` has passed (5 to 15 minutes). Temp config and storage, removed on exit.
prom_msg="       Prometheus:     not started (install the Debian package prometheus: make deps)"
if [ -n "$prometheus" ]; then
  prom_dir=$(mktemp -d "${TMPDIR:-/tmp}/kube9-demo-prometheus.XXXXXX")
  cat >"$prom_dir/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - "$root/alerts/kube9-operator.rules.yml"
scrape_configs:
  - job_name: kube9-operator
    static_configs:
      - targets: ["127.0.0.1:$port"]
YAML
  "$prometheus" --config.file="$prom_dir/prometheus.yml" --storage.tsdb.path="$prom_dir/data" \
    --web.listen-address="127.0.0.1:$prom_port" --storage.tsdb.retention.time=1d --log.level=warn \
    >"$prom_dir/prometheus.log" 2>&1 </dev/null &
  prom_pid=$!
  for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$prom_port/-/ready" && break
    kill -0 "$prom_pid" 2>/dev/null || break
    sleep 0.2
  done
  if curl -sf -o /dev/null "http://127.0.0.1:$prom_port/-/ready"; then
    prom_msg="       Prometheus:     http://127.0.0.1:$prom_port, scraping the operator with the alert rules
       Alerts:         http://127.0.0.1:$prom_port/alerts (pending at once, firing after their 'for')
       Try queries:    kube9_health_score, kube9_health_check_affected > 0,
                       kube9_containers_waiting, kube9_workload_replicas{state=\"unavailable\"} > 0
       Dashboards:     import dashboards/*.json into a Grafana that uses this Prometheus"
  else
    echo "[demo] Prometheus did not start; its log:" >&2
    tail -n 20 "$prom_dir/prometheus.log" >&2 || true
  fi
fi

cat <<MSG

[demo] kube9-operator is starting against $KUBE9_APISERVER_URL (namespace kube9-system).
       Metrics:        http://127.0.0.1:$port/metrics
       Readiness:      http://127.0.0.1:$port/readyz
       Landing page:   http://127.0.0.1:$port/
       Status:         $binary status --kubeconfig $KUBECONFIG
       kubectl:        kubectl --kubeconfig $KUBECONFIG get configmap kube9-operator-status -n kube9-system -o yaml
$prom_msg
       Press Ctrl-C to stop everything this demo started.

MSG
"$binary" serve --kubeconfig "$KUBECONFIG" --namespace kube9-system \
  --web.listen-address "127.0.0.1:$port" --status.update-interval 15s --log.format logfmt &
op_pid=$!
wait "$op_pid"
