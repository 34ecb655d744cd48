package io.sage.studio.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The kustomize base in {@code deploy/k8s/base}: the chart rendered with its default values, one file per template,
 * so that the plain manifests can never drift from the chart. {@link #main} writes it; the tests compare it.
 */
public final class KustomizeBase {

    /** Release name of the rendered base: the prefix of every object name. */
    public static final String RELEASE = "sage-studio";

    /**
     * The base is rendered for namespace {@code default} and sets none itself: an overlay's {@code namespace:} then
     * moves every object and also the RoleBinding subjects, which kustomize rewrites only from {@code default}.
     */
    public static final String NAMESPACE = "default";

    /**
     * The Secrets the chart would generate with random keys are not part of the base (a committed key would be every
     * install's key): the base names them as existing Secrets, which an install creates first
     * (docs/operator-guide.md, "Without Helm").
     */
    static final Map<String, String> EXISTING_SECRETS = Map.of(
            "engineApiKey.existingSecret", RELEASE + "-engine-api-key",
            "events.signingKey.existingSecret", RELEASE + "-events-signing");

    static final String HEADER = "# Generated from deploy/helm/sage-studio by deploy/k8s/generate.sh; do not edit.\n";
    private static final Pattern CHART_LABEL = Pattern.compile("(?m)^\\s*helm\\.sh/chart: .*\\R");
    private static final Pattern SOURCE_COMMENT = Pattern.compile("(?m)^# Source: .*\\R");

    private final ChartRenderer chart;

    public KustomizeBase(ChartRenderer chart) {
        this.chart = chart;
    }

    /** File name to content of every file of the base, {@code kustomization.yaml} included. */
    public Map<String, String> files() {
        Rendered rendered = chart.template(RELEASE, NAMESPACE, List.of(), EXISTING_SECRETS);
        Map<String, String> files = new TreeMap<>();
        rendered.bySource().forEach((source, documents) -> {
            String file = Path.of(source).getFileName().toString();
            String body = documents.stream().map(doc -> plain(doc.yaml())).collect(Collectors.joining("---\n"));
            files.put(file, HEADER + body);
        });
        StringBuilder kustomization = new StringBuilder(HEADER)
                .append("apiVersion: kustomize.config.k8s.io/v1beta1\n")
                .append("kind: Kustomization\n")
                .append("resources:\n");
        files.keySet().forEach(file -> kustomization.append("  - ").append(file).append('\n'));
        files.put("kustomization.yaml", kustomization.toString());
        return files;
    }

    /** A rendered document without what only makes sense under Helm. */
    static String plain(String yaml) {
        String body = SOURCE_COMMENT.matcher(yaml).replaceAll("");
        body = CHART_LABEL.matcher(body).replaceAll("");
        return body.replace("app.kubernetes.io/managed-by: Helm", "app.kubernetes.io/managed-by: kustomize");
    }

    /** Writes the base into {@code dir}, replacing the generated files that are there. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> existing = Files.list(dir)) {
            for (Path file : existing.toList()) {
                if (Files.isRegularFile(file) && Files.readString(file).startsWith(HEADER)) {
                    Files.delete(file);
                }
            }
        }
        for (Map.Entry<String, String> file : files().entrySet()) {
            Files.writeString(dir.resolve(file.getKey()), file.getValue());
        }
    }

    /** {@code KustomizeBase <chart dir> <base dir>}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: KustomizeBase <chart dir> <base dir>");
            System.exit(2);
        }
        new KustomizeBase(new ChartRenderer(Path.of(args[0]))).write(Path.of(args[1]));
        System.out.println("wrote " + Path.of(args[1]).toAbsolutePath().normalize());
    }
}
