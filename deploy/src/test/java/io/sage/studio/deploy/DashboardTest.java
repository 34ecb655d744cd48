package io.sage.studio.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The chart's Grafana dashboard ({@code dashboards/studio.json}): the basics of Grafana's dashboard schema (title,
 * uid, schemaVersion, panels with a type, title and a grid position inside the 24 columns, targets with a refId and
 * an expr on the {@code ${datasource}} variable), and its PromQL names exactly the metrics of
 * {@code dashboards/metrics.txt} - the list each service's tests check against their own {@code /q/metrics}, so a
 * query of a metric no service exports fails here or there.
 */
class DashboardTest {

    static final Path DASHBOARD = HelmChartTest.CHART.resolve("dashboards").resolve("studio.json");
    static final Path METRICS = HelmChartTest.CHART.resolve("dashboards").resolve("metrics.txt");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> PANEL_TYPES =
            Set.of("row", "timeseries", "stat", "bargauge", "gauge", "table", "barchart", "text");
    /** PromQL words that are not metric names (label names only appear inside braces or groupings). */
    private static final Set<String> KEYWORDS = Set.of(
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "bool",
            "and",
            "or",
            "unless",
            "offset",
            "inf",
            "nan");

    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*]");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*");

    private static JsonNode dashboard() throws IOException {
        return JSON.readTree(Files.readString(DASHBOARD));
    }

    /** The metric names an expression reads: identifiers that are not functions, keywords or label names. */
    static Set<String> metricNames(String expr) {
        String bare = STRING.matcher(expr).replaceAll("");
        bare = MATCHERS.matcher(bare).replaceAll("");
        bare = RANGE.matcher(bare).replaceAll("");
        bare = GROUPING.matcher(bare).replaceAll("");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(bare);
        while (m.find()) {
            String rest = bare.substring(m.end()).stripLeading();
            if (rest.startsWith("(") || KEYWORDS.contains(m.group().toLowerCase(Locale.ROOT))) {
                continue;
            }
            names.add(m.group());
        }
        return names;
    }

    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            all.add(panel);
            panel.path("panels").forEach(all::add);
        }
        return all;
    }

    @Test
    void hasTheBasicsOfGrafanasDashboardSchema() throws IOException {
        JsonNode dashboard = dashboard();
        assertThat(dashboard.path("title").asText()).isNotBlank();
        assertThat(dashboard.path("uid").asText()).matches("[A-Za-z0-9_-]{1,40}");
        assertThat(dashboard.path("schemaVersion").isInt()).isTrue();
        assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        assertThat(dashboard.path("time").path("from").asText()).isNotBlank();
        assertThat(dashboard.path("templating").path("list")).anySatisfy(v -> {
            assertThat(v.path("name").asText()).isEqualTo("datasource");
            assertThat(v.path("type").asText()).isEqualTo("datasource");
            assertThat(v.path("query").asText()).isEqualTo("prometheus");
        });

        List<JsonNode> panels = panels(dashboard);
        assertThat(panels).hasSizeGreaterThan(10);
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels) {
            String title = panel.path("title").asText();
            assertThat(title).as("panel title").isNotBlank();
            assertThat(ids.add(panel.path("id").asInt(-1)))
                    .as("unique id of %s", title)
                    .isTrue();
            assertThat(PANEL_TYPES)
                    .as("type of %s", title)
                    .contains(panel.path("type").asText());
            JsonNode grid = panel.path("gridPos");
            for (String field : List.of("h", "w", "x", "y")) {
                assertThat(grid.path(field).isInt())
                        .as("%s gridPos.%s", title, field)
                        .isTrue();
            }
            assertThat(grid.path("x").asInt() + grid.path("w").asInt())
                    .as("%s fits 24 columns", title)
                    .isLessThanOrEqualTo(24);
            assertThat(grid.path("h").asInt()).as("%s height", title).isPositive();
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.path("datasource").path("uid").asText())
                    .as("%s data source", title)
                    .isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as("%s targets", title).isNotEmpty();
            Set<String> refIds = new HashSet<>();
            for (JsonNode target : panel.path("targets")) {
                assertThat(refIds.add(target.path("refId").asText()))
                        .as("%s refId", title)
                        .isTrue();
                assertThat(target.path("expr").asText()).as("%s expr", title).isNotBlank();
                assertThat(metricNames(target.path("expr").asText()))
                        .as("%s reads a metric", title)
                        .isNotEmpty();
            }
        }
    }

    @Test
    void queriesExactlyTheListedMetrics() throws IOException {
        Set<String> queried = new TreeSet<>();
        for (JsonNode panel : panels(dashboard())) {
            for (JsonNode target : panel.path("targets")) {
                queried.addAll(metricNames(target.path("expr").asText()));
            }
        }
        Set<String> listed = new TreeSet<>(Files.readAllLines(METRICS).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList());
        assertThat(queried)
                .as("names the dashboard queries (left) vs %s (right)", METRICS)
                .isEqualTo(listed);
        // Prefixes tie each name to the service whose test checks it (DashboardMetrics in studio-kafka-kit).
        assertThat(listed)
                .allMatch(n -> n.startsWith("studio_finetune_")
                        || n.startsWith("studio_chat_")
                        || n.startsWith("studio_gateway_")
                        || n.startsWith("DCGM_FI_"));
    }

    @Test
    void theNameParserSkipsFunctionsLabelsAndGroupings() {
        assertThat(metricNames("histogram_quantile(0.95, sum by (model, le) (rate(a_bucket{model=\"x y\"}[5m])))"))
                .containsExactly("a_bucket");
        assertThat(metricNames("100 * A_USED / (A_USED + A_FREE) and on (gpu) b offset 5m"))
                .containsExactly("A_FREE", "A_USED", "b");
    }
}
