package io.sage.studio.finetune.audit;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.AuditEvent;
import io.sage.studio.events.StudioJson;

/**
 * The audit log on disk: one JSON line per entry in {@code $STUDIO_HOME/studio/audit/audit-YYYY-MM-DD.jsonl} (the UTC
 * day the call was answered), appended and flushed to disk before the consumer commits, so an acknowledged entry
 * survives a crash. Only the newest {@code studio.finetune.audit.retention-files} day files are kept (default 90).
 * A query reads the day files newest first and stops once it has {@code limit} entries; an entry delivered twice
 * (a crash between writing and committing) is answered once, by its id.
 */
@ApplicationScoped
public class AuditStore {

    /** The most entries one query answers. */
    public static final int MAX_LIMIT = 1000;

    private static final Logger LOG = Logger.getLogger(AuditStore.class);
    private static final Pattern FILE = Pattern.compile("audit-\\d{4}-\\d{2}-\\d{2}\\.jsonl");

    private final Path dir;
    private final int retentionFiles;

    @Inject
    public AuditStore(
            StudioHome home,
            @ConfigProperty(name = "studio.finetune.audit.retention-files", defaultValue = "90") int retentionFiles) {
        this(home.studioDir().resolve("audit"), retentionFiles);
    }

    AuditStore(Path dir, int retentionFiles) {
        this.dir = dir;
        this.retentionFiles = Math.max(1, retentionFiles);
    }

    /** The folder of the day files. */
    public Path dir() {
        return dir;
    }

    /** Appends entries to their day files and forces them to disk; then drops day files beyond the retention. */
    public synchronized void append(List<AuditEvent> entries) throws IOException {
        if (entries.isEmpty()) {
            return;
        }
        Files.createDirectories(dir);
        Path current = null;
        BufferedWriter out = null;
        FileChannel channel = null;
        try {
            for (AuditEvent entry : entries) {
                Path file = fileOf(entry.at());
                if (!file.equals(current)) {
                    if (out != null) {
                        out.flush();
                        channel.force(false);
                        out.close();
                    }
                    channel = FileChannel.open(
                            file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
                    out = new BufferedWriter(Channels.newWriter(channel, StandardCharsets.UTF_8));
                    current = file;
                }
                out.write(StudioJson.mapper().writeValueAsString(entry));
                out.write('\n');
            }
            out.flush();
            channel.force(false);
        } finally {
            if (out != null) {
                out.close();
            }
        }
        prune();
    }

    /**
     * Entries newest first: answered at or after {@code since} (when given), by {@code actor} and with {@code action}
     * (exact, when given), at most {@code limit}.
     */
    public List<AuditEvent> query(Instant since, String actor, String action, int limit) {
        List<Path> files = dayFiles();
        Collections.reverse(files);
        LocalDate firstDay = since == null ? null : LocalDate.ofInstant(since, ZoneOffset.UTC);
        List<AuditEvent> found = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Path file : files) {
            if (found.size() >= limit) {
                break;
            }
            if (firstDay != null && dayOf(file).isBefore(firstDay)) {
                break;
            }
            List<AuditEvent> day = new ArrayList<>();
            for (AuditEvent entry : read(file)) {
                if ((since == null || !entry.at().isBefore(since))
                        && (actor == null || actor.equals(entry.actor()))
                        && (action == null || action.equals(entry.action()))
                        && seen.add(entry.id())) {
                    day.add(entry);
                }
            }
            day.sort(Comparator.comparing(AuditEvent::at).reversed());
            found.addAll(day.subList(0, Math.min(day.size(), limit - found.size())));
        }
        return found;
    }

    private List<AuditEvent> read(Path file) {
        List<AuditEvent> entries = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit file " + file.getFileName(), e);
        }
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            try {
                entries.add(StudioJson.mapper().readValue(line, AuditEvent.class));
            } catch (JsonProcessingException e) {
                // A line cut short by a crash mid-write: the entry comes again from the topic (not committed).
                LOG.debugf("skipped an unreadable line in %s", file.getFileName());
            }
        }
        return entries;
    }

    private Path fileOf(Instant at) {
        return dir.resolve("audit-" + LocalDate.ofInstant(at, ZoneOffset.UTC) + ".jsonl");
    }

    private static LocalDate dayOf(Path file) {
        String name = file.getFileName().toString();
        return LocalDate.parse(name.substring("audit-".length(), name.length() - ".jsonl".length()));
    }

    /** The day files, oldest first (the names sort by day). */
    private List<Path> dayFiles() {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path file : stream) {
                if (FILE.matcher(file.getFileName().toString()).matches()) {
                    files.add(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the audit folder", e);
        }
        files.sort(Comparator.comparing(file -> file.getFileName().toString()));
        return files;
    }

    private void prune() {
        List<Path> files = dayFiles();
        for (int i = 0; i < files.size() - retentionFiles; i++) {
            try {
                Files.deleteIfExists(files.get(i));
                LOG.infof(
                        "audit log: removed %s (keeping %d day files)",
                        files.get(i).getFileName(), retentionFiles);
            } catch (IOException e) {
                LOG.warnf("audit log: cannot remove %s: %s", files.get(i).getFileName(), e.getMessage());
            }
        }
    }
}
