package io.sage.studio.common.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {

    @TempDir
    Path dir;

    @Test
    void tellsModelsFromAdaptersByTheirConfigFiles() throws IOException {
        assertThat(ModelFolder.hasConfig(dir)).isFalse();
        assertThat(ModelFolder.hasAdapterConfig(dir)).isFalse();
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.createDirectory(dir.resolve("adapter_config.json"));
        assertThat(ModelFolder.hasConfig(dir)).isTrue();
        assertThat(ModelFolder.hasAdapterConfig(dir)).isFalse();
    }

    @Test
    void readsAnAdaptersRankAndBase() throws IOException {
        Files.writeString(
                dir.resolve("adapter_config.json"),
                "{\"r\": 16, \"base_model_name_or_path\": \" Qwen/Qwen2.5-0.5B \"}");
        assertThat(ModelFolder.readAdapter(dir, "an adapter config"))
                .isEqualTo(new ModelFolder.Adapter(16, "Qwen/Qwen2.5-0.5B"));
        Files.writeString(dir.resolve("adapter_config.json"), "{\"r\": 0, \"base_model_name_or_path\": null}");
        assertThat(ModelFolder.readAdapter(dir, "an adapter config")).isEqualTo(new ModelFolder.Adapter(null, null));
    }

    @Test
    void errorsNameTheFileAndWhereNeverWhatItHolds() throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), "{\"token\": sk-secret-value}");
        assertThatThrownBy(() -> ModelFolder.readJson(file, "a model config"))
                .isInstanceOf(ModelFolder.Unreadable.class)
                .hasMessage(file + " is not valid JSON (line 1, column 11)")
                .hasMessageNotContaining("secret");
        Files.writeString(file, "[1]");
        assertThatThrownBy(() -> ModelFolder.readJson(file, "a model config"))
                .hasMessage(file + " is not a JSON object");
        Files.write(file, new byte[(int) ModelFolder.MAX_CONFIG_BYTES + 1]);
        assertThatThrownBy(() -> ModelFolder.readJson(file, "an adapter config"))
                .hasMessage(file + " is larger than 1 MiB; not an adapter config");
        assertThatThrownBy(() -> ModelFolder.readJson(dir.resolve("missing.json"), "a model config"))
                .hasMessage("cannot read " + dir.resolve("missing.json") + " (NoSuchFileException)")
                .satisfies(e -> assertThat(((ModelFolder.Unreadable) e).file()).isEqualTo(dir.resolve("missing.json")));
    }
}
