package io.sage.studio.chat.runtime.kubernetes;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Engines.BASE_B;
import static io.sage.studio.chat.support.KubernetesEnvironment.GATEWAY_CONFIG_MAP;
import static io.sage.studio.chat.support.KubernetesEnvironment.GATEWAY_DEPLOYMENT;
import static io.sage.studio.chat.support.KubernetesEnvironment.NAMESPACE;
import static io.sage.studio.chat.support.Switches.awaitEnd;
import static io.sage.studio.chat.support.Switches.serve;
import static io.sage.studio.chat.support.Switches.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.KubernetesEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.kube.SchedulingFixture;
import io.sage.studio.kube.StudioLabels;

/**
 * The Kubernetes runtime on the fabric8 mock API server (CRUD mode). A fake kubelet runs each engine Deployment's
 * arguments with the stand-in vLLM, so readiness, smoke tests, hot-loads and crash loops are real.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(KubernetesEnvironment.class)
class KubernetesSwitchTest extends KubernetesTestBase {

    @Inject
    KubernetesRuntime runtime;

    @Test
    void blueGreenCreatesADeploymentAndServicePerEngineAndDeletesTheOldOnes() throws Exception {
        client.apps()
                .deployments()
                .inNamespace(NAMESPACE)
                .resource(new DeploymentBuilder()
                        .withNewMetadata()
                        .withName(GATEWAY_DEPLOYMENT)
                        .endMetadata()
                        .withNewSpec()
                        .withNewTemplate()
                        .withNewMetadata()
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("gateway")
                        .withImage("sage/gateway:1.0")
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .createOr(NonDeletingOperation::update);

        serve(Map.of("model", BASE_A, "strategy", "blue-green"));
        String first = activeId();
        Deployment deployment = deployment("sage-chat-" + first);
        assertThat(deployment.getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/managed-by", "sage-chat-switch")
                .containsEntry("studio.sage.io/backend-id", first);
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container engine = pod.getContainers().get(0);
        assertThat(engine.getImage()).isEqualTo("vllm/vllm-openai:v0.11.0");
        assertThat(engine.getArgs())
                .containsSubsequence("--model", BASE_A)
                .containsSubsequence("--served-model-name", BASE_A)
                .containsSubsequence(
                        "--enable-lora", "--max-lora-rank", "64", "--max-loras", "4", "--max-cpu-loras", "8");
        assertThat(engine.getEnv())
                .extracting(EnvVar::getName)
                .containsExactlyInAnyOrder("VLLM_API_KEY", "VLLM_ALLOW_RUNTIME_LORA_UPDATING", "HF_HOME");
        assertThat(engine.getEnv())
                .anyMatch(e -> e.getName().equals("VLLM_ALLOW_RUNTIME_LORA_UPDATING")
                        && e.getValue().equals("True"));
        EnvVar keyVar = engine.getEnv().stream()
                .filter(e -> e.getName().equals("VLLM_API_KEY"))
                .findFirst()
                .orElseThrow();
        assertThat(keyVar.getValue()).isNull();
        assertThat(keyVar.getValueFrom().getSecretKeyRef().getName()).isEqualTo("sage-chat-engine-api-key");
        assertThat(keyVar.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("api-key");
        assertThat(deployment.toString() + engine.getArgs()).doesNotContain(apiKey.getOrCreate());
        Secret keySecret = client.secrets()
                .inNamespace(NAMESPACE)
                .withName("sage-chat-engine-api-key")
                .get();
        assertThat(new String(Base64.getDecoder().decode(keySecret.getData().get("api-key")), StandardCharsets.UTF_8))
                .isEqualTo(apiKey.getOrCreate());
        assertThat(keySecret.getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/managed-by", "sage-chat-switch");
        assertThat(Engines.status(Switches.current().getString("base_url"), "/v1/models", null))
                .isEqualTo(401);
        assertThat(engine.getResources().getLimits().get("nvidia.com/gpu").getAmount())
                .isEqualTo("1");
        assertThat(engine.getResources().getLimits().get("memory").toString()).isEqualTo("24Gi");
        assertThat(engine.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
        assertThat(engine.getVolumeMounts())
                .anyMatch(m -> m.getName().equals("models")
                        && m.getMountPath().equals(KubernetesEnvironment.home().toString()));
        assertThat(pod.getVolumes())
                .anyMatch(v -> v.getName().equals("models")
                        && v.getPersistentVolumeClaim().getClaimName().equals("sage-studio-home"));
        // The same settings as finetune's KubernetesExecutorTest, the same pod fields (studio-kube's
        // SchedulingFixture).
        assertThat(pod.getNodeSelector()).isEqualTo(SchedulingFixture.nodeSelector());
        assertThat(pod.getTolerations()).isEqualTo(SchedulingFixture.tolerations());
        assertThat(pod.getAffinity()).isEqualTo(SchedulingFixture.affinity());
        Map<String, String> engineLabels = StudioLabels.workload("vllm", "chat-engine", "sage-chat-switch");
        engineLabels.put(StudioLabels.BACKEND_ID, first);
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels()).isEqualTo(engineLabels);
        assertThat(pod.getRuntimeClassName()).isEqualTo("nvidia");
        Service service = client.services()
                .inNamespace(NAMESPACE)
                .withName("sage-chat-" + first)
                .get();
        assertThat(service.getSpec().getSelector()).containsEntry("studio.sage.io/backend-id", first);
        assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(8000);

        JsonPath op = serve(Map.of("model", BASE_B, "strategy", "blue-green"));
        String second = activeId();
        assertThat(op.getString("strategy")).isEqualTo("blue-green");
        assertThat(second).isNotEqualTo(first);
        await().until(() -> client.apps()
                                .deployments()
                                .inNamespace(NAMESPACE)
                                .withName("sage-chat-" + first)
                                .get()
                        == null
                && client.services()
                                .inNamespace(NAMESPACE)
                                .withName("sage-chat-" + first)
                                .get()
                        == null);
        String baseUrl = Switches.current().getString("base_url");
        assertThat(baseUrl).endsWith("/sage-chat-" + second);
        assertThat(chat(baseUrl, BASE_B)).contains("[" + BASE_B + "]");

        ConfigMap gateway = client.configMaps()
                .inNamespace(NAMESPACE)
                .withName(GATEWAY_CONFIG_MAP)
                .get();
        assertThat(gateway.getData())
                .containsEntry("SAGE_CHAT_MODEL", BASE_B)
                .containsEntry("SAGE_CHAT_BASE_URL", baseUrl + "/v1");
        assertThat(deployment(GATEWAY_DEPLOYMENT)
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getAnnotations())
                .containsKey("kubectl.kubernetes.io/restartedAt");
    }

    @Test
    void aLoraAdapterIsHotLoadedIntoTheRunningDeployment() {
        serve(Map.of("model", BASE_A));
        String engine = activeId();
        Path lora = Engines.adapterDir(KubernetesEnvironment.home().resolve("studio_finetune/k-lora/lora"), 8, BASE_A);

        JsonPath op = serve(Map.of("model", lora.toString()));

        assertThat(op.getString("strategy")).isEqualTo("lora-hot-load");
        assertThat(activeId()).isEqualTo(engine);
        assertThat(chat(Switches.current().getString("base_url"), "ft-k-lora")).contains("[ft-k-lora]");
    }

    @Test
    void modelsServedByNameLoadIntoTheDefaultsDeploymentOrGetADeploymentOfTheirOwn() {
        serve(Map.of("model", BASE_A));
        String engine = activeId();
        Path lora = Engines.adapterDir(KubernetesEnvironment.home().resolve("studio_finetune/k-named/lora"), 8, BASE_A);
        Path own = Engines.modelDir(KubernetesEnvironment.home().resolve("models/k-own"), null);

        String adapter = servedByName(lora.toString());
        String model = servedByName(own.toString());

        JsonPath view = given().get("/api/chat/serving")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(view.getString("models.find { it.model == '" + adapter + "' }.engine"))
                .isEqualTo(engine);
        String ownEngine = view.getString("models.find { it.model == '" + model + "' }.engine");
        assertThat(ownEngine).isNotEqualTo(engine);
        assertThat(managedDeployments()).hasSize(2);
        assertThat(chat(view.getString("engines.find { it.id == '" + engine + "' }.url"), adapter))
                .contains("[" + adapter + "]");
        assertThat(chat(view.getString("engines.find { it.id == '" + ownEngine + "' }.url"), model))
                .contains("[" + model + "]");

        given().delete("/api/chat/serving/" + model).then().statusCode(200).body("engine_stopped", equalTo(true));
        await().until(() -> managedDeployments().size() == 1);
        given().delete("/api/chat/serving/" + adapter).then().statusCode(200).body("engine_stopped", equalTo(false));
        assertThat(activeId()).isEqualTo(engine);
    }

    @Test
    void anEngineInACrashLoopFailsTheSwitchFastAndTheOldOneKeepsServing() {
        serve(Map.of("model", BASE_A));
        String engine = activeId();
        Path broken = Engines.modelDir(KubernetesEnvironment.home().resolve("models/broken-model"), null);

        JsonPath op = awaitEnd(start(Map.of("model", broken.toString())));

        assertThat(op.getString("state")).isEqualTo("failed");
        assertThat(op.getString("error")).contains("CrashLoopBackOff").doesNotContain("not ready within");
        assertThat(op.getBoolean("rolled_back")).isTrue();
        assertThat(Duration.between(
                        Instant.parse(op.getString("timings.requested_at")),
                        Instant.parse(op.getString("timings.finished_at"))))
                .isLessThan(Duration.ofSeconds(8));
        assertThat(activeId()).isEqualTo(engine);
        await().until(() -> managedDeployments().equals(List.of("sage-chat-" + engine)));
    }

    @Test
    void readoptionKeepsTheServingDeploymentAndDeletesOrphans() throws Exception {
        serve(Map.of("model", BASE_A));
        String active = activeId();
        Backend kept = runtime.start(new BackendSpec("b-keep0001", BASE_B, BASE_B, false, 64, Map.of()));
        runtime.start(new BackendSpec("b-orph0001", BASE_B, BASE_B, false, 64, Map.of()));

        List<Backend> adopted = runtime.adopt(List.of(kept), Set.of(active, kept.id()));

        assertThat(adopted).extracting(Backend::id).containsExactlyInAnyOrder(active, kept.id());
        assertThat(adopted)
                .filteredOn(b -> b.id().equals(kept.id()))
                .first()
                .satisfies(b -> assertThat(b.spec().modelPath()).isEqualTo(BASE_B));
        await().until(() -> client.apps()
                        .deployments()
                        .inNamespace(NAMESPACE)
                        .withName("sage-chat-b-orph0001")
                        .get()
                == null);
        runtime.stop(kept);
        assertThat(managedDeployments()).containsExactly("sage-chat-" + active);
    }

    @Test
    void aConfiguredKeySecretMustExistAndHoldTheServicesKeyAndTheDefaultOneIsKeptCurrent() throws Exception {
        EngineKeySecret configured = new EngineKeySecret(client, NAMESPACE, Optional.of("team-engine-key"), apiKey);
        assertThatThrownBy(configured::ensure)
                .isInstanceOf(ServingRuntime.RuntimeFailure.class)
                .hasMessageContaining("sage/team-engine-key")
                .hasMessageContaining("does not exist");

        client.secrets()
                .inNamespace(NAMESPACE)
                .resource(secret("team-engine-key", Map.of("other", "x")))
                .create();
        assertThatThrownBy(configured::ensure).hasMessageContaining("has no key 'api-key'");

        client.secrets()
                .inNamespace(NAMESPACE)
                .resource(secret("team-engine-key", Map.of("api-key", "sk-another-key")))
                .update();
        assertThatThrownBy(configured::ensure)
                .hasMessageContaining("holds another key than this service")
                .hasMessageNotContaining("sk-another-key")
                .hasMessageNotContaining(apiKey.getOrCreate());

        client.secrets()
                .inNamespace(NAMESPACE)
                .resource(secret("team-engine-key", Map.of("api-key", apiKey.getOrCreate())))
                .update();
        assertThat(configured.ensure()).isEqualTo("team-engine-key");

        EngineKeySecret owned = new EngineKeySecret(client, NAMESPACE, Optional.empty(), apiKey);
        client.secrets()
                .inNamespace(NAMESPACE)
                .resource(secret(EngineKeySecret.DEFAULT_NAME, Map.of("api-key", "sk-stale")))
                .createOr(NonDeletingOperation::update);
        assertThat(owned.ensure()).isEqualTo(EngineKeySecret.DEFAULT_NAME);
        Secret current = client.secrets()
                .inNamespace(NAMESPACE)
                .withName(EngineKeySecret.DEFAULT_NAME)
                .get();
        assertThat(new String(Base64.getDecoder().decode(current.getData().get("api-key")), StandardCharsets.UTF_8))
                .isEqualTo(apiKey.getOrCreate());
    }

    private static Secret secret(String name, Map<String, String> values) {
        Map<String, String> data = new HashMap<>();
        values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withData(data)
                .build();
    }

    private Deployment deployment(String name) {
        return client.apps().deployments().inNamespace(NAMESPACE).withName(name).get();
    }

    private List<String> managedDeployments() {
        return client
                .apps()
                .deployments()
                .inNamespace(NAMESPACE)
                .withLabel("app.kubernetes.io/managed-by", "sage-chat-switch")
                .list()
                .getItems()
                .stream()
                .map(d -> d.getMetadata().getName())
                .toList();
    }
}
