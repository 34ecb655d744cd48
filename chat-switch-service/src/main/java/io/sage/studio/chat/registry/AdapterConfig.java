package io.sage.studio.chat.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.StudioJson;

/**
 * What a hot-load needs to know about a PEFT LoRA adapter, from its {@code adapter_config.json}.
 *
 * @param rank      {@code r}
 * @param baseModel {@code base_model_name_or_path}, or {@code null}
 */
public record AdapterConfig(int rank, String baseModel) {

    public static final String FILE = "adapter_config.json";
    private static final long MAX_BYTES = 1 << 20;

    public static boolean isAdapter(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    /**
     * Reads the adapter config of {@code dir}; 400 {@code invalid_adapter} when missing or malformed. Errors name the
     * file and where it is broken, never what it holds (Jackson's messages quote the offending token).
     */
    public static AdapterConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode json;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new StudioException(ChatSwitchError.INVALID_ADAPTER, file + " is larger than 1 MiB; not an adapter config");
            }
            json = StudioJson.mapper().readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new StudioException(ChatSwitchError.INVALID_ADAPTER, file + " is not valid JSON"
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            throw new StudioException(ChatSwitchError.INVALID_ADAPTER, "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        if (json == null || !json.isObject()) {
            throw new StudioException(ChatSwitchError.INVALID_ADAPTER, file + " is not a JSON object");
        }
        JsonNode r = json.get("r");
        if (r == null || !r.canConvertToInt() || r.asInt() < 1) {
            throw new StudioException(ChatSwitchError.INVALID_ADAPTER, file + " has no valid rank 'r'");
        }
        JsonNode base = json.get("base_model_name_or_path");
        String baseModel = base == null || base.isNull() || base.asText().isBlank() ? null : base.asText().strip();
        return new AdapterConfig(r.asInt(), baseModel);
    }
}
