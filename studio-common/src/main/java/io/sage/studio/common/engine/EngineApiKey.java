package io.sage.studio.common.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;

/**
 * The API key of the studio's own model servers (vLLM's {@code --api-key} / {@code VLLM_API_KEY}): every engine the
 * chat-switch service starts requires it, the gateway and the chat-switch probes send it as {@code Bearer}. Without
 * it, anything that can reach an engine's port could load LoRA adapters into it or use it for free.
 *
 * <p>Where it comes from: {@code studio.engines.api-key} ({@code STUDIO_ENGINES_API_KEY}; the chart fills it from a
 * generated Secret), else the file {@code studio/chat/engine-api-key} in the studio home, which the chat-switch
 * service creates (mode 0600) at its first start and the gateway reads (both share the home on one machine).
 * Never logged, never in events.
 */
@ApplicationScoped
public class EngineApiKey {

    /** Name of the key file under {@link StudioHome#chatDir()}. */
    public static final String FILE_NAME = "engine-api-key";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Optional<String> configured;
    private final Path file;
    private volatile Cached cached;

    public EngineApiKey(@ConfigProperty(name = "studio.engines.api-key") Optional<String> configured, StudioHome home) {
        this.configured = configured.map(String::strip).filter(k -> !k.isEmpty());
        this.file = home.chatDir().resolve(FILE_NAME);
    }

    /** The key, when one is configured or the key file exists; re-reads the file when it changed. */
    public Optional<String> current() {
        if (configured.isPresent()) {
            return configured;
        }
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            Cached c = cached;
            if (c != null && c.modified.equals(modified)) {
                return Optional.of(c.key);
            }
            String key = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (key.isEmpty()) {
                return Optional.empty();
            }
            cached = new Cached(key, modified);
            return Optional.of(key);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the engine API key file " + file, e);
        }
    }

    /** The key; creates the key file (random, mode 0600) when nothing is configured and there is none yet. */
    public synchronized String getOrCreate() {
        Optional<String> existing = current();
        if (existing.isPresent()) {
            return existing.get();
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String key = "sk-sage-" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        try {
            AtomicFiles.writePrivate(file, key.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the engine API key file " + file, e);
        }
        return current().orElseThrow();
    }

    /** Whether the key comes from configuration rather than the studio home's file. */
    public boolean configured() {
        return configured.isPresent();
    }

    /** The key file in the studio home (used when nothing is configured). */
    public Path file() {
        return file;
    }

    private record Cached(String key, FileTime modified) {}
}
