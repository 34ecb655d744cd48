package io.sage.studio.chat.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** The local-runtime environment with a short {@code route-publish-timeout} (3 s), for route events Kafka does not acknowledge. */
public class PublishFaultEnvironment implements QuarkusTestResourceLifecycleManager {

    private static Path home;
    private static FinetuneStandIn finetune;

    public static Path home() {
        return home;
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("chat-publish-").toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        finetune = new FinetuneStandIn();
        Map<String, String> config = new HashMap<>(LocalEnvironment.common(home, finetune.url()));
        config.put("studio.chat.route-publish-timeout", "3s");
        return config;
    }

    @Override
    public void stop() {
        if (finetune != null) {
            finetune.close();
        }
    }
}
