package io.sage.studio.common.auth;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import io.sage.studio.common.auth.AccessPolicy.Access;

/**
 * One row of an access table: (methods, path pattern) → the {@link Access} a request needs. Patterns: {@code *} is
 * one path segment, {@code /**} any rest of the path; paths are matched after {@link AccessPolicy#canonicalPath}.
 */
public record AccessRule(Set<String> methods, String pattern, Access access, Pattern regex) {

    private static final Set<String> READ = Set.of("GET", "HEAD");

    public AccessRule(Set<String> methods, String pattern, Access access) {
        this(Set.copyOf(methods), pattern, access, compile(pattern));
    }

    /** {@code GET} and {@code HEAD}. */
    public static AccessRule read(String pattern, Access access) {
        return new AccessRule(READ, pattern, access);
    }

    public static AccessRule post(String pattern, Access access) {
        return new AccessRule(Set.of("POST"), pattern, access);
    }

    public static AccessRule delete(String pattern, Access access) {
        return new AccessRule(Set.of("DELETE"), pattern, access);
    }

    /** Every method. */
    public static AccessRule any(String pattern, Access access) {
        return new AccessRule(Set.of(), pattern, access);
    }

    /** Whether the rule covers this (upper-case) method and canonical path. */
    public boolean matches(String method, String path) {
        return (methods.isEmpty() || methods.contains(method.toUpperCase(Locale.ROOT)))
                && regex.matcher(path).matches();
    }

    private static Pattern compile(String pattern) {
        StringBuilder regex = new StringBuilder();
        String rest = pattern;
        boolean any = rest.endsWith("/**");
        if (any) {
            rest = rest.substring(0, rest.length() - 3);
        }
        for (String segment : rest.split("/")) {
            if (segment.isEmpty()) {
                continue;
            }
            regex.append('/').append(segment.equals("*") ? "[^/]+" : Pattern.quote(segment));
        }
        regex.append(any ? "(/.*)?" : "");
        return Pattern.compile(regex.isEmpty() ? "/" : regex.toString());
    }
}
