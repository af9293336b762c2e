#!/usr/bin/env bash
# Manages a real local Kubernetes control plane (etcd + kube-apiserver) on loopback for the
# integration, chart and benchmark tests. There is no Docker and no kubelet or controller
# manager here (see docs/TESTING.md, "The local control plane"): tests create objects and set
# their status themselves.
#
# Usage: scripts/cluster.sh up|down|status|stop-apiserver|start-apiserver|env
#
#   up               start what is not running (idempotent), wait for /readyz, write kubeconfigs
#   down             stop both processes and wipe etcd's data (pki and token are kept)
#   stop-apiserver   stop only kube-apiserver (etcd and its data stay): simulates an API outage
#   start-apiserver  start kube-apiserver again against the same etcd and wait until ready
#   status           report each process; exit 0 only when both are healthy
#   env              print `export ...` lines for a shell or a test runner
#
# Ports (all on 127.0.0.1) can be moved with KUBE9_APISERVER_PORT (16443), KUBE9_ETCD_PORT
# (12379) and KUBE9_ETCD_PEER_PORT (12380). KUBE9_READY_TIMEOUT (60) bounds every wait.
#
# KUBE9_CLUSTER_DIR moves the cluster's state (pki, etcd data, logs, pid files) from
# .local/cluster to another folder (relative paths are taken from the checkout's root), and its
# kubeconfigs from .local/kubeconfig{,-token} into that folder. With other ports as well, it runs
# a second, independent cluster next to the default one (the benchmark does so).
#
# A cluster's data lives exactly as long as its etcd process: `up` after `down` (or after
# etcd died) always starts from an empty cluster, so tests never see leftovers of a former run.
# `up` also creates what a controller manager would have: namespace kube9-system and the
# `default` ServiceAccount in default, kube-system, kube-public and kube9-system.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.local/bin"
state="$root/.local/cluster"
kubeconfig="$root/.local/kubeconfig"
kubeconfig_token="$root/.local/kubeconfig-token"
if [ -n "${KUBE9_CLUSTER_DIR:-}" ]; then
  case $KUBE9_CLUSTER_DIR in
    /*) state=$KUBE9_CLUSTER_DIR ;;
    *) state="$root/$KUBE9_CLUSTER_DIR" ;;
  esac
  kubeconfig="$state/kubeconfig"
  kubeconfig_token="$state/kubeconfig-token"
fi
pki="$state/pki"
logs="$state/logs"
etcd_data="$state/etcd"

apiserver_port=${KUBE9_APISERVER_PORT:-16443}
etcd_port=${KUBE9_ETCD_PORT:-12379}
etcd_peer_port=${KUBE9_ETCD_PEER_PORT:-12380}
ready_timeout=${KUBE9_READY_TIMEOUT:-60}
server_url="https://127.0.0.1:$apiserver_port"
etcd_url="http://127.0.0.1:$etcd_port"

# The service account issuer and audience that in-cluster clients (and the operator's chart
# ServiceAccount) expect from a real cluster.
sa_issuer=https://kubernetes.default.svc.cluster.local
service_cidr=10.96.0.0/16

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '7,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# --- processes -------------------------------------------------------------------------------

pidfile() { printf '%s/%s.pid\n' "$state" "$1"; }

# our_pid NAME: prints the pid of our NAME process and succeeds only if it still runs. The
# command line is compared with our binary so that a pid reused by an unrelated process after
# a reboot or crash is never mistaken for ours (and never signalled).
our_pid() {
  local name=$1 file pid exe
  file=$(pidfile "$name")
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  IFS= read -r -d '' exe < "/proc/$pid/cmdline" 2> /dev/null || return 1
  [ "$exe" = "$bin/$name" ] || return 1
  printf '%s\n' "$pid"
}

running() { our_pid "$1" > /dev/null; }

# port_in_use PORT: true when something accepts TCP connections on 127.0.0.1:PORT. Uses bash's
# /dev/tcp so that it works without ss/netstat; the subshell closes the connection at once.
port_in_use() {
  (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

# require_free_port PORT WHAT VAR: fail with a clear message when a port we are about to bind
# is held by something that is not our (stopped) process.
require_free_port() {
  local port=$1 what=$2 var=$3 owner=''
  port_in_use "$port" || return 0
  if command -v ss > /dev/null; then
    owner=$(ss -ltnpH "sport = :$port" 2> /dev/null | grep -o 'users:(([^)]*))' | head -n 1 || true)
  fi
  die "port $port (for $what) is already in use by another process${owner:+ $owner}," \
      "not by the cluster of this checkout; stop it or choose another port with $var=<port>"
}

# start_process NAME LOGFILE ARGS...: runs .local/bin/NAME in its own session (so that it
# survives the shell that started it and a Ctrl-C in a test runner does not reach it) and
# records its pid. The pid is written by the process itself before exec, which stays correct
# even if setsid has to fork.
start_process() {
  local name=$1 logfile=$2; shift 2
  mkdir -p "$logs"
  printf '\n===== %s starting at %s =====\n' "$name" "$(date -u +%FT%TZ)" >> "$logfile"
  # Every inherited descriptor above 2 is closed first: a daemon holding the lock (fd 9, taken
  # below) would block every later command, and one holding a caller's pipe would make a test
  # runner that waits for EOF on it hang.
  # shellcheck disable=SC2016 # $$, $fd and $@ are meant for the inner shell.
  setsid nohup bash -c '
    echo $$ > "$1"; shift
    for fd in /proc/$$/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec "$@"' _ "$(pidfile "$name")" "$bin/$name" "$@" >> "$logfile" 2>&1 < /dev/null &
  # Wait (briefly) for the pid file so that callers can check on the process right away.
  for _ in $(seq 1 50); do
    running "$name" && return 0
    sleep 0.1
  done
  log "$name did not start; last lines of $logfile:"
  tail -n 30 "$logfile" >&2
  exit 1
}

# stop_process NAME: TERM, wait up to 20 s, then KILL. Succeeds when nothing runs.
stop_process() {
  local name=$1 pid
  if pid=$(our_pid "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2> /dev/null || true
    for _ in $(seq 1 200); do
      running "$name" || break
      sleep 0.1
    done
    if pid=$(our_pid "$name"); then
      log "$name did not exit after TERM; sending KILL"
      kill -KILL "$pid" 2> /dev/null || true
      for _ in $(seq 1 50); do
        running "$name" || break
        sleep 0.1
      done
      running "$name" && die "could not stop $name (pid $pid)"
    fi
  fi
  rm -f "$(pidfile "$name")"
}

# --- health ----------------------------------------------------------------------------------

etcd_healthy() {
  curl -fsS --max-time 2 "$etcd_url/health" 2> /dev/null | grep -q '"health":"true"'
}

# admin_curl ARGS...: curl against the API server with the admin client certificate.
admin_curl() {
  curl -sS --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$@"
}

apiserver_healthy() {
  [ -f "$pki/admin.crt" ] || return 1
  [ "$(admin_curl -f "$server_url/readyz" 2> /dev/null)" = ok ]
}

# wait_until NAME CHECK LOGFILE: poll CHECK for up to $ready_timeout seconds; fail early when
# the process exits, and show the end of its log either way.
wait_until() {
  local name=$1 check=$2 logfile=$3 deadline=$((SECONDS + ready_timeout))
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$check" && return 0
    if ! running "$name"; then
      log "$name exited while starting; last lines of $logfile:"
      tail -n 30 "$logfile" >&2
      rm -f "$(pidfile "$name")"
      exit 1
    fi
    sleep 0.5
  done
  log "$name was not ready within ${ready_timeout}s; last lines of $logfile:"
  tail -n 30 "$logfile" >&2
  exit 1
}

# The ports a running cluster was started with. A later command with other ports would check
# the wrong endpoints (and then start a second etcd on the same data dir), so it is refused.
ports_file="$state/ports"
ports_line="apiserver=$apiserver_port etcd=$etcd_port etcd-peer=$etcd_peer_port"
check_ports_match() {
  running etcd || running kube-apiserver || return 0
  [ -f "$ports_file" ] || return 0
  local started
  started=$(cat "$ports_file")
  [ "$started" = "$ports_line" ] ||
    die "the running cluster was started with ports ($started), not ($ports_line);" \
        "run scripts/cluster.sh down first, or use the same KUBE9_*_PORT variables"
}

# --- credentials -----------------------------------------------------------------------------

# sign NAME SUBJECT EXTFILE: a 2048-bit key and a certificate for it signed by our CA.
sign() {
  local name=$1 subject=$2 ext=$3
  openssl genrsa -out "$pki/$name.key" 2048 2> /dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2> /dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$ext" -out "$pki/$name.crt" 2> /dev/null
  rm -f "$pki/$name.csr"
}

# ensure_pki: generated once and kept across `down`, so that kubeconfigs, tokens handed to
# tests and anything else derived from them stay valid from one cluster to the next.
ensure_pki() {
  mkdir -p "$pki"
  chmod 700 "$pki"
  local umask_before
  umask_before=$(umask)
  umask 077
  if [ ! -s "$pki/ca.crt" ] || [ ! -s "$pki/ca.key" ]; then
    log "generating a CA in $pki"
    # Everything signed by a former CA is worthless now.
    rm -f "$pki"/*.crt "$pki"/*.key "$pki"/*.srl
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" \
      -days 3650 -sha256 -subj "/CN=kube9-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2> /dev/null
  fi
  if [ ! -s "$pki/apiserver.crt" ] || [ ! -s "$pki/apiserver.key" ]; then
    log "generating the apiserver serving certificate"
    # 10.96.0.1 is the `kubernetes` Service's address in $service_cidr, which in-cluster
    # clients would dial.
    cat > "$pki/apiserver.ext" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
    sign apiserver "/CN=kube-apiserver" "$pki/apiserver.ext"
  fi
  if [ ! -s "$pki/admin.crt" ] || [ ! -s "$pki/admin.key" ]; then
    log "generating the admin client certificate (CN=kube9-admin, O=system:masters)"
    cat > "$pki/client.ext" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EOF
    sign admin "/O=system:masters/CN=kube9-admin" "$pki/client.ext"
  fi
  if [ ! -s "$pki/sa.key" ] || [ ! -s "$pki/sa.pub" ]; then
    log "generating the service-account signing key pair"
    openssl genrsa -out "$pki/sa.key" 2048 2> /dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2> /dev/null
  fi
  if [ ! -s "$pki/admin.token" ]; then
    openssl rand -hex 32 > "$pki/admin.token"
  fi
  # Static token file: token,user,uid,"groups".
  printf '%s,kube9-admin,kube9-admin,"system:masters"\n' "$(cat "$pki/admin.token")" \
    > "$pki/tokens.csv"
  umask "$umask_before"
}

# write_kubeconfigs: .local/kubeconfig (client certificate) and .local/kubeconfig-token (bearer
# token), both self-contained so they work from any directory and can be copied into a test's
# temp dir. Written to a temp file and renamed so that a reader never sees half a file.
write_kubeconfigs() {
  local ca cert key token
  ca=$(base64 -w0 < "$pki/ca.crt")
  cert=$(base64 -w0 < "$pki/admin.crt")
  key=$(base64 -w0 < "$pki/admin.key")
  token=$(cat "$pki/admin.token")
  (
    umask 077
    cat > "$kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kube9-local
  cluster:
    server: $server_url
    certificate-authority-data: $ca
users:
- name: kube9-admin
  user:
    client-certificate-data: $cert
    client-key-data: $key
contexts:
- name: kube9-local
  context:
    cluster: kube9-local
    user: kube9-admin
current-context: kube9-local
EOF
    mv "$kubeconfig.tmp" "$kubeconfig"
    cat > "$kubeconfig_token.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kube9-local
  cluster:
    server: $server_url
    certificate-authority-data: $ca
users:
- name: kube9-admin-token
  user:
    token: $token
contexts:
- name: kube9-local
  context:
    cluster: kube9-local
    user: kube9-admin-token
current-context: kube9-local
EOF
    mv "$kubeconfig_token.tmp" "$kubeconfig_token"
  )
}

# --- components ------------------------------------------------------------------------------

start_etcd() {
  require_free_port "$etcd_port" "etcd clients" KUBE9_ETCD_PORT
  require_free_port "$etcd_peer_port" "etcd peers" KUBE9_ETCD_PEER_PORT
  # A fresh etcd always gets a fresh data dir: see the note at the top.
  rm -rf "$etcd_data"
  mkdir -p "$etcd_data"
  chmod 700 "$etcd_data"
  printf '%s\n' "$ports_line" > "$ports_file"
  log "starting etcd on $etcd_url"
  # Metrics and /health are served on the client URL only (no extra listener). --unsafe-no-fsync
  # is fine for throwaway test data and makes writes much faster.
  start_process etcd "$logs/etcd.log" \
    --name=kube9 \
    --data-dir="$etcd_data" \
    --listen-client-urls="$etcd_url" \
    --advertise-client-urls="$etcd_url" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="kube9=http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster-state=new \
    --initial-cluster-token=kube9-local \
    --unsafe-no-fsync
  wait_until etcd etcd_healthy "$logs/etcd.log"
}

start_apiserver() {
  if ! running etcd || ! etcd_healthy; then
    die "etcd is not running; use scripts/cluster.sh up"
  fi
  require_free_port "$apiserver_port" kube-apiserver KUBE9_APISERVER_PORT
  log "starting kube-apiserver on $server_url"
  # --advertise-address: there is no default route in the sandbox, so the apiserver cannot
  #   pick an address itself. --endpoint-reconciler-type=none: no kubelet/controller manager,
  #   nothing should manage the `kubernetes` Endpoints. ServiceAccount admission is disabled
  #   because no token controller exists to satisfy it; pods are created by tests directly.
  start_process kube-apiserver "$logs/kube-apiserver.log" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$apiserver_port" \
    --endpoint-reconciler-type=none \
    --etcd-servers="$etcd_url" \
    --authorization-mode=RBAC \
    --client-ca-file="$pki/ca.crt" \
    --tls-cert-file="$pki/apiserver.crt" \
    --tls-private-key-file="$pki/apiserver.key" \
    --token-auth-file="$pki/tokens.csv" \
    --service-cluster-ip-range="$service_cidr" \
    --service-account-issuer="$sa_issuer" \
    --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --api-audiences="$sa_issuer" \
    --disable-admission-plugins=ServiceAccount \
    --profiling=false
  wait_until kube-apiserver apiserver_healthy "$logs/kube-apiserver.log"
}

# ensure_object WHAT GET_PATH COLLECTION_PATH JSON: create an object through the API if it is
# missing (no kubectl needed). 409 means someone else created it in between, which is as good.
ensure_object() {
  local what=$1 get_path=$2 collection=$3 json=$4 code
  code=$(admin_curl -o /dev/null -w '%{http_code}' "$server_url$get_path" || true)
  case $code in
    200) return 0 ;;
    404) ;;
    *) die "GET $what returned HTTP $code" ;;
  esac
  code=$(admin_curl -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "$json" "$server_url$collection" || true)
  case $code in
    201 | 409) log "created $what" ;;
    *) die "creating $what returned HTTP $code" ;;
  esac
}

ensure_namespace() {
  ensure_object "namespace $1" "/api/v1/namespaces/$1" /api/v1/namespaces \
    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$1\"}}"
}

# ensure_default_serviceaccount NS: without a controller manager nobody creates the `default`
# ServiceAccount of a namespace; a real cluster has one, and `kubectl create token default`
# (TokenRequest) needs it. Namespaces that tests create need theirs created by the test.
ensure_default_serviceaccount() {
  ensure_object "serviceaccount $1/default" "/api/v1/namespaces/$1/serviceaccounts/default" \
    "/api/v1/namespaces/$1/serviceaccounts" \
    "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"default\",\"namespace\":\"$1\"}}"
}

print_summary() {
  printf 'kubeconfig: %s\nkubeconfig (token): %s\nserver: %s\n' \
    "$kubeconfig" "$kubeconfig_token" "$server_url"
}

# --- commands --------------------------------------------------------------------------------

cmd_up() {
  "$root/scripts/build-tools.sh" kube-apiserver etcd
  check_ports_match
  if running etcd && running kube-apiserver && etcd_healthy && apiserver_healthy; then
    if [ ! -s "$kubeconfig" ] || [ ! -s "$kubeconfig_token" ]; then
      write_kubeconfigs
    fi
    log "already running and healthy"
    print_summary
    return 0
  fi
  # Every port is checked before anything starts, so that a conflict leaves nothing half-up.
  if ! running etcd; then
    require_free_port "$etcd_port" "etcd clients" KUBE9_ETCD_PORT
    require_free_port "$etcd_peer_port" "etcd peers" KUBE9_ETCD_PEER_PORT
  fi
  if ! running kube-apiserver; then
    require_free_port "$apiserver_port" kube-apiserver KUBE9_APISERVER_PORT
  fi
  ensure_pki
  if ! running etcd; then
    # An apiserver left without its etcd would keep caches of the old data; restart it too.
    stop_process kube-apiserver
    start_etcd
  else
    wait_until etcd etcd_healthy "$logs/etcd.log"
  fi
  if ! running kube-apiserver; then
    start_apiserver
  else
    wait_until kube-apiserver apiserver_healthy "$logs/kube-apiserver.log"
  fi
  write_kubeconfigs
  ensure_namespace kube9-system
  local ns
  for ns in default kube-system kube-public kube9-system; do
    ensure_default_serviceaccount "$ns"
  done
  log "cluster ready"
  print_summary
}

cmd_down() {
  stop_process kube-apiserver
  stop_process etcd
  rm -rf "$etcd_data" "$ports_file"
  log "cluster down (pki and token kept in $pki)"
}

cmd_status() {
  local ok=0 pid
  if pid=$(our_pid etcd); then
    if etcd_healthy; then echo "etcd: running (pid $pid), healthy at $etcd_url"
    else echo "etcd: running (pid $pid), NOT healthy at $etcd_url"; ok=1; fi
  else
    echo "etcd: stopped"; ok=1
  fi
  if pid=$(our_pid kube-apiserver); then
    if apiserver_healthy; then echo "kube-apiserver: running (pid $pid), ready at $server_url"
    else echo "kube-apiserver: running (pid $pid), NOT ready at $server_url"; ok=1; fi
  else
    echo "kube-apiserver: stopped"; ok=1
  fi
  return "$ok"
}

cmd_env() {
  printf 'export KUBECONFIG=%q\n' "$kubeconfig"
  printf 'export KUBE9_KUBECONFIG_TOKEN=%q\n' "$kubeconfig_token"
  printf 'export KUBE9_APISERVER_URL=%q\n' "$server_url"
  printf 'export KUBE9_CA_FILE=%q\n' "$pki/ca.crt"
  printf 'export KUBE9_ADMIN_TOKEN_FILE=%q\n' "$pki/admin.token"
  printf 'export KUBE9_CLUSTER_LOGS=%q\n' "$logs"
}

[ $# -eq 1 ] || usage
mkdir -p "$state"
case $1 in
  env) cmd_env; exit 0 ;;
  status) check_ports_match; cmd_status; exit ;;
  up | down | stop-apiserver | start-apiserver) ;;
  *) usage ;;
esac

# Commands that change state are serialized, so that parallel test runners calling `up` at the
# same time start one cluster, not two racing ones.
exec 9> "$state/lock"
flock -w $((ready_timeout * 3)) 9 || die "another scripts/cluster.sh command holds $state/lock"

case $1 in
  up) cmd_up ;;
  down) cmd_down ;;
  stop-apiserver) stop_process kube-apiserver ;;
  start-apiserver)
    check_ports_match
    ensure_pki
    if running kube-apiserver; then
      wait_until kube-apiserver apiserver_healthy "$logs/kube-apiserver.log"
    else
      start_apiserver
    fi
    log "kube-apiserver ready at $server_url"
    ;;
esac
