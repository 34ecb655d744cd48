package io.sage.studio.chat.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import io.sage.studio.chat.support.Configs;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.common.home.StudioHome;

/** What the probe sends to an engine (its API key) and how much of an answer it reads (bounded). */
class OpenAiProbeTest {

    @TempDir
    Path home;

    private HttpServer server;
    private final AtomicReference<String> authorization = new AtomicReference<>();
    private volatile byte[] models;

    @BeforeEach
    void engine() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] body = exchange.getRequestURI().getPath().equals("/v1/models") ? models : new byte[0];
            exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        models = "{\"object\":\"list\",\"data\":[{\"id\":\"m\"}]}".getBytes(StandardCharsets.UTF_8);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void everyEngineCallCarriesTheEnginesKey() {
        OpenAiProbe probe = probe();
        assertThat(probe.models(url())).contains(List.of("m"));
        assertThat(authorization.get()).isEqualTo("Bearer sk-engine-test");
        authorization.set(null);
        assertThat(probe.health(url()).ok()).isTrue();
        assertThat(authorization.get()).isEqualTo("Bearer sk-engine-test");
        probe.unloadLora(url(), "x");
        assertThat(authorization.get()).isEqualTo("Bearer sk-engine-test");
        probe.models(url(), "sk-cloud");
        assertThat(authorization.get()).isEqualTo("Bearer sk-cloud");
    }

    @Test
    void anAnswerLargerThanTheLimitIsRefusedNotRead() {
        String padding = "x".repeat(OpenAiProbe.MAX_BODY_BYTES);
        models = ("{\"object\":\"list\",\"pad\":\"" + padding + "\",\"data\":[{\"id\":\"m\"}]}")
                .getBytes(StandardCharsets.UTF_8);

        assertThat(probe().models(url())).isEmpty();
        OpenAiProbe.Result health = probe().health(url());
        assertThat(health.ok()).isTrue();
    }

    private OpenAiProbe probe() {
        return new OpenAiProbe(
                Configs.chat(Map.of()), new EngineApiKey(Optional.of("sk-engine-test"), StudioHome.at(home)));
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }
}
