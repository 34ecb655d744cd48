package io.sage.studio.chat.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Cloud mode ({@code SAGE_FORCE_CLOUD_API}): the "cloud" is the stand-in vLLM started with {@code --api-key}, so a
 * request without the key is refused exactly like a real provider would.
 */
public class CloudEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String API_KEY = "sk-test-7f3a9c1e5b";
    public static final String MODEL = "gpt-studio-test";
    private static Path home;
    private static Process cloud;
    private static int port;

    public static Path home() {
        return home;
    }

    public static String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("chat-cloud-").toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        port = Engines.freePort();
        cloud = Engines.start(
                home.resolve("cloud.log"),
                List.of(
                        MODEL,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--served-model-name",
                        MODEL,
                        "--api-key",
                        API_KEY),
                Map.of());
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(20))
                .ignoreExceptions()
                .until(() -> http.send(
                                        HttpRequest.newBuilder(URI.create(baseUrl() + "/health"))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200);
        Map<String, String> config = new HashMap<>(LocalEnvironment.common(home, "http://127.0.0.1:9"));
        config.put("studio.chat.force-cloud", "true");
        config.put("studio.chat.cloud.base-url", baseUrl() + "/v1");
        config.put("studio.chat.cloud.api-key", API_KEY);
        config.put("studio.chat.cloud.model", MODEL);
        return config;
    }

    @Override
    public void stop() {
        if (cloud != null) {
            cloud.destroyForcibly();
        }
    }
}
