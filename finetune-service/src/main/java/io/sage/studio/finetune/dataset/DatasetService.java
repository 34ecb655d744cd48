package io.sage.studio.finetune.dataset;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.Dataset;
import io.sage.studio.finetune.domain.Ids;
import io.sage.studio.finetune.storage.Durability;
import io.sage.studio.finetune.storage.StorageErrors;
import io.sage.studio.finetune.storage.TreeFiles;
import io.sage.studio.finetune.storage.WriteBehindFile;

/**
 * Stores validated datasets under {@code studio/datasets/<dataset_id>/} ({@code dataset.jsonl} normalised +
 * {@code dataset_meta.json}), lists and deletes them, and resolves what a task names as its {@code dataset_file}.
 *
 * <p>All or nothing: a dataset is built in a hidden temporary folder, its files forced to disk, and renamed into
 * place only when it has at least one valid record and fits its owner's quota; a rejected upload (or a full disk)
 * leaves nothing behind. Deletion renames the folder to a hidden one first, so a half-deleted dataset is never
 * listed. Tasks get their own link (or copy) of the data, so deleting a dataset never touches a task.
 *
 * <p>A task may only read data from the datasets area or another task's {@code dataset.jsonl}: the studio home
 * also holds secrets (engine key, backend settings, tokens) that must never be fed to a trainer or quoted back.
 */
@ApplicationScoped
public class DatasetService {

    public static final String DATA_FILE = "dataset.jsonl";
    public static final String META_FILE = "dataset_meta.json";
    static final String FIELD = "dataset_file";
    private static final Pattern DATASET_ID = Pattern.compile("ds-[a-z0-9-]{1,60}");
    /** A stored dataset is forced to disk in the background every this many bytes while it is written. */
    private static final long WRITE_BEHIND_BYTES = 32L << 20;

    private static final Pattern SAFE_NAME = Pattern.compile("[^A-Za-z0-9._-]+");

    private static final Logger LOG = Logger.getLogger(DatasetService.class);

    private final StudioHome home;
    private final FinetuneConfig.Datasets config;
    private final long maxOwnerBytes;
    private final Durability durability;
    /** Serialises the quota check with the rename that makes a dataset count. */
    private final Object quotaLock = new Object();
    /**
     * Checks batches of JSONL lines while the request thread reads on; {@code null} when one thread is configured.
     * Its queue is bounded and a full one runs the batch on the caller; its threads end when idle.
     */
    private final ThreadPoolExecutor validationPool;

    @Inject
    public DatasetService(StudioHome home, FinetuneConfig config) {
        this(home, config.dataset(), config.maxDatasetsBytes(), Durability.REAL);
    }

    public DatasetService(StudioHome home, FinetuneConfig.Datasets config) {
        this(home, config, Long.MAX_VALUE, Durability.REAL);
    }

    /**
     * @param maxOwnerBytes total size of the normalised datasets one owner may keep
     */
    public DatasetService(StudioHome home, FinetuneConfig.Datasets config, long maxOwnerBytes, Durability durability) {
        this.home = home;
        this.config = config;
        this.maxOwnerBytes = maxOwnerBytes;
        this.durability = durability;
        this.validationPool = validationPool(config.validationThreads());
    }

    private static ThreadPoolExecutor validationPool(int configured) {
        int threads = configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
        if (threads <= 1) {
            return null;
        }
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                threads,
                threads,
                30,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(threads * DatasetValidator.IN_FLIGHT),
                r -> {
                    Thread t = new Thread(r, "dataset-check-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                // Also after shutdown: a batch is never dropped, a validation waits for each one it handed out.
                (task, executor) -> task.run());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    @PreDestroy
    void stop() {
        if (validationPool != null) {
            validationPool.shutdown();
        }
    }

    /** A source of training data for a task: already normalised (link it) or a raw file (validate it). */
    public record Source(Path file, boolean normalized) {}

    /**
     * Validates and stores an uploaded file for {@code owner}. The client's file name is only shown, never used as
     * a path.
     */
    public Dataset upload(String clientFileName, Path uploaded, String owner) throws IOException {
        String filename = uploadName(clientFileName);
        long size = Files.size(uploaded);
        if (size > config.maxBytes()) {
            throw new StudioException(
                    FinetuneError.DATASET_TOO_LARGE,
                    "the dataset has " + size + " bytes; the limit is " + config.maxBytes()
                            + " bytes (studio.finetune.dataset.max-bytes)");
        }
        try (InputStream in = Files.newInputStream(uploaded)) {
            return store(filename, in, owner);
        }
    }

    /**
     * Validates and stores a dataset read straight from the request body as it arrives, for {@code owner}: one pass,
     * no temp file (the size limit is enforced while reading). The client's file name is only shown.
     */
    public Dataset upload(String clientFileName, InputStream body, String owner) {
        return store(uploadName(clientFileName), body, owner);
    }

    /** The shown name of an upload; 400 {@code unsupported_file_type} unless it is a .jsonl or .json file. */
    private static String uploadName(String clientFileName) {
        String filename = displayName(clientFileName);
        String lower = filename.toLowerCase(Locale.ROOT);
        if (!lower.endsWith(".jsonl") && !lower.endsWith(".json")) {
            throw new StudioException(
                    FinetuneError.UNSUPPORTED_FILE_TYPE,
                    "upload a .jsonl file (one record per line) or a .json file holding an array of records");
        }
        return filename;
    }

    /** Validates and stores records from a stream (e.g. generated samples) as a new dataset of {@code owner}. */
    public Dataset store(String filename, InputStream in, String owner) {
        requireQuota(owner, 0);
        String id = Ids.newId("ds", null);
        Path datasets = home.datasetsDir();
        Path staging = datasets.resolve(".staging-" + id);
        try {
            Files.createDirectories(datasets);
            Files.createDirectory(staging);
            long started = System.nanoTime();
            DatasetValidator.Report report;
            Path data = staging.resolve(DATA_FILE);
            try (OutputStream out =
                    new BufferedOutputStream(WriteBehindFile.create(data, WRITE_BEHIND_BYTES), 1 << 16)) {
                report = validator().validate(in, out);
            }
            long millis = Math.max(1, (System.nanoTime() - started) / 1_000_000);
            LOG.infof(
                    "dataset %s (%s): %d valid and %d invalid records, %d bytes validated in %d ms (%.1f MB/s)",
                    id,
                    filename,
                    report.valid(),
                    report.invalid(),
                    report.bytes(),
                    millis,
                    report.bytes() / 1000.0 / millis);
            requireUsable(report, filename);
            durability.file(data);
            Path target = datasets.resolve(id);
            long stored = Files.size(data);
            Dataset dataset = describe(id, target.resolve(DATA_FILE), filename, report, owner, stored);
            AtomicFiles.writeJson(staging.resolve(META_FILE), dataset);
            durability.directory(staging);
            synchronized (quotaLock) {
                requireQuota(owner, stored);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            }
            durability.directory(datasets);
            return dataset;
        } catch (IOException e) {
            throw StorageErrors.of(e, "the dataset", "nothing was stored");
        } finally {
            TreeFiles.deleteQuietly(staging);
        }
    }

    /** The stored datasets, newest first. */
    public List<Dataset> list() {
        List<Dataset> out = new ArrayList<>();
        Path datasets = home.datasetsDir();
        if (!Files.isDirectory(datasets)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(datasets)) {
            for (Path dir : dirs) {
                if (DATASET_ID.matcher(dir.getFileName().toString()).matches()) {
                    read(dir).ifPresent(out::add);
                }
            }
        } catch (IOException e) {
            throw StorageErrors.of(e, "the dataset list", "nothing changed");
        }
        out.sort(Comparator.comparing(Dataset::createdAt, Comparator.nullsLast(Comparator.reverseOrder()))
                .thenComparing(Dataset::datasetId, Comparator.reverseOrder()));
        return out;
    }

    /** One stored dataset; {@code dataset_not_found} when there is none of that id. */
    public Dataset get(String datasetId) {
        Optional<Dataset> found =
                datasetId != null && DATASET_ID.matcher(datasetId).matches()
                        ? read(home.datasetsDir().resolve(datasetId))
                        : Optional.empty();
        return found.orElseThrow(() -> new StudioException(FinetuneError.DATASET_NOT_FOUND, "no dataset " + datasetId));
    }

    /**
     * Removes a stored dataset: renamed out of the listing at once (atomic), then its files deleted. Tasks keep
     * their own link or copy of the data.
     */
    public void delete(String datasetId) {
        get(datasetId);
        Path datasets = home.datasetsDir();
        Path trash = datasets.resolve(".deleting-" + datasetId);
        try {
            Files.move(datasets.resolve(datasetId), trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            throw new StudioException(FinetuneError.DATASET_NOT_FOUND, "no dataset " + datasetId);
        } catch (IOException e) {
            throw StorageErrors.of(e, "the deletion of dataset " + datasetId, "the dataset is unchanged");
        }
        durability.directory(datasets);
        TreeFiles.deleteQuietly(trash);
    }

    /** Removes what an interrupted upload or deletion left (hidden folders); run at start. */
    public void removeLeftovers() {
        Path datasets = home.datasetsDir();
        if (!Files.isDirectory(datasets)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(datasets, ".{staging,deleting}-*")) {
            for (Path dir : dirs) {
                TreeFiles.deleteQuietly(dir);
            }
        } catch (IOException e) {
            LOG.warnf("cannot look for leftover dataset folders: %s", e.getMessage());
        }
    }

    /** Bytes of normalised data the datasets of {@code owner} hold now. */
    long usage(String owner) {
        long total = 0;
        for (Dataset d : list()) {
            if (owner != null && owner.equals(d.owner())) {
                total += d.storedBytes();
            }
        }
        return total;
    }

    private void requireQuota(String owner, long adding) {
        if (maxOwnerBytes == Long.MAX_VALUE || owner == null) {
            return;
        }
        long used = usage(owner);
        if (used + adding > maxOwnerBytes || (adding == 0 && used >= maxOwnerBytes)) {
            throw new StudioException(
                    FinetuneError.DATASET_QUOTA_EXCEEDED,
                    "the datasets of '" + owner + "' hold " + used
                            + " bytes" + (adding > 0 ? " and this one has " + adding : "") + "; the limit is "
                            + maxOwnerBytes
                            + " bytes per owner (studio.finetune.max-datasets-bytes). Delete datasets you no longer need",
                    List.of(new QuotaDetail("studio.finetune.max-datasets-bytes", maxOwnerBytes, used, adding)));
        }
    }

    /** Details of a refused quota: the limit's key and value, what is used, what was asked for. */
    public record QuotaDetail(String limit, long max, long used, long requested) {}

    /** A dataset folder's metadata (the stored size read from disk), or empty when it is not a complete dataset. */
    private Optional<Dataset> read(Path dir) {
        Path meta = dir.resolve(META_FILE);
        Path data = dir.resolve(DATA_FILE);
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                    || !Files.isRegularFile(data, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            Dataset d;
            try (InputStream in = Files.newInputStream(meta, LinkOption.NOFOLLOW_LINKS)) {
                d = StudioJson.mapper().readValue(in, Dataset.class);
            }
            long stored = Files.readAttributes(data, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .size();
            return Optional.of(new Dataset(
                    dir.getFileName().toString(),
                    data.toString(),
                    d.filename(),
                    d.format(),
                    d.validRecords(),
                    d.invalidRecords(),
                    d.sizeBytes(),
                    d.stats() == null ? null : d.stats().withSamples(d.validRecords()),
                    d.errors(),
                    d.createdAt(),
                    d.owner(),
                    stored));
        } catch (IOException | RuntimeException e) {
            LOG.debugf("skipping dataset folder %s: unreadable %s", dir.getFileName(), META_FILE);
            return Optional.empty();
        }
    }

    /**
     * What {@code datasetFile} designates: a dataset id, or a path inside the studio home (absolute, or relative to
     * it) to a dataset folder or a JSON/JSONL file in the datasets area ({@code studio/datasets/}), or a task's
     * {@code studio_finetune/<task_id>/dataset.jsonl}. Links are resolved first; anything else in the home is
     * refused with 400 {@code dataset_not_allowed} without being read.
     */
    public Source resolve(String datasetFile) {
        return resolve(datasetFile, FIELD);
    }

    /**
     * Like {@link #resolve(String)} for another field naming a dataset ({@code validation_file}): the same rules, errors
     * naming {@code field}.
     */
    public Source resolve(String datasetFile, String field) {
        String given = datasetFile == null ? null : datasetFile.strip();
        if (given != null && DATASET_ID.matcher(given).matches()) {
            Path dir = home.datasetsDir().resolve(given);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw notFound(datasetFile, field);
            }
            given = dir.toString();
        }
        Path path = home.resolveInside(given, field);
        if (!allowed(path)) {
            throw new StudioException(
                    FinetuneError.DATASET_NOT_ALLOWED,
                    field + " must be a dataset id, a file in the datasets "
                            + "area (studio/datasets/) or a task's dataset (studio_finetune/<task_id>/dataset.jsonl); "
                            + "other files of the studio home are never read",
                    List.of(new FieldError(field, "not a dataset location")));
        }
        Path data = path.resolve(DATA_FILE);
        if (Files.isDirectory(path)
                && Files.isRegularFile(data, LinkOption.NOFOLLOW_LINKS)
                && Files.isRegularFile(path.resolve(META_FILE), LinkOption.NOFOLLOW_LINKS)) {
            return new Source(data, true);
        }
        if (!Files.isRegularFile(path)) {
            throw notFound(datasetFile, field);
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".jsonl") && !name.endsWith(".json")) {
            throw new StudioException(
                    FinetuneError.DATASET_NOT_ALLOWED,
                    field + " must name a .jsonl or .json file",
                    List.of(new FieldError(field, "not a .jsonl or .json file")));
        }
        boolean normalized = name.equals(DATA_FILE)
                && path.getParent().getParent().equals(home.datasetsDir())
                && Files.isRegularFile(path.resolveSibling(META_FILE), LinkOption.NOFOLLOW_LINKS);
        return new Source(path, normalized);
    }

    /** Whether a (link-free) path lies where training data may come from. */
    private boolean allowed(Path real) {
        Path datasets = home.datasetsDir();
        if (real.startsWith(datasets) && !real.equals(datasets)) {
            for (Path part : datasets.relativize(real)) {
                if (part.toString().startsWith(".")) {
                    return false;
                }
            }
            return true;
        }
        Path taskDir = real.getParent();
        return taskDir != null
                && home.finetuneDir().equals(taskDir.getParent())
                && !taskDir.getFileName().toString().startsWith(".")
                && real.getFileName().toString().equals(DATA_FILE);
    }

    /** A {@code dataset_file} that names nothing: a bad request, not a missing resource. */
    private static StudioException notFound(String datasetFile, String field) {
        return new StudioException(
                FinetuneError.DATASET_NOT_FOUND,
                ErrorKind.INVALID,
                field + " names no dataset id or file: " + datasetFile,
                List.of(new FieldError(field, "not found")),
                null);
    }

    /**
     * Puts the data of {@code source} at {@code target} as normalised chat JSONL, forced to disk: a hard link (or
     * copy) of a stored dataset, or the validated, normalised records of a raw file.
     *
     * @return the number of samples, or -1 when linked from a stored dataset
     */
    public long materialize(Source source, Path target) throws IOException {
        if (source.normalized()) {
            try {
                Files.createLink(target, source.file());
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(source.file(), target, LinkOption.NOFOLLOW_LINKS);
                durability.file(target);
            }
            return -1;
        }
        DatasetValidator.Report report;
        try (InputStream in = Files.newInputStream(source.file(), LinkOption.NOFOLLOW_LINKS);
                OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16)) {
            report = validator().validate(in, out);
        }
        requireUsable(report, source.file().getFileName().toString());
        durability.file(target);
        return report.valid();
    }

    private DatasetValidator validator() {
        return new DatasetValidator(config.maxBytes(), config.maxRecordBytes(), config.maxErrors(), validationPool);
    }

    private static void requireUsable(DatasetValidator.Report report, String filename) {
        if (report.usable()) {
            return;
        }
        String why = report.fatal()
                ? report.errors().get(report.errors().size() - 1).message()
                : report.invalid() + " invalid record(s)";
        throw new StudioException(
                FinetuneError.DATASET_INVALID, "no valid record in " + filename + ": " + why, report.errors());
    }

    private static Dataset describe(
            String id, Path file, String filename, DatasetValidator.Report r, String owner, long storedBytes) {
        return new Dataset(
                id,
                file.toString(),
                filename,
                r.format().wire(),
                r.valid(),
                r.invalid(),
                r.bytes(),
                new Dataset.Stats(r.valid(), r.avgChars(), r.maxChars(), r.totalChars(), r.estimatedTokens()),
                r.errors(),
                Instant.now(),
                owner,
                storedBytes);
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
