package io.sage.studio.cli.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import au.com.dius.pact.consumer.MockServer;
import au.com.dius.pact.consumer.dsl.PactDslJsonArray;
import au.com.dius.pact.consumer.dsl.PactDslJsonBody;
import au.com.dius.pact.consumer.dsl.PactDslJsonRootValue;
import au.com.dius.pact.consumer.dsl.PactDslWithProvider;
import au.com.dius.pact.consumer.junit5.PactConsumerTestExt;
import au.com.dius.pact.consumer.junit5.PactTestFor;
import au.com.dius.pact.core.model.V4Pact;
import au.com.dius.pact.core.model.annotations.Pact;
import au.com.dius.pact.core.model.annotations.PactDirectory;
import io.sage.studio.cli.client.StudioClient;

/**
 * The CLI's contract with the finetune-service: the requests it sends and the fields of the answers it reads,
 * written to {@code contracts/pacts/studio-cli-finetune-service.json} and replayed against the real service by
 * {@code ConsumerContractsTest} in finetune-service. Pact's type matchers cannot say "a number or null", so a field
 * that may be null is checked in a provider state where its value is known (a completed task has no queue position,
 * no error; its ETA is 0), and the list interactions hold only fields every task or model has.
 */
@ExtendWith(PactConsumerTestExt.class)
@PactTestFor(providerName = FinetuneContractTest.PROVIDER)
@PactDirectory("../contracts/pacts")
class FinetuneContractTest {

    static final String PROVIDER = "finetune-service";
    static final String CONSUMER = "studio-cli";
    static final String COMPLETED_TASK = "a completed task";
    static final String STORED_DATASET = "a stored dataset";
    static final String UNMERGED_TASK = "a completed LoRA task without a merged model";
    static final String TRAINING_TASK = "a task in training";
    static final String PAUSED_TASK = "a paused task";
    private static final String TASK_ID = "qwen-0.5b-20260101-120000-ab12";
    private static final String INSTANT = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS][.SSSSSS][.SSS]X";

    /** Every field of {@link TaskView}: what {@code sage finetune show} prints. */
    private static PactDslJsonBody completedTask() {
        PactDslJsonBody body = new PactDslJsonBody()
                .stringType("task_id", TASK_ID)
                .stringValue("status", "completed")
                .stringType("phase", "done")
                .stringType("model_name", "Qwen/Qwen2.5-0.5B-Instruct")
                .stringType("method", "lora")
                .stringType("dataset_path", "/home/u/.sage/studio/datasets/ds1/data.jsonl")
                .stringType("output_dir", "/home/u/.sage/studio_finetune/" + TASK_ID)
                .numberType("progress", 100.0)
                .integerType("current_epoch", 1)
                .numberType("epoch", 1.0)
                .integerType("total_epochs", 1)
                .integerType("step", 12)
                .integerType("total_steps", 12)
                .numberType("loss", 0.8313)
                .numberType("latest_loss", 0.8313)
                .numberType("learning_rate", 2.0E-4)
                .integerType("eta_seconds", 0)
                .nullValue("queue_position")
                .stringType("created_at", "2026-01-01T12:00:00Z")
                .stringType("started_at", "2026-01-01T12:00:05.123456Z")
                .stringType("completed_at", "2026-01-01T12:10:00Z")
                .nullValue("error_message")
                // no validation split and no evaluation in this state: the validation figures and the summary are null
                .nullValue("eval_loss")
                .nullValue("best_eval_loss")
                .nullValue("best_step")
                .nullValue("evaluation");
        body.object("artifacts")
                .stringType("lora", "/home/u/.sage/studio_finetune/" + TASK_ID + "/lora")
                .closeObject();
        body.object("config").integerType("num_epochs", 1).closeObject();
        body.minArrayLike("warnings", 0, PactDslJsonRootValue.stringType("only 12 records"), 1);
        body.minArrayLike("warning_details", 0, 1)
                .stringType("code", "small_dataset")
                .stringType("message", "only 12 records")
                .closeObject()
                .closeArray();
        return body;
    }

    @Pact(consumer = CONSUMER)
    V4Pact showTask(PactDslWithProvider builder) {
        return builder.given(COMPLETED_TASK)
                .uponReceiving("sage finetune show: one task")
                .method("GET")
                .pathFromProviderState("/api/finetune/tasks/${taskId}", "/api/finetune/tasks/" + TASK_ID)
                .willRespondWith()
                .status(200)
                .body(completedTask())
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "showTask")
    void showReadsEveryFieldOfATask(MockServer server) {
        TaskView task = new StudioClient(server.getUrl(), null).get("/api/finetune/tasks/" + TASK_ID, TaskView.class);
        assertThat(task.status()).isEqualTo("completed");
        assertThat(task.terminal()).isTrue();
        assertThat(task.artifacts()).containsKey("lora");
        assertThat(task.config().size()).isPositive();
        // A field added to TaskView must be added to the contract above, or the service may drop it unnoticed.
        assertThat(jsonFields(completedTask())).containsAll(components(TaskView.class));
    }

    @Pact(consumer = CONSUMER)
    V4Pact listTasks(PactDslWithProvider builder) {
        PactDslJsonBody page = new PactDslJsonBody();
        page.minArrayLike("tasks", 1)
                .stringType("task_id", TASK_ID)
                .stringType("status", "completed")
                .numberType("progress", 100.0)
                .integerType("current_epoch", 1)
                .integerType("total_epochs", 1)
                .stringType("model_name", "Qwen/Qwen2.5-0.5B-Instruct")
                .stringType("created_at", "2026-01-01T12:00:00Z")
                .closeObject()
                .closeArray();
        page.integerType("total", 1).nullValue("next_cursor");
        return builder.given(COMPLETED_TASK)
                .uponReceiving("sage finetune list: the first page")
                .method("GET")
                .path("/api/finetune/tasks")
                .query("limit=50")
                .willRespondWith()
                .status(200)
                .body(page)
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "listTasks")
    void listReadsTheTaskTable(MockServer server) {
        JsonNode page = new StudioClient(server.getUrl(), null).get("/api/finetune/tasks?limit=50");
        List<TaskView> tasks = StudioClient.as(page.path("tasks"), new TypeReference<List<TaskView>>() {});
        assertThat(tasks).isNotEmpty().allSatisfy(t -> {
            assertThat(t.taskId()).isNotNull();
            assertThat(t.progress()).isNotNull();
            assertThat(t.totalEpochs()).isNotNull();
        });
        assertThat(page.path("total").asInt()).isPositive();
        assertThat(page.path("next_cursor").isNull()).isTrue();
    }

    @Pact(consumer = CONSUMER)
    V4Pact createTask(PactDslWithProvider builder) {
        return builder.given(STORED_DATASET)
                .uponReceiving("sage finetune start: create a task")
                .method("POST")
                .path("/api/finetune/create")
                .headers(Map.of("Content-Type", "application/json"))
                .body(new PactDslJsonBody()
                        .stringType("model_name", "Qwen/Qwen2.5-0.5B-Instruct")
                        .valueFromProviderState(
                                "dataset_file", "${datasetPath}", "/home/u/.sage/studio/datasets/ds1/data.jsonl")
                        .integerType("num_epochs", 1))
                .willRespondWith()
                .status(201)
                .body(new PactDslJsonBody()
                        .stringType("task_id", TASK_ID)
                        .stringType("status", "queued")
                        .minArrayLike("warnings", 0, PactDslJsonRootValue.stringType("only 12 records"), 1)
                        .minArrayLike("warning_details", 0, 1)
                        .stringType("code", "small_dataset")
                        .stringType("message", "only 12 records")
                        .closeObject()
                        .closeArray()
                        // the layout line of `sage finetune start` (the shape the studio chose, parallelism resolved)
                        .object("config")
                        .integerType("gpus", 1)
                        .integerType("nodes", 1)
                        .stringType("parallelism", "none")
                        .closeObject())
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "createTask")
    void startReadsTheCreatedTask(MockServer server) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("model_name", "Qwen/Qwen2.5-0.5B-Instruct");
        body.put("dataset_file", "/home/u/.sage/studio/datasets/ds1/data.jsonl");
        body.put("num_epochs", 1);
        TaskView task = new StudioClient(server.getUrl(), null).post("/api/finetune/create", body, TaskView.class);
        assertThat(task.taskId()).isNotBlank();
        assertThat(task.status()).isNotBlank();
        assertThat(task.config().path("gpus").isInt()).isTrue();
        assertThat(task.config().path("parallelism").isTextual()).isTrue();
    }

    @Pact(consumer = CONSUMER)
    V4Pact listModels(PactDslWithProvider builder) {
        return builder.given(COMPLETED_TASK)
                .uponReceiving("sage models list: base and fine-tuned models")
                .method("GET")
                .path("/api/finetune/models")
                .willRespondWith()
                .status(200)
                .body(PactDslJsonArray.arrayMinLike(1)
                        .stringType("id", "Qwen/Qwen2.5-0.5B-Instruct")
                        .stringType("type", "base")
                        .stringType("path", "Qwen/Qwen2.5-0.5B-Instruct")
                        .closeObject())
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "listModels")
    void modelsListReadsIdTypeAndPath(MockServer server) {
        List<ModelView> models = StudioClient.as(
                new StudioClient(server.getUrl(), null).get("/api/finetune/models"),
                new TypeReference<List<ModelView>>() {});
        assertThat(models).isNotEmpty().allSatisfy(m -> assertThat(m.id()).isNotNull());
    }

    @Pact(consumer = CONSUMER)
    V4Pact cloneTask(PactDslWithProvider builder) {
        PactDslJsonBody clone = new PactDslJsonBody()
                .stringType("task_id", "qwen-0.5b-20260101-130000-cd34")
                .stringMatcher("status", "queued|preparing|training|completed", "queued")
                .stringType("cloned_from", TASK_ID)
                .integerType("attempt", 1);
        return builder.given(COMPLETED_TASK)
                .uponReceiving("sage finetune clone: a new task from a task's settings with an override")
                .method("POST")
                .pathFromProviderState(
                        "/api/finetune/tasks/${taskId}/clone", "/api/finetune/tasks/" + TASK_ID + "/clone")
                .headers("Content-Type", "application/json")
                .body(new PactDslJsonBody().integerType("num_epochs", 1))
                .willRespondWith()
                .status(201)
                .body(clone)
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "cloneTask")
    void cloneReadsTheNewTaskAndItsSource(MockServer server) {
        var answer = new StudioClient(server.getUrl(), null)
                .post("/api/finetune/tasks/" + TASK_ID + "/clone", Map.of("num_epochs", 1));
        TaskView task = StudioClient.as(answer, TaskView.class);
        assertThat(task.taskId()).isNotEqualTo(TASK_ID);
        assertThat(task.status()).isEqualTo("queued");
        assertThat(answer.path("cloned_from").asText()).isEqualTo(TASK_ID);
    }

    @Pact(consumer = CONSUMER)
    V4Pact mergeTask(PactDslWithProvider builder) {
        PactDslJsonBody merge = new PactDslJsonBody()
                .stringType("task_id", TASK_ID)
                .stringValue("status", "completed")
                .object("merge_run")
                .stringMatcher("state", "queued|running", "queued")
                .closeObject()
                .asBody();
        return builder.given(UNMERGED_TASK)
                .uponReceiving("sage finetune merge: merge a task's adapter")
                .method("POST")
                .pathFromProviderState(
                        "/api/finetune/tasks/${taskId}/merge", "/api/finetune/tasks/" + TASK_ID + "/merge")
                .willRespondWith()
                .status(202)
                .body(merge)
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "mergeTask")
    void mergeReadsTheMergeState(MockServer server) {
        var answer =
                new StudioClient(server.getUrl(), null).post("/api/finetune/tasks/" + TASK_ID + "/merge", Map.of());
        MergeRunView merge = StudioClient.as(answer.path("merge_run"), MergeRunView.class);
        assertThat(merge.state()).isEqualTo("queued");
        assertThat(merge.ended()).isFalse();
        assertThat(answer.path("status").asText()).isEqualTo("completed");
    }

    /** What {@code sage finetune pause} reads: the task's status and the step it is at (pausing: still training). */
    @Pact(consumer = CONSUMER)
    V4Pact pauseTask(PactDslWithProvider builder) {
        return builder.given(TRAINING_TASK)
                .uponReceiving("sage finetune pause: a training task checkpoints and stops")
                .method("POST")
                .pathFromProviderState(
                        "/api/finetune/tasks/${taskId}/pause", "/api/finetune/tasks/" + TASK_ID + "/pause")
                .willRespondWith()
                .status(200)
                .body(new PactDslJsonBody()
                        .stringType("task_id", TASK_ID)
                        .stringMatcher("status", "preparing|training|paused", "training")
                        .integerType("step", 3))
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "pauseTask")
    void pauseReadsTheStatusAndStep(MockServer server) {
        var answer =
                new StudioClient(server.getUrl(), null).post("/api/finetune/tasks/" + TASK_ID + "/pause", Map.of());
        TaskView task = StudioClient.as(answer, TaskView.class);
        assertThat(task.taskId()).isEqualTo(TASK_ID);
        assertThat(task.status()).isEqualTo("training");
        assertThat(answer.path("step").asLong()).isEqualTo(3);
    }

    /** What {@code sage finetune resume} reads: the status, the attempt that resumes and the checkpoint's step. */
    @Pact(consumer = CONSUMER)
    V4Pact resumeTask(PactDslWithProvider builder) {
        return builder.given(PAUSED_TASK)
                .uponReceiving("sage finetune resume: a paused task goes on as its next attempt")
                .method("POST")
                .pathFromProviderState(
                        "/api/finetune/tasks/${taskId}/resume", "/api/finetune/tasks/" + TASK_ID + "/resume")
                .willRespondWith()
                .status(200)
                .body(new PactDslJsonBody()
                        .stringType("task_id", TASK_ID)
                        .stringMatcher("status", "queued|preparing|training", "queued")
                        .integerType("attempt", 2)
                        .integerType("step", 3))
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "resumeTask")
    void resumeReadsTheStatusAttemptAndStep(MockServer server) {
        var answer =
                new StudioClient(server.getUrl(), null).post("/api/finetune/tasks/" + TASK_ID + "/resume", Map.of());
        TaskView task = StudioClient.as(answer, TaskView.class);
        assertThat(task.status()).isEqualTo("queued");
        assertThat(answer.path("attempt").asInt()).isEqualTo(2);
        assertThat(answer.path("step").asLong()).isEqualTo(3);
    }

    /**
     * What {@code sage eval} reads of an evaluation: its id (to follow it), state, baseline and progress. In the state
     * of a fresh completed task each time, so the shared completed task of {@code sage finetune show} keeps no
     * evaluation.
     */
    private static PactDslJsonBody acceptedEvaluation() {
        return new PactDslJsonBody()
                .stringType("evaluation_id", "ev-20260101-121000-0001")
                .stringType("task_id", TASK_ID)
                .stringMatcher("state", "queued|running|completed|failed", "queued")
                .stringValue("baseline", "base")
                .object("progress")
                .integerType("done", 0)
                .integerType("total", 40)
                .closeObject()
                .asBody();
    }

    @Pact(consumer = CONSUMER)
    V4Pact startEvaluation(PactDslWithProvider builder) {
        return builder.given(UNMERGED_TASK)
                .uponReceiving("sage eval: evaluate a completed task against its base model")
                .method("POST")
                .pathFromProviderState(
                        "/api/finetune/tasks/${taskId}/evaluations", "/api/finetune/tasks/" + TASK_ID + "/evaluations")
                .headers("Content-Type", "application/json")
                .body(new PactDslJsonBody()
                        .stringValue("baseline", "base")
                        .integerType("max_samples", 50)
                        .integerType("max_tokens", 256))
                .willRespondWith()
                .status(202)
                .body(acceptedEvaluation())
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "startEvaluation")
    void evalReadsTheAcceptedEvaluation(MockServer server) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("baseline", "base");
        body.put("max_samples", 50);
        body.put("max_tokens", 256);
        EvaluationView evaluation = new StudioClient(server.getUrl(), null)
                .post("/api/finetune/tasks/" + TASK_ID + "/evaluations", body, EvaluationView.class);
        assertThat(evaluation.evaluationId()).isNotBlank();
        assertThat(evaluation.baseline()).isEqualTo("base");
        assertThat(evaluation.ended()).isFalse();
        assertThat(evaluation.progress().total()).isNotNull();
    }

    /** A secret of the form the service accepts ({@code whsec_} and the base64 of 32 bytes). */
    private static final String WEBHOOK_SECRET = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

    /**
     * What {@code sage webhooks add} sends and reads: the new webhook's id, URL, events and the secret it prints once.
     * The event is one the provider's test never produces, so the webhook it registers is never called.
     */
    @Pact(consumer = CONSUMER)
    V4Pact addWebhook(PactDslWithProvider builder) {
        return builder.uponReceiving("sage webhooks add: register a webhook with its own secret")
                .method("POST")
                .path("/api/webhooks")
                .headers("Content-Type", "application/json")
                .body(new PactDslJsonBody()
                        .stringValue("url", "https://ci.example.com/hooks/sage")
                        .eachLike("events", PactDslJsonRootValue.stringType("rollout.aborted"), 1)
                        .stringValue("secret", WEBHOOK_SECRET)
                        .stringValue("description", "contract test"))
                .willRespondWith()
                .status(201)
                .body(new PactDslJsonBody()
                        .stringType("id", "wh-20260101-120000-ab12")
                        .stringValue("url", "https://ci.example.com/hooks/sage")
                        .eachLike("events", PactDslJsonRootValue.stringType("rollout.aborted"), 1)
                        .booleanValue("enabled", true)
                        .stringType("created_at", "2026-01-01T12:00:00Z")
                        .stringValue("secret", WEBHOOK_SECRET))
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "addWebhook")
    void webhooksAddReadsTheIdAndTheSecret(MockServer server) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("url", "https://ci.example.com/hooks/sage");
        body.put("events", List.of("rollout.aborted"));
        body.put("secret", WEBHOOK_SECRET);
        body.put("description", "contract test");
        Webhook created = new StudioClient(server.getUrl(), null).post("/api/webhooks", body, Webhook.class);
        assertThat(created.id()).isNotBlank();
        assertThat(created.events()).containsExactly("rollout.aborted");
        assertThat(created.secret()).isEqualTo(WEBHOOK_SECRET);
    }

    /** What {@code sage webhooks list} reads of every webhook (the nullable columns are not pinned: see the class). */
    @Pact(consumer = CONSUMER)
    V4Pact listWebhooks(PactDslWithProvider builder) {
        return builder.uponReceiving("sage webhooks list: every webhook")
                .method("GET")
                .path("/api/webhooks")
                .willRespondWith()
                .status(200)
                .body(new PactDslJsonBody()
                        .minArrayLike("webhooks", 0, 1)
                        .stringType("id", "wh-20260101-120000-ab12")
                        .stringType("url", "https://ci.example.com/hooks/sage")
                        .eachLike("events", PactDslJsonRootValue.stringType("rollout.aborted"), 1)
                        .booleanType("enabled", true)
                        .stringType("created_at", "2026-01-01T12:00:00Z")
                        .integerType("failures", 0)
                        .closeObject()
                        .closeArray())
                .toPact(V4Pact.class);
    }

    @Test
    @PactTestFor(pactMethod = "listWebhooks")
    void webhooksListReadsEachWebhook(MockServer server) {
        Webhook.Listing listing = new StudioClient(server.getUrl(), null).get("/api/webhooks", Webhook.Listing.class);
        assertThat(listing.webhooks()).allSatisfy(w -> {
            assertThat(w.id()).isNotBlank();
            assertThat(w.enabled()).isNotNull();
            assertThat(w.failures()).isNotNull();
        });
    }

    private static Set<String> jsonFields(PactDslJsonBody body) {
        return new TreeSet<>(body.getBody().asObject().getEntries().keySet());
    }

    private static Set<String> components(Class<? extends Record> type) {
        var naming = (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
        return Stream.of(type.getRecordComponents())
                .map(c -> naming.translate(c.getName()))
                .collect(Collectors.toSet());
    }
}
