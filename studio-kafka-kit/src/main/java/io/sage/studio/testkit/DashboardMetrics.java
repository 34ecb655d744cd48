package io.sage.studio.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The metric names the chart's Grafana dashboard may query ({@code deploy/helm/sage-studio/dashboards/metrics.txt}),
 * for the services' tests to assert against their own {@code /q/metrics}: a meter renamed in a service fails that
 * service's test instead of leaving an empty dashboard panel. The deploy module checks the other half (the
 * dashboard names only listed metrics).
 */
public final class DashboardMetrics {

    /** The list, from a module directory (the working directory of its tests). */
    public static final Path LIST = Path.of("..", "deploy", "helm", "sage-studio", "dashboards", "metrics.txt");

    private DashboardMetrics() {}

    /** The listed names, comments and blank lines left out. */
    public static List<String> names() {
        try {
            return Files.readAllLines(LIST).stream()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The listed names with {@code prefix} that {@code scrape} (a Prometheus text exposition) has no sample of; a test
     * asserts this is empty. Throws when the list has no name with {@code prefix} (a test that could not fail).
     */
    public static List<String> missing(String scrape, String prefix) {
        List<String> expected =
                names().stream().filter(n -> n.startsWith(prefix)).toList();
        if (expected.isEmpty()) {
            throw new IllegalArgumentException("no name in " + LIST + " starts with " + prefix);
        }
        List<String> samples = scrape.lines().filter(l -> !l.startsWith("#")).toList();
        return expected.stream()
                .filter(name -> samples.stream().noneMatch(l -> l.startsWith(name + "{") || l.startsWith(name + " ")))
                .toList();
    }
}
