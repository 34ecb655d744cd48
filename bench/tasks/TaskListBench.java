import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The task list as the UI asks for it (issue 22, target 4), run by run.sh:
 * <ul>
 * <li>{@code write HOME N}: task folders in HOME's studio_finetune/ until there are N (finished tasks of three
 *     models, two methods, completed / failed / cancelled, one second apart), as a studio that ran them leaves
 *     them;</li>
 * <li>{@code measure BASE_URL N}: waits until the service lists N tasks, warms this client up (2,000 untimed
 *     requests over the timed kinds), then p50/p99 of the UI's first page
 *     ({@code ?limit=50}), a filtered page ({@code ?limit=50&status=failed,cancelled&q=7b}), a deep page (cursor
 *     after the first 10 pages) and, for reference, one task by id (the floor of a request here) and the seed's
 *     unpaged array of every task.</li>
 * </ul>
 */
public final class TaskListBench {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern TOTAL = Pattern.compile("\"total\":(\\d+)");
    private static final Pattern CURSOR = Pattern.compile("\"next_cursor\":\"([^\"]+)\"");
    private static final String[] MODELS = {
        "Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-7B-Instruct"
    };
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    /** Untimed requests, spread over the timed kinds, before any is timed. */
    private static final int WARM_UP = 2000;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "write" -> write(Path.of(args[1]).resolve("studio_finetune"), Integer.parseInt(args[2]));
            case "measure" -> measure(args[1], Integer.parseInt(args[2]));
            default -> throw new IllegalArgumentException("write HOME N | measure BASE_URL N");
        }
    }

    private static void write(Path root, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            String id = String.format(Locale.ROOT, "ft-bench-%05d", i);
            Path dir = root.resolve(id);
            if (Files.exists(dir)) {
                continue;
            }
            Files.createDirectories(dir);
            String status = i % 10 < 2 ? "failed" : i % 10 == 2 ? "cancelled" : "completed";
            Instant created = T0.plusSeconds(i);
            Files.writeString(dir.resolve("logs.txt"), "loading\nstep 1/10 loss=2.1\nstep 10/10 loss=0.4\ndone\n");
            Files.writeString(dir.resolve("finetune_meta.json"), "{\"schema_version\":1,\"task_id\":\"" + id + "\","
                    + "\"model_name\":\"" + MODELS[i % 3] + "\",\"status\":\"" + status + "\",\"phase\":\"done\","
                    + "\"suffix\":\"run-" + (i % 97) + "\",\"owner\":\"user" + (i % 5) + "\","
                    + "\"progress\":100,\"current_epoch\":3,\"total_epochs\":3,\"step\":10,\"total_steps\":10,"
                    + "\"loss\":0.4,\"learning_rate\":0.0,\"created_at\":\"" + created + "\","
                    + "\"completed_at\":\"" + created.plusSeconds(3600) + "\",\"method\":\""
                    + (i % 4 == 0 ? "qlora" : "lora") + "\",\"merge\":true,"
                    + "\"config\":{\"num_epochs\":3,\"batch_size\":4,\"gradient_accumulation_steps\":1,"
                    + "\"learning_rate\":2.0E-4,\"max_length\":1024,\"load_in_8bit\":false,\"lora_r\":16,"
                    + "\"lora_alpha\":32.0,\"lora_dropout\":0.05,\"gradient_checkpointing\":true},"
                    + "\"artifacts\":{\"lora\":\"lora\"},\"revision\":7}");
        }
    }

    private static void measure(String base, int count) throws Exception {
        String url = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        long deadline = System.nanoTime() + 300_000_000_000L;
        int listed = 0;
        while ((listed = total(get(url + "/api/finetune/tasks?limit=1"))) < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the service lists " + listed + " of " + count + " tasks");
            }
            Thread.sleep(200);
        }
        String cursor = null;
        for (int page = 0; page < 10; page++) {
            String body = get(url + "/api/finetune/tasks?limit=50" + (cursor == null ? "" : "&cursor=" + cursor));
            Matcher m = CURSOR.matcher(body);
            cursor = m.find() ? m.group(1) : null;
        }
        double target = count <= 1000 ? 10 : 30;
        String filtered = url + "/api/finetune/tasks?limit=50&status=failed,cancelled&q=7b";
        String[] timed = {
            url + "/api/finetune/tasks?limit=50", filtered, url + "/api/finetune/tasks?limit=50&cursor=" + cursor,
            url + "/api/finetune/tasks/ft-bench-00000"
        };
        // A cold client (this JVM's HTTP/2 stack before the JIT has compiled it) spends more CPU on a 40-80 KB answer
        // than the service does: without this, whichever request is timed first measured this client's warm-up
        // (bench/tasks/README.md). The UI's clients (the gateway, a browser) are long-running.
        for (int i = 0; i < WARM_UP; i++) {
            get(timed[i % timed.length]);
        }
        System.out.printf(Locale.ROOT, "%n%,d tasks (%d matching the filter)%n", listed, total(get(filtered)));
        report("first page   GET /api/finetune/tasks?limit=50", time(timed[0], 300), target);
        report("filtered     ?limit=50&status=failed,cancelled&q=7b", time(timed[1], 300), target);
        report("page 11      ?limit=50&cursor=…", time(timed[2], 300), target);
        report("(floor)      GET /api/finetune/tasks/{id}, one task", time(timed[3], 300), Double.NaN);
        report("(reference)  GET /api/finetune/tasks, every task, unpaged", time(url + "/api/finetune/tasks", 30),
                Double.NaN);
        stream(url + "/api/finetune/tasks/stream", count);
        stream(url + "/api/finetune/tasks/stream?snapshot=false", 0);
    }

    /**
     * What a client opening the task stream gets before anything changes: the snapshot of every task (the default),
     * or nothing ({@code snapshot=false}, what the UI asks for: it reads the first page instead). Reads until
     * {@code tasks} task events came, or for a second when none are expected.
     */
    private static void stream(String url, int tasks) throws Exception {
        long start = System.nanoTime();
        HttpResponse<InputStream> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        double open = (System.nanoTime() - start) / 1e6;
        long bytes = 0;
        int events = 0;
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + response.statusCode());
            }
            if (tasks == 0) {
                CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
                    try {
                        return body.read();
                    } catch (IOException e) {
                        return -1;
                    }
                });
                try {
                    first.get(1, TimeUnit.SECONDS);
                    bytes = 1;
                } catch (TimeoutException quiet) {
                    // nothing sent: what is expected
                }
            } else {
                BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
                String line;
                // To the blank line that ends the last task event (its data may follow its name).
                while ((line = lines.readLine()) != null) {
                    bytes += line.getBytes(StandardCharsets.UTF_8).length + 1;
                    if (line.equals("event:task") || line.equals("event: task")) {
                        events++;
                    } else if (line.isEmpty() && events == tasks) {
                        break;
                    }
                }
            }
        }
        double took = (System.nanoTime() - start) / 1e6;
        System.out.printf(Locale.ROOT, "  %-58s open %6.2f ms  %,d task events, %,.1f KB in %,.0f ms%n",
                "stream       " + url.substring(url.indexOf("/tasks/stream")), open, events, bytes / 1024.0,
                tasks == 0 ? open : took);
    }

    private static List<Double> time(String url, int n) throws Exception {
        for (int i = 0; i < Math.min(50, n); i++) {
            get(url);
        }
        List<Double> times = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            get(url);
            times.add((System.nanoTime() - start) / 1e6);
        }
        Collections.sort(times);
        return times;
    }

    private static void report(String what, List<Double> sorted, double targetP99) {
        double p99 = percentile(sorted, 99);
        String verdict = Double.isNaN(targetP99)
                ? "no target"
                : String.format(Locale.ROOT, "target p99 <= %.0f ms: %s", targetP99, p99 <= targetP99 ? "met" : "NOT met");
        System.out.printf(Locale.ROOT, "  %-58s n=%-3d p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms   %s%n", what,
                sorted.size(), percentile(sorted, 50), p99, sorted.get(sorted.size() - 1), verdict);
    }

    private static double percentile(List<Double> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static int total(String body) {
        Matcher m = TOTAL.matcher(body);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }
}
