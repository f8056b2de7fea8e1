{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "blockcast.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "blockcast.fullname" -}}
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

{{/* Name of one component's objects: <fullname>-<component>. Call with (dict "root" $ "component" "gateway"). */}}
{{- define "blockcast.componentName" -}}
{{- printf "%s-%s" (include "blockcast.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "blockcast.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable across upgrades, so never the chart version. */}}
{{- define "blockcast.selectorLabels" -}}
app.kubernetes.io/name: {{ include "blockcast.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{/* Standard labels on every object. Call with (dict "root" $ "component" "gateway") or component "". */}}
{{- define "blockcast.labels" -}}
helm.sh/chart: {{ include "blockcast.chart" .root }}
{{ include "blockcast.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: blockcast
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* commonAnnotations (plus .extra) as a metadata block at indent 2, or nothing. Call without nindent. */}}
{{- define "blockcast.annotations" -}}
{{- $annotations := merge (dict) (.extra | default dict) (.root.Values.commonAnnotations | default dict) }}
{{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
{{- end }}
{{- end }}

{{- define "blockcast.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "blockcast.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "blockcast.image" -}}
{{- $image := .image }}
{{- $repository := ternary $image.repository (printf "%s/%s" $image.registry $image.repository) (empty $image.registry) }}
{{- if $image.digest }}
{{- printf "%s@%s" $repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default .appVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* The ops ports (/healthz, /readyz, /metrics) and the service ports: fixed in the image's defaults. */}}
{{- define "blockcast.opsPort" -}}
{{- get (dict "gateway" 9988 "ingest" 9987 "discovery" 9990) . }}
{{- end }}
{{- define "blockcast.servicePort" -}}
{{- get (dict "gateway" 9985 "ingest" 9986 "discovery" 9984) . }}
{{- end }}

{{/* Secret with the Redis URL or password the chart stores; empty when none is needed. */}}
{{- define "blockcast.redisSecretName" -}}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.existingSecret }}
{{- .Values.externalRedis.existingSecret }}
{{- else }}
{{- printf "%s-redis" (include "blockcast.fullname" .) }}
{{- end }}
{{- end }}

{{/* Exactly one way to reach Redis, or the install fails naming the choices. */}}
{{- define "blockcast.validateRedis" -}}
{{- $external := .Values.externalRedis }}
{{- $ways := 0 }}
{{- if .Values.redis.enabled }}{{ $ways = add1 $ways }}{{ end }}
{{- if $external.url }}{{ $ways = add1 $ways }}{{ end }}
{{- if $external.sentinel.hosts }}{{ $ways = add1 $ways }}{{ end }}
{{- if and $external.existingSecret (not $external.sentinel.hosts) }}{{ $ways = add1 $ways }}{{ end }}
{{- if ne $ways 1 }}
{{- fail (printf "Redis: set exactly one of redis.enabled (evaluation Redis), externalRedis.url, externalRedis.sentinel.hosts or externalRedis.existingSecret (found %d)" $ways) }}
{{- end }}
{{- if and $external.sentinel.hosts (not $external.sentinel.masterName) }}
{{- fail "externalRedis.sentinel.masterName is required with externalRedis.sentinel.hosts" }}
{{- end }}
{{- end }}

{{/* Redis connection env for every service. */}}
{{- define "blockcast.redisEnv" -}}
{{- $external := .Values.externalRedis }}
{{- if .Values.redis.enabled }}
- name: REDIS_URL
  value: {{ printf "redis://%s-redis:6379" (include "blockcast.fullname" .) | quote }}
{{- else if $external.sentinel.hosts }}
- name: REDIS_SENTINELS
  value: {{ join "," $external.sentinel.hosts | quote }}
- name: REDIS_SENTINEL_MASTER
  value: {{ $external.sentinel.masterName | quote }}
{{- if or $external.password $external.existingSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "blockcast.redisSecretName" . }}
      key: {{ ternary $external.existingSecretPasswordKey "redis-password" (not (empty $external.existingSecret)) }}
{{- end }}
{{- else }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "blockcast.redisSecretName" . }}
      key: {{ ternary $external.existingSecretUrlKey "redis-url" (not (empty $external.existingSecret)) }}
{{- end }}
{{- end }}

{{/* Secret with the ingest credentials. */}}
{{- define "blockcast.ingestSecretName" -}}
{{- default (printf "%s-ingest" (include "blockcast.fullname" .)) .Values.ingest.auth.existingSecret }}
{{- end }}

{{/* Where discovery tells clients the gateways are. */}}
{{- define "blockcast.advertisedStreams" -}}
{{- $advertised := .Values.discovery.advertisedStreams }}
{{- $tls := and .Values.ingress.enabled .Values.ingress.tls.enabled }}
{{- $scheme := default (ternary "wss" "ws" $tls) $advertised.scheme }}
{{- $host := $advertised.host }}
{{- $port := $advertised.port }}
{{- if not $host }}
{{- if .Values.ingress.enabled }}
{{- $host = .Values.ingress.host }}
{{- $port = default (ternary 443 80 $tls) $port }}
{{- else }}
{{- $host = printf "%s.%s.svc" (include "blockcast.componentName" (dict "root" . "component" "gateway")) .Release.Namespace }}
{{- $port = default .Values.gateway.service.port $port }}
{{- end }}
{{- end }}
{{- dict "scheme" $scheme "host" $host "port" (default .Values.gateway.service.port $port) | toJson }}
{{- end }}

{{/* The gateway's worst case from SIGTERM to exit, and the grace Kubernetes gives it. */}}
{{- define "blockcast.gatewayTerminationGrace" -}}
{{- $drain := .Values.gateway.drain }}
{{- $needed := add $drain.preStopSleepSeconds (div (add $drain.delayMs 999) 1000) (div (add $drain.shutdownGraceMs 999) 1000) }}
{{- $set := int .Values.gateway.terminationGracePeriodSeconds }}
{{- if eq $set 0 }}
{{- add $needed 10 }}
{{- else if le $set (int $needed) }}
{{- fail (printf "gateway.terminationGracePeriodSeconds (%d) must exceed preStop + drain delay + shutdown grace (%d s), or Kubernetes kills gateways mid-drain" $set (int $needed)) }}
{{- else }}
{{- $set }}
{{- end }}
{{- end }}
