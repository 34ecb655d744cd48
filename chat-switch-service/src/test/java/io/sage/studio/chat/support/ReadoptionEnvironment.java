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
            active = LeftBehind.engine(home, ACTIVE_ID, Engines.BASE_A, port, true, key);
            orphan = LeftBehind.engine(home, ORPHAN_ID, Engines.BASE_B, port + 1, false, key);
            ServableModel model = LeftBehind.base(Engines.BASE_A);
            Backend serving = LeftBehind.backend(
                    home,
                    ACTIVE_ID,
                    active,
                    port,
                    new BackendSpec(ACTIVE_ID, Engines.BASE_A, Engines.BASE_A, true, 64, Map.of()),
                    Map.of());
            // The orphan was started for a model of its own and serves it: still, the route's engine lives, so it goes.
            Backend starting = LeftBehind.backend(
                    home,
                    ORPHAN_ID,
                    orphan,
                    port + 1,
                    new BackendSpec(
                            ORPHAN_ID,
                            Engines.BASE_B,
                            Engines.BASE_B,
                            true,
                            64,
                            Map.of(),
                            LeftBehind.base(Engines.BASE_B)),
                    Map.of());
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
                            true,
                            false));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
