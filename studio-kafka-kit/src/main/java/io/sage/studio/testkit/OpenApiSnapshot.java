package io.sage.studio.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A service's OpenAPI document, committed under {@code studio-ui/src/api/openapi/<service>.json} (the UI generates its
 * TypeScript types from it). {@link #check} fails when the running service's document differs from the committed one;
 * with {@code -Dopenapi.update=true} (or {@code OPENAPI_UPDATE=true}) it rewrites the committed file instead.
 */
public final class OpenApiSnapshot {

    /** Where the committed documents live, relative to a service module's directory (Surefire's working directory). */
    public static final Path DIRECTORY = Path.of("..", "studio-ui", "src", "api", "openapi");

    private OpenApiSnapshot() {}

    /** Fetches {@code <base>q/openapi?format=json} and compares it with the committed {@code <service>.json}. */
    public static void check(URI base, String service) throws IOException, InterruptedException {
        String live = normalise(fetch(base.resolve("q/openapi?format=json")));
        Path committed = DIRECTORY.resolve(service + ".json");
        if (updating()) {
            Files.createDirectories(committed.getParent());
            Files.writeString(committed, live, StandardCharsets.UTF_8);
            return;
        }
        String stored = Files.exists(committed) ? normalise(Files.readString(committed, StandardCharsets.UTF_8)) : "";
        if (!stored.equals(live)) {
            throw new AssertionError(committed.normalize() + " is out of date with the service's OpenAPI document: run "
                    + "`mvn -o -pl <module> -am test -Dtest=OpenApiDocumentTest -Dsurefire.failIfNoSpecifiedTests=false "
                    + "-Dopenapi.update=true`, then `npm run gen:api` in studio-ui, and commit both (see studio-ui/README.md)."
                    + "\nFirst difference at line " + firstDifference(stored, live));
        }
    }

    static boolean updating() {
        return Boolean.getBoolean("openapi.update") || "true".equalsIgnoreCase(System.getenv("OPENAPI_UPDATE"));
    }

    private static String fetch(URI uri) throws IOException, InterruptedException {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(30))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
            throw new AssertionError(uri + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** Line endings and the trailing newline do not count. */
    private static String normalise(String text) {
        return text.replace("\r\n", "\n").strip() + "\n";
    }

    private static String firstDifference(String a, String b) {
        String[] left = a.split("\n", -1);
        String[] right = b.split("\n", -1);
        for (int i = 0; i < Math.min(left.length, right.length); i++) {
            if (!left[i].equals(right[i])) {
                return (i + 1) + ":\n  committed: " + left[i].strip() + "\n  service:   " + right[i].strip();
            }
        }
        return Math.min(left.length, right.length) + 1 + " (one document is longer)";
    }
}
