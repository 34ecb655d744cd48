package io.sage.studio.finetune;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The test service's surroundings: a fresh studio home, the stand-in trainer as trainer command (fast steps),
 * no serving layer for evaluations, quick progress polling, a 2 MB dataset limit, two concurrent downloads, and a stand-in of gpu-probe's memory estimator speaking its
 * real JSON (30 GiB expected; a model containing {@code no-estimate} gets a 503).
 */
public class StudioTestResource implements QuarkusTestResourceLifecycleManager {

    public static final long DATASET_LIMIT = 2_000_000;
    public static final long EXPECTED_BYTES = 30L << 30;
    static final Path FAKE_TRAINER = Path.of("..", "testing", "fake-trainer", "fake_trainer.py")
            .toAbsolutePath()
            .normalize();

    private static Path home;
    private HttpServer estimator;

    /** The studio home of the test service. */
    public static Path home() {
        return home;
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("studio-home-");
            estimator = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        estimator.createContext("/api/system/memory-estimate", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            byte[] answer = ("{\"model\":\"m\",\"low_bytes\":" + (28L << 30) + ",\"expected_bytes\":" + EXPECTED_BYTES
                            + ",\"high_bytes\":" + (33L << 30) + ",\"breakdown\":{\"weights_bytes\":1},\"fits\":[],"
                            + "\"recommendation\":{\"batch_size\":1}}")
                    .getBytes(StandardCharsets.UTF_8);
            int status = body.contains("no-estimate") ? 503 : 200;
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, status == 200 ? answer.length : -1);
            if (status == 200) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
            exchange.close();
        });
        estimator.start();

        Map<String, String> config = new HashMap<>();
        config.put("studio.home", home.toString());
        config.put(
                "studio.services.gpu-url",
                "http://127.0.0.1:" + estimator.getAddress().getPort());
        config.put("studio.finetune.local.trainer-command", "python3 " + FAKE_TRAINER);
        config.put("studio.finetune.local.env.FAKE_TRAINER_STEP_DELAY", "0.02");
        config.put("studio.finetune.local.env.FAKE_TRAINER_STEPS", "12");
        config.put("studio.finetune.local.cancel-grace", "1s");
        config.put("studio.finetune.progress-poll", "20ms");
        config.put("studio.finetune.progress-interval", "200ms");
        config.put("studio.finetune.rescan-interval", "300ms");
        config.put("studio.finetune.dataset.max-bytes", Long.toString(DATASET_LIMIT));
        config.put("studio.finetune.max-concurrent-downloads", "2");
        // no serving layer: an evaluation asked for here fails at once with serving_failed
        config.put("studio.finetune.evaluation.chat-url", "http://127.0.0.1:9");
        config.put("studio.finetune.evaluation.openai-url", "http://127.0.0.1:9");
        return config;
    }

    @Override
    public void stop() {
        if (estimator != null) {
            estimator.stop(0);
        }
    }
}
