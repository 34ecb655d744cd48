package io.sage.studio.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import io.sage.studio.events.StudioJson;

/**
 * The studio's REST API, its Kafka topics and its engines as the fault-injection tests see them: plain HTTP and a
 * plain Kafka consumer, so what is checked is what a user or another service would get.
 */
final class StudioApi {

    static final String BASE_MODEL = "Qwen/Qwen2.5-0.5B-Instruct";
    /** Operation states after which a switch changes nothing any more. */
    static final List<String> FINISHED = List.of("completed", "failed");

    private final Studio studio;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    StudioApi(Studio studio) {
        this.studio = studio;
    }

    /** A status and the JSON body ({@link MissingNode} when the body is not JSON). */
    record Answer(int status, JsonNode body) {
        String errorCode() {
            return body.path("error").path("code").asText("");
        }
    }

    Answer get(int port, String path) {
        return send(HttpRequest.newBuilder(uri(port, path)).GET(), Duration.ofSeconds(10));
    }

    Answer post(int port, String path, String json) {
        return send(
                HttpRequest.newBuilder(uri(port, path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)),
                Duration.ofSeconds(30));
    }

    /**
     * A request as a browser's {@code fetch} sends it: {@code method} with {@code body} (none when {@code null}, then no
     * {@code Content-Type} either), e.g. the original studio's {@code POST /switch-model?model_path=…} without a body.
     */
    Answer send(String method, int port, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(port, path));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return send(request, Duration.ofMinutes(3));
    }

    /** {@code multipart/form-data} upload of {@code content} as the part {@code file}, through the gateway. */
    Answer upload(String filename, String content) {
        String boundary = "sage-" + UUID.randomUUID();
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
        return send(
                HttpRequest.newBuilder(uri(studio.gatewayPort, "/api/finetune/upload-dataset"))
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofString(body)),
                Duration.ofSeconds(30));
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private Answer send(HttpRequest.Builder request, Duration timeout) {
        try {
            HttpResponse<String> response =
                    http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = StudioJson.mapper().readTree(response.body());
            } catch (IOException e) {
                body = MissingNode.getInstance();
            }
            return new Answer(response.statusCode(), body == null ? MissingNode.getInstance() : body);
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The status of a health endpoint, or 0 when it does not answer within {@code timeout}. */
    CompletableFuture<Integer> health(int port, String which, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(uri(port, "/q/health/" + which))
                .timeout(timeout)
                .GET()
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .thenApply(HttpResponse::statusCode)
                .exceptionally(e -> 0);
    }

    /** Health of the four services at once: service name → status (0: no answer in time). */
    Map<String, Integer> health(String which, Duration timeout) {
        CompletableFuture<Integer> gateway = health(studio.gatewayPort, which, timeout);
        CompletableFuture<Integer> finetune = health(studio.finetunePort, which, timeout);
        CompletableFuture<Integer> chat = health(studio.chatPort, which, timeout);
        CompletableFuture<Integer> gpu = health(studio.gpuPort, which, timeout);
        return Map.of(
                "gateway-adapter",
                gateway.join(),
                "finetune-service",
                finetune.join(),
                "chat-switch-service",
                chat.join(),
                "gpu-probe-service",
                gpu.join());
    }

    // ------------------------------------------------------------------ datasets and tasks

    static String alpaca(int records) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < records; i++) {
            lines.append("{\"instruction\":\"What is ")
                    .append(i)
                    .append(" plus 1?\",\"input\":\"\",\"output\":\"")
                    .append(i + 1)
                    .append("\"}\n");
        }
        return lines.toString();
    }

    /** Uploads {@code records} alpaca records; returns the dataset id. */
    String dataset(int records) {
        Answer answer = upload("data-" + records + ".jsonl", alpaca(records));
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        return answer.body().path("dataset_id").asText();
    }

    /**
     * A task of {@code epochs} epochs at batch size 1 on a dataset; {@code slow} runs the stand-in trainer at one step
     * per second (its {@code slow-me} mode), so a dataset of n records trains for about n × epochs seconds.
     */
    Answer createTask(String dataset, int epochs, boolean slow) {
        String suffix = slow ? ",\"suffix\":\"slow-me\"" : "";
        return post(
                studio.gatewayPort,
                "/api/finetune/create",
                "{\"model_name\":\"" + BASE_MODEL + "\",\"dataset_file\":\"" + dataset + "\",\"num_epochs\":" + epochs
                        + ",\"batch_size\":1,\"merge\":false" + suffix + "}");
    }

    String startTask(String dataset, int epochs, boolean slow) {
        Answer answer = createTask(dataset, epochs, slow);
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(201);
        return answer.body().path("task_id").asText();
    }

    JsonNode task(String id) {
        Answer answer = get(studio.finetunePort, "/api/finetune/tasks/" + id);
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        return answer.body();
    }

    List<String> taskIds() {
        List<String> ids = new ArrayList<>();
        get(studio.finetunePort, "/api/finetune/tasks")
                .body()
                .forEach(t -> ids.add(t.path("task_id").asText()));
        return ids;
    }

    JsonNode awaitTask(String id, Duration atMost, List<String> states) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        await().atMost(atMost).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            JsonNode task = task(id);
            last.set(task);
            assertThat(task.path("status").asText()).as(id).isIn(states);
        });
        return last.get();
    }

    // ------------------------------------------------------------------ chat

    /** A model folder in the studio home that the stand-in engine takes {@code startupDelay} seconds to load. */
    Path slowModel(String name, double startupDelay) throws IOException {
        Path dir = Files.createDirectories(studio.home.resolve("models").resolve(name));
        Files.writeString(
                dir.resolve("config.json"),
                "{\"model_type\":\"qwen2\",\"architectures\":[\"Qwen2ForCausalLM\"],\"hidden_size\":896}");
        Files.writeString(dir.resolve("fake_vllm.json"), "{\"startup_delay\": " + startupDelay + "}");
        return dir;
    }

    JsonNode currentModel() {
        return get(studio.chatPort, "/api/finetune/current-model").body();
    }

    /** Starts a blue-green switch to {@code model}; returns the operation id. */
    String switchTo(String model) {
        Answer answer =
                post(studio.chatPort, "/api/chat/switch", "{\"model\":\"" + model + "\",\"strategy\":\"blue-green\"}");
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(202);
        return answer.body().path("id").asText();
    }

    JsonNode operation(String id) {
        return get(studio.chatPort, "/api/chat/switch/" + id).body();
    }

    JsonNode awaitOperation(String id, Duration atMost, List<String> states) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        await().atMost(atMost).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            JsonNode op = operation(id);
            last.set(op);
            assertThat(op.path("state").asText()).as(op.toString()).isIn(states);
        });
        return last.get();
    }

    /** One chat completion through the gateway: status and body. */
    Answer chat() {
        return post(
                studio.gatewayPort,
                "/v1/chat/completions",
                "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":3}");
    }

    void awaitRouteActive() {
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(
                        () -> assertThat(currentModel().path("state").asText()).isEqualTo("active"));
    }

    /**
     * The route is consistent: exactly one engine is active, its process runs and answers, the gateway's chat is
     * answered by it, and the last route event on Kafka names it with the revision the service reports. Returns the
     * served model name.
     */
    String assertRouteConsistent() {
        AtomicReference<String> served = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    JsonNode current = currentModel();
                    assertThat(current.path("state").asText())
                            .as(current.toString())
                            .isEqualTo("active");
                    assertThat(current.path("switch_in_progress").isNull())
                            .as(current.toString())
                            .isTrue();
                    String name = current.path("served_model_name").asText();
                    String baseUrl = current.path("base_url").asText();

                    List<JsonNode> active = new ArrayList<>();
                    get(studio.chatPort, "/api/chat/backends").body().forEach(b -> {
                        if (b.path("active").asBoolean()) {
                            active.add(b);
                        }
                    });
                    assertThat(active).as("active engines").hasSize(1);
                    JsonNode engine = active.get(0);
                    assertThat(engine.path("base_url").asText()).isEqualTo(baseUrl);
                    assertThat(Studio.alive(engine.path("pid").asLong()))
                            .as("engine process " + engine)
                            .isTrue();
                    int port = URI.create(baseUrl).getPort();
                    assertThat(get(port, "/health").status())
                            .as("engine /health")
                            .isEqualTo(200);

                    Answer chat = chat();
                    assertThat(chat.status()).as(chat.body().toString()).isEqualTo(200);
                    assertThat(chat.body()
                                    .path("choices")
                                    .path(0)
                                    .path("message")
                                    .path("content")
                                    .asText())
                            .as("answered by the routed engine")
                            .startsWith("[" + name + "]");

                    JsonNode route = lastRouteEvent();
                    assertThat(route.path("revision").asLong())
                            .as(route.toString())
                            .isEqualTo(current.path("revision").asLong());
                    assertThat(route.path("state").asText()).isEqualToIgnoringCase("active");
                    assertThat(route.path("backend").path("base_url").asText()).isEqualTo(baseUrl);
                    served.set(name);
                });
        return served.get();
    }

    // ------------------------------------------------------------------ Kafka

    String bootstrap() {
        return "127.0.0.1:" + studio.kafkaPort;
    }

    /** Every record of {@code topic} from the beginning, in offset order per partition. */
    List<ConsumerRecord<String, byte[]>> readTopic(String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(20)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(20));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end " + end);
                }
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }

    static JsonNode value(ConsumerRecord<String, byte[]> record) {
        try {
            return StudioJson.mapper().readTree(record.value());
        } catch (IOException e) {
            throw new AssertionError("not JSON on " + record.topic() + "@" + record.offset(), e);
        }
    }

    JsonNode lastRouteEvent() {
        List<ConsumerRecord<String, byte[]>> records = readTopic("studio.chat.backend");
        assertThat(records).as("route events").isNotEmpty();
        return value(records.get(records.size() - 1));
    }

    /** The task's events on {@code studio.finetune.tasks}, in order. */
    List<JsonNode> taskEvents(String taskId) {
        return readTopic("studio.finetune.tasks").stream()
                .filter(r -> taskId.equals(r.key()))
                .map(StudioApi::value)
                .toList();
    }

    /** What a task's events on Kafka look like: how many, and how many arrived after a later revision. */
    record TaskEvents(int count, int late) {
        @Override
        public String toString() {
            return count + " events on Kafka, no revision twice"
                    + (late == 0
                            ? ", all in order"
                            : ", " + late
                                    + " delivered late (after a higher revision; consumers skip them by revision)");
        }
    }

    /**
     * The task's events are whole: it was created, no revision is there twice, and the highest revision is the task's
     * final state with the revision the service reports — so a consumer that keeps the highest revision it has seen
     * (the events' contract) ends with the task as it is. Events delivered after a higher revision are counted.
     */
    TaskEvents assertTaskEventsWhole(JsonNode task) {
        String id = task.path("task_id").asText();
        List<JsonNode> events = taskEvents(id);
        assertThat(events).as("events of " + id).isNotEmpty();
        assertThat(events.get(0).path("kind").asText()).isEqualToIgnoringCase("created");
        List<Long> revisions =
                events.stream().map(e -> e.path("revision").asLong()).toList();
        assertThat(revisions)
                .as("revisions of " + id + " (a duplicate means a state was published twice)")
                .doesNotHaveDuplicates();
        long highest = -1;
        int late = 0;
        JsonNode newest = null;
        for (JsonNode event : events) {
            long revision = event.path("revision").asLong();
            if (revision > highest) {
                highest = revision;
                newest = event;
            } else {
                late++;
            }
        }
        assertThat(newest.path("task").path("status").asText())
                .isEqualTo(task.path("status").asText());
        assertThat(highest).isEqualTo(task.path("revision").asLong());
        return new TaskEvents(events.size(), late);
    }

    // ------------------------------------------------------------------ SSE

    /** The {@code task} events of the finetune-service's SSE stream, collected from now on. */
    static final class TaskStream {
        final List<JsonNode> tasks = Collections.synchronizedList(new ArrayList<>());

        List<JsonNode> of(String taskId) {
            synchronized (tasks) {
                return tasks.stream()
                        .filter(t -> taskId.equals(t.path("task_id").asText()))
                        .toList();
            }
        }
    }

    TaskStream taskStream() {
        TaskStream stream = new TaskStream();
        HttpRequest request = HttpRequest.newBuilder(uri(studio.finetunePort, "/api/finetune/tasks/stream"))
                .header("Accept", "text/event-stream")
                .GET()
                .build();
        http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).thenAccept(response -> {
            Thread reader = new Thread(() -> read(response.body(), stream), "sse-reader");
            reader.setDaemon(true);
            reader.start();
        });
        return stream;
    }

    private static void read(Stream<String> lines, TaskStream stream) {
        String[] event = {null};
        StringBuilder data = new StringBuilder();
        try {
            lines.forEach(line -> {
                if (line.startsWith("event:")) {
                    event[0] = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                } else if (line.isEmpty()) {
                    if ("task".equals(event[0]) && data.length() > 0) {
                        try {
                            stream.tasks.add(
                                    StudioJson.mapper().readTree(data.toString().getBytes(StandardCharsets.UTF_8)));
                        } catch (IOException e) {
                            throw new AssertionError("SSE data is not JSON: " + data, e);
                        }
                    }
                    event[0] = null;
                    data.setLength(0);
                }
            });
        } catch (RuntimeException e) {
            // the stream ends with the studio
        }
    }
}
