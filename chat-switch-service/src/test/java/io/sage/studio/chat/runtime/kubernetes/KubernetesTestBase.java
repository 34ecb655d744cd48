package io.sage.studio.chat.runtime.kubernetes;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.KubernetesEnvironment.NAMESPACE;
import static io.sage.studio.chat.support.Switches.awaitEnd;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.FakeKubelet;
import io.sage.studio.chat.support.KubernetesEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.common.engine.EngineApiKey;

/**
 * What the Kubernetes runtime's tests share: the fake kubelet on the mock API server (started before the first test of
 * a class, stopped after its last), and the calls they make of the service.
 */
abstract class KubernetesTestBase {

    static FakeKubelet kubelet;

    @Inject
    KubernetesClient client;

    @Inject
    EngineApiKey apiKey;

    @BeforeEach
    void cluster() {
        if (kubelet == null) {
            kubelet = new FakeKubelet(client, NAMESPACE, KubernetesEnvironment.router(), KubernetesEnvironment.home())
                    .start();
        }
        Switches.awaitServiceReady();
    }

    @AfterAll
    static void stopKubelet() {
        if (kubelet != null) {
            kubelet.close();
            kubelet = null;
        }
    }

    /** Serves {@code model} by name (202, then the operation completes); its served name. */
    static String servedByName(String model) {
        JsonPath started = given().contentType("application/json")
                .body(Map.of("model", model))
                .post("/api/chat/serving")
                .then()
                .statusCode(202)
                .extract()
                .jsonPath();
        JsonPath op = awaitEnd(started.getString("operation_id"));
        assertThat(op.getString("state")).as(op.getString("error")).isEqualTo("completed");
        return started.getString("model");
    }

    /** The id of the engine the route names. */
    static String activeId() {
        List<Map<String, Object>> active = given().get("/api/chat/backends")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("findAll { it.active }");
        assertThat(active).hasSize(1);
        return (String) active.get(0).get("id");
    }

    /** A chat completion with {@code model} at {@code baseUrl}, with the engines' key. */
    String chat(String baseUrl, String model) {
        return Engines.chat(baseUrl, model, apiKey.getOrCreate());
    }
}
