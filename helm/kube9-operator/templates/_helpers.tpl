{{/* Name of the chart, or nameOverride. */}}
{{- define "kube9-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: fullnameOverride, else "<release>-<name>", or the release
name alone when it already contains the chart name. Kubernetes names are limited to 63 chars.
*/}}
{{- define "kube9-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kube9-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Standard labels of every object. */}}
{{- define "kube9-operator.labels" -}}
helm.sh/chart: {{ include "kube9-operator.chart" . }}
{{ include "kube9-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kube9
{{- end }}

{{/*
Labels that select the operator's pod; never change them (Deployment selectors are immutable).
The name is always kube9-operator, whatever nameOverride says: the VS Code extension finds the
pod by app.kubernetes.io/name=kube9-operator (nameOverride renames objects, not this label).
*/}}
{{- define "kube9-operator.selectorLabels" -}}
app.kubernetes.io/name: kube9-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kube9-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kube9-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kube9-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* "true" when Pro tier is configured (an API key inline or in an existing Secret). */}}
{{- define "kube9-operator.proEnabled" -}}
{{- if and .Values.pro.apiKey .Values.pro.existingSecret }}
{{- fail "pro.apiKey and pro.existingSecret are both set: give the API key one way only (prefer pro.existingSecret)" }}
{{- end }}
{{- if or .Values.pro.apiKey .Values.pro.existingSecret }}true{{ end }}
{{- end }}

{{/* Secret holding the API key: the one the chart creates, or existingSecret. */}}
{{- define "kube9-operator.apiKeySecretName" -}}
{{- if .Values.pro.existingSecret }}
{{- .Values.pro.existingSecret }}
{{- else }}
{{- printf "%s-api-key" (include "kube9-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "kube9-operator.apiKeySecretKey" -}}
{{- if .Values.pro.existingSecret }}{{ .Values.pro.existingSecretKey }}{{ else }}api-key{{ end }}
{{- end }}

{{/*
The persistence of the data volume (events history and upload spool) as YAML: "values" (the
settings), "key" (where they come from, for messages) and "claimSuffix"; empty for an
emptyDir. persistence.* comes first; pro.spool.persistence.*, its deprecated alias from when
only the spool could persist, still applies with Pro tier on (as it did), and keeps the claim
it named, <fullname>-spool, so that an upgrade keeps the claim and what is on it.
existingClaim without enabled is refused rather than silently ignored.
*/}}
{{- define "kube9-operator.persistence" -}}
{{- /* default: values of a chart from before persistence (helm upgrade --reuse-values) */}}
{{- $top := .Values.persistence | default dict }}
{{- $alias := (.Values.pro.spool | default dict).persistence | default dict }}
{{- if and $top.existingClaim (not $top.enabled) }}
{{- fail "persistence.existingClaim is set but persistence.enabled is false: enable persistence to use the claim" }}
{{- end }}
{{- if and $alias.existingClaim (not $alias.enabled) }}
{{- fail "pro.spool.persistence.existingClaim is set but pro.spool.persistence.enabled is false: enable persistence to use the claim" }}
{{- end }}
{{- if $top.enabled }}
{{- toYaml (dict "values" $top "key" "persistence" "claimSuffix" "data") }}
{{- else if and $alias.enabled (include "kube9-operator.proEnabled" .) }}
{{- toYaml (dict "values" $alias "key" "pro.spool.persistence" "claimSuffix" "spool") }}
{{- end }}
{{- end }}

{{/* "true" when pro.spool.persistence (deprecated) is what makes the data volume persistent. */}}
{{- define "kube9-operator.persistenceFromAlias" -}}
{{- $p := include "kube9-operator.persistence" . | fromYaml }}
{{- if eq ($p.key | default "") "pro.spool.persistence" }}true{{ end }}
{{- end }}

{{/* Claim of the data volume: existingClaim, or the one the chart creates. */}}
{{- define "kube9-operator.dataClaimName" -}}
{{- $p := include "kube9-operator.persistence" . | fromYaml }}
{{- if $p.values.existingClaim }}
{{- $p.values.existingClaim }}
{{- else }}
{{- printf "%s-%s" (include "kube9-operator.fullname" .) $p.claimSuffix | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Bytes the data volume needs: the events history (events.maxBytes plus a quarter, plus 8 MiB
for SQLite's write-ahead log) and, with Pro tier, the upload spool (pro.spool.maxBytes plus a
quarter, headroom for the file being written). The emptyDir's sizeLimit, and the floor of the
claim's size.
*/}}
{{- define "kube9-operator.dataVolumeBytes" -}}
{{- $events := int64 .Values.events.maxBytes }}
{{- $bytes := add $events (div $events 4) 8388608 }}
{{- if include "kube9-operator.proEnabled" . }}
{{- $spool := int64 .Values.pro.spool.maxBytes }}
{{- $bytes = add $bytes $spool (div $spool 4) }}
{{- end }}
{{- $bytes }}
{{- end }}

{{/*
Size of the data volume's claim: <key>.size, which must hold dataVolumeBytes, or exactly that
in whole Mi.
The schema limits size to a whole number of at most 6 digits with a unit, so that the byte
count below fits in an int64.
*/}}
{{- define "kube9-operator.dataClaimSize" -}}
{{- $p := include "kube9-operator.persistence" . | fromYaml }}
{{- $need := include "kube9-operator.dataVolumeBytes" . | int64 }}
{{- with $p.values.size }}
{{- $digits := regexFind "^[0-9]+" . }}
{{- $units := dict "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- $unit := get $units (trimPrefix $digits .) }}
{{- if not $unit }}
{{- fail (printf "%s.size %q is not a whole number with a unit (k, M, G, T, Ki, Mi, Gi or Ti)" $p.key .) }}
{{- end }}
{{- if lt (mul (int64 $digits) $unit) $need }}
{{- fail (printf "%s.size %s is smaller than the data volume needs (%d bytes): events.maxBytes plus a quarter plus 8 MiB, and with Pro tier pro.spool.maxBytes plus a quarter" $p.key . $need) }}
{{- end }}
{{- . }}
{{- else }}
{{- printf "%dMi" (div (add $need 1048575) 1048576) }}
{{- end }}
{{- end }}

{{/*
Every collector with its API group, in the operator's own order (cmd rbac prints the same
table). Keep in sync with collectors/: tests/chart compares the rendered ClusterRole with
`kube9-operator rbac`.
*/}}
{{- define "kube9-operator.allCollectors" -}}
nodes: ""
namespaces: ""
pods: ""
services: ""
persistentvolumeclaims: ""
deployments: apps
statefulsets: apps
daemonsets: apps
replicasets: apps
jobs: batch
cronjobs: batch
horizontalpodautoscalers: autoscaling
poddisruptionbudgets: policy
networkpolicies: networking.k8s.io
resourcequotas: ""
limitranges: ""
roles: rbac.authorization.k8s.io
clusterroles: rbac.authorization.k8s.io
rolebindings: rbac.authorization.k8s.io
clusterrolebindings: rbac.authorization.k8s.io
verticalpodautoscalers: autoscaling.k8s.io
configmaps: ""
events: ""
applications: argoproj.io
kustomizations: kustomize.toolkit.fluxcd.io
helmreleases: helm.toolkit.fluxcd.io
{{- end }}

{{- define "kube9-operator.collectorOrder" -}}
nodes namespaces pods services persistentvolumeclaims deployments statefulsets daemonsets replicasets jobs cronjobs horizontalpodautoscalers poddisruptionbudgets networkpolicies resourcequotas limitranges roles clusterroles rolebindings clusterrolebindings verticalpodautoscalers configmaps events applications kustomizations helmreleases
{{- end }}

{{/*
The collectors on when `collectors` is empty: all but the opt-in ones (configmaps: reading
ConfigMaps cluster-wide is opt-in, assessment.readConfigMaps).
*/}}
{{- define "kube9-operator.defaultCollectors" -}}
{{- without (splitList " " (include "kube9-operator.collectorOrder" .)) "configmaps" | join " " }}
{{- end }}

{{/*
The collectors the operator runs, space-separated: `collectors` in its order (empty: the
defaults, in the operator's order), plus configmaps when assessment.readConfigMaps opts in,
without Argo CD's when gitops.argocd.enabled is false and without Flux's when
gitops.flux.enabled is false. Both the ClusterRole and --collectors follow it.
*/}}
{{- define "kube9-operator.enabledCollectors" -}}
{{- $enabled := .Values.collectors | default (splitList " " (include "kube9-operator.defaultCollectors" .)) }}
{{- if and (.Values.assessment | default dict).readConfigMaps (not (has "configmaps" $enabled)) }}
{{- $enabled = append $enabled "configmaps" }}
{{- end }}
{{- /* default: values of a chart from before the switches (helm upgrade --reuse-values) */}}
{{- $g := .Values.gitops | default dict }}
{{- $off := list }}
{{- if eq (toString (dig "argocd" "enabled" true $g)) "false" }}{{ $off = append $off "applications" }}{{ end }}
{{- if eq (toString (dig "flux" "enabled" true $g)) "false" }}{{ $off = concat $off (list "kustomizations" "helmreleases") }}{{ end }}
{{- $out := list }}
{{- range $enabled }}{{ if not (has . $off) }}{{ $out = append $out . }}{{ end }}{{ end }}
{{- if not $out }}
{{- fail "no collector is left: collectors lists only those that gitops.argocd.enabled or gitops.flux.enabled turn off" }}
{{- end }}
{{- join " " $out }}
{{- end }}

{{/* "true" when the operator must be given --collectors: not exactly the default collectors. */}}
{{- define "kube9-operator.collectorsRestricted" -}}
{{- if or .Values.collectors (ne (include "kube9-operator.enabledCollectors" .) (include "kube9-operator.defaultCollectors" .)) }}true{{ end }}
{{- end }}

{{/*
Web config (--web.config.file): "true" when the operator gets one, rendered by the chart from
web.tls, web.basicAuth and web.headers, or the user's own (web.existingConfigSecret).
Inconsistent values fail here, with the value to fix.
*/}}
{{- define "kube9-operator.webConfigEnabled" -}}
{{- $w := .Values.web }}
{{- if and $w.tls.enabled (not $w.tls.secretName) }}
{{- fail "web.tls.enabled is true but web.tls.secretName is empty: name the kubernetes.io/tls Secret (tls.crt, tls.key) to serve" }}
{{- end }}
{{- if and $w.existingConfigSecret (or $w.basicAuth.users $w.headers) }}
{{- fail "web.existingConfigSecret is set together with web.basicAuth.users or web.headers: put them in your web config file" }}
{{- end }}
{{- if and $w.tls.clientAllowedSans (not (has $w.tls.clientAuthType (list "RequireAnyClientCert" "RequireAndVerifyClientCert"))) }}
{{- fail "web.tls.clientAllowedSans needs web.tls.clientAuthType RequireAnyClientCert or RequireAndVerifyClientCert" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled $w.basicAuth.users (not .Values.serviceMonitor.basicAuth.secretName) }}
{{- fail "web.basicAuth.users is set but serviceMonitor.basicAuth.secretName is empty: Prometheus would get 401 on every scrape" }}
{{- end }}
{{- if or $w.tls.enabled $w.basicAuth.users $w.headers $w.existingConfigSecret }}true{{ end }}
{{- end }}

{{/* "true" when the chart renders the web config Secret itself. */}}
{{- define "kube9-operator.webConfigRendered" -}}
{{- if and (include "kube9-operator.webConfigEnabled" .) (not .Values.web.existingConfigSecret) }}true{{ end }}
{{- end }}

{{- define "kube9-operator.webConfigSecretName" -}}
{{- if .Values.web.existingConfigSecret }}
{{- .Values.web.existingConfigSecret }}
{{- else }}
{{- printf "%s-web-config" (include "kube9-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* "true" when client certificates are verified against a CA (which must then be mounted). */}}
{{- define "kube9-operator.webClientCAVerified" -}}
{{- if and .Values.web.tls.enabled (has .Values.web.tls.clientAuthType (list "VerifyClientCertIfGiven" "RequireAndVerifyClientCert")) }}true{{ end }}
{{- end }}

{{/*
"true" when every connection must present a client certificate: the kubelet cannot, so the
probes are exec probes on the operator's probe socket.
*/}}
{{- define "kube9-operator.webClientCertRequired" -}}
{{- if and .Values.web.tls.enabled (has .Values.web.tls.clientAuthType (list "RequireAnyClientCert" "RequireAndVerifyClientCert")) }}true{{ end }}
{{- end }}

{{/* The web config file the chart renders (exporter-toolkit format, absolute paths). */}}
{{- define "kube9-operator.webConfigFile" -}}
{{- $w := .Values.web }}
{{- if $w.tls.enabled }}
tls_server_config:
  cert_file: /etc/kube9-operator/tls/tls.crt
  key_file: /etc/kube9-operator/tls/tls.key
  min_version: {{ $w.tls.minVersion }}
  client_auth_type: {{ $w.tls.clientAuthType }}
  {{- if include "kube9-operator.webClientCAVerified" . }}
  client_ca_file: {{ if $w.tls.clientCASecretName }}/etc/kube9-operator/client-ca/ca.crt{{ else }}/etc/kube9-operator/tls/ca.crt{{ end }}
  {{- end }}
  {{- with $w.tls.clientAllowedSans }}
  client_allowed_sans:
    {{- range . }}
    - {{ . | quote }}
    {{- end }}
  {{- end }}
{{- end }}
{{- with $w.headers }}
http_server_config:
  headers:
    {{- range $name, $value := . }}
    {{ $name }}: {{ $value | quote }}
    {{- end }}
{{- end }}
{{- with $w.basicAuth.users }}
basic_auth_users:
  {{- range $user, $hash := . }}
  {{ $user | quote }}: {{ $hash | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
"true" when sharding.totalShards > 1: the operator then runs as a StatefulSet of that many pods,
each serving the metrics of the objects whose UID falls in its shard (pod ordinal), and pod 0
alone writing the status and uploading (docs/ksm-compatibility.md "Sharding").
*/}}
{{- define "kube9-operator.sharded" -}}
{{- $sharding := .Values.sharding | default dict }}
{{- if gt (int ($sharding.totalShards | default 1)) 1 }}
{{- $p := include "kube9-operator.persistence" . | fromYaml }}
{{- if and $p $p.values.existingClaim }}
{{- fail (printf "%s.existingClaim cannot be shared by the %d shards' pods: leave it empty, each shard then gets its own claim" $p.key (int $sharding.totalShards)) }}
{{- end }}
{{- true }}
{{- end }}
{{- end }}
