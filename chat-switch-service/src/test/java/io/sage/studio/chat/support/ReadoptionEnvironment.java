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
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.chat.state.StateSnapshot;
import io.sage.studio.chat.switching.SwitchOperation;
import io.sage.studio.chat.switching.SwitchStrategy;
import io.sage.studio.common.files.AtomicFiles;

/**
 * What a service that went down leaves behind, set up before the service starts: two engines still running with the
 * engines' API key of the studio home (the one the route points at and an orphan of an interrupted switch), the state
 * file naming both with route revision 41, and a switch operation that was in progress.
 */
public class ReadoptionEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String ACTIVE_ID = "b-active01";
    public static final String ORPHAN_ID = "b-orphan01";
    public static final String INTERRUPTED_OP = "op-interrupted";
    private static Path home;
    private static FinetuneStandIn finetune;
    private static Process active;
    private static Process orphan;

    public static Path home() {
        return home;
    }

    public static FinetuneStandIn finetune() {
        return finetune;
    }

    public static long activePid() {
        return active.pid();
    }

    public static long orphanPid() {
        return orphan.pid();
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("chat-readopt-").toRealPath();
            finetune = new FinetuneStandIn();
            Map<String, String> config = new HashMap<>(LocalEnvironment.common(home, finetune.url()));
            String[] range = config.get("studio.chat.local.ports").split("-");
            int port = Integer.parseInt(range[0]);
            Path chat = Files.createDirectories(home.resolve("studio/chat"));
            String key = Engines.writeApiKey(home, "sk-sage-readopt-" + Long.toHexString(System.nanoTime()));
            active = Engines.start(
                    chat.resolve(ACTIVE_ID + ".log"),
                    List.of(
                            Engines.BASE_A,
                            "--host",
                            "127.0.0.1",
                            "--port",
                            Integer.toString(port),
                            "--served-model-name",
                            Engines.BASE_A,
                            "--enable-lora",
                            "--max-lora-rank",
                            "64"),
                    Map.of("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True", "VLLM_API_KEY", key));
            orphan = Engines.start(
                    chat.resolve(ORPHAN_ID + ".log"),
                    List.of(
                            Engines.BASE_B,
                            "--host",
                            "127.0.0.1",
                            "--port",
                            Integer.toString(port + 1),
                            "--served-model-name",
                            Engines.BASE_B),
                    Map.of("VLLM_API_KEY", key));
            awaitHealthy(port);
            awaitHealthy(port + 1);

            ServableModel model = new ServableModel(
                    Engines.BASE_A,
                    Engines.BASE_A,
                    "base",
                    ServableModel.Artifact.BASE,
                    Engines.BASE_A,
                    null,
                    Engines.BASE_A,
                    null,
                    null,
                    Engines.BASE_A);
            Backend serving = backend(
                    ACTIVE_ID,
                    active,
                    port,
                    new BackendSpec(ACTIVE_ID, Engines.BASE_A, Engines.BASE_A, true, 64, Map.of()));
            // The orphan was started for a model of its own and serves it: still, the route's engine lives, so it goes.
            ServableModel other = new ServableModel(
                    Engines.BASE_B,
                    Engines.BASE_B,
                    "base",
                    ServableModel.Artifact.BASE,
                    Engines.BASE_B,
                    null,
                    Engines.BASE_B,
                    null,
                    null,
                    Engines.BASE_B);
            Backend starting = backend(
                    ORPHAN_ID,
                    orphan,
                    port + 1,
                    new BackendSpec(ORPHAN_ID, Engines.BASE_B, Engines.BASE_B, true, 64, Map.of(), other));
            PublishedRoute route =
                    new PublishedRoute(ACTIVE_ID, serving.baseUrl(), Engines.BASE_A, model, "local", Instant.now());
            AtomicFiles.writeJson(
                    chat.resolve("state.json"),
                    new StateSnapshot(41, RouteState.ACTIVE, route, List.of(serving, starting), Instant.now()));
            AtomicFiles.writeJson(
                    chat.resolve("operations/" + INTERRUPTED_OP + ".json"),
                    new SwitchOperation(
                            INTERRUPTED_OP,
                            Engines.BASE_B,
                            null,
                            SwitchStrategy.BLUE_GREEN,
                            SwitchOperation.State.WAITING_READY,
                            null,
                            false,
                            new SwitchOperation.Timings(Instant.now(), null, null, null, null),
                            List.of(),
                            "api",
                            null,
                            null,
                            null,
                            false,
                            true));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Backend backend(String id, Process process, int port, BackendSpec spec) {
        return new Backend(
                id,
                "local",
                spec,
                "http://127.0.0.1:" + port,
                port,
                process.pid(),
                process.info().startInstant().orElseThrow(),
                null,
                home.resolve("studio/chat/" + id + ".log").toString(),
                Map.of(),
                Backend.State.READY,
                Instant.now());
    }

    private static void awaitHealthy(int port) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(20))
                .ignoreExceptions()
                .until(() -> http.send(
                                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200);
    }

    @Override
    public void stop() {
        for (Process process : new Process[] {active, orphan}) {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
            }
        }
        if (finetune != null) {
            finetune.close();
        }
    }
}
