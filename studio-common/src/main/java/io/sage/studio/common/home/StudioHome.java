package io.sage.studio.common.home;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.sage.studio.common.error.CommonError;
import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.StudioException;

/**
 * The studio home ({@code studio.home}, env {@code STUDIO_HOME}, default {@code ~/.sage}) and its layout.
 * Every path that comes from a user goes through {@link #resolveInside(String, String)}.
 */
@ApplicationScoped
public class StudioHome {

    private final Path root;

    public StudioHome(@ConfigProperty(name = "studio.home", defaultValue = "${user.home}/.sage") String home) {
        this.root = canonical(expandTilde(home));
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the studio home " + root, e);
        }
    }

    public static StudioHome at(Path root) {
        return new StudioHome(root.toString());
    }

    public Path root() {
        return root;
    }

    /** {@code studio_finetune/}: one folder per task. */
    public Path finetuneDir() {
        return root.resolve("studio_finetune");
    }

    /** {@code studio/}: runtime state of the studio itself. */
    public Path studioDir() {
        return root.resolve("studio");
    }

    public Path datasetsDir() {
        return studioDir().resolve("datasets");
    }

    public Path chatDir() {
        return studioDir().resolve("chat");
    }

    /**
     * Resolves a user-supplied path (absolute, {@code ~/…}, or relative to the studio home) and checks that it
     * stays inside the studio home once {@code ..} and symbolic links are resolved.
     *
     * @param field the request field, named in the {@code invalid_field} or {@code path_outside_home} error
     */
    public Path resolveInside(String userPath, String field) {
        if (userPath == null || userPath.isBlank()) {
            throw StudioException.invalidField(field, field + " is required");
        }
        if (userPath.indexOf('\0') >= 0) {
            throw StudioException.invalidField(field, field + " contains a NUL character");
        }
        Path candidate;
        try {
            Path given = expandTilde(userPath.strip());
            candidate = canonical(given.isAbsolute() ? given : root.resolve(given));
        } catch (InvalidPathException e) {
            throw StudioException.invalidField(field, field + " is not a valid path: " + e.getReason());
        }
        if (!candidate.startsWith(root)) {
            throw new StudioException(
                    CommonError.PATH_OUTSIDE_HOME,
                    field + " must be inside the studio home (" + root + "): " + userPath,
                    List.of(new FieldError(field, "outside the studio home")));
        }
        return candidate;
    }

    /** Whether {@code path} (already absolute) lies inside the studio home after resolving links. */
    public boolean contains(Path path) {
        return canonical(path).startsWith(root);
    }

    private static Path expandTilde(String path) {
        if (path.equals("~")) {
            return Path.of(System.getProperty("user.home"));
        }
        if (path.startsWith("~/")) {
            return Path.of(System.getProperty("user.home"), path.substring(2));
        }
        return Path.of(path);
    }

    /**
     * The real path of the deepest existing ancestor, with the rest appended normalised, so that links are
     * resolved even for a path that does not exist yet.
     */
    static Path canonical(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
        } catch (IOException e) {
            return absolute;
        }
    }
}
