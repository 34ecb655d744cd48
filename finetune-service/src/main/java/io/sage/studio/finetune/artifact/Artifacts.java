package io.sage.studio.finetune.artifact;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The model outputs of a task directory: {@code lora/} (adapter) and {@code merged_model/} (full weights). */
public final class Artifacts {

    public static final String LORA = "lora";
    public static final String MERGED = "merged_model";
    static final List<String> KINDS = List.of(MERGED, LORA);

    private Artifacts() {}

    /** The artifact folders that exist (real folders, not links) and are not empty, relative to {@code taskDir}. */
    public static Map<String, String> onDisk(Path taskDir) {
        Map<String, String> found = new LinkedHashMap<>();
        for (String kind : KINDS) {
            if (nonEmptyDir(taskDir.resolve(kind))) {
                found.put(kind, kind);
            }
        }
        return found;
    }

    /** A path the trainer reported, relative to the task directory when it lies inside it. */
    public static String relative(Path taskDir, String reported) {
        Path path = Path.of(reported);
        if (!path.isAbsolute()) {
            return path.normalize().toString();
        }
        Path normalized = path.normalize();
        return normalized.startsWith(taskDir) ? taskDir.relativize(normalized).toString() : normalized.toString();
    }

    private static boolean nonEmptyDir(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            return false;
        }
    }
}
