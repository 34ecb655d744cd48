{{/* Name of the chart, shortened to fit label values. */}}
{{- define "sage-studio.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every resource name: the release name, plus the chart name when the release name lacks it. */}}
{{- define "sage-studio.fullname" -}}
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

{{/* Name of a component's resources: "<fullname>-<component>". Call with (list $ "finetune"). */}}
{{- define "sage-studio.componentName" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "sage-studio.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "sage-studio.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "sage-studio.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sage-studio
{{- end }}

{{/* Labels of one component. Call with (list $ "finetune"). */}}
{{- define "sage-studio.componentLabels" -}}
{{ include "sage-studio.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Selector labels of one component (stable across upgrades). Call with (list $ "finetune"). */}}
{{- define "sage-studio.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sage-studio.name" (index . 0) }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Image of a studio service. Call with (list $ .Values.finetune.image). */}}
{{- define "sage-studio.image" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $tag := $image.tag | default $root.Values.image.tag | default $root.Chart.AppVersion }}
{{- printf "%s/%s/%s:%s" $root.Values.image.registry $root.Values.image.group $image.repository $tag }}
{{- end }}

{{/* Image of the trainer Jobs (built from trainer/Dockerfile, pushed beside the service images). */}}
{{- define "sage-studio.trainerImage" -}}
{{- include "sage-studio.image" (list . .Values.finetune.trainer.image) }}
{{- end }}

{{/* Image of the model servers. */}}
{{- define "sage-studio.vllmImage" -}}
{{- $image := .Values.chatSwitch.vllm.image }}
{{- printf "%s/%s:%s" $image.registry $image.repository $image.tag }}
{{- end }}

{{/* Claim that holds the studio home. */}}
{{- define "sage-studio.studioHomeClaim" -}}
{{- .Values.studioHome.persistence.existingClaim | default (include "sage-studio.componentName" (list . "studio-home")) }}
{{- end }}

{{/* Secret with the bearer tokens. */}}
{{- define "sage-studio.tokensSecret" -}}
{{- .Values.auth.tokens.secretName | default (include "sage-studio.componentName" (list . "auth-tokens")) }}
{{- end }}

{{/* Secret with the services' own token. */}}
{{- define "sage-studio.serviceTokenSecret" -}}
{{- .Values.auth.serviceToken.secretName | default (include "sage-studio.tokensSecret" .) }}
{{- end }}

{{/* Secret with the model servers' API key (key api-key): an existing one, or the one the chart generates. */}}
{{- define "sage-studio.engineApiKeySecret" -}}
{{- .Values.engineApiKey.existingSecret | default (include "sage-studio.componentName" (list . "engine-api-key")) }}
{{- end }}

{{/* Secret with the key that signs the steering events (key signing-key): an existing one, or the chart's. */}}
{{- define "sage-studio.eventsSigningSecret" -}}
{{- .Values.events.signingKey.existingSecret | default (include "sage-studio.componentName" (list . "events-signing")) }}
{{- end }}

{{/*
A random key kept across upgrades: on "helm upgrade" the value the Secret already holds in the cluster (lookup),
else (first install, "helm template") a new one; "helm template" never contacts a cluster. Tools that render with
"helm template" on every sync (Argo CD) would make a new key each time: give them an existing Secret.
Call with (list $ "<secret name>" "<key>").
*/}}
{{- define "sage-studio.generatedKey" -}}
{{- $root := index . 0 }}
{{- $existing := dict }}
{{- if $root.Release.IsUpgrade }}
{{- $existing = lookup "v1" "Secret" $root.Release.Namespace (index . 1) }}
{{- end }}
{{- if and $existing $existing.data (hasKey $existing.data (index . 2)) }}
{{- index $existing.data (index . 2) }}
{{- else }}
{{- randAlphaNum 48 | b64enc }}
{{- end }}
{{- end }}

{{/*
Host names the services answer to (studio.http.allowed-hosts; any other Host gets 421): loopback, the ingress
host, the services' in-cluster names, the pod's own IP (Prometheus scrapes pods by IP) and http.extraAllowedHosts.
A leading "*." matches every sub-domain. Kubelet probes (/q/health) are not checked.
*/}}
{{- define "sage-studio.allowedHosts" -}}
{{- $hosts := list "localhost" "127.0.0.1" "[::1]" }}
{{- if and .Values.ingress.enabled .Values.ingress.host }}
{{- $hosts = append $hosts .Values.ingress.host }}
{{- end }}
{{- range list "gateway" "finetune" "chat-switch" "gpu-probe" }}
{{- $hosts = append $hosts (include "sage-studio.componentName" (list $ .)) }}
{{- end }}
{{- $hosts = append $hosts (printf "*.%s.svc" .Release.Namespace) }}
{{- $hosts = append $hosts (printf "*.%s.svc.cluster.local" .Release.Namespace) }}
{{- $hosts = append $hosts "$(POD_IP)" }}
{{- range .Values.http.extraAllowedHosts }}
{{- $hosts = append $hosts . }}
{{- end }}
{{- join "," $hosts }}
{{- end }}

{{/*
Kafka user of a service when the chart creates Strimzi KafkaUsers ("" otherwise): "<fullname>-<component>".
Call with (list $ "<container name>"): gateway-adapter, finetune-service, chat-switch-service, gpu-probe-service.
*/}}
{{- define "sage-studio.kafkaUser" -}}
{{- $root := index . 0 }}
{{- if $root.Values.kafka.strimzi.users.enabled }}
{{- $component := index (dict "gateway-adapter" "gateway" "finetune-service" "finetune" "chat-switch-service" "chat-switch" "gpu-probe-service" "gpu-probe" "gpu-probe-api" "gpu-probe" "gateway" "gateway" "finetune" "finetune" "chat-switch" "chat-switch" "gpu-probe" "gpu-probe") (index . 1) }}
{{- include "sage-studio.componentName" (list $root $component) }}
{{- end }}
{{- end }}

{{/* Whether the services authenticate to Kafka with SASL (shared user, or their own SCRAM KafkaUsers). */}}
{{- define "sage-studio.kafkaSasl" -}}
{{- $users := .Values.kafka.strimzi.users }}
{{- if or .Values.kafka.sasl.enabled (and $users.enabled (eq $users.authentication "scram-sha-512")) }}true{{ end }}
{{- end }}

{{/* Whether the services present a TLS client certificate to Kafka (shared keystore, or their own TLS KafkaUsers). */}}
{{- define "sage-studio.kafkaClientCert" -}}
{{- $users := .Values.kafka.strimzi.users }}
{{- if and .Values.kafka.tls.enabled (or .Values.kafka.tls.clientCertSecret.name (and $users.enabled (eq $users.authentication "tls"))) }}true{{ end }}
{{- end }}

{{/* URL of a studio service inside the cluster. Call with (list $ "finetune" 8081). */}}
{{- define "sage-studio.serviceUrl" -}}
{{- printf "http://%s:%v" (include "sage-studio.componentName" (list (index . 0) (index . 1))) (index . 2) }}
{{- end }}

{{/* Kafka security protocol from the TLS and SASL switches. */}}
{{- define "sage-studio.kafkaProtocol" -}}
{{- $kafka := .Values.kafka }}
{{- $sasl := include "sage-studio.kafkaSasl" . }}
{{- if and $kafka.tls.enabled $sasl }}SASL_SSL
{{- else if $kafka.tls.enabled }}SSL
{{- else if $sasl }}SASL_PLAINTEXT
{{- else }}PLAINTEXT
{{- end }}
{{- end }}

{{/* JAAS login module of a SASL mechanism. */}}
{{- define "sage-studio.kafkaLoginModule" -}}
{{- if hasPrefix "SCRAM-" (include "sage-studio.kafkaMechanism" .) }}org.apache.kafka.common.security.scram.ScramLoginModule
{{- else }}org.apache.kafka.common.security.plain.PlainLoginModule
{{- end }}
{{- end }}

{{/* SASL mechanism: SCRAM-SHA-512 for the chart's Strimzi users, else kafka.sasl.mechanism. */}}
{{- define "sage-studio.kafkaMechanism" -}}
{{- if .Values.kafka.strimzi.users.enabled }}SCRAM-SHA-512{{ else }}{{ .Values.kafka.sasl.mechanism }}{{ end }}
{{- end }}

{{/*
Checks of values that depend on each other; rendered (as nothing) by the common ConfigMap so that a wrong
combination fails the install with a message that says what to set.
*/}}
{{- define "sage-studio.validate" -}}
{{- if and .Values.kafka.tls.enabled (not .Values.kafka.tls.caSecret.name) }}
{{- fail "kafka.tls.caSecret.name is required when kafka.tls.enabled is true (Strimzi: <cluster>-cluster-ca-cert)" }}
{{- end }}
{{- if and .Values.kafka.strimzi.users.enabled (eq .Values.kafka.strimzi.users.authentication "tls") (not .Values.kafka.tls.enabled) }}
{{- fail "kafka.tls.enabled must be true when kafka.strimzi.users.authentication is tls" }}
{{- end }}
{{- if and .Values.kafka.sasl.enabled (not .Values.kafka.strimzi.users.enabled) }}
{{- $_ := required "kafka.sasl.username is required when kafka.sasl.enabled is true" .Values.kafka.sasl.username }}
{{- $_ := required "kafka.sasl.passwordSecret.name is required when kafka.sasl.enabled is true" .Values.kafka.sasl.passwordSecret.name }}
{{- end }}
{{- if eq .Values.auth.mode "oidc" }}
{{- $_ := required "auth.oidc.authServerUrl is required when auth.mode is oidc" .Values.auth.oidc.authServerUrl }}
{{- end }}
{{- if and .Values.ingress.enabled .Values.ingress.tls.enabled }}
{{- $_ := required "ingress.host is required when ingress.tls.enabled is true" .Values.ingress.host }}
{{- $_ := required "ingress.tls.secretName is required when ingress.tls.enabled is true" .Values.ingress.tls.secretName }}
{{- end }}
{{- if eq .Values.chatSwitch.runtime "none" }}
{{- $_ := required "chatSwitch.cloud.baseUrl is required when chatSwitch.runtime is none" .Values.chatSwitch.cloud.baseUrl }}
{{- end }}
{{- end }}

{{/*
Environment of every studio container: JVM options (pods.javaOpts, then the component's own), the downward API,
the hosts the service answers to and values from Secrets (Kafka credentials, the event signing key). Call with a
list: root ($), the component's JVM options ("" for none) and the container name (gateway-adapter, …).
*/}}
{{- define "sage-studio.secretEnv" -}}
{{- $root := index . 0 -}}
{{- $javaOpts := index . 1 -}}
{{- $user := include "sage-studio.kafkaUser" (list $root (index . 2)) -}}
- name: JAVA_OPTS_APPEND
  value: {{ trim (printf "%s %s" $root.Values.pods.javaOpts $javaOpts) | quote }}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: STUDIO_HTTP_ALLOWED_HOSTS
  value: {{ include "sage-studio.allowedHosts" $root | quote }}
- name: STUDIO_EVENTS_SIGNING_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "sage-studio.eventsSigningSecret" $root }}
      key: signing-key
{{- with $root.Values.kafka }}
{{- if include "sage-studio.kafkaSasl" $root }}
- name: STUDIO_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $user | default .sasl.passwordSecret.name }}
      key: {{ ternary "password" .sasl.passwordSecret.key (ne $user "") }}
- name: KAFKA_SASL_JAAS_CONFIG
  value: {{ printf "%s required username=\"%s\" password=\"$(STUDIO_KAFKA_SASL_PASSWORD)\";" (include "sage-studio.kafkaLoginModule" $root) ($user | default .sasl.username) | quote }}
{{- end }}
{{- if include "sage-studio.kafkaClientCert" $root }}
- name: KAFKA_SSL_KEYSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $user | default .tls.clientCertSecret.name }}
      key: {{ ternary "user.password" .tls.clientCertSecret.passwordKey (ne $user "") }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Volumes every studio pod mounts: its configuration, the studio home, a writable /tmp, the auth files and the
Kafka TLS files. Call with (list $ "finetune").
*/}}
{{- define "sage-studio.volumes" -}}
{{- $component := index . 1 }}
{{- with index . 0 -}}
- name: config
  configMap:
    name: {{ include "sage-studio.componentName" (list . $component) }}
- name: studio-home
  persistentVolumeClaim:
    claimName: {{ include "sage-studio.studioHomeClaim" . }}
- name: tmp
  emptyDir: {}
{{- if eq .Values.auth.mode "token" }}
- name: auth-tokens
  secret:
    secretName: {{ include "sage-studio.tokensSecret" . }}
    items:
      - key: {{ .Values.auth.tokens.key }}
        path: tokens.json
{{- end }}
{{- if ne .Values.auth.mode "none" }}
- name: auth-service
  secret:
    secretName: {{ include "sage-studio.serviceTokenSecret" . }}
    items:
      - key: {{ .Values.auth.serviceToken.key }}
        path: token
{{- end }}
{{- if and (ne .Values.auth.mode "none") .Values.auth.openaiApiKeys.secretName }}
- name: openai-api-keys
  secret:
    secretName: {{ .Values.auth.openaiApiKeys.secretName }}
    items:
      - key: {{ .Values.auth.openaiApiKeys.key }}
        path: api-keys.json
{{- end }}
{{- if .Values.kafka.tls.enabled }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret.name }}
    items:
      - key: {{ .Values.kafka.tls.caSecret.key }}
        path: ca.crt
{{- if include "sage-studio.kafkaClientCert" . }}
{{- $user := include "sage-studio.kafkaUser" (list . $component) }}
- name: kafka-client
  secret:
    secretName: {{ $user | default .Values.kafka.tls.clientCertSecret.name }}
    items:
      - key: {{ ternary "user.p12" .Values.kafka.tls.clientCertSecret.keystoreKey (ne $user "") }}
        path: user.p12
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Mounts matching sage-studio.volumes. */}}
{{- define "sage-studio.volumeMounts" -}}
# Quarkus reads config/application.properties in the working directory (the Jib images' /home/jboss) over the
# defaults built into the service.
- name: config
  mountPath: /home/jboss/config
  readOnly: true
- name: studio-home
  mountPath: {{ .Values.studioHome.mountPath }}
- name: tmp
  mountPath: /tmp
{{- if eq .Values.auth.mode "token" }}
- name: auth-tokens
  mountPath: /etc/sage-studio/auth/tokens
  readOnly: true
{{- end }}
{{- if ne .Values.auth.mode "none" }}
- name: auth-service
  mountPath: /etc/sage-studio/auth/service
  readOnly: true
{{- end }}
{{- if and (ne .Values.auth.mode "none") .Values.auth.openaiApiKeys.secretName }}
- name: openai-api-keys
  mountPath: /etc/sage-studio/auth/openai
  readOnly: true
{{- end }}
{{- if .Values.kafka.tls.enabled }}
- name: kafka-ca
  mountPath: /etc/sage-studio/kafka/ca
  readOnly: true
{{- if include "sage-studio.kafkaClientCert" . }}
- name: kafka-client
  mountPath: /etc/sage-studio/kafka/client
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/* Start-up, liveness and readiness probes on the Quarkus health endpoints. */}}
{{- define "sage-studio.probes" -}}
{{- $probes := .Values.pods.probes -}}
startupProbe:
  httpGet:
    path: /q/health/started
    port: http
  periodSeconds: 2
  timeoutSeconds: {{ $probes.timeoutSeconds }}
  failureThreshold: {{ $probes.startupFailureThreshold }}
livenessProbe:
  httpGet:
    path: /q/health/live
    port: http
  periodSeconds: {{ $probes.periodSeconds }}
  timeoutSeconds: {{ $probes.timeoutSeconds }}
  failureThreshold: {{ $probes.livenessFailureThreshold }}
readinessProbe:
  httpGet:
    path: /q/health/ready
    port: http
  periodSeconds: {{ $probes.periodSeconds }}
  timeoutSeconds: {{ $probes.timeoutSeconds }}
  failureThreshold: {{ $probes.readinessFailureThreshold }}
{{- end }}

{{/* Checksum of a component's ConfigMap, so that a change rolls its pods. Call with (list $ "finetune"). */}}
{{- define "sage-studio.configChecksum" -}}
{{- $root := index . 0 }}
{{- include (print $root.Template.BasePath "/configmap-" (index . 1) ".yaml") $root | sha256sum }}
{{- end }}

{{/* Image pull secrets of every pod. */}}
{{- define "sage-studio.imagePullSecrets" -}}
{{- with .Values.image.pullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The container of a studio service. Call with a dict: root ($), component ("finetune"), port (8081),
image (.Values.finetune.image), resources, extraEnv, env (a list of component-specific env entries) and
optionally javaOpts (JVM options after pods.javaOpts) and extraPorts (container ports besides http).
*/}}
{{- define "sage-studio.serviceContainer" -}}
{{- $root := .root -}}
- name: {{ .component }}
  image: {{ include "sage-studio.image" (list $root .image) }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  ports:
    - name: http
      containerPort: {{ .port }}
      protocol: TCP
    {{- with .extraPorts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  env:
    {{- include "sage-studio.secretEnv" (list $root (default "" .javaOpts) .component) | nindent 4 }}
    {{- with .env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with .extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- include "sage-studio.probes" $root | nindent 2 }}
  resources:
    {{- toYaml .resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.pods.containerSecurityContext | nindent 4 }}
  volumeMounts:
    {{- include "sage-studio.volumeMounts" $root | nindent 4 }}
{{- end }}

{{/*
One value of a list-valued property. SmallRye Config splits lists at commas and takes a backslash as an escape,
and the properties format takes one too: a backslash becomes four, a comma backslash-backslash-comma.
*/}}
{{- define "sage-studio.listItem" -}}
{{- . | toString | replace "\\" "\\\\\\\\" | replace "," "\\\\," }}
{{- end }}

{{/*
Where a studio-made pod runs (trainer Job, model server) as one JSON object for the services' `…kubernetes.scheduling`
key, read into Kubernetes types by studio-kube's Scheduling: nodeSelector, tolerations and affinity exactly as in the
values (nothing is re-encoded as strings); backslashes doubled for the properties format. Call with the values block
that holds them.
*/}}
{{- define "sage-studio.schedulingJson" -}}
{{- dict "nodeSelector" (.nodeSelector | default dict) "tolerations" (.tolerations | default list) "affinity" (.affinity | default dict) | toJson | replace "\\" "\\\\" }}
{{- end }}

{{/* Settings every service reads, as application.properties lines. */}}
{{- define "sage-studio.commonProperties" -}}
## Cluster install (chart {{ .Chart.Name }}-{{ .Chart.Version }})
quarkus.http.host=0.0.0.0
studio.home={{ .Values.studioHome.mountPath }}
studio.services.finetune-url={{ include "sage-studio.serviceUrl" (list . "finetune" 8081) }}
studio.services.chat-url={{ include "sage-studio.serviceUrl" (list . "chat-switch" 8082) }}
studio.services.gpu-url={{ include "sage-studio.serviceUrl" (list . "gpu-probe" 8083) }}
studio.services.gateway-url={{ include "sage-studio.serviceUrl" (list . "gateway" .Values.gateway.service.port) }}
## Kafka
kafka.bootstrap.servers={{ .Values.kafka.bootstrapServers }}
kafka.security.protocol={{ include "sage-studio.kafkaProtocol" . }}
studio.kafka.create-topics={{ .Values.kafka.createTopics }}
{{- if .Values.kafka.tls.enabled }}
kafka.ssl.truststore.type=PEM
kafka.ssl.truststore.location=/etc/sage-studio/kafka/ca/ca.crt
{{- if include "sage-studio.kafkaClientCert" . }}
kafka.ssl.keystore.type=PKCS12
kafka.ssl.keystore.location=/etc/sage-studio/kafka/client/user.p12
{{- end }}
{{- end }}
{{- if include "sage-studio.kafkaSasl" . }}
kafka.sasl.mechanism={{ include "sage-studio.kafkaMechanism" . }}
{{- end }}
{{- with .Values.otel.endpoint }}
## Tracing (studio-common TracingConfig: on only with an endpoint)
quarkus.otel.exporter.otlp.endpoint={{ . }}
quarkus.otel.exporter.otlp.protocol={{ $.Values.otel.protocol }}
{{- end }}
## Authentication
studio.auth.mode={{ .Values.auth.mode }}
{{- if eq .Values.auth.mode "token" }}
studio.auth.tokens-file=/etc/sage-studio/auth/tokens/tokens.json
{{- end }}
{{- if ne .Values.auth.mode "none" }}
studio.auth.service-token-file=/etc/sage-studio/auth/service/token
{{- end }}
{{- if and (ne .Values.auth.mode "none") .Values.auth.openaiApiKeys.secretName }}
studio.auth.openai-api-keys-file=/etc/sage-studio/auth/openai/api-keys.json
{{- end }}
{{- if eq .Values.auth.mode "oidc" }}
quarkus.oidc.tenant-enabled=true
quarkus.oidc.auth-server-url={{ .Values.auth.oidc.authServerUrl }}
{{- with .Values.auth.oidc.clientId }}
quarkus.oidc.client-id={{ . }}
{{- end }}
quarkus.oidc.roles.role-claim-path={{ .Values.auth.oidc.rolesClaim }}
{{- with .Values.auth.oidc.rolePrefix }}
studio.auth.oidc.role-prefix={{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Hugging Face Hub access of the trainers and engines the finetune- and chat-switch-service start (HubSettings):
the cache (HF_HOME, relative to the studio home), offline mode, and the Secret pods read HF_TOKEN from.
*/}}
{{- define "sage-studio.huggingfaceProperties" -}}
## Hugging Face Hub (trainers and engines)
studio.models.hf-home={{ .Values.huggingface.cacheDir }}
studio.models.offline={{ .Values.huggingface.offline }}
{{- with .Values.huggingface.tokenSecret.name }}
studio.models.hf-token-secret.name={{ . }}
studio.models.hf-token-secret.key={{ $.Values.huggingface.tokenSecret.key }}
{{- end }}
{{- end }}

{{/* The bearer token of a monitor's endpoint: metrics.tokenSecret, nothing when it names no Secret. */}}
{{- define "sage-studio.metricsAuthorization" -}}
{{- with .Values.metrics.tokenSecret }}
{{- if .name }}
authorization:
  type: Bearer
  credentials:
    name: {{ .name }}
    key: {{ .key }}
{{- end }}
{{- end }}
{{- end }}
