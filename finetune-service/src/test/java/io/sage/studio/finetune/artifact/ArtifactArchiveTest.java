package io.sage.studio.finetune.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactArchiveTest {

    @TempDir
    Path tmp;

    @Test
    void archivesTheModelButNoTrainingStateOrLinks() throws IOException {
        Path lora = Files.createDirectories(tmp.resolve("lora"));
        Files.writeString(lora.resolve("adapter_config.json"), "{\"r\":8}");
        Files.write(lora.resolve("adapter_model.safetensors"), new byte[] {1, 2, 3});
        Files.writeString(lora.resolve("optimizer.pt"), "state");
        Files.writeString(lora.resolve("rng_state_0.pth"), "state");
        Files.createDirectories(lora.resolve("checkpoint-10"))
                .resolve("x")
                .toFile()
                .createNewFile();
        Files.createDirectories(lora.resolve("tokenizer"))
                .resolve("vocab.json")
                .toFile()
                .createNewFile();
        Files.createSymbolicLink(lora.resolve("escape"), Path.of("/etc/passwd"));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ArtifactArchive.write(lora, "ft-1-lora", out);

        Map<String, String> entries = new HashMap<>();
        try (TarArchiveInputStream tar =
                new TarArchiveInputStream(new GzipCompressorInputStream(new ByteArrayInputStream(out.toByteArray())))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                entries.put(entry.getName(), new String(tar.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        assertThat(entries.keySet())
                .containsExactlyInAnyOrder(
                        "ft-1-lora/",
                        "ft-1-lora/adapter_config.json",
                        "ft-1-lora/adapter_model.safetensors",
                        "ft-1-lora/tokenizer/",
                        "ft-1-lora/tokenizer/vocab.json");
        assertThat(entries.get("ft-1-lora/adapter_config.json")).isEqualTo("{\"r\":8}");
    }
}
