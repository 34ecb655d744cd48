package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.CloudEnvironment;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/** Cloud mode: chat goes to the configured OpenAI-compatible API; its key is used for checks and never published. */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(CloudEnvironment.class)
class CloudModeTest {

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> "active".equals(Switches.current().getString("state")));
        Switches.awaitIdle();
    }

    @Test
    void atStartChatGoesToTheCloudApiAndTheKeyIsPublishedNowhere() throws Exception {
        try (RouteWatcher routes = new RouteWatcher()) {
            ChatBackendEvent route = routes.latest();
            assertThat(route.state()).isEqualTo(ChatBackendEvent.State.ACTIVE);
            assertThat(route.backend().kind()).isEqualTo("cloud");
            assertThat(route.backend().runtime()).isEqualTo("none");
            assertThat(route.backend().baseUrl()).isEqualTo(CloudEnvironment.baseUrl());
            assertThat(route.backend().servedModelName()).isEqualTo(CloudEnvironment.MODEL);
        }
        JsonPath current = Switches.current();
        assertThat(current.getString("kind")).isEqualTo("cloud");
        assertThat(current.getBoolean("llm_service_running")).isFalse();
        assertThat(current.getString("runtime")).isEqualTo("none");

        assertThat(everyRouteRecord()).isNotEmpty().noneMatch(value -> value.contains(CloudEnvironment.API_KEY));
        String env = Files.readString(CloudEnvironment.home().resolve("studio/chat/backend.env"));
        assertThat(env)
                .contains(
                        "SAGE_CHAT_BASE_URL=" + CloudEnvironment.baseUrl() + "/v1",
                        "SAGE_CHAT_MODEL=" + CloudEnvironment.MODEL)
                .doesNotContain(CloudEnvironment.API_KEY);
        assertThat(Files.readString(CloudEnvironment.home().resolve("studio/chat/state.json")))
                .doesNotContain(CloudEnvironment.API_KEY);
    }

    @Test
    void switchingToTheCloudModelIsANoOpWithoutARestart() {
        given().queryParam("model_path", CloudEnvironment.MODEL)
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(200)
                .body("current_model", equalTo(CloudEnvironment.MODEL))
                .body("status", equalTo("success"))
                .body("message", containsString("no local LLM engine serves it"))
                .body("llm_service_restarted", equalTo(false));
    }

    @Test
    void aModelTheCloudDoesNotOfferFailsAndTheRouteStays() {
        given().queryParam("model_path", "gpt-unknown")
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(502)
                .body("error.code", equalTo("switch_failed"))
                .body("error.message", containsString("does not offer the model 'gpt-unknown'"));
        assertThat(Switches.current().getString("current_model")).isEqualTo(CloudEnvironment.MODEL);
    }

    @Test
    void fineTunedModelsNeedALocalEngine() {
        given().contentType(ContentType.JSON)
                .body(Map.of("task_id", "t1"))
                .post("/api/finetune/use-as-backend")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("no_local_engine"));
        given().queryParam("model_path", "/models/merged")
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("no_local_engine"));
    }

    private static List<String> everyRouteRecord() {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        KafkaTestResource.broker().bootstrapServers()),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(Topics.CHAT_BACKEND, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            List<String> values = new ArrayList<>();
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8));
                    record.headers().forEach(h -> values.add(new String(h.value(), StandardCharsets.UTF_8)));
                }
            }
            return values;
        }
    }
}
