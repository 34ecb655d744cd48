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
 * What a service that served a fine-tune by name leaves behind when it stops: its engine still running (a real process
 * of the stand-in vLLM with the studio home's API key) and the state file with the default route and the serving set
 * ({@code ft-t-kept} hot-loaded onto that engine). The engine was restarted in place meanwhile: it no longer holds the
 * adapter, which lived in its memory only.
 */
public class ServedRestartEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String ENGINE_ID = "b-kept0001";
    public static final String SERVED = "ft-t-kept";
    private static Path home;
    private static Process engine;
    private static Path adapter;

    public static Path home() {
        return home;
    }

    public static long enginePid() {
        return engine.pid();
    }

    public static Path adapter() {
        return adapter;
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("chat-served-").toRealPath();
            FinetuneStandIn finetune = new FinetuneStandIn();
            Map<String, String> config = new HashMap<>(LocalEnvironment.common(home, finetune.url()));
            int port = Integer.parseInt(config.get("studio.chat.local.ports").split("-")[0]);
            Path chat = Files.createDirectories(home.resolve("studio/chat"));
            String key = Engines.writeApiKey(home, "sk-sage-served-" + Long.toHexString(System.nanoTime()));
            adapter = Engines.adapterDir(home.resolve("studio_finetune/t-kept/lora"), 8, Engines.BASE_A);
            engine = LeftBehind.engine(home, ENGINE_ID, Engines.BASE_A, port, true, key);
            ServableModel base = LeftBehind.base(Engines.BASE_A);
            ServableModel lora = new ServableModel(
                    adapter.toString(),
                    SERVED,
                    ServableModel.KIND_FINETUNED,
                    ServableModel.Artifact.LORA,
                    Engines.BASE_A,
                    adapter.toString(),
                    Engines.BASE_A,
                    8,
                    "t-kept",
                    SERVED);
            Backend backend = LeftBehind.backend(
                    home,
                    ENGINE_ID,
                    engine,
                    port,
                    new BackendSpec(ENGINE_ID, Engines.BASE_A, Engines.BASE_A, true, 64, Map.of(), base),
                    Map.of(SERVED, adapter.toString()));
            String url = backend.baseUrl();
            Instant since = Instant.now().minusSeconds(60);
            AtomicFiles.writeJson(
                    chat.resolve("state.json"),
                    new StateSnapshot(
                            7,
                            RouteState.ACTIVE,
                            new PublishedRoute(ENGINE_ID, url, Engines.BASE_A, base, "local", since),
                            List.of(backend),
                            Instant.now(),
                            List.of(new PublishedRoute(ENGINE_ID, url, SERVED, lora, "local", since)),
                            null));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (engine != null && engine.isAlive()) {
            engine.destroyForcibly();
        }
    }
}
