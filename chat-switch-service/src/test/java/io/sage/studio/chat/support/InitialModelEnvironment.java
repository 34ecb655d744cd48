package io.sage.studio.chat.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import io.sage.studio.common.files.AtomicFiles;

/**
 * A state file whose active engine died while the service was down (its process is gone), and
 * {@code studio.chat.initial-model} set, as {@code ./sage studio start --llm-model} does.
 */
public class InitialModelEnvironment implements QuarkusTestResourceLifecycleManager {

    private static Path home;
    private static FinetuneStandIn finetune;
    private static long deadPid;

    public static long deadPid() {
        return deadPid;
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("chat-initial-").toRealPath();
            finetune = new FinetuneStandIn();
            Process gone = new ProcessBuilder("true").start();
            gone.waitFor();
            deadPid = gone.pid();
            Map<String, String> config = new HashMap<>(LocalEnvironment.common(home, finetune.url()));
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
            Backend dead = new Backend(
                    "b-dead0001",
                    "local",
                    new BackendSpec("b-dead0001", Engines.BASE_A, Engines.BASE_A, true, 64, Map.of()),
                    "http://127.0.0.1:1",
                    1,
                    deadPid,
                    Instant.now().minusSeconds(3600),
                    null,
                    null,
                    Map.of(),
                    Backend.State.READY,
                    Instant.now());
            AtomicFiles.writeJson(
                    home.resolve("studio/chat/state.json"),
                    new StateSnapshot(
                            7,
                            RouteState.ACTIVE,
                            new PublishedRoute(
                                    dead.id(), dead.baseUrl(), Engines.BASE_A, model, "local", Instant.now()),
                            List.of(dead),
                            Instant.now()));
            config.put("studio.chat.initial-model", Engines.BASE_B);
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (finetune != null) {
            finetune.close();
        }
    }
}
