package io.sage.studio.chat.registry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** The model names engines serve under: stable, unique per model, safe in a URL and a Kubernetes label. */
public final class ModelNames {

    private static final String PREFIX = "ft-";

    private ModelNames() {}

    /** A LoRA adapter of a task: the task id, {@code ft-}-prefixed unless the studio's ids already are. */
    public static String adapter(String taskId) {
        return taskId.startsWith(PREFIX) ? taskId : PREFIX + taskId;
    }

    /** A merged model of a task. */
    public static String merged(String taskId) {
        return adapter(taskId) + "-merged";
    }

    /** The name an engine serves a base model under: a catalogue id stays as it is, a directory gets a short name. */
    public static String servedNameOfEngine(String enginePath) {
        return enginePath.startsWith("/") ? local(enginePath) : enginePath;
    }

    /** A model directory that is not a task's artifact: {@code local-<dir name>-<hash>}. */
    public static String local(String path) {
        String name = path.replaceAll("/+$", "");
        name = name.substring(name.lastIndexOf('/') + 1)
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9.-]+", "-");
        if (name.length() > 40) {
            name = name.substring(0, 40);
        }
        return "local-" + name + "-" + shortHash(path);
    }

    static String shortHash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
