package io.sage.studio.deploy;

import static io.sage.studio.deploy.Install.container;
import static io.sage.studio.deploy.Install.env;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;

/** {@code deploy/k8s}: the generated base stays identical to the chart, and the example overlay builds. */
class KustomizeManifestsTest {

    static final Path BASE = Path.of("k8s", "base");
    static final Path OVERLAY = Path.of("k8s", "overlays", "example");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    final KustomizeBase generator = new KustomizeBase(new ChartRenderer(HelmChartTest.CHART));

    @Test
    void baseIsExactlyWhatTheChartRenders() throws IOException {
        Map<String, String> expected = generator.files();
        Map<String, String> actual = new TreeMap<>();
        try (Stream<Path> files = Files.list(BASE)) {
            for (Path file : files.toList()) {
                actual.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        assertThat(actual.keySet())
                .as("files of deploy/k8s/base; run deploy/k8s/generate.sh")
                .containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((file, content) -> assertThat(actual.get(file))
                .as("deploy/k8s/base/%s is out of date with the chart; run deploy/k8s/generate.sh", file)
                .isEqualTo(content));
    }

    @Test
    void everyBaseFileIsMarkedGeneratedAndListedInTheKustomization() throws IOException {
        JsonNode kustomization =
                YAML.readTree(BASE.resolve("kustomization.yaml").toFile());
        List<String> resources = new ArrayList<>();
        kustomization.get("resources").forEach(node -> resources.add(node.asText()));
        try (Stream<Path> files = Files.list(BASE)) {
            for (Path file : files.toList()) {
                assertThat(Files.readString(file)).startsWith(KustomizeBase.HEADER);
                String name = file.getFileName().toString();
                if (!name.equals("kustomization.yaml")) {
                    assertThat(resources).contains(name);
                }
            }
        }
        assertThat(kustomization.has("namespace"))
                .as("overlays set the namespace")
                .isFalse();
    }

    @Test
    void baseObjectsKeepTheChartsGuaranteesWithoutHelmMarkers() throws IOException {
        Install base = new Install(baseObjects());
        assertThat(base.objects()).hasSizeGreaterThan(20);
        for (HasMetadata object : base.objects()) {
            assertThat(object.getMetadata().getLabels())
                    .containsEntry("app.kubernetes.io/managed-by", "kustomize")
                    .doesNotContainKey("helm.sh/chart");
        }
        for (PodTemplateSpec pod : base.podTemplates()) {
            assertThat(container(pod).getReadinessProbe().getHttpGet().getPath())
                    .isEqualTo("/q/health/ready");
            assertThat(container(pod).getImage()).endsWith(":0.1.0");
        }
        DaemonSet probe = base.get(DaemonSet.class, "sage-studio-gpu-probe");
        assertThat(probe.getSpec().getTemplate().getSpec().getTolerations())
                .extracting(Toleration::getKey)
                .contains("nvidia.com/gpu");
        assertThat(base.properties("sage-studio-finetune").getProperty("studio.finetune.executor"))
                .isEqualTo("kubernetes");
        for (Role role : base.all(Role.class)) {
            for (PolicyRule rule : role.getRules()) {
                assertThat(rule.getResources()).doesNotContain("*");
                if (rule.getResources().contains("secrets")) {
                    assertThat(rule.getResourceNames()).containsExactly("sage-studio-engine-api-key");
                    assertThat(rule.getVerbs()).containsExactly("get");
                }
            }
        }
        assertThat(base.get(RoleBinding.class, "sage-studio-finetune")
                        .getSubjects()
                        .get(0)
                        .getNamespace())
                .as("rewritten by an overlay's namespace")
                .isEqualTo("default");
    }

    /**
     * No key is committed: the base names the engine key and signing key Secrets the chart would generate, which an
     * install creates first; and it carries the chart's NetworkPolicies.
     */
    @Test
    void baseReferencesTheKeySecretsWithoutShippingThemAndCarriesTheNetworkPolicies() throws IOException {
        Install base = new Install(baseObjects());
        assertThat(base.all(Secret.class)).isEmpty();
        for (PodTemplateSpec pod : base.podTemplates()) {
            assertThat(env(container(pod), "STUDIO_EVENTS_SIGNING_KEY")
                            .orElseThrow()
                            .getValueFrom()
                            .getSecretKeyRef()
                            .getName())
                    .isEqualTo("sage-studio-events-signing");
        }
        assertThat(env(container(base.pod("sage-studio-gateway")), "STUDIO_ENGINES_API_KEY")
                        .orElseThrow()
                        .getValueFrom()
                        .getSecretKeyRef()
                        .getName())
                .isEqualTo("sage-studio-engine-api-key");
        assertThat(base.properties("sage-studio-chat-switch")
                        .getProperty("studio.chat.kubernetes.engine-api-key-secret"))
                .isEqualTo("sage-studio-engine-api-key");
        assertThat(base.all(NetworkPolicy.class))
                .extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "sage-studio-gateway",
                        "sage-studio-services",
                        "sage-studio-chat-engines",
                        "sage-studio-trainers");
    }

    @Test
    void exampleOverlayReferencesFilesThatExist() throws IOException {
        JsonNode kustomization =
                YAML.readTree(OVERLAY.resolve("kustomization.yaml").toFile());
        assertThat(kustomization.get("namespace").asText()).isEqualTo("ml-studio");
        for (JsonNode resource : kustomization.get("resources")) {
            assertThat(OVERLAY.resolve(resource.asText())).exists();
        }
        for (JsonNode patch : kustomization.get("patches")) {
            JsonNode ops =
                    YAML.readTree(OVERLAY.resolve(patch.get("path").asText()).toFile());
            assertThat(ops.isArray()).isTrue();
            ops.forEach(op -> assertThat(op.get("op").asText()).isIn("add", "replace", "remove", "test"));
        }
    }

    @Test
    void exampleOverlayBuildsWithKubectl() throws Exception {
        assumeTrue(onPath("kubectl"), "kubectl is not installed");
        Process process = new ProcessBuilder("kubectl", "kustomize", OVERLAY.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String yaml = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        Install overlay = Install.of(new Rendered(yaml));

        assertThat(overlay.get(Namespace.class, "ml-studio")).isNotNull();
        for (HasMetadata object : overlay.objects()) {
            if (!(object instanceof Namespace)) {
                assertThat(object.getMetadata().getNamespace())
                        .as(object.getKind())
                        .isEqualTo("ml-studio");
            }
        }
        for (RoleBinding binding : overlay.all(RoleBinding.class)) {
            assertThat(binding.getSubjects())
                    .allSatisfy(s -> assertThat(s.getNamespace()).isEqualTo("ml-studio"));
        }
        assertThat(overlay.podTemplates()).hasSize(5).allSatisfy(pod -> {
            assertThat(env(container(pod), "KAFKA_BOOTSTRAP_SERVERS")
                            .orElseThrow()
                            .getValue())
                    .isEqualTo("prod-kafka-bootstrap.kafka.svc:9093");
            assertThat(container(pod).getImage()).startsWith("registry.example.com/ml-platform/");
            assertThat(pod.getSpec().getVolumes()).anyMatch(v -> v.getName().equals("kafka-ca"));
        });
        assertThat(overlay.podTemplates())
                .allSatisfy(pod -> assertThat(env(container(pod), "STUDIO_HTTP_ALLOWED_HOSTS")
                                .orElseThrow()
                                .getValue()
                                .split(","))
                        .contains("studio.example.com", "sage-studio-finetune", "*.ml-studio.svc", "$(POD_IP)")
                        .doesNotContain("*.default.svc"));
        assertThat(overlay.all(NetworkPolicy.class)).hasSize(4);
        assertThat(overlay.get(Deployment.class, "sage-studio-gateway")
                        .getSpec()
                        .getReplicas())
                .isEqualTo(3);
        Ingress ingress = overlay.get(Ingress.class, "sage-studio-gateway");
        assertThat(ingress.getSpec().getRules().get(0).getHost()).isEqualTo("studio.example.com");
        assertThat(ingress.getSpec().getTls().get(0).getSecretName()).isEqualTo("studio-example-com-tls");
    }

    private static List<HasMetadata> baseObjects() throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(BASE)) {
            for (Path file : files.sorted().toList()) {
                if (!file.getFileName().toString().equals("kustomization.yaml")) {
                    objects.addAll(new Rendered(Files.readString(file)).objects());
                }
            }
        }
        return objects;
    }

    private static boolean onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, command)));
    }
}
