package io.sage.studio.finetune.domain;

import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Unique, URL-safe ids that sort by creation time and are valid Kubernetes names:
 * {@code ft-20261126-213045-a1b2c3} or {@code ft-20261126-213045-a1b2c3-my-suffix}.
 */
public final class Ids {

    /** Longest sanitised suffix kept; the whole id stays within a 63-character DNS label. */
    public static final int MAX_SUFFIX = 24;

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    /** A new id with the given prefix and an optional user suffix (sanitised; {@code null} or blank for none). */
    public static String newId(String prefix, String suffix) {
        byte[] random = new byte[3];
        RANDOM.nextBytes(random);
        String id = prefix + "-" + STAMP.format(ZonedDateTime.now(ZoneOffset.UTC)) + "-"
                + HexFormat.of().formatHex(random);
        String clean = sanitizeSuffix(suffix);
        return clean.isEmpty() ? id : id + "-" + clean;
    }

    /** Lower-case letters, digits and single dashes only, at most {@link #MAX_SUFFIX} characters. */
    public static String sanitizeSuffix(String suffix) {
        if (suffix == null) {
            return "";
        }
        String clean =
                suffix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (clean.length() > MAX_SUFFIX) {
            clean = clean.substring(0, MAX_SUFFIX).replaceAll("-+$", "");
        }
        return clean;
    }
}
