package io.sage.studio.chat.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The local-runtime test environment: a fresh studio home, the finetune-service stand-in, engines from the
 * stand-in vLLM on ports of their own, short timeouts, and engines stopped when the service stops.
 */
public class LocalEnvironment implements QuarkusTestResourceLifecycleManager {

    private static Path home;
    private static FinetuneStandIn finetune;
    private static String node;

    public static Path home() {
        return home;
    }

    public static FinetuneStandIn finetune() {
        return finetune;
    }

    /** The node name the service looks for in GPU telemetry. */
    public static String node() {
        return node;
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("chat-home-").toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        finetune = new FinetuneStandIn();
        node = "test-node-" + Long.toHexString(System.nanoTime());
        Map<String, String> config = new HashMap<>(common(home, finetune.url()));
        config.put("studio.chat.node", node);
        return config;
    }

    static Map<String, String> common(Path home, String finetuneUrl) {
        Map<String, String> config = new HashMap<>();
        config.put("studio.home", home.toString());
        config.put("studio.services.finetune-url", finetuneUrl);
        config.put("studio.chat.local.command", Engines.commandTemplate());
        config.put("studio.chat.local.ports", Engines.freePortRange());
        config.put("studio.chat.local.stop-on-shutdown", "true");
        config.put("studio.chat.local.stop-timeout", "5s");
        config.put("studio.chat.ready-timeout", "8s");
        config.put("studio.chat.drain-grace", "3s");
        config.put("studio.chat.monitor-interval", "300ms");
        config.put("studio.chat.probe-timeout", "5s");
        config.put("studio.chat.local.environment.SAGE_ENGINE_MARK", "explicit");
        return config;
    }

    @Override
    public void stop() {
        if (finetune != null) {
            finetune.close();
        }
    }
}
