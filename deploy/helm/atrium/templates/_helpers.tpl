{{/* The release's full name, used for every object. */}}
{{- define "atrium.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "atrium.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "atrium.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "atrium.serviceAccountName" -}}
{{- default (include "atrium.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The namespace of the sessions. */}}
{{- define "atrium.sessionsNamespace" -}}
{{- default .Release.Namespace .Values.sessions.namespace -}}
{{- end -}}

{{- define "atrium.databaseSecret" -}}
{{- default (printf "%s-database" (include "atrium.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}

{{- define "atrium.keySecret" -}}
{{- default (printf "%s-secrets-key" (include "atrium.fullname" .)) .Values.secretsKey.existingSecret -}}
{{- end -}}

{{/* The generated HCL config. */}}
{{- define "atrium.config" -}}
{{- if .Values.config -}}
{{ .Values.config }}
{{- else -}}
server {
  listen           = "0.0.0.0:8080"
  public_url       = {{ required "publicURL is required: the origin browsers use, e.g. https://atrium.example.com" .Values.publicURL | quote }}
  {{- with .Values.appDomain }}
  app_domain       = {{ . | quote }}
  {{- end }}
  # A folder atrium makes inside the emptyDir: the emptyDir itself belongs
  # to root (group fsGroup), and atrium must own its state folder to set
  # its mode.
  state_dir        = "/var/lib/atrium/state"
  secrets_key_file = "/etc/atrium/secrets/secrets.key"
  shutdown_timeout = "{{ sub (int .Values.terminationGracePeriodSeconds) 5 }}s"
}

database {
  url = env("ATRIUM_DATABASE_URL")
}

plugin "runtime-k8s" {
  path   = "/usr/lib/atrium/atrium-runtime-k8s"
  sha256 = file("/usr/lib/atrium/atrium-runtime-k8s.sha256")
  # A plugin gets PATH and HOME alone from the core; client-go's in-cluster
  # config finds the API server through these two.
  env = {
    KUBERNETES_SERVICE_HOST = env("KUBERNETES_SERVICE_HOST")
    KUBERNETES_SERVICE_PORT = env("KUBERNETES_SERVICE_PORT")
  }
}

plugin "workspace-vnc" {
  path   = "/usr/lib/atrium/atrium-workspace-vnc"
  sha256 = file("/usr/lib/atrium/atrium-workspace-vnc.sha256")
}

plugin "workspace-code" {
  path   = "/usr/lib/atrium/atrium-workspace-code"
  sha256 = file("/usr/lib/atrium/atrium-workspace-code.sha256")
}

plugin "workspace-jupyter" {
  path   = "/usr/lib/atrium/atrium-workspace-jupyter"
  sha256 = file("/usr/lib/atrium/atrium-workspace-jupyter.sha256")
}

runtime "kubernetes" {
  plugin   = "runtime-k8s"
  {{- with .Values.sessions.networks }}
  networks = [{{ range $i, $n := . }}{{ if $i }}, {{ end }}{{ $n | quote }}{{ end }}]
  {{- end }}
  config {
    namespace         = {{ include "atrium.sessionsNamespace" . | quote }}
    tunnel            = {{ .Values.sessions.tunnel | quote }}
    home_size         = {{ .Values.sessions.homeSize | quote }}
    image_pull_policy = {{ .Values.sessions.imagePullPolicy | quote }}
    # Session pods take connections from these cores' pods only.
    core_pod_labels   = { "app.kubernetes.io/name" = {{ .Chart.Name | quote }}, "app.kubernetes.io/instance" = {{ .Release.Name | quote }} }
    core_namespace    = {{ .Release.Namespace | quote }}
    {{- with .Values.sessions.storageClass }}
    storage_class     = {{ . | quote }}
    {{- end }}
  }
}

workspace "desktop" {
  plugin = "workspace-vnc"
}

workspace "code" {
  plugin = "workspace-code"
}

workspace "jupyter" {
  plugin = "workspace-jupyter"
}
{{- with .Values.extraConfig }}

{{ . }}
{{- end }}
{{- end }}
{{- end -}}
