package io.sage.studio.cli.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The event signing key of a studio the launcher runs ({@code STUDIO_EVENTS_SIGNING_KEY} of every service): made once
 * per studio home, in {@code studio/events-signing-key} (mode 0600), so route and switch events on the local broker
 * are signed and checked in every auth mode, and a studio started with {@code STUDIO_AUTH_MODE=token} starts without
 * the user having to make a key. A key in the user's environment wins.
 */
final class SigningKey {

    static final String VARIABLE = "STUDIO_EVENTS_SIGNING_KEY";
    static final String FILE_NAME = "events-signing-key";
    private static final SecureRandom RANDOM = new SecureRandom();

    private SigningKey() {}

    /** The key in {@code studioDir}, created when missing. */
    static String getOrCreate(Path studioDir) {
        Path file = studioDir.resolve(FILE_NAME);
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(studioDir);
                byte[] secret = new byte[32];
                RANDOM.nextBytes(secret);
                Path tmp = Files.createTempFile(
                        studioDir,
                        "." + FILE_NAME + ".",
                        ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try {
                    Files.writeString(
                            tmp,
                            Base64.getUrlEncoder().withoutPadding().encodeToString(secret) + "\n",
                            StandardCharsets.US_ASCII);
                    try {
                        // No REPLACE_EXISTING: a second launcher that raced us keeps the first key.
                        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                    } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                        if (!Files.exists(file)) {
                            Files.move(tmp, file);
                        }
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            String key = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (key.length() < 16) {
                throw new LauncherException(file + " holds no usable event signing key (at least 16 characters); "
                        + "delete it and start again");
            }
            return key;
        } catch (IOException e) {
            throw new LauncherException("cannot create the event signing key " + file + ": " + e.getMessage());
        }
    }
}
