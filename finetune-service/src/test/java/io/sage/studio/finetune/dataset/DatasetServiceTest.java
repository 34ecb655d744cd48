package io.sage.studio.finetune.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.Dataset;
import io.sage.studio.finetune.storage.Durability;

class DatasetServiceTest {

    @TempDir
    Path root;

    record Limits(long maxBytes, int maxRecordBytes, int maxErrors) implements FinetuneConfig.Datasets {

        @Override
        public int validationThreads() {
            return 2;
        }
    }

    private static final Limits LIMITS = new Limits(1 << 20, 1 << 16, 10);

    /** Records the durability calls, with whether the renamed dataset folder existed at each. */
    private static final class Recorder implements Durability {
        final List<String> calls = new ArrayList<>();
        final Path datasets;

        Recorder(Path datasets) {
            this.datasets = datasets;
        }

        @Override
        public void file(Path file) {
            calls.add("file " + datasets.relativize(file).toString().replaceAll("ds-[a-z0-9-]+", "ID"));
        }

        @Override
        public void directory(Path dir) {
            calls.add("dir "
                    + (dir.equals(datasets)
                            ? "datasets" + (published() ? " (after rename)" : "")
                            : datasets.relativize(dir).toString().replaceAll("ds-[a-z0-9-]+", "ID")));
        }

        private boolean published() {
            try (Stream<Path> dirs = Files.list(datasets)) {
                return dirs.anyMatch(d -> d.getFileName().toString().startsWith("ds-"));
            } catch (IOException e) {
                return false;
            }
        }
    }

    private static ByteArrayInputStream records(int n, String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append("{\"prompt\":\"").append(text).append(i).append("\",\"completion\":\"c\"}\n");
        }
        return new ByteArrayInputStream(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aStoredDatasetIsForcedToDiskBeforeAndAfterItsRename() throws IOException {
        StudioHome home = StudioHome.at(root);
        Recorder sync = new Recorder(home.datasetsDir());
        DatasetService service = new DatasetService(home, LIMITS, Long.MAX_VALUE, sync);
        service.store("d.jsonl", records(2, "p"), "alice");
        assertThat(sync.calls)
                .containsExactly("file .staging-ID/dataset.jsonl", "dir .staging-ID", "dir datasets (after rename)");

        sync.calls.clear();
        Path raw =
                Files.writeString(home.datasetsDir().resolve("raw.jsonl"), "{\"prompt\":\"p\",\"completion\":\"c\"}\n");
        Path target =
                Files.createDirectories(home.datasetsDir().resolve("task")).resolve("dataset.jsonl");
        service.materialize(service.resolve(raw.toString()), target);
        assertThat(sync.calls).containsExactly("file task/dataset.jsonl");
    }

    @Test
    void anOwnersDatasetsAreBoundedByTheQuotaAndNothingIsLeftOfARefusal() throws IOException {
        StudioHome home = StudioHome.at(root);
        DatasetService service = new DatasetService(home, LIMITS, 2000, Durability.REAL);
        Dataset first = service.store("a.jsonl", records(20, "p"), "alice");
        assertThat(first.owner()).isEqualTo("alice");
        assertThat(first.storedBytes())
                .isEqualTo(Files.size(Path.of(first.path())))
                .isBetween(1000L, 2000L);

        assertThatThrownBy(() -> service.store("b.jsonl", records(20, "p"), "alice"))
                .isInstanceOfSatisfying(StudioException.class, e -> {
                    assertThat(HttpStatuses.of(e)).isEqualTo(413);
                    assertThat(e.code()).isEqualTo("dataset_quota_exceeded");
                    assertThat(e.getMessage())
                            .contains("studio.finetune.max-datasets-bytes")
                            .contains("2000");
                });
        assertThat(service.list()).extracting(Dataset::datasetId).containsExactly(first.datasetId());
        assertThat(entries(home.datasetsDir())).containsExactly(first.datasetId());

        Dataset bobs = service.store("b.jsonl", records(20, "p"), "bob");
        assertThat(service.list()).extracting(Dataset::owner).containsExactlyInAnyOrder("alice", "bob");

        service.delete(first.datasetId());
        assertThat(service.list()).extracting(Dataset::datasetId).containsExactly(bobs.datasetId());
        assertThat(service.store("c.jsonl", records(20, "p"), "alice").owner()).isEqualTo("alice");
    }

    @Test
    void deletingRenamesOutOfTheListingFirstAndLeftoversAreRemovedAtStart() throws IOException {
        StudioHome home = StudioHome.at(root);
        DatasetService service = new DatasetService(home, LIMITS);
        Dataset kept = service.store("a.jsonl", records(1, "p"), "alice");
        Path half = Files.createDirectories(home.datasetsDir().resolve(".deleting-ds-20250101-000000-abcdef"));
        Files.writeString(half.resolve("dataset.jsonl"), "{}\n");
        Files.createDirectories(home.datasetsDir().resolve(".staging-ds-20250101-000000-fedcba"));
        assertThat(service.list()).extracting(Dataset::datasetId).containsExactly(kept.datasetId());
        assertThatThrownBy(() -> service.get(".deleting-ds-20250101-000000-abcdef"))
                .isInstanceOf(StudioException.class);

        service.removeLeftovers();
        assertThat(entries(home.datasetsDir())).containsExactly(kept.datasetId());
        assertThatThrownBy(() -> service.delete("ds-20990101-000000-000000"))
                .isInstanceOfSatisfying(
                        StudioException.class,
                        e -> assertThat(HttpStatuses.of(e)).isEqualTo(404));
    }
}
