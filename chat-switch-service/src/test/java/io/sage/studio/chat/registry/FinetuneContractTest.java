package io.sage.studio.chat.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jakarta.ws.rs.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import au.com.dius.pact.consumer.MockServer;
import au.com.dius.pact.consumer.dsl.PactDslJsonArray;
import au.com.dius.pact.consumer.dsl.PactDslJsonBody;
import au.com.dius.pact.consumer.dsl.PactDslWithProvider;
import au.com.dius.pact.consumer.junit5.PactConsumerTestExt;
import au.com.dius.pact.consumer.junit5.PactTestFor;
import au.com.dius.pact.core.model.V4Pact;
import au.com.dius.pact.core.model.annotations.Pact;
import au.com.dius.pact.core.model.annotations.PactDirectory;
import io.sage.studio.events.StudioJson;

/**
 * chat-switch's contract with the finetune-service: the task and registry calls of {@link FinetuneRestClient} (paths
 * taken from its annotations) and the fields {@link TaskView} (with its latest evaluation's summary) and
 * {@link ModelView} read, in the studio's JSON dialect (the
 * one the Quarkus mapper is given by {@code StudioObjectMapperCustomizer}). Written to
 * {@code contracts/pacts/chat-switch-service-finetune-service.json}; finetune-service's {@code ConsumerContractsTest}
 * replays it. Registry entries differ by type (a base model has no base model, task or artifact), so the list
 * interaction holds the fields every entry has; the task interaction holds every field of {@link TaskView}.
 */
@ExtendWith(PactConsumerTestExt.class)
@PactTestFor(providerName = "finetune-service")
@PactDirectory("../contracts/pacts")
class FinetuneContractTest {

    private static final String CONSUMER = "chat-switch-service";
    private static final String TASK_ID = "qwen-0.5b-20260101-120000-ab12";

    private static PactDslJsonBody completedTask() {
        PactDslJsonBody body = new PactDslJsonBody()
                .stringType("task_id", TASK_ID)
                .stringType("model_name", "Qwen/Qwen2.5-0.5B-Instruct")
                .stringValue("status", TaskView.COMPLETED)
                .stringType("output_dir", "/home/u/.sage/studio_finetune/" + TASK_ID);
        body.object("artifacts")
                .stringType("lora", "/home/u/.sage/studio_finetune/" + TASK_ID + "/lora")
                .closeObject();
        // the evaluation gate reads the latest evaluation's id and state (its verdict once completed)
        body.object("evaluation")
                .stringType("evaluation_id", "ev-20260101-120500-cd34")
                .stringType("state", "failed")
                .stringType("baseline", "base")
                .closeObject();
        return body;
    }

    @Pact(consumer = CONSUMER)
    V4Pact task(PactDslWithProvider builder) {
        return builder.given("a completed task with an evaluation")
                .uponReceiving("chat-switch: the task to switch to")
                .method("GET")
                .pathFromProviderState("/api/finetune/tasks/${taskId}", "/api/finetune/tasks/" + TASK_ID)
                .willRespondWith()
                .status(200)
                .body(completedTask())
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "task")
    void readsTheTaskToSwitchTo(MockServer server) throws Exception {
        TaskView task =
                StudioJson.mapper().readValue(get(server, path("task").replace("{id}", TASK_ID)), TaskView.class);
        assertThat(task.status()).isEqualTo(TaskView.COMPLETED);
        assertThat(task.artifact("lora")).isNotBlank();
        assertThat(task.outputDir()).isNotBlank();
        assertThat(task.evaluation().evaluationId()).isNotBlank();
        // A field added to TaskView must be added to the contract above, or the service may drop it unnoticed.
        assertThat(new TreeSet<>(
                        completedTask().getBody().asObject().getEntries().keySet()))
                .containsAll(components(TaskView.class));
    }

    @Pact(consumer = CONSUMER)
    V4Pact models(PactDslWithProvider builder) {
        return builder.given("a completed task")
                .uponReceiving("chat-switch: the model registry")
                .method("GET")
                .path("/api/finetune/models")
                .willRespondWith()
                .status(200)
                .body(PactDslJsonArray.arrayMinLike(1)
                        .stringType("id", "Qwen/Qwen2.5-0.5B-Instruct")
                        .stringType("name", "Qwen2.5 0.5B Instruct")
                        .stringType("type", ModelView.TYPE_BASE)
                        .stringType("path", "Qwen/Qwen2.5-0.5B-Instruct")
                        .closeObject())
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "models")
    void readsTheRegistry(MockServer server) throws Exception {
        List<ModelView> models =
                StudioJson.mapper().readValue(get(server, path("models")), new TypeReference<List<ModelView>>() {});
        assertThat(models).isNotEmpty().allSatisfy(m -> {
            assertThat(m.id()).isNotBlank();
            assertThat(m.type()).isNotBlank();
            assertThat(m.path()).isNotBlank();
        });
    }

    /** The path of a {@link FinetuneRestClient} method, from its annotations (so the contract follows the client). */
    private static String path(String method) throws NoSuchMethodException {
        String base = FinetuneRestClient.class.getAnnotation(Path.class).value();
        var m = Stream.of(FinetuneRestClient.class.getDeclaredMethods())
                .filter(x -> x.getName().equals(method))
                .findFirst()
                .orElseThrow(() -> new NoSuchMethodException(method));
        return base + m.getAnnotation(Path.class).value();
    }

    private static String get(MockServer server, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(server.getUrl() + path))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static Set<String> components(Class<? extends Record> type) {
        var naming = (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
        return Stream.of(type.getRecordComponents())
                .map(c -> naming.translate(c.getName()))
                .collect(Collectors.toSet());
    }
}
