package io.sage.studio.finetune.tracing;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.common.tracing.Tracing;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Tracing off (no OTLP endpoint, the default): the SDK is disabled, so no exporter is built (nothing connects to
 * Quarkus' default {@code localhost:4317}) and Vert.x runs without a tracer (no server spans): the task has no
 * {@code trace_id} and its events no {@code ce_traceparent}.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class TracingOffTest {

    @Test
    void noEndpointNoTraces() {
        assertThat(ConfigProvider.getConfig().getValue("quarkus.otel.sdk.disabled", Boolean.class))
                .isTrue();
        assertThat(Tracing.enabled()).isFalse();

        String dataset = TracingTest.TraceTasks.upload();
        Map<String, Object> created = given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset, "num_epochs", 1))
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .jsonPath()
                .getMap("");
        assertThat(created).containsEntry("trace_id", null);
        String id = (String) created.get("task_id");

        ConsumerRecord<String, byte[]> event = TracingTest.TraceTasks.firstEvent(id);
        assertThat(CloudEvents.traceparentOf(event)).isNull();
        assertThat(event.headers().lastHeader("traceparent")).isNull();
        TracingTest.TraceTasks.awaitCompleted(id);
    }
}
