package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.artifact.ArtifactArchive;
import io.sage.studio.finetune.artifact.Download;

/**
 * Model downloads with real symbolic links planted in a completed task's {@code lora/} and {@code merged_model/}
 * (as a trainer, or a copied-in folder, could): the archive never holds a byte from outside the artifact.
 */
class DownloadEscapeTest {

    private static final String SECRET = "sk-engine-key-that-must-never-leave-7c1e";

    @TempDir
    Path root;

    private Path outside;
    private Path engineKey;

    @BeforeEach
    void secretsOutsideTheTask() throws IOException {
        StudioHome home = StudioHome.at(root);
        Path chat = Files.createDirectories(home.chatDir());
        engineKey = Files.writeString(chat.resolve("engine-api-key"), SECRET);
        outside = Files.createDirectories(root.resolve("elsewhere"));
        Files.writeString(outside.resolve("secret.txt"), SECRET);
        Files.createDirectories(outside.resolve("lora"));
        Files.writeString(outside.resolve("lora").resolve("adapter_config.json"), SECRET);
    }

    /** A completed task folder whose metadata lists {@code artifacts}. */
    private Path task(String id, String artifacts) throws IOException {
        Path dir = Files.createDirectories(StudioHome.at(root).finetuneDir().resolve(id));
        Files.writeString(dir.resolve(TaskStore.META_FILE), """
                {"task_id":"%s","model_name":"m","status":"completed","created_at":"2025-01-01T00:00:00Z",
                 "completed_at":"2025-01-01T01:00:00Z","artifacts":%s}
                """.formatted(id, artifacts));
        return dir;
    }

    private static Map<String, String> archive(Download download) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ArtifactArchive.write(download.folder(), download.name(), out);
        Map<String, String> entries = new LinkedHashMap<>();
        try (TarArchiveInputStream tar =
                new TarArchiveInputStream(new GzipCompressorInputStream(new ByteArrayInputStream(out.toByteArray())))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                entries.put(entry.getName(), new String(tar.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return entries;
    }

    @Test
    void linksInsideTheArtifactToFilesFoldersAndChainsLeavingItAreSkipped() throws IOException {
        Path dir = task("ft-20250101-000000-11nk01", "{\"lora\":\"lora\",\"merged_model\":\"merged_model\"}");
        Path lora = Files.createDirectories(dir.resolve("lora"));
        Files.writeString(lora.resolve("adapter_config.json"), "{\"r\":8}");
        Files.createSymbolicLink(lora.resolve("outside-dir"), outside);
        Path sub = Files.createDirectories(lora.resolve("tokenizer"));
        Files.writeString(sub.resolve("vocab.json"), "{}");
        Files.createSymbolicLink(sub.resolve("escape.json"), Path.of("../../../../studio/chat/engine-api-key"));
        Files.createSymbolicLink(lora.resolve("chain-b"), engineKey);
        Files.createSymbolicLink(lora.resolve("chain-a"), Path.of("chain-b"));
        Path merged = Files.createDirectories(dir.resolve("merged_model"));
        Files.writeString(merged.resolve("config.json"), "{}");
        Files.createSymbolicLink(merged.resolve("model.safetensors"), outside.resolve("secret.txt"));

        try (Harness h = new Harness(root, Map.of())) {
            Map<String, String> loraEntries = archive(h.download("ft-20250101-000000-11nk01", "lora"));
            assertThat(loraEntries)
                    .containsOnlyKeys(
                            "ft-20250101-000000-11nk01-lora/",
                            "ft-20250101-000000-11nk01-lora/adapter_config.json",
                            "ft-20250101-000000-11nk01-lora/tokenizer/",
                            "ft-20250101-000000-11nk01-lora/tokenizer/vocab.json");
            Map<String, String> mergedEntries = archive(h.download("ft-20250101-000000-11nk01", null));
            assertThat(mergedEntries)
                    .containsOnlyKeys(
                            "ft-20250101-000000-11nk01-merged_model/",
                            "ft-20250101-000000-11nk01-merged_model/config.json");
            assertThat(String.join("", loraEntries.values()) + String.join("", mergedEntries.values()))
                    .doesNotContain(SECRET);
        }
    }

    @Test
    void anArtifactPathThroughAnIntermediateLinkIsRefused() throws IOException {
        Path dir = task("ft-20250101-000000-11nk02", "{\"lora\":\"out/lora\"}");
        Files.createSymbolicLink(dir.resolve("out"), outside);
        try (Harness h = new Harness(root, Map.of())) {
            assertThatThrownBy(() -> archive(h.download("ft-20250101-000000-11nk02", "lora")))
                    .isInstanceOf(StudioException.class)
                    .hasMessageContaining("has no lora artifact");
        }
    }

    @Test
    void anArtifactFolderThatIsALinkOrAChainOutIsRefused() throws IOException {
        Path dir = task("ft-20250101-000000-11nk03", "{\"lora\":\"lora\",\"merged_model\":\"merged_model\"}");
        Files.createSymbolicLink(dir.resolve("merged_model"), outside);
        Files.createSymbolicLink(dir.resolve("hop"), outside.resolve("lora"));
        Files.createSymbolicLink(dir.resolve("lora"), Path.of("hop"));
        try (Harness h = new Harness(root, Map.of())) {
            for (String kind : new String[] {"lora", "merged_model"}) {
                assertThatThrownBy(() -> archive(h.download("ft-20250101-000000-11nk03", kind)))
                        .isInstanceOf(StudioException.class)
                        .hasMessageContaining("has no " + kind + " artifact");
            }
        }
    }

    @Test
    void theWholeTaskFolderIsNeverAnArtifact() throws IOException {
        task("ft-20250101-000000-11nk04", "{\"lora\":\".\"}");
        try (Harness h = new Harness(root, Map.of())) {
            assertThatThrownBy(() -> h.download("ft-20250101-000000-11nk04", "lora"))
                    .isInstanceOf(StudioException.class);
        }
    }
}
