package io.sage.studio.finetune.executor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.process.ProcessControl;

/**
 * Who launched a trainer: this install's id (a random UUID kept in {@code studio/finetune-instance-id}, mode 0600,
 * created at first start) and the machine's boot id ({@link ProcessControl#currentBootId()}). Recorded in every
 * {@link RunHandle} (and as a label on every Job), so that only the install that started a trainer ever re-adopts,
 * signals or deletes it.
 */
@ApplicationScoped
public class InstanceIdentity {

    static final String FILE = "finetune-instance-id";
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final String id;
    private final String bootId;

    @Inject
    public InstanceIdentity(StudioHome home) {
        this(home.studioDir().resolve(FILE), ProcessControl.currentBootId().orElse(null));
    }

    InstanceIdentity(Path idFile, String bootId) {
        this.id = readOrCreate(idFile);
        this.bootId = bootId;
    }

    public static InstanceIdentity of(StudioHome home) {
        return new InstanceIdentity(home);
    }

    /** This install's id. */
    public String id() {
        return id;
    }

    /** This machine's current boot id, or {@code null} where the system does not tell. */
    public String bootId() {
        return bootId;
    }

    /** Whether {@code handle} was written by this install. */
    public boolean sameInstance(RunHandle handle) {
        return handle != null && id.equals(handle.instanceId());
    }

    private static String readOrCreate(Path file) {
        String existing = read(file);
        if (existing != null && UUID_TEXT.matcher(existing).matches()) {
            return existing;
        }
        String created = UUID.randomUUID().toString();
        try {
            AtomicFiles.writePrivate(file, (created + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the install id " + file, e);
        }
        return created;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return null;
        }
    }
}
