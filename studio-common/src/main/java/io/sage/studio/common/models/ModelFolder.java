package io.sage.studio.common.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/**
 * Reads a model folder of the studio home: a Hugging Face model ({@value #CONFIG}) or a PEFT LoRA adapter
 * ({@value #ADAPTER_CONFIG}). One reader for the services that look into such folders (gpu-probe's
 * {@code ArchitectureResolver} sizes the model, chat-switch's {@code ServableModelResolver} decides what an engine
 * loads), so the limits and the rule that an error never quotes what a file holds are the same everywhere. Reading
 * is pure: which folder may be read (inside the studio home, links resolved) is the caller's check, and so is the
 * error code a {@link Unreadable} becomes.
 */
public final class ModelFolder {

    /** A model's Hugging Face config. */
    public static final String CONFIG = "config.json";
    /** A PEFT adapter's config. */
    public static final String ADAPTER_CONFIG = "adapter_config.json";
    /** Configs are small; anything larger is not one (and is never read whole). */
    public static final long MAX_CONFIG_BYTES = 1 << 20;

    private ModelFolder() {}

    /** Whether {@code dir} holds a model's {@value #CONFIG} (a regular file). */
    public static boolean hasConfig(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG));
    }

    /** Whether {@code dir} holds a LoRA adapter's {@value #ADAPTER_CONFIG} (a regular file). */
    public static boolean hasAdapterConfig(Path dir) {
        return Files.isRegularFile(dir.resolve(ADAPTER_CONFIG));
    }

    /**
     * What a LoRA adapter's config says.
     *
     * @param rank      {@code r}, or {@code null} when missing or not a positive integer
     * @param baseModel {@code base_model_name_or_path} stripped, or {@code null} when missing or blank
     */
    public record Adapter(Integer rank, String baseModel) {}

    /** Reads {@code dir}'s {@value #ADAPTER_CONFIG}; {@code what} names it in errors ("an adapter config"). */
    public static Adapter readAdapter(Path dir, String what) {
        JsonNode json = readJson(dir.resolve(ADAPTER_CONFIG), what);
        JsonNode r = json.get("r");
        Integer rank = r != null && r.canConvertToInt() && r.asInt() >= 1 ? r.asInt() : null;
        JsonNode base = json.get("base_model_name_or_path");
        String baseModel = base == null || base.isNull() || base.asText().isBlank()
                ? null
                : base.asText().strip();
        return new Adapter(rank, baseModel);
    }

    /**
     * Parses one config file as a JSON object. Errors name the file and where parsing failed, never what it holds
     * (Jackson's own messages quote the offending token).
     *
     * @param what what the file should be, for the size error ("a model config", "an adapter config")
     * @throws Unreadable when it is larger than {@value #MAX_CONFIG_BYTES} bytes, not valid JSON, not an object, or
     *                    cannot be read
     */
    public static JsonNode readJson(Path file, String what) {
        try {
            if (Files.size(file) > MAX_CONFIG_BYTES) {
                throw new Unreadable(file, file + " is larger than 1 MiB; not " + what);
            }
            JsonNode node = StudioJson.mapper().readTree(Files.readAllBytes(file));
            if (node == null || !node.isObject()) {
                throw new Unreadable(file, file + " is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new Unreadable(
                    file,
                    file + " is not valid JSON"
                            + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            throw new Unreadable(
                    file, "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** A config that cannot be used; the message names the file and the reason, never its content. */
    public static final class Unreadable extends RuntimeException {

        private final transient Path file;

        Unreadable(Path file, String message) {
            super(message, null, false, false);
            this.file = file;
        }

        public Path file() {
            return file;
        }
    }
}
