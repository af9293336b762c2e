{{/*
The operator's pod template, shared by the Deployment (one operator) and, with
sharding.totalShards > 1, the StatefulSet (one pod per shard). Indented for spec.template.
*/}}
{{- define "kube9-operator.podTemplate" -}}
{{- $pro := include "kube9-operator.proEnabled" . }}
{{- $persistent := include "kube9-operator.persistence" . }}
{{- $dataDir := "/var/lib/kube9-operator" }}
{{- $spoolDir := printf "%s/spool" $dataDir }}
{{- $apiKeyDir := "/etc/kube9-operator/api-key" }}
{{- $serverCADir := "/etc/kube9-operator/server-ca" }}
{{- $argocdTokenDir := "/etc/kube9-operator/argocd-token" }}
{{- $argocdCADir := "/etc/kube9-operator/argocd-ca" }}
{{- $web := include "kube9-operator.webConfigEnabled" . }}
{{- $webRendered := include "kube9-operator.webConfigRendered" . }}
{{- $tls := and $web .Values.web.tls.enabled }}
{{- $clientCA := and (include "kube9-operator.webClientCAVerified" .) .Values.web.tls.clientCASecretName }}
{{- $sharded := include "kube9-operator.sharded" . }}
{{- $ksm := .Values.kubeStateMetrics | default dict }}
{{- /* With client certificates required the kubelet's HTTP probes cannot connect: exec probes
ask the operator on a Unix socket in a volume of their own instead. */}}
{{- $probeSocket := include "kube9-operator.webClientCertRequired" . }}
{{- $probeDir := "/run/kube9-operator" }}
    metadata:
      labels:
        {{- include "kube9-operator.labels" . | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if or .Values.podAnnotations $webRendered }}
      annotations:
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- if $webRendered }}
        # The operator reads its web config at start: a change rolls the pod.
        checksum/web-config: {{ include "kube9-operator.webConfigFile" . | sha256sum }}
        {{- end }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "kube9-operator.serviceAccountName" . }}
      # The operator talks to the API server with this token (re-read as it rotates).
      automountServiceAccountToken: true
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      # Shutdown writes a final status within 5 s.
      terminationGracePeriodSeconds: 15
      containers:
        - name: operator
          image: {{ include "kube9-operator.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          args:
            - serve
            - --web.listen-address=:{{ .Values.port }}
            - --log.level={{ .Values.logLevel }}
            - --log.format={{ .Values.logFormat }}
            - --status.update-interval={{ .Values.statusUpdateIntervalSeconds }}s
            - --sample-interval={{ .Values.sampleIntervalSeconds }}s
            {{- if include "kube9-operator.collectorsRestricted" . }}
            - --collectors={{ include "kube9-operator.enabledCollectors" . | replace " " "," }}
            {{- end }}
            {{- if $web }}
            - --web.config.file=/etc/kube9-operator/web-config/web-config.yml
            {{- end }}
            {{- if $probeSocket }}
            - --web.probe-socket={{ $probeDir }}/probe.sock
            {{- end }}
            - --gitops.discovery-interval={{ .Values.gitops.discoveryInterval }}
            - --events.retention={{ .Values.events.retention }}
            - --events.max-bytes={{ int64 .Values.events.maxBytes }}
            - --assessment.interval={{ .Values.assessment.interval }}
            {{- if $ksm.enabled }}
            # kube-state-metrics' kube_* families of the collected resources (`collectors` is
            # its --resources).
            - --kube-state-metrics
            {{- with $ksm.metricAllowlist }}
            - --metric-allowlist={{ join "," . }}
            {{- end }}
            {{- with $ksm.metricDenylist }}
            - --metric-denylist={{ join "," . }}
            {{- end }}
            {{- with $ksm.metricLabelsAllowlist }}
            - --metric-labels-allowlist={{ join "," . }}
            {{- end }}
            {{- with $ksm.metricAnnotationsAllowlist }}
            - --metric-annotations-allowlist={{ join "," . }}
            {{- end }}
            {{- end }}
            {{- if $sharded }}
            # The shard is the pod's ordinal (POD_NAME below): pod <name>-0 is shard 0, which
            # alone writes the status and uploads.
            - --shard=auto
            - --total-shards={{ int .Values.sharding.totalShards }}
            {{- end }}
            {{- if $pro }}
            - --server-url={{ .Values.pro.serverUrl }}
            - --api-key-file={{ $apiKeyDir }}/api-key
            {{- if .Values.pro.serverCAConfigMap }}
            - --server-ca-file={{ $serverCADir }}/ca.crt
            {{- end }}
            - --spool.path={{ $spoolDir }}
            - --spool.max-bytes={{ int64 .Values.pro.spool.maxBytes }}
            {{- with .Values.pro.upload.maxBatchAge }}
            - --upload.max-batch-age={{ . }}
            {{- end }}
            {{- end }}
            {{- with .Values.extraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            {{- if $sharded }}
            # The StatefulSet's pod name, <fullname>-<ordinal>: --shard=auto reads the ordinal.
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            {{- end }}
            # Where the operator writes its status ConfigMap: the release namespace.
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            # The data directory, for serve and for `query events list` run by kubectl exec
            # (which gets the container's environment, not its arguments).
            - name: KUBE9_DATA_PATH
              value: {{ $dataDir }}
            # Argo CD, for serve and for `query argocd resource-tree get` run by kubectl exec.
            - name: ARGOCD_NAMESPACE
              value: {{ .Values.argocd.namespace | quote }}
            {{- with .Values.argocd.apiBaseUrl }}
            - name: ARGOCD_API_BASE_URL
              value: {{ . | quote }}
            {{- end }}
            {{- if .Values.argocd.tokenSecret.name }}
            - name: ARGOCD_API_TOKEN_FILE
              value: {{ $argocdTokenDir }}/token
            {{- end }}
            {{- if .Values.argocd.caConfigMap.name }}
            - name: ARGOCD_CA_FILE
              value: {{ $argocdCADir }}/ca.crt
            {{- end }}
            {{- if $pro }}
            - name: REREGISTRATION_INTERVAL_HOURS
              value: {{ .Values.pro.reregistrationIntervalHours | int64 | quote }}
            - name: CLUSTER_METADATA_INTERVAL_SECONDS
              value: {{ .Values.pro.clusterMetadataIntervalSeconds | int64 | quote }}
            - name: RESOURCE_INVENTORY_INTERVAL_SECONDS
              value: {{ .Values.pro.resourceInventoryIntervalSeconds | int64 | quote }}
            - name: RESOURCE_CONFIGURATION_PATTERNS_INTERVAL_SECONDS
              value: {{ .Values.pro.resourceConfigurationPatternsIntervalSeconds | int64 | quote }}
            {{- end }}
            {{- with .Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: http
              containerPort: {{ .Values.port }}
              protocol: TCP
          {{- /* The kubelet neither verifies the certificate nor can present one: with client
          certificates required, `kube9-operator probe` asks on the probe socket. Its own timeout
          is a second under the probe's, so that its answer, not the kubelet's kill, decides. */}}
          livenessProbe:
            {{- if $probeSocket }}
            exec:
              command:
                - /usr/local/bin/kube9-operator
                - probe
                - --socket={{ $probeDir }}/probe.sock
                - --timeout={{ max 1 (sub (int .Values.livenessProbe.timeoutSeconds) 1) }}s
                - /healthz
            {{- else }}
            httpGet:
              path: /healthz
              port: http
              {{- if $tls }}
              scheme: HTTPS
              {{- end }}
            {{- end }}
            {{- toYaml .Values.livenessProbe | nindent 12 }}
          readinessProbe:
            {{- if $probeSocket }}
            exec:
              command:
                - /usr/local/bin/kube9-operator
                - probe
                - --socket={{ $probeDir }}/probe.sock
                - --timeout={{ max 1 (sub (int .Values.readinessProbe.timeoutSeconds) 1) }}s
                - /readyz
            {{- else }}
            httpGet:
              path: /readyz
              port: http
              {{- if $tls }}
              scheme: HTTPS
              {{- end }}
            {{- end }}
            {{- toYaml .Values.readinessProbe | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: {{ $dataDir }}
          {{- if $probeSocket }}
            - name: probe
              mountPath: {{ $probeDir }}
          {{- end }}
          {{- if .Values.argocd.tokenSecret.name }}
            - name: argocd-token
              mountPath: {{ $argocdTokenDir }}
              readOnly: true
          {{- end }}
          {{- if .Values.argocd.caConfigMap.name }}
            - name: argocd-ca
              mountPath: {{ $argocdCADir }}
              readOnly: true
          {{- end }}
          {{- if $pro }}
            - name: api-key
              mountPath: {{ $apiKeyDir }}
              readOnly: true
            {{- if .Values.pro.serverCAConfigMap }}
            - name: server-ca
              mountPath: {{ $serverCADir }}
              readOnly: true
            {{- end }}
          {{- end }}
          {{- if $web }}
            - name: web-config
              mountPath: /etc/kube9-operator/web-config
              readOnly: true
            {{- if $tls }}
            - name: web-tls
              mountPath: /etc/kube9-operator/tls
              readOnly: true
            {{- end }}
            {{- if $clientCA }}
            - name: web-client-ca
              mountPath: /etc/kube9-operator/client-ca
              readOnly: true
            {{- end }}
          {{- end }}
      volumes:
        # The data directory, one volume: the events history (bounded by events.maxBytes, plus
        # its write-ahead log) and, with Pro tier, the upload spool in its spool/ directory
        # (bounded by pro.spool.maxBytes).
        {{- if and $persistent $sharded }}
        # On a PersistentVolumeClaim per shard, from the StatefulSet's volumeClaimTemplates.
        {{- else if $persistent }}
        # On a PersistentVolumeClaim: it outlives the pod (rollout, drain).
        - name: data
          persistentVolumeClaim:
            claimName: {{ include "kube9-operator.dataClaimName" . }}
        {{- else }}
        # An emptyDir: it survives container restarts, not the pod being replaced.
        - name: data
          emptyDir:
            sizeLimit: {{ include "kube9-operator.dataVolumeBytes" . }}
        {{- end }}
      {{- if $probeSocket }}
        # The probe socket's directory (nothing is written there but the socket).
        - name: probe
          emptyDir:
            medium: Memory
            sizeLimit: 1Mi
      {{- end }}
      {{- if .Values.argocd.tokenSecret.name }}
        # The Argo CD API token as a file (never an environment variable); the kubelet updates
        # it when the Secret changes and the operator reads it at each use.
        - name: argocd-token
          secret:
            secretName: {{ .Values.argocd.tokenSecret.name }}
            defaultMode: 0440
            items:
              - key: {{ .Values.argocd.tokenSecret.key }}
                path: token
      {{- end }}
      {{- if .Values.argocd.caConfigMap.name }}
        - name: argocd-ca
          configMap:
            name: {{ .Values.argocd.caConfigMap.name }}
            items:
              - key: {{ .Values.argocd.caConfigMap.key }}
                path: ca.crt
      {{- end }}
      {{- if $pro }}
        # The API key as a file (never an environment variable); the kubelet updates it when
        # the Secret changes and the operator re-reads it.
        - name: api-key
          secret:
            secretName: {{ include "kube9-operator.apiKeySecretName" . }}
            defaultMode: 0440
            items:
              - key: {{ include "kube9-operator.apiKeySecretKey" . }}
                path: api-key
        {{- if .Values.pro.serverCAConfigMap }}
        - name: server-ca
          configMap:
            name: {{ .Values.pro.serverCAConfigMap }}
            items:
              - key: {{ .Values.pro.serverCAConfigMapKey }}
                path: ca.crt
        {{- end }}
      {{- end }}
      {{- if $web }}
        # The web config file (TLS, client certificates, basic auth), read at start.
        - name: web-config
          secret:
            secretName: {{ include "kube9-operator.webConfigSecretName" . }}
            defaultMode: 0440
            items:
              - key: {{ if .Values.web.existingConfigSecret }}{{ .Values.web.existingConfigSecretKey }}{{ else }}web-config.yml{{ end }}
                path: web-config.yml
        {{- if $tls }}
        # The serving certificate; the kubelet updates the files when the Secret is renewed
        # and the operator serves the new certificate to the next connections.
        - name: web-tls
          secret:
            secretName: {{ .Values.web.tls.secretName }}
            defaultMode: 0440
        {{- end }}
        {{- if $clientCA }}
        - name: web-client-ca
          secret:
            secretName: {{ .Values.web.tls.clientCASecretName }}
            defaultMode: 0440
            items:
              - key: ca.crt
                path: ca.crt
        {{- end }}
      {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
