package io.sage.studio.chat.runtime.kubernetes;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.KubernetesEnvironment.NAMESPACE;
import static io.sage.studio.chat.support.Switches.serve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.KubernetesEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Engines of two replicas on the fabric8 mock API server (CRUD mode), each pod a real stand-in vLLM process (the fake
 * kubelet) behind a Service that sends requests to the pods in turn: a runtime LoRA adapter is loaded into every pod,
 * a pod whose container restarted (restart count grows, the adapter gone from its memory) or that was added later
 * gets it again from the monitor, and the model shows {@code loading} while a ready pod lacks it.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(KubernetesReplicasTest.TwoReplicas.class)
class KubernetesReplicasTest extends KubernetesTestBase {

    /** The Kubernetes environment with {@code engine-replicas=2}, pods reached through the router. */
    public static class TwoReplicas extends KubernetesEnvironment {

        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            config.put("studio.chat.kubernetes.engine-replicas", "2");
            config.put("studio.chat.kubernetes.pod-url-template", router().podUrlTemplate());
            return config;
        }
    }

    @Test
    void everyPodGetsTheAdapterAndARestartedOrAddedPodGetsItAgain() throws Exception {
        serve(Map.of("model", BASE_A));
        String deployment = "sage-chat" + "-" + activeId();
        assertThat(client.apps()
                        .deployments()
                        .inNamespace(NAMESPACE)
                        .withName(deployment)
                        .get()
                        .getSpec()
                        .getReplicas())
                .isEqualTo(2);
        String pod0 = deployment + "-0";
        String pod1 = deployment + "-1";
        Path adapterDir = KubernetesEnvironment.home().resolve("studio_finetune/k-rep/lora");
        Path lora = Engines.adapterDir(adapterDir, 8, BASE_A);

        String adapter = servedByName(lora.toString());

        assertThat(adapter).isEqualTo("ft-k-rep");
        assertThat(holds(pod0, adapter)).isTrue();
        assertThat(holds(pod1, adapter)).isTrue();
        String service = Switches.current().getString("base_url");
        for (int i = 0; i < 4; i++) {
            assertThat(chat(service, adapter)).contains("[" + adapter + "]");
        }
        assertThat(modelState(adapter)).isEqualTo("ready");

        // The container of pod 1 restarts while the adapter's folder is unreadable: the new process lacks the adapter,
        // loading it again fails, so the model is not ready on every pod.
        Path away = adapterDir.resolveSibling("lora-away");
        Files.move(adapterDir, away);
        kubelet.restartContainer(pod1);
        await().atMost(Duration.ofSeconds(20)).until(() -> restartCount(pod1) == 1 && ready(pod1));
        assertThat(holds(pod1, adapter)).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> "loading".equals(modelState(adapter)));
        assertThat(holds(pod0, adapter)).isTrue();

        Files.move(away, adapterDir);
        await().atMost(Duration.ofSeconds(10)).until(() -> holds(pod1, adapter));
        await().atMost(Duration.ofSeconds(10)).until(() -> "ready".equals(modelState(adapter)));
        for (int i = 0; i < 4; i++) {
            assertThat(chat(service, adapter)).contains("[" + adapter + "]");
        }

        String pod2 = kubelet.addPod(deployment);
        await().atMost(Duration.ofSeconds(20)).until(() -> holds(pod2, adapter));

        given().delete("/api/chat/serving/" + adapter).then().statusCode(200);
        for (String pod : List.of(pod0, pod1, pod2)) {
            assertThat(holds(pod, adapter)).as(pod).isFalse();
        }
    }

    private static String modelState(String model) {
        return given().get("/api/chat/serving")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getString("models.find { it.model == '" + model + "' }.state");
    }

    /** Whether the pod's own engine lists {@code model} (asked directly, not through the Service). */
    private boolean holds(String pod, String model) {
        return Engines.models(kubelet.podUrl(pod), apiKey.getOrCreate()).contains(model);
    }

    private int restartCount(String pod) {
        Pod p = client.pods().inNamespace(NAMESPACE).withName(pod).get();
        return p.getStatus().getContainerStatuses().get(0).getRestartCount();
    }

    private boolean ready(String pod) {
        Pod p = client.pods().inNamespace(NAMESPACE).withName(pod).get();
        return p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
