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
import java.util.List;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A service's OpenAPI document, committed under {@code studio-ui/src/api/openapi/<service>.json} (the UI generates its
 * TypeScript types from it) and served by the service itself at {@code /q/openapi}. {@link #check} fails when the
 * document the OpenAPI extension generates from the running service's code differs from the committed one, or when
 * {@code /q/openapi} serves anything else; with {@code -Dopenapi.update=true} (or {@code OPENAPI_UPDATE=true}) it
 * rewrites the committed file instead.
 */
public final class OpenApiSnapshot {

    /** Where the committed documents live, relative to a service module's directory (Surefire's working directory). */
    public static final Path DIRECTORY = Path.of("..", "studio-ui", "src", "api", "openapi");

    /** Where a service's OpenAPI extension serves the document it generates from the code (in the tests only). */
    public static final String GENERATED = "q/openapi-generated";

    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenApiSnapshot() {}

    /**
     * Fetches {@code <base>q/openapi-generated?format=json} and compares it with the committed {@code <service>.json},
     * then checks that {@code /q/openapi} serves the committed document, as JSON and as YAML.
     */
    public static void check(URI base, String service) throws IOException, InterruptedException {
        String live = normalise(fetch(base.resolve(GENERATED + "?format=json"), null));
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
        checkServed(base, stored);
    }

    /**
     * {@code /q/openapi} (studio-common's {@code CommittedOpenApi}) serves {@code document}: as it is for every way of
     * asking for JSON, and as YAML that a YAML 1.1 reader (SnakeYAML, which turns a bare date into a timestamp) reads
     * back into the same tree.
     */
    public static void checkServed(URI base, String document) throws IOException, InterruptedException {
        String committed = normalise(document);
        for (String json : List.of(
                fetch(base.resolve("q/openapi?format=json"), null),
                fetch(base.resolve("q/openapi.json"), null),
                fetch(base.resolve("q/openapi"), "application/json"))) {
            if (!normalise(json).equals(committed)) {
                throw new AssertionError(
                        "/q/openapi does not serve the committed document as JSON: first difference at " + "line "
                                + firstDifference(committed, normalise(json)));
            }
        }
        JsonNode tree = JSON.readTree(committed);
        for (String yaml : List.of(
                fetch(base.resolve("q/openapi"), null),
                fetch(base.resolve("q/openapi?format=yaml"), "application/json"),
                fetch(base.resolve("q/openapi.yaml"), null))) {
            Object read = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
            if (!JSON.valueToTree(read).equals(tree)) {
                throw new AssertionError("/q/openapi's YAML does not read back as the committed document");
            }
        }
    }

    static boolean updating() {
        return Boolean.getBoolean("openapi.update") || "true".equalsIgnoreCase(System.getenv("OPENAPI_UPDATE"));
    }

    private static String fetch(URI uri, String accept) throws IOException, InterruptedException {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
        if (accept != null) {
            request.header("Accept", accept);
        }
        HttpResponse<String> response =
                client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
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
