{{/* Names, labels and shared snippets of the alert-operator chart. */}}

{{- define "alert-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object name prefix; kept short so "<fullname>-migrate" fits in 63 characters. */}}
{{- define "alert-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "alert-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels of the chart's own objects. They never carry managed-by=alert-operator: that label marks
the CronJobs the operator owns, and `kubectl delete cronjobs -l ...` must not match chart objects.
*/}}
{{- define "alert-operator.labels" -}}
helm.sh/chart: {{ include "alert-operator.chart" . }}
{{ include "alert-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "alert-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alert-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "alert-operator.operatorSelectorLabels" -}}
{{ include "alert-operator.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Where the CronJobs (and the runner pods) live. */}}
{{- define "alert-operator.cronJobNamespace" -}}
{{- default .Release.Namespace .Values.cronJobs.namespace -}}
{{- end -}}

{{- define "alert-operator.serviceAccountName" -}}
{{- default (include "alert-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "alert-operator.runnerServiceAccountName" -}}
{{- default (printf "%s-runner" (include "alert-operator.fullname" .)) .Values.runner.serviceAccount.name -}}
{{- end -}}

{{- define "alert-operator.databaseSecretName" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecret -}}
{{- else -}}
{{- printf "%s-database" (include "alert-operator.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "alert-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "alert-operator.runnerImage" -}}
{{- printf "%s:%s" .Values.runner.image.repository (.Values.runner.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Settings both the operator and alertctl read (the database and its tables). */}}
{{- define "alert-operator.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "alert-operator.databaseSecretName" . }}
      key: {{ .Values.database.secretKey }}
- name: ALERT_ALERTS_SCHEMA
  value: {{ .Values.database.alertsSchema | quote }}
- name: ALERT_ALERTS_TABLE
  value: {{ .Values.database.alertsTable | quote }}
- name: ALERT_STATE_SCHEMA
  value: {{ .Values.database.stateSchema | quote }}
- name: ALERT_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: ALERT_LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
{{- end -}}

{{/* The operator's pod-level scheduling and pull settings, shared with the migration Job. */}}
{{- define "alert-operator.podPlacement" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.operator.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.operator.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.operator.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "alert-operator.dnsEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{- define "alert-operator.databaseEgress" -}}
- ports:
    - port: {{ .Values.networkPolicy.databasePort }}
      protocol: TCP
  {{- with .Values.networkPolicy.databaseTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* PromQL label matchers (no braces) that select this release's operator metrics. */}}
{{- define "alert-operator.metricsSelector" -}}
{{- .Values.monitoring.metricsSelector | default (printf "namespace=%q, job=%q" .Release.Namespace (include "alert-operator.fullname" .)) -}}
{{- end -}}
