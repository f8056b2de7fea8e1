{{/*
One component's Deployment; the three components differ only in what is passed here.
Call with (dict "root" $ "component" "gateway" "values" .Values.gateway "replicas" true|false
"terminationGrace" N "secretEnv" "<yaml list or empty>" "lifecycle" "<yaml or empty>").
*/}}
{{- define "blockcast.deployment" -}}
{{- $root := .root }}
{{- $values := .values }}
{{- $scope := dict "root" $root "component" .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "blockcast.componentName" $scope }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "blockcast.labels" $scope | nindent 4 }}
  {{- include "blockcast.annotations" (dict "root" $root) }}
spec:
  {{- if .replicas }}
  replicas: {{ $values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      ## New pods are ready before old ones drain, so capacity never drops during an upgrade.
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "blockcast.selectorLabels" $scope | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "blockcast.labels" $scope | nindent 8 }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        ## Restart pods when their settings change: env is read once at start.
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secrets.yaml") $root | sha256sum }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "blockcast.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ .terminationGrace }}
      {{- with $values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "blockcast.image" (dict "image" $root.Values.image "appVersion" $root.Chart.AppVersion) | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .component | quote }}]
          ports:
            - name: {{ ternary "websocket" "http" (eq .component "gateway") }}
              containerPort: {{ include "blockcast.servicePort" .component }}
              protocol: TCP
            - name: ops
              containerPort: {{ include "blockcast.opsPort" .component }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "blockcast.componentName" $scope }}
          env:
            {{- include "blockcast.redisEnv" $root | trim | nindent 12 }}
            {{- with .secretEnv }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with .lifecycle }}
          lifecycle:
            {{- . | nindent 12 }}
          {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: ops
            {{- toYaml $root.Values.probes.startup | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: ops
            {{- toYaml $root.Values.probes.readiness | nindent 12 }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: ops
            {{- toYaml $root.Values.probes.liveness | nindent 12 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        ## The root filesystem is read-only; node may still want a scratch directory.
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
{{- end }}
