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

{{/* Labels that select the operator's pod; never change them (Deployment selectors are immutable). */}}
{{- define "kube9-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kube9-operator.name" . }}
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
"true" when the upload spool is on a PersistentVolumeClaim: persistence enabled and Pro tier
on (without Pro tier there is no spool). existingClaim without enabled is refused rather than
silently ignored.
*/}}
{{- define "kube9-operator.spoolPersistent" -}}
{{- /* default: values of a chart from before persistence (helm upgrade --reuse-values) */}}
{{- $p := .Values.pro.spool.persistence | default dict }}
{{- if and $p.existingClaim (not $p.enabled) }}
{{- fail "pro.spool.persistence.existingClaim is set but pro.spool.persistence.enabled is false: enable persistence to use the claim" }}
{{- end }}
{{- if and $p.enabled (include "kube9-operator.proEnabled" .) }}true{{ end }}
{{- end }}

{{/* Claim of the spool: existingClaim, or the one the chart creates. */}}
{{- define "kube9-operator.spoolClaimName" -}}
{{- if .Values.pro.spool.persistence.existingClaim }}
{{- .Values.pro.spool.persistence.existingClaim }}
{{- else }}
{{- printf "%s-spool" (include "kube9-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Bytes the spool's volume needs: pro.spool.maxBytes plus a quarter, headroom for the file being
written. The emptyDir's sizeLimit, and the floor of the claim's size.
*/}}
{{- define "kube9-operator.spoolVolumeBytes" -}}
{{- $max := int64 .Values.pro.spool.maxBytes }}
{{- add $max (div $max 4) }}
{{- end }}

{{/*
Size of the spool's claim: persistence.size, which must hold spoolVolumeBytes, or exactly that
in whole Mi.
The schema limits size to a whole number of at most 6 digits with a unit, so that the byte
count below fits in an int64.
*/}}
{{- define "kube9-operator.spoolSize" -}}
{{- $need := include "kube9-operator.spoolVolumeBytes" . | int64 }}
{{- with .Values.pro.spool.persistence.size }}
{{- $digits := regexFind "^[0-9]+" . }}
{{- $units := dict "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- $unit := get $units (trimPrefix $digits .) }}
{{- if not $unit }}
{{- fail (printf "pro.spool.persistence.size %q is not a whole number with a unit (k, M, G, T, Ki, Mi, Gi or Ti)" .) }}
{{- end }}
{{- if lt (mul (int64 $digits) $unit) $need }}
{{- fail (printf "pro.spool.persistence.size %s is smaller than pro.spool.maxBytes plus a quarter (%d bytes): the spool would run out of space before its bound" . $need) }}
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
{{- end }}

{{- define "kube9-operator.collectorOrder" -}}
nodes namespaces pods services persistentvolumeclaims deployments statefulsets daemonsets replicasets jobs cronjobs
{{- end }}
