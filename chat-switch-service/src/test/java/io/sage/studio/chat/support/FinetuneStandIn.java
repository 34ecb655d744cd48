package io.sage.studio.chat.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.sage.studio.events.StudioJson;

/**
 * The finetune-service's task and model registry API ({@code GET /api/finetune/tasks/{id}},
 * {@code GET /api/finetune/models}) in the shapes docs/ARCHITECTURE.md gives, served over real HTTP so the
 * chat-switch-service's REST client, timeouts and error handling run for real.
 */
public final class FinetuneStandIn implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, Map<String, Object>> tasks = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> models = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> evaluations = new ConcurrentHashMap<>();

    public FinetuneStandIn() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/api/finetune/tasks/", this::task);
        server.createContext("/api/finetune/models", exchange -> send(exchange, 200, new ArrayList<>(models.values())));
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Registers a task; {@code artifacts} maps {@code lora}/{@code merged_model} to paths. */
    public void task(String id, String status, String baseModel, Map<String, String> artifacts) {
        task(id, status, baseModel, artifacts, null);
    }

    /** Registers a task with its {@code output_dir} (the task's folder). */
    public void task(String id, String status, String baseModel, Map<String, String> artifacts, String outputDir) {
        Map<String, Object> task = new LinkedHashMap<>();
        task.put("task_id", id);
        task.put("model_name", baseModel);
        task.put("status", status);
        task.put("progress", "completed".equals(status) ? 100 : 10);
        task.put("artifacts", artifacts);
        if (outputDir != null) {
            task.put("output_dir", outputDir);
        }
        tasks.put(id, task);
    }

    /**
     * Gives a registered task an evaluation: the task's {@code evaluation} summary, and
     * {@code GET /api/finetune/tasks/{id}/evaluations/{eid}} with its verdict and reason.
     */
    public void evaluation(String taskId, String evaluationId, String state, String verdict, String reason) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("evaluation_id", evaluationId);
        summary.put("state", state);
        summary.put("verdict", verdict);
        summary.put("baseline", "base");
        Map<String, Object> task = new LinkedHashMap<>(tasks.get(taskId));
        task.put("evaluation", summary);
        tasks.put(taskId, task);
        Map<String, Object> evaluation = new LinkedHashMap<>(summary);
        evaluation.put("task_id", taskId);
        evaluation.put("verdict_reason", reason);
        evaluations.put(taskId + "/evaluations/" + evaluationId, evaluation);
    }

    /** Registers a fine-tuned model in the registry. */
    public void finetunedModel(String id, String path, String artifact, String taskId, String baseModel) {
        finetunedModel(id, id, path, artifact, taskId, baseModel);
    }

    /** Registers a fine-tuned model in the registry under a display name of its own. */
    public void finetunedModel(String id, String name, String path, String artifact, String taskId, String baseModel) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", id);
        model.put("name", name);
        model.put("type", "finetuned");
        model.put("base_model", baseModel);
        model.put("path", path);
        model.put("artifact", artifact);
        model.put("task_id", taskId);
        models.put(id, model);
    }

    /** Registers a base model in the registry ({@code path} its id, as the finetune-service lists catalogue models). */
    public void baseModel(String id, String name) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", id);
        model.put("name", name);
        model.put("type", "base");
        model.put("path", id);
        models.put(id, model);
    }

    private void task(HttpExchange exchange) throws IOException {
        String id = exchange.getRequestURI().getPath().substring("/api/finetune/tasks/".length());
        Map<String, Object> task = id.contains("/evaluations/") ? evaluations.get(id) : tasks.get(id);
        if (task == null) {
            send(
                    exchange,
                    404,
                    Map.of(
                            "error",
                            Map.of("code", "task_not_found", "message", "no task " + id, "details", List.of())));
        } else {
            send(exchange, 200, task);
        }
    }

    private static void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] json = StudioJson.mapper().writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, json.length);
        exchange.getResponseBody().write(json);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
