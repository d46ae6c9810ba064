{{/*
Helpers for the site chart.

Every value from .Values that lands in a manifest goes through `quote` (a
double-quoted YAML scalar with Go escapes, which YAML reads back byte for byte)
or `toYaml`, so "no", "on", "1_000", "12:30" or "{{ .Values }}" stay literal
strings. Numbers go through `int`: values reach the engine as JSON, so every
number is a float64 and would otherwise print as 1e+06. `tpl` is never used.
*/}}

{{/* The site's name: every object is named from it (not from the release). */}}
{{- define "site.name" -}}
{{- .Values.site.name -}}
{{- end -}}

{{/* Labels that select the pods: stable for the life of the site (no tier, no version). */}}
{{- define "site.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
sitectl.dev/site: {{ .Values.site.name | quote }}
{{- end -}}

{{/* Standard labels on every object. */}}
{{- define "site.labels" -}}
{{ include "site.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/part-of: "sitectl"
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | quote }}
sitectl.dev/tier: {{ .Values.site.tier | quote }}
sitectl.dev/deployment: {{ .Values.site.deployment | quote }}
{{- end -}}

{{/* Annotations on every object: free text that a label cannot hold. */}}
{{- define "site.annotations" -}}
sitectl.dev/customer: {{ .Values.site.customer | quote }}
sitectl.dev/region: {{ .Values.site.region | quote }}
{{- end -}}

{{/* metadata: name, namespace, labels, annotations. Call with (list . "name"). */}}
{{- define "site.metadata" -}}
{{- $root := index . 0 -}}
name: {{ index . 1 | quote }}
namespace: {{ $root.Values.namespace | quote }}
labels:
  {{- include "site.labels" $root | nindent 2 }}
annotations:
  {{- include "site.annotations" $root | nindent 2 }}
{{- end -}}

{{/* The service account the pods run as. */}}
{{- define "site.serviceAccountName" -}}
{{- .Values.serviceAccount.name -}}
{{- end -}}

{{/* Env names the chart sets itself; `env` and `secretEnv` may not reuse them. */}}
{{- define "site.reservedEnv" -}}
{{- $names := list "DATABASE_HOST" "DATABASE_NAME" "DATABASE_USER" "DATABASE_PASSWORD" "STORAGE_ACCOUNT" "STORAGE_CONTAINER" "STORAGE_CONNECTION_STRING" "DATA_DIR" -}}
{{- range $flag, $_ := .Values.features -}}
{{- $names = append $names (printf "FEATURE_%s" ($flag | snakecase | upper)) -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/*
Checks that JSON Schema cannot express; a failure stops the render with a
message naming the values at fault.
*/}}
{{- define "site.validate" -}}
{{- $reserved := include "site.reservedEnv" . | fromJsonArray -}}
{{- range $name, $_ := .Values.env -}}
{{- if has $name $reserved -}}
{{- fail (printf "env.%s: the chart sets this variable itself" $name) -}}
{{- end -}}
{{- if hasKey $.Values.secretEnv $name -}}
{{- fail (printf "env.%s and secretEnv.%s: one variable set twice" $name $name) -}}
{{- end -}}
{{- end -}}
{{- range $name, $_ := .Values.secretEnv -}}
{{- if has $name $reserved -}}
{{- fail (printf "secretEnv.%s: the chart sets this variable itself" $name) -}}
{{- end -}}
{{- end -}}
{{- if .Values.autoscaling.enabled -}}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) -}}
{{- fail "autoscaling.minReplicas is greater than autoscaling.maxReplicas" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "string" .Values.podDisruptionBudget.minAvailable)) -}}
{{- $floor := ternary .Values.autoscaling.minReplicas .Values.replicaCount .Values.autoscaling.enabled | int -}}
{{- if ge (int .Values.podDisruptionBudget.minAvailable) $floor -}}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below the replica floor (%d), or no node could ever be drained" (int .Values.podDisruptionBudget.minAvailable) $floor) -}}
{{- end -}}
{{- end -}}
{{- end -}}
