package io.sage.studio.gpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A private copy of the stand-in {@code libnvidia-ml.so} (built from {@code src/test/c/fake_nvml.c} by the
 * test build) and the file it reads its GPUs from ({@code <library>.conf}). Each copy is a separate library for
 * the dynamic linker, so tests do not share NVML state.
 */
public final class StandinNvml {

    private final Path library;
    private final Path config;

    private StandinNvml(Path library) {
        this.library = library;
        this.config = library.resolveSibling(library.getFileName() + ".conf");
    }

    /** Copies the stand-in into {@code dir} as {@code libnvidia-ml.so.1}, with no GPUs configured yet. */
    public static StandinNvml in(Path dir) {
        String built = System.getProperty("standin.nvml.library");
        if (built == null) {
            throw new IllegalStateException(
                    "system property standin.nvml.library is not set (run the tests with Maven)");
        }
        try {
            Files.createDirectories(dir);
            Path copy = dir.resolve("libnvidia-ml.so.1");
            Files.copy(Path.of(built), copy, StandardCopyOption.REPLACE_EXISTING);
            StandinNvml standin = new StandinNvml(copy);
            standin.configure(List.of("count=0"));
            return standin;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The copy {@link #in(Path)} made earlier in {@code dir}. */
    public static StandinNvml at(Path dir) {
        return new StandinNvml(dir.resolve("libnvidia-ml.so.1"));
    }

    public Path library() {
        return library;
    }

    /** Replaces the configuration (atomically: the library never reads half a file). */
    public StandinNvml configure(List<String> lines) {
        try {
            Path tmp = Files.createTempFile(config.getParent(), ".conf", ".tmp");
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            Files.move(tmp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A configuration: driver 550.54.15, CUDA 12.4, these GPUs. */
    public static List<String> system(Gpu... gpus) {
        List<String> lines =
                new ArrayList<>(List.of("driver_version=550.54.15", "cuda_version=12040", "count=" + gpus.length));
        for (int i = 0; i < gpus.length; i++) {
            lines.addAll(gpus[i].lines(i));
        }
        return lines;
    }

    /** One GPU of the stand-in; {@code extra} lines are {@code key=value} without the {@code gpu.<i>.} prefix. */
    public record Gpu(String uuid, String name, long total, long free, List<String> extra) {

        public Gpu(String uuid, String name, long total, long free) {
            this(uuid, name, total, free, List.of());
        }

        public Gpu with(String... lines) {
            List<String> all = new ArrayList<>(extra);
            all.addAll(List.of(lines));
            return new Gpu(uuid, name, total, free, all);
        }

        List<String> lines(int index) {
            String p = "gpu." + index + ".";
            List<String> out = new ArrayList<>(List.of(
                    p + "uuid=" + uuid,
                    p + "name=" + name,
                    String.format(Locale.ROOT, "%smemory=%d,%d,%d", p, total, free, total - free),
                    p + "utilization=37,12",
                    p + "temperature=54",
                    p + "power=71250"));
            extra.forEach(line -> out.add(p + line));
            return out;
        }
    }
}
