package io.sage.studio.chat.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The local runtime on its own, with a second instance over the same studio home standing in for a restarted
 * service: processes are recognised by pid and start time, orphans stopped, the rest left alone.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class LocalProcessRuntimeTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Inject
    ChatConfig config;

    @Inject
    StudioHome home;

    @Test
    void aRestartedRuntimeAdoptsTheEngineItKeepsAndStopsTheOthers() throws Exception {
        LocalProcessRuntime before = new LocalProcessRuntime(config, home);
        Backend kept = before.start(spec("b-unit-keep"));
        Backend orphan = before.start(spec("b-unit-orph"));
        awaitHealthy(kept);
        awaitHealthy(orphan);
        assertThat(kept.port()).isNotEqualTo(orphan.port());

        LocalProcessRuntime after = new LocalProcessRuntime(config, home);
        List<Backend> adopted = after.adopt(List.of(kept, orphan), Set.of(kept.id()));

        assertThat(adopted).extracting(Backend::id).containsExactly(kept.id());
        assertThat(alive(orphan.pid())).isFalse();
        assertThat(after.liveness(kept).alive()).isTrue();
        after.stop(kept);
        assertThat(alive(kept.pid())).isFalse();
        assertThat(Files.readString(home.chatDir().resolve(kept.id() + ".log"))).contains("Uvicorn running on http://127.0.0.1:" + kept.port());
    }

    @Test
    void aRecordedPidWithAnotherStartTimeIsNotTheEngineAndIsLeftAlone() throws Exception {
        LocalProcessRuntime runtime = new LocalProcessRuntime(config, home);
        Backend engine = runtime.start(spec("b-unit-pid"));
        Backend impostor = new Backend(engine.id(), "local", engine.spec(), engine.baseUrl(), engine.port(), engine.pid(),
                engine.processStart().minusSeconds(3600), null, engine.logFile(), Map.of(), Backend.State.READY, engine.startedAt());

        LocalProcessRuntime restarted = new LocalProcessRuntime(config, home);
        assertThat(restarted.adopt(List.of(impostor), Set.of())).isEmpty();
        assertThat(restarted.liveness(impostor).alive()).isFalse();
        assertThat(alive(engine.pid())).isTrue();
        runtime.stop(engine);
    }

    @Test
    void anEngineThatExitsReportsItsExitCodeAndLastOutput() {
        LocalProcessRuntime runtime = new LocalProcessRuntime(config, home);
        Backend broken;
        try {
            broken = runtime.start(new BackendSpec("b-unit-broken", "/nonexistent/broken-model", "x", false, 16, Map.of()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        await().until(() -> !runtime.liveness(broken).alive());
        assertThat(runtime.liveness(broken).reason()).contains("exited with code 1", "model path does not exist");
    }

    @Test
    void loraEnginesGetTheFlagsAndTheRuntimeUpdateSwitch() {
        LocalProcessRuntime runtime = new LocalProcessRuntime(config, home);
        List<String> args = runtime.command(new BackendSpec("b", "/m/base dir", "base", true, 128, Map.of("ft-1", "/a/lora")), 8001);
        assertThat(args).contains("/m/base dir").containsSubsequence("--port", "8001")
                .containsSubsequence("--served-model-name", "base")
                .containsSubsequence("--enable-lora", "--max-lora-rank", "128", "--lora-modules", "ft-1=/a/lora");
    }

    private static BackendSpec spec(String id) {
        return new BackendSpec(id, Engines.BASE_A, "unit-" + id, true, 64, Map.of());
    }

    private void awaitHealthy(Backend backend) {
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> http.send(
                HttpRequest.newBuilder(URI.create(backend.baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode() == 200);
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
