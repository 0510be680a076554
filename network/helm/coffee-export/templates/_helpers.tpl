{{/*
Shared pieces of the templates. Every workload is one node of the consortium, named after the first label of its
host name (peer0, ca, gateway, orderer1, ...): its Service has that name, so that with one namespace per org
(namespace = the org id) the host name peer0.ecta.coffee.local maps to the Service peer0.ecta (docs/deploy.md,
"Kubernetes": the cluster DNS rewrite).
*/}}

{{/* The values every release needs; a missing one stops the render with what to do. */}}
{{- define "coffee.check" -}}
{{- $c := required "component is required: install with a generated values file (-f network/helm/values/<org>.yaml or values/orderers.yaml)" .Values.component -}}
{{- if not (has $c (list "org" "orderers")) -}}
{{- fail (printf "component must be org or orderers, got %q" $c) -}}
{{- end -}}
{{- $ns := required "namespace is required (the generated values file sets it: the org id, or orderer)" .Values.namespace -}}
{{- if ne $ns .Release.Namespace -}}
{{- fail (printf "this release belongs in namespace %q (its host names resolve there), not %q: helm install ... --namespace %s" $ns .Release.Namespace $ns) -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; "node" is the workload's name (peer0, ca, ...). */}}
{{- define "coffee.labels" -}}
app.kubernetes.io/name: coffee-export
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .node }}
app.kubernetes.io/part-of: coffee-export-consortium
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* The labels a Service selects on: the release and the node. */}}
{{- define "coffee.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .node }}
{{- end -}}

{{/* Pods run as a non-root user whose group owns the mounted volumes. */}}
{{- define "coffee.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .uid | default 1000 }}
  runAsGroup: {{ .uid | default 1000 }}
  fsGroup: {{ .uid | default 1000 }}
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* Containers: no privilege escalation, no capabilities, read-only root (writable paths are volumes). */}}
{{- define "coffee.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
{{- end -}}

{{/* A PersistentVolumeClaim template for a StatefulSet. */}}
{{- define "coffee.claim" -}}
- metadata:
    name: {{ .name }}
  spec:
    accessModes: ["ReadWriteOnce"]
    {{- with .root.Values.storage.className }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests:
        storage: {{ .size }}
{{- end -}}

{{/* Host name of a node of this org: <node>.<org domain>. */}}
{{- define "coffee.host" -}}
{{ .node }}.{{ .root.Values.org.domain }}
{{- end -}}

{{/* An HTTPS probe on a node's operations endpoint (Fabric's /healthz; no client certificate needed). */}}
{{- define "coffee.healthz" -}}
httpGet:
  path: /healthz
  port: operations
  scheme: HTTPS
{{- end -}}
