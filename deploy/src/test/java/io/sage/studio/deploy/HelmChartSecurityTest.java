package io.sage.studio.deploy;

import static io.sage.studio.deploy.Install.container;
import static io.sage.studio.deploy.Install.env;
import static io.sage.studio.deploy.Install.volume;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.rbac.Role;

/**
 * The chart's trust boundaries: the engine API key and the event signing key (generated Secrets or existing ones),
 * the Host names every service answers to, the NetworkPolicies, and the optional per-service Strimzi KafkaUsers.
 */
class HelmChartSecurityTest {

    static final String NS = HelmChartTest.NS;
    /** Labels of the model server pods the chat-switch-service creates (EngineManifests.labels). */
    static final Map<String, String> ENGINE_POD = Map.of(
            "app.kubernetes.io/name",
            "vllm",
            "app.kubernetes.io/component",
            "chat-engine",
            "app.kubernetes.io/part-of",
            "sage-studio",
            "app.kubernetes.io/managed-by",
            "sage-chat-switch",
            "studio.sage.io/backend-id",
            "b-1");
    /** Labels of the trainer pods the finetune-service creates (TrainerJobs.labels). */
    static final Map<String, String> TRAINER_POD = Map.of(
            "app.kubernetes.io/name",
            "sage-trainer",
            "app.kubernetes.io/component",
            "finetune-job",
            "app.kubernetes.io/part-of",
            "sage-studio",
            "app.kubernetes.io/managed-by",
            "sage-studio-finetune",
            "studio.sage.io/task-id",
            "ft-1");

    static final List<String> WORKLOADS = List.of(
            "sage-studio-gateway",
            "sage-studio-finetune",
            "sage-studio-chat-switch",
            "sage-studio-gpu-probe",
            "sage-studio-gpu-probe-api");

    final ChartRenderer chart = new ChartRenderer(HelmChartTest.CHART);

    Install render(Map<String, String> sets) {
        return Install.of(chart.template("sage-studio", NS, List.of(), sets));
    }

    Install production(Map<String, String> sets) {
        return Install.of(chart.template("sage-studio", NS, List.of(HelmChartTest.PRODUCTION), sets));
    }

    private static String decoded(Secret secret, String key) {
        assertThat(secret.getData()).containsKey(key);
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }

    private static EnvVar secretEnv(Install install, String workload, String name) {
        return env(container(install.pod(workload)), name)
                .orElseThrow(() -> new AssertionError(workload + " has no " + name));
    }

    // ------------------------------------------------------------------ keys

    @Test
    void theEngineApiKeyIsAGeneratedSecretGivenToTheGatewayAndTheChatSwitchOnly() throws IOException {
        Install install = render(Map.of());
        Secret secret = install.get(Secret.class, "sage-studio-engine-api-key");
        String key = decoded(secret, "api-key");
        assertThat(key).hasSize(48).matches("[A-Za-z0-9]+");
        assertThat(decoded(render(Map.of()).get(Secret.class, "sage-studio-engine-api-key"), "api-key"))
                .as("random per install")
                .isNotEqualTo(key);
        for (String workload : List.of("sage-studio-gateway", "sage-studio-chat-switch")) {
            EnvVar env = secretEnv(install, workload, "STUDIO_ENGINES_API_KEY");
            assertThat(env.getValue()).isNull();
            assertThat(env.getValueFrom().getSecretKeyRef().getName()).isEqualTo("sage-studio-engine-api-key");
            assertThat(env.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("api-key");
        }
        for (String workload : List.of("sage-studio-finetune", "sage-studio-gpu-probe", "sage-studio-gpu-probe-api")) {
            assertThat(env(container(install.pod(workload)), "STUDIO_ENGINES_API_KEY"))
                    .as(workload)
                    .isEmpty();
        }
        // The chat-switch-service gives engine pods VLLM_API_KEY from that Secret.
        assertThat(install.properties("sage-studio-chat-switch")
                        .getProperty("studio.chat.kubernetes.engine-api-key-secret"))
                .isEqualTo("sage-studio-engine-api-key");
        // An upgrade keeps the key the cluster holds (lookup; "helm template" never reaches a cluster).
        assertThat(Files.readString(HelmChartTest.CHART.resolve("templates/_helpers.tpl")))
                .contains("{{- if $root.Release.IsUpgrade }}\n{{- $existing = lookup \"v1\" \"Secret\"");
    }

    @Test
    void anExistingEngineKeySecretReplacesTheGeneratedOne() {
        Install install = render(Map.of("engineApiKey.existingSecret", "my-engine-key"));
        assertThat(install.find(Secret.class, "sage-studio-engine-api-key")).isEmpty();
        assertThat(secretEnv(install, "sage-studio-gateway", "STUDIO_ENGINES_API_KEY")
                        .getValueFrom()
                        .getSecretKeyRef()
                        .getName())
                .isEqualTo("my-engine-key");
        assertThat(install.properties("sage-studio-chat-switch")
                        .getProperty("studio.chat.kubernetes.engine-api-key-secret"))
                .isEqualTo("my-engine-key");
        assertThat(install.get(Role.class, "sage-studio-chat-switch").getRules())
                .filteredOn(r -> r.getResources().contains("secrets"))
                .singleElement()
                .satisfies(r -> assertThat(r.getResourceNames()).containsExactly("my-engine-key"));
    }

    @Test
    void everyServicePodGetsTheEventSigningKeyFromOneSecret() {
        Install install = render(Map.of());
        Secret secret = install.get(Secret.class, "sage-studio-events-signing");
        assertThat(decoded(secret, "signing-key")).hasSize(48).matches("[A-Za-z0-9]+");
        assertThat(install.podTemplates()).hasSize(5);
        for (String workload : WORKLOADS) {
            EnvVar env = secretEnv(install, workload, "STUDIO_EVENTS_SIGNING_KEY");
            assertThat(env.getValue()).as(workload).isNull();
            assertThat(env.getValueFrom().getSecretKeyRef().getName()).isEqualTo("sage-studio-events-signing");
            assertThat(env.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("signing-key");
        }
        Install existing = render(Map.of("events.signingKey.existingSecret", "studio-signing"));
        assertThat(existing.find(Secret.class, "sage-studio-events-signing")).isEmpty();
        for (String workload : WORKLOADS) {
            assertThat(secretEnv(existing, workload, "STUDIO_EVENTS_SIGNING_KEY")
                            .getValueFrom()
                            .getSecretKeyRef()
                            .getName())
                    .isEqualTo("studio-signing");
        }
    }

    @Test
    void noKeyIsWrittenIntoAConfigMapOrAPodSpec() {
        Rendered rendered = chart.template("sage-studio", NS, List.of(), Map.of());
        Install install = Install.of(rendered);
        String engineKey = install.get(Secret.class, "sage-studio-engine-api-key")
                .getData()
                .get("api-key");
        String signingKey = install.get(Secret.class, "sage-studio-events-signing")
                .getData()
                .get("signing-key");
        for (Rendered.Document document : rendered.documents()) {
            if (!(document.object() instanceof Secret)) {
                assertThat(document.yaml())
                        .as(document.source())
                        .doesNotContain(engineKey)
                        .doesNotContain(signingKey)
                        .doesNotContain(decoded(install.get(Secret.class, "sage-studio-engine-api-key"), "api-key"));
            }
        }
    }

    // ------------------------------------------------------------------ hosts

    @Test
    void everyServiceAnswersToLoopbackTheIngressHostItsClusterNamesItsPodIpAndTheExtraHosts() {
        Install install = production(Map.of(
                "http.extraAllowedHosts[0]",
                "studio.internal.example.com",
                "http.extraAllowedHosts[1]",
                "*.lb.example.com"));
        for (String workload : WORKLOADS) {
            Container container = container(install.pod(workload));
            List<String> names =
                    container.getEnv().stream().map(EnvVar::getName).toList();
            String hosts =
                    env(container, "STUDIO_HTTP_ALLOWED_HOSTS").orElseThrow().getValue();
            assertThat(List.of(hosts.split(",")))
                    .as(workload)
                    .containsExactly(
                            "localhost",
                            "127.0.0.1",
                            "[::1]",
                            "studio.example.com",
                            "sage-studio-gateway",
                            "sage-studio-finetune",
                            "sage-studio-chat-switch",
                            "sage-studio-gpu-probe",
                            "*.studio.svc",
                            "*.studio.svc.cluster.local",
                            "$(POD_IP)",
                            "studio.internal.example.com",
                            "*.lb.example.com");
            assertThat(env(container, "POD_IP")
                            .orElseThrow()
                            .getValueFrom()
                            .getFieldRef()
                            .getFieldPath())
                    .isEqualTo("status.podIP");
            assertThat(names.indexOf("POD_IP"))
                    .as("$(POD_IP) expands only variables defined earlier")
                    .isLessThan(names.indexOf("STUDIO_HTTP_ALLOWED_HOSTS"));
        }
        String defaults = env(container(render(Map.of()).pod("sage-studio-gateway")), "STUDIO_HTTP_ALLOWED_HOSTS")
                .orElseThrow()
                .getValue();
        assertThat(defaults)
                .as("no ingress host by default")
                .isEqualTo("localhost,127.0.0.1,[::1],sage-studio-gateway,sage-studio-finetune,sage-studio-chat-switch,"
                        + "sage-studio-gpu-probe,*.studio.svc,*.studio.svc.cluster.local,$(POD_IP)");
        assertThatThrownBy(() -> render(Map.of("http.extraAllowedHosts[0]", "bad host,")))
                .hasMessageContaining("/http/extraAllowedHosts/0");
    }

    // ------------------------------------------------------------------ network policies

    /** Whether {@code selector} (matchLabels and In / NotIn / Exists / DoesNotExist expressions) selects {@code labels}. */
    static boolean selects(LabelSelector selector, Map<String, String> labels) {
        if (selector.getMatchLabels() != null
                && !labels.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
            return false;
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String value = labels.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> value != null && r.getValues().contains(value);
                    case "NotIn" -> value == null || !r.getValues().contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new AssertionError("operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Pod labels of every workload of the install, by workload name, plus engine and trainer pods. */
    private static Map<String, Map<String, String>> pods(Install install) {
        Map<String, Map<String, String>> pods = new LinkedHashMap<>();
        for (String workload : WORKLOADS) {
            pods.put(workload, install.pod(workload).getMetadata().getLabels());
        }
        pods.put("engine", ENGINE_POD);
        pods.put("trainer", TRAINER_POD);
        return pods;
    }

    /** The pods a policy applies to. */
    private static List<String> targets(NetworkPolicy policy, Map<String, Map<String, String>> pods) {
        List<String> selected = new ArrayList<>();
        pods.forEach((name, labels) -> {
            if (selects(policy.getSpec().getPodSelector(), labels)) {
                selected.add(name);
            }
        });
        return selected;
    }

    /** The pods (of {@code pods}) a policy lets in; every pod when a rule has no {@code from}. */
    private static List<String> sources(NetworkPolicy policy, Map<String, Map<String, String>> pods) {
        List<String> allowed = new ArrayList<>();
        pods.forEach((name, labels) -> {
            boolean in = policy.getSpec().getIngress().stream()
                    .anyMatch(rule -> rule.getFrom() == null
                            || rule.getFrom().isEmpty()
                            || rule.getFrom().stream()
                                    .map(NetworkPolicyPeer::getPodSelector)
                                    .anyMatch(selector -> selector != null && selects(selector, labels)));
            if (in) {
                allowed.add(name);
            }
        });
        return allowed;
    }

    @Test
    void networkPoliciesLetOnlyTheGatewayAndTheChatSwitchReachTheEnginesAndOnlyStudioPodsReachTheServices() {
        Install install = render(Map.of());
        Map<String, Map<String, String>> pods = pods(install);

        NetworkPolicy engines = install.get(NetworkPolicy.class, "sage-studio-chat-engines");
        assertThat(targets(engines, pods)).containsExactly("engine");
        assertThat(sources(engines, pods)).containsExactlyInAnyOrder("sage-studio-gateway", "sage-studio-chat-switch");
        assertThat(engines.getSpec().getPolicyTypes()).containsExactly("Ingress");

        NetworkPolicy services = install.get(NetworkPolicy.class, "sage-studio-services");
        assertThat(targets(services, pods))
                .containsExactlyInAnyOrder(
                        "sage-studio-finetune",
                        "sage-studio-chat-switch",
                        "sage-studio-gpu-probe",
                        "sage-studio-gpu-probe-api");
        assertThat(sources(services, pods))
                .containsExactlyInAnyOrder(
                        "sage-studio-gateway",
                        "sage-studio-finetune",
                        "sage-studio-chat-switch",
                        "sage-studio-gpu-probe",
                        "sage-studio-gpu-probe-api");

        NetworkPolicy gateway = install.get(NetworkPolicy.class, "sage-studio-gateway");
        assertThat(targets(gateway, pods)).containsExactly("sage-studio-gateway");
        assertThat(gateway.getSpec().getIngress())
                .singleElement()
                .satisfies(
                        rule -> assertThat(rule.getFrom()).as("from anywhere").isNullOrEmpty());

        NetworkPolicy trainers = install.get(NetworkPolicy.class, "sage-studio-trainers");
        assertThat(targets(trainers, pods)).containsExactly("trainer");
        assertThat(trainers.getSpec().getPolicyTypes()).containsExactly("Ingress");
        // the pods of a multi-node task reach each other (rendezvous, NCCL), nothing else reaches a trainer
        assertThat(trainers.getSpec().getIngress()).singleElement().satisfies(rule -> {
            assertThat(rule.getPorts()).isNullOrEmpty();
            assertThat(rule.getFrom()).singleElement().satisfies(peer -> {
                assertThat(peer.getNamespaceSelector()).isNull();
                assertThat(peer.getIpBlock()).isNull();
                assertThat(peer.getPodSelector().getMatchLabels())
                        .isEqualTo(trainers.getSpec().getPodSelector().getMatchLabels());
            });
        });

        for (NetworkPolicy policy : install.all(NetworkPolicy.class)) {
            assertThat(policy.getSpec().getPolicyTypes())
                    .as("egress stays open by default")
                    .doesNotContain("Egress");
        }
    }

    @Test
    void networkPoliciesCanBeTurnedOffWidenedForEngineClientsAndRestrictEgress() {
        assertThat(render(Map.of("networkPolicy.enabled", "false")).all(NetworkPolicy.class))
                .isEmpty();

        Install install = render(Map.of(
                "networkPolicy.extraEngineClients[0].podSelector.matchLabels.app", "sage-gateway",
                "networkPolicy.extraServiceClients[0].podSelector.matchLabels.app", "prometheus",
                "networkPolicy.egress[0].to[0].namespaceSelector.matchLabels.name", "kafka"));
        Map<String, Map<String, String>> pods = new LinkedHashMap<>(pods(install));
        pods.put("external-gateway", Map.of("app", "sage-gateway"));
        pods.put("prometheus", Map.of("app", "prometheus"));
        assertThat(sources(install.get(NetworkPolicy.class, "sage-studio-chat-engines"), pods))
                .containsExactlyInAnyOrder("sage-studio-gateway", "sage-studio-chat-switch", "external-gateway");
        assertThat(sources(install.get(NetworkPolicy.class, "sage-studio-services"), pods))
                .contains("prometheus")
                .doesNotContain("external-gateway", "engine", "trainer");
        for (String name : List.of("sage-studio-gateway", "sage-studio-services")) {
            NetworkPolicy policy = install.get(NetworkPolicy.class, name);
            assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
            assertThat(policy.getSpec().getEgress())
                    .singleElement()
                    .satisfies(rule -> assertThat(
                                    rule.getTo().get(0).getNamespaceSelector().getMatchLabels())
                            .containsEntry("name", "kafka"));
        }
    }

    // ------------------------------------------------------------------ Kafka users

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> acls(GenericKubernetesResource user) {
        Map<String, Object> spec =
                (Map<String, Object>) user.getAdditionalProperties().get("spec");
        return (List<Map<String, Object>>) ((Map<String, Object>) spec.get("authorization")).get("acls");
    }

    /** "topic:studio.chat.backend:Read" for every operation of every ACL of the user. */
    @SuppressWarnings("unchecked")
    private static List<String> grants(GenericKubernetesResource user) {
        List<String> grants = new ArrayList<>();
        for (Map<String, Object> acl : acls(user)) {
            Map<String, Object> resource = (Map<String, Object>) acl.get("resource");
            assertThat(resource.get("patternType")).isEqualTo("literal");
            for (Object op : (List<Object>) acl.get("operations")) {
                grants.add(resource.get("type") + ":" + resource.get("name") + ":" + op);
            }
        }
        return grants;
    }

    private static GenericKubernetesResource user(Install install, String name) {
        return install.objects().stream()
                .filter(o -> o.getKind().equals("KafkaUser"))
                .filter(o -> o.getMetadata().getName().equals(name))
                .map(GenericKubernetesResource.class::cast)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no KafkaUser " + name + " among " + install.names()));
    }

    @Test
    void strimziUsersGiveEachServiceExactlyItsTopicsAndOnlyTheChatSwitchWritesTheSteeringTopics() {
        Install install = render(Map.of(
                "kafka.strimzi.users.enabled",
                "true",
                "kafka.strimzi.users.cluster",
                "prod",
                "kafka.strimzi.users.namespace",
                "kafka",
                "kafka.createTopics",
                "false"));
        assertThat(install.objects().stream()
                        .filter(o -> o.getKind().equals("KafkaUser"))
                        .map(o -> o.getMetadata().getName()))
                .containsExactlyInAnyOrder(
                        "sage-studio-finetune",
                        "sage-studio-chat-switch",
                        "sage-studio-gateway",
                        "sage-studio-gpu-probe");
        for (String name : List.of(
                "sage-studio-finetune", "sage-studio-chat-switch", "sage-studio-gateway", "sage-studio-gpu-probe")) {
            GenericKubernetesResource user = user(install, name);
            assertThat(user.getApiVersion()).isEqualTo("kafka.strimzi.io/v1beta2");
            assertThat(user.getMetadata().getNamespace()).isEqualTo("kafka");
            assertThat(user.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "prod");
        }
        assertThat(grants(user(install, "sage-studio-finetune")))
                .containsExactlyInAnyOrder(
                        "topic:studio.finetune.tasks:Write",
                        "topic:studio.finetune.tasks:Read",
                        "topic:studio.finetune.tasks:Describe",
                        "topic:studio.gpu.telemetry:Read",
                        "topic:studio.gpu.telemetry:Describe",
                        "topic:studio.chat.operations:Read",
                        "topic:studio.chat.operations:Describe",
                        "topic:studio.audit:Write",
                        "topic:studio.audit:Read",
                        "topic:studio.audit:Describe",
                        "group:finetune-webhooks:Read",
                        "group:finetune-audit:Read");
        assertThat(grants(user(install, "sage-studio-chat-switch")))
                .containsExactlyInAnyOrder(
                        "topic:studio.chat.commands:Write",
                        "topic:studio.chat.commands:Read",
                        "topic:studio.chat.commands:Describe",
                        "topic:studio.chat.backend:Write",
                        "topic:studio.chat.backend:Read",
                        "topic:studio.chat.backend:Describe",
                        "topic:studio.gpu.telemetry:Read",
                        "topic:studio.gpu.telemetry:Describe",
                        "topic:studio.chat.traffic:Read",
                        "topic:studio.chat.traffic:Describe",
                        "topic:studio.chat.operations:Write",
                        "topic:studio.chat.operations:Describe",
                        "topic:studio.audit:Write",
                        "topic:studio.audit:Describe",
                        "group:chat-switch-service:Read");
        // The gateway writes its traffic figures, never a steering topic.
        assertThat(grants(user(install, "sage-studio-gateway")))
                .containsExactlyInAnyOrder(
                        "topic:studio.chat.backend:Read",
                        "topic:studio.chat.backend:Describe",
                        "topic:studio.chat.traffic:Write",
                        "topic:studio.chat.traffic:Describe",
                        "topic:studio.audit:Write",
                        "topic:studio.audit:Describe");
        assertThat(grants(user(install, "sage-studio-gpu-probe")))
                .containsExactlyInAnyOrder(
                        "topic:studio.gpu.telemetry:Write",
                        "topic:studio.gpu.telemetry:Read",
                        "topic:studio.gpu.telemetry:Describe",
                        "topic:studio.audit:Write",
                        "topic:studio.audit:Describe");

        // With topic creation on, every user may create exactly the seven studio topics.
        Install creating = render(Map.of("kafka.strimzi.users.enabled", "true"));
        assertThat(grants(user(creating, "sage-studio-gateway")))
                .contains(
                        "topic:studio.chat.commands:Create",
                        "topic:studio.chat.traffic:Create",
                        "topic:studio.chat.operations:Create",
                        "topic:studio.audit:Create",
                        "topic:studio.gpu.telemetry:DescribeConfigs")
                .noneMatch(g -> g.equals("topic:studio.chat.commands:Write"));
        assertThat(user(creating, "sage-studio-gateway").getMetadata().getNamespace())
                .isEqualTo(NS);
    }

    @Test
    void withStrimziScramUsersEachServiceConnectsAsItself() {
        Install install = render(Map.of("kafka.strimzi.users.enabled", "true"));
        Map<String, String> users = Map.of(
                "sage-studio-gateway",
                "sage-studio-gateway",
                "sage-studio-finetune",
                "sage-studio-finetune",
                "sage-studio-chat-switch",
                "sage-studio-chat-switch",
                "sage-studio-gpu-probe",
                "sage-studio-gpu-probe",
                "sage-studio-gpu-probe-api",
                "sage-studio-gpu-probe");
        users.forEach((workload, user) -> {
            Container container = container(install.pod(workload));
            EnvVar password = env(container, "STUDIO_KAFKA_SASL_PASSWORD").orElseThrow();
            assertThat(password.getValueFrom().getSecretKeyRef().getName())
                    .as(workload)
                    .isEqualTo(user);
            assertThat(password.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
            assertThat(env(container, "KAFKA_SASL_JAAS_CONFIG").orElseThrow().getValue())
                    .isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                            + "\" password=\"$(STUDIO_KAFKA_SASL_PASSWORD)\";");
        });
        assertThat(install.properties("sage-studio-gateway").getProperty("kafka.security.protocol"))
                .isEqualTo("SASL_PLAINTEXT");
        assertThat(install.properties("sage-studio-gateway").getProperty("kafka.sasl.mechanism"))
                .isEqualTo("SCRAM-SHA-512");
    }

    @Test
    void withStrimziTlsUsersEachServiceMountsItsOwnCertificate() {
        Install install = render(Map.of(
                "kafka.strimzi.users.enabled",
                "true",
                "kafka.strimzi.users.authentication",
                "tls",
                "kafka.tls.enabled",
                "true",
                "kafka.tls.caSecret.name",
                "prod-cluster-ca-cert"));
        for (String workload : List.of("sage-studio-gateway", "sage-studio-chat-switch", "sage-studio-gpu-probe-api")) {
            PodTemplateSpec pod = install.pod(workload);
            String user = workload.equals("sage-studio-gpu-probe-api") ? "sage-studio-gpu-probe" : workload;
            assertThat(volume(pod, "kafka-client").getSecret().getSecretName()).isEqualTo(user);
            assertThat(volume(pod, "kafka-client").getSecret().getItems().get(0).getKey())
                    .isEqualTo("user.p12");
            assertThat(env(container(pod), "KAFKA_SSL_KEYSTORE_PASSWORD")
                            .orElseThrow()
                            .getValueFrom()
                            .getSecretKeyRef()
                            .getName())
                    .isEqualTo(user);
            assertThat(env(container(pod), "STUDIO_KAFKA_SASL_PASSWORD")).isEmpty();
        }
        assertThat(install.properties("sage-studio-chat-switch").getProperty("kafka.security.protocol"))
                .isEqualTo("SSL");
        assertThat(install.properties("sage-studio-chat-switch").getProperty("kafka.ssl.keystore.location"))
                .isEqualTo("/etc/sage-studio/kafka/client/user.p12");
        assertThatThrownBy(() -> render(
                        Map.of("kafka.strimzi.users.enabled", "true", "kafka.strimzi.users.authentication", "tls")))
                .hasMessageContaining("kafka.tls.enabled must be true when kafka.strimzi.users.authentication is tls");
        assertThatThrownBy(() -> render(Map.of("kafka.strimzi.users.authentication", "plain")))
                .hasMessageContaining("/kafka/strimzi/users/authentication");
    }
}
