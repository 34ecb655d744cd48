package io.sage.studio.chat.registry;

import java.nio.file.Path;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.models.ModelFolder;

/**
 * What a hot-load needs to know about a PEFT LoRA adapter, from its {@code adapter_config.json}.
 *
 * @param rank      {@code r}
 * @param baseModel {@code base_model_name_or_path}, or {@code null}
 */
public record AdapterConfig(int rank, String baseModel) {

    public static final String FILE = ModelFolder.ADAPTER_CONFIG;

    public static boolean isAdapter(Path dir) {
        return ModelFolder.hasAdapterConfig(dir);
    }

    /**
     * Reads the adapter config of {@code dir} with studio-common's {@link ModelFolder}; {@code invalid_adapter} when
     * missing or malformed. Errors name the file and where it is broken, never what it holds.
     */
    public static AdapterConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        ModelFolder.Adapter adapter;
        try {
            adapter = ModelFolder.readAdapter(dir, "an adapter config");
        } catch (ModelFolder.Unreadable e) {
            throw new StudioException(ChatSwitchError.INVALID_ADAPTER, e.getMessage());
        }
        if (adapter.rank() == null) {
            throw new StudioException(ChatSwitchError.INVALID_ADAPTER, file + " has no valid rank 'r'");
        }
        return new AdapterConfig(adapter.rank(), adapter.baseModel());
    }
}
