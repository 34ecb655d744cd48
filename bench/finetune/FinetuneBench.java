import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures the finetune-service as a user meets it (run by run.sh against the packaged service):
 * <ol>
 * <li>a progress line appended to a running task's progress.jsonl → the task on the SSE stream (p50/p99),
 *     with lines spaced beyond the 500 ms progress coalescing, and in a burst of 20 lines/s;</li>
 * <li>GET /api/finetune/tasks with 1,000 tasks (p50/p99).</li>
 * </ol>
 * Dataset ingest is measured by run.sh itself (curl through the gateway, beside the physical reference).
 * Usage: java FinetuneBench.java BASE_URL STUDIO_HOME
 */
public final class FinetuneBench {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern TASK_ID = Pattern.compile("\"task_id\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern STEP = Pattern.compile("\"step\"\\s*:\\s*(\\d+)");
    private static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([a-z]+)\"");
    private static final Pattern DATASET_ID = Pattern.compile("\"dataset_id\"\\s*:\\s*\"([^\"]+)\"");

    private final String base;
    private final Path home;

    private FinetuneBench(String base, Path home) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.home = home;
    }

    public static void main(String[] args) throws Exception {
        FinetuneBench bench = new FinetuneBench(args[0], Path.of(args[1]));
        bench.sseLatency();
        bench.listLatency();
    }

    // ------------------------------------------------------------------ 1. progress line → SSE

    private void sseLatency() throws Exception {
        String dataset = match(DATASET_ID, upload("bench.jsonl", smallDataset()));
        String body = "{\"model_name\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"dataset_file\":\"" + dataset
                + "\",\"num_epochs\":1,\"suffix\":\"sse-bench\"}";
        String task = match(TASK_ID, post("/api/finetune/create", body));
        ConcurrentMap<Long, Long> seen = new ConcurrentHashMap<>();
        Thread reader = follow(task, seen);
        awaitStatus(task, "training", Duration.ofSeconds(60));
        Path progress = home.resolve("studio_finetune").resolve(task).resolve("progress.jsonl");

        Random random = new Random(7);
        long step = 100_000;
        List<Double> spaced = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Thread.sleep(550 + random.nextInt(350));
            spaced.add(appendAndWait(progress, ++step, seen));
        }
        List<Double> burst = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Thread.sleep(50);
            long s = ++step;
            long written = append(progress, s);
            burst.add(waitSeen(s, written, seen, true));
        }
        reader.interrupt();
        post("/api/finetune/tasks/" + task + "/cancel", "");
        report("progress line -> SSE, lines >=550 ms apart", spaced, "ms", "target p99 < 1000 ms");
        report("progress line -> SSE, burst of 20 lines/s (coalesced to <=2 events/s)", burst, "ms", "target p99 < 1000 ms");
    }

    private double appendAndWait(Path progress, long step, ConcurrentMap<Long, Long> seen) throws Exception {
        long written = append(progress, step);
        return waitSeen(step, written, seen, false);
    }

    private static long append(Path progress, long step) throws IOException {
        String line = "{\"type\":\"metrics\",\"step\":" + step + ",\"total_steps\":1000000,\"epoch\":0.1,"
                + "\"loss\":1.5,\"learning_rate\":0.0002,\"time\":\"" + Instant.now() + "\"}\n";
        long now = System.nanoTime();
        Files.writeString(progress, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return now;
    }

    /** Nanoseconds from {@code written} until the stream shows {@code step} (or, coalesced, a later step). */
    private static double waitSeen(long step, long written, ConcurrentMap<Long, Long> seen, boolean orLater)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Long at = seen.get(step);
            if (at == null && orLater) {
                at = seen.entrySet().stream().filter(e -> e.getKey() >= step).map(Map.Entry::getValue)
                        .min(Long::compare).orElse(null);
            }
            if (at != null) {
                return Math.max(0, at - written) / 1e6;
            }
            Thread.sleep(1);
        }
        return 10_000;
    }

    private Thread follow(String task, ConcurrentMap<Long, Long> seen) throws Exception {
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/finetune/tasks/stream"))
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
        Thread thread = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("data:") && line.contains("\"" + task + "\"")) {
                        Matcher m = STEP.matcher(line);
                        if (m.find()) {
                            seen.putIfAbsent(Long.parseLong(m.group(1)), System.nanoTime());
                        }
                    }
                }
            } catch (IOException e) {
                // stream closed
            }
        }, "sse");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void awaitStatus(String task, String status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (status.equals(match(STATUS, get("/api/finetune/tasks/" + task)))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("task " + task + " never reached " + status);
    }

    // ------------------------------------------------------------------ 2. GET /tasks with 1,000 tasks

    private void listLatency() throws Exception {
        Path root = home.resolve("studio_finetune");
        for (int i = 0; i < 1000; i++) {
            String id = String.format(Locale.ROOT, "ft-20250101-%06d-bench%d", i, i);
            Path dir = Files.createDirectories(root.resolve(id));
            Files.writeString(dir.resolve("logs.txt"), "loading\nstep 1/10 loss=2.1\nstep 10/10 loss=0.4\ndone\n");
            Files.writeString(dir.resolve("finetune_meta.json"), "{\"schema_version\":1,\"task_id\":\"" + id + "\","
                    + "\"model_name\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"status\":\"completed\",\"phase\":\"done\","
                    + "\"progress\":100,\"current_epoch\":3,\"total_epochs\":3,\"step\":10,\"total_steps\":10,"
                    + "\"loss\":0.4,\"learning_rate\":0.0,\"created_at\":\"2025-01-01T00:00:00Z\","
                    + "\"completed_at\":\"2025-01-01T01:00:00Z\",\"method\":\"lora\",\"merge\":true,"
                    + "\"config\":{\"num_epochs\":3,\"batch_size\":4,\"gradient_accumulation_steps\":1,"
                    + "\"learning_rate\":2.0E-4,\"max_length\":1024,\"load_in_8bit\":false,\"lora_r\":16,"
                    + "\"lora_alpha\":32.0,\"lora_dropout\":0.05,\"gradient_checkpointing\":true},"
                    + "\"artifacts\":{\"lora\":\"lora\"},\"revision\":7}");
        }
        String body = "";
        for (int i = 0; i < 100 && count(body = get("/api/finetune/tasks")) < 1000; i++) {
            Thread.sleep(200);
        }
        int tasks = count(body);
        for (int i = 0; i < 30; i++) {
            get("/api/finetune/tasks");
        }
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            long start = System.nanoTime();
            body = get("/api/finetune/tasks");
            times.add((System.nanoTime() - start) / 1e6);
        }
        report("GET /api/finetune/tasks with " + tasks + " tasks (" + body.length() / 1024 + " KiB)", times, "ms",
                "target p99 < 50 ms");
    }

    private static int count(String body) {
        int n = 0;
        Matcher m = TASK_ID.matcher(body);
        while (m.find()) {
            n++;
        }
        return n;
    }

    // ------------------------------------------------------------------ helpers

    private static Path smallDataset() throws IOException {
        Path file = Files.createTempFile("bench-small-", ".jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            lines.append("{\"prompt\":\"q").append(i).append("\",\"completion\":\"a").append(i).append("\"}\n");
        }
        Files.writeString(file, lines);
        return file;
    }

    private String upload(String name, Path file) throws Exception {
        String boundary = "----sagebench" + System.nanoTime();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        long length = head.length + Files.size(file) + tail.length;
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                () -> {
                    try {
                        return new SequenceInputStream(Collections.enumeration(List.of(new ByteArrayInputStream(head),
                                Files.newInputStream(file), new ByteArrayInputStream(tail))));
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }), length);
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/finetune/upload-dataset"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(body).build(),
                HttpResponse.BodyHandlers.ofString());
        check(response);
        return response.body();
    }

    private String get(String path) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        check(response);
        return response.body();
    }

    private String post(String path, String json) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        check(response);
        return response.body();
    }

    private static void check(HttpResponse<String> response) {
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(response.request().uri() + " answered " + response.statusCode() + ": "
                    + response.body());
        }
    }

    private static String match(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no " + pattern + " in " + text);
        }
        return m.group(1);
    }

    private static void report(String what, List<Double> values, String unit, String target) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        System.out.printf(Locale.ROOT, "%n%s: n=%d p50=%.1f %s p99=%.1f %s max=%.1f %s (%s)%n", what, sorted.size(),
                percentile(sorted, 50), unit, percentile(sorted, 99), unit, sorted.get(sorted.size() - 1), unit, target);
    }

    private static double percentile(List<Double> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
