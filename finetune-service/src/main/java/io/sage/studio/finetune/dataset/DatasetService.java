package io.sage.studio.finetune.dataset;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.sage.studio.common.error.ApiException;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.Dataset;
import io.sage.studio.finetune.service.Ids;
import io.sage.studio.finetune.service.TreeFiles;

/**
 * Stores validated datasets under {@code studio/datasets/<dataset_id>/} ({@code dataset.jsonl} normalised +
 * {@code dataset_meta.json}) and resolves what a task names as its {@code dataset_file}.
 *
 * <p>All or nothing: a dataset is built in a hidden temporary folder and renamed into place only when it has
 * at least one valid record; a rejected upload leaves nothing behind.
 */
@ApplicationScoped
public class DatasetService {

    public static final String DATA_FILE = "dataset.jsonl";
    public static final String META_FILE = "dataset_meta.json";
    private static final Pattern DATASET_ID = Pattern.compile("ds-[a-z0-9-]{1,60}");
    private static final Pattern SAFE_NAME = Pattern.compile("[^A-Za-z0-9._-]+");

    private static final Logger LOG = Logger.getLogger(DatasetService.class);

    private final StudioHome home;
    private final FinetuneConfig.Datasets config;

    @Inject
    public DatasetService(StudioHome home, FinetuneConfig config) {
        this(home, config.dataset());
    }

    public DatasetService(StudioHome home, FinetuneConfig.Datasets config) {
        this.home = home;
        this.config = config;
    }

    /** A source of training data for a task: already normalised (link it) or a raw file (validate it). */
    public record Source(Path file, boolean normalized) {
    }

    /** Validates and stores an uploaded file. The client's file name is only shown, never used as a path. */
    public Dataset upload(String clientFileName, Path uploaded) throws IOException {
        String filename = displayName(clientFileName);
        String lower = filename.toLowerCase(Locale.ROOT);
        if (!lower.endsWith(".jsonl") && !lower.endsWith(".json")) {
            throw ApiException.badRequest("unsupported_file_type",
                    "upload a .jsonl file (one record per line) or a .json file holding an array of records");
        }
        long size = Files.size(uploaded);
        if (size > config.maxBytes()) {
            throw new ApiException(413, "dataset_too_large", "the dataset has " + size + " bytes; the limit is "
                    + config.maxBytes() + " bytes (studio.finetune.dataset.max-bytes)");
        }
        try (InputStream in = Files.newInputStream(uploaded)) {
            return store(filename, in);
        }
    }

    /** Validates and stores records from a stream (e.g. generated samples) as a new dataset. */
    public Dataset store(String filename, InputStream in) throws IOException {
        Path datasets = Files.createDirectories(home.datasetsDir());
        String id = Ids.newId("ds", null);
        Path staging = datasets.resolve(".staging-" + id);
        Files.createDirectory(staging);
        try {
            long started = System.nanoTime();
            DatasetValidator.Report report;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(staging.resolve(DATA_FILE)), 1 << 16)) {
                report = validator().validate(in, out);
            }
            long millis = Math.max(1, (System.nanoTime() - started) / 1_000_000);
            LOG.infof("dataset %s (%s): %d valid and %d invalid records, %d bytes validated in %d ms (%.1f MB/s)", id,
                    filename, report.valid(), report.invalid(), report.bytes(), millis, report.bytes() / 1000.0 / millis);
            requireUsable(report, filename);
            Path target = datasets.resolve(id);
            Dataset dataset = describe(id, target.resolve(DATA_FILE), filename, report);
            AtomicFiles.writeJson(staging.resolve(META_FILE), dataset);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return dataset;
        } finally {
            TreeFiles.deleteQuietly(staging);
        }
    }

    /**
     * What {@code datasetFile} (a dataset id, or a path inside the studio home to a dataset folder, its
     * {@code dataset.jsonl}, or any JSON/JSONL file) designates.
     */
    public Source resolve(String datasetFile) {
        if (datasetFile != null && DATASET_ID.matcher(datasetFile.strip()).matches()) {
            Path file = home.datasetsDir().resolve(datasetFile.strip()).resolve(DATA_FILE);
            if (Files.isRegularFile(file)) {
                return new Source(file, true);
            }
        }
        Path path = home.resolveInside(datasetFile, "dataset_file");
        if (Files.isDirectory(path) && Files.isRegularFile(path.resolve(DATA_FILE))
                && Files.isRegularFile(path.resolve(META_FILE))) {
            return new Source(path.resolve(DATA_FILE), true);
        }
        if (!Files.isRegularFile(path)) {
            throw new ApiException(400, "dataset_not_found", "dataset_file names no dataset id or file: " + datasetFile,
                    List.of(new ApiException.FieldError("dataset_file", "not found")));
        }
        boolean normalized = path.getFileName().toString().equals(DATA_FILE)
                && Files.isRegularFile(path.resolveSibling(META_FILE));
        return new Source(path, normalized);
    }

    /**
     * Puts the data of {@code source} at {@code target} as normalised chat JSONL: a hard link (or copy) of a
     * stored dataset, or the validated, normalised records of a raw file.
     *
     * @return the number of samples, or -1 when linked from a stored dataset
     */
    public long materialize(Source source, Path target) throws IOException {
        if (source.normalized()) {
            try {
                Files.createLink(target, source.file());
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(source.file(), target);
            }
            return -1;
        }
        DatasetValidator.Report report;
        try (InputStream in = Files.newInputStream(source.file());
                OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16)) {
            report = validator().validate(in, out);
        }
        requireUsable(report, source.file().getFileName().toString());
        return report.valid();
    }

    private DatasetValidator validator() {
        return new DatasetValidator(config.maxBytes(), config.maxRecordBytes(), config.maxErrors());
    }

    private static void requireUsable(DatasetValidator.Report report, String filename) {
        if (report.usable()) {
            return;
        }
        String why = report.fatal() ? report.errors().get(report.errors().size() - 1).message()
                : report.invalid() + " invalid record(s)";
        throw new ApiException(400, "dataset_invalid", "no valid record in " + filename + ": " + why,
                report.errors());
    }

    private static Dataset describe(String id, Path file, String filename, DatasetValidator.Report r) {
        return new Dataset(id, file.toString(), filename, r.format().wire(), r.valid(), r.invalid(), r.bytes(),
                new Dataset.Stats(r.avgChars(), r.maxChars(), r.totalChars(), r.estimatedTokens()), r.errors(),
                Instant.now());
    }

    /** The last path element of a client's file name, reduced to a safe alphabet; shown, never used as a path. */
    static String displayName(String clientFileName) {
        String name = clientFileName == null ? "" : clientFileName.replace('\\', '/');
        name = name.substring(name.lastIndexOf('/') + 1);
        name = SAFE_NAME.matcher(name).replaceAll("_");
        name = name.replaceAll("^[._]+", "");
        if (name.length() > 100) {
            name = name.substring(name.length() - 100);
        }
        return name.isEmpty() ? "dataset.jsonl" : name;
    }
}
