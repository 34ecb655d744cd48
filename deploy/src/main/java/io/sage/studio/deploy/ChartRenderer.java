package io.sage.studio.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

/** Renders and lints the Helm chart in-process (helm-java: the Helm library itself, no {@code helm} binary). */
public final class ChartRenderer {

    /**
     * The Kubernetes version templates are rendered for: the chart needs 1.25+, and the Helm library's own
     * default (1.20) predates that.
     */
    public static final String KUBE_VERSION = "1.30.0";

    private final Path chart;

    public ChartRenderer(Path chart) {
        this.chart = chart;
    }

    public Path chart() {
        return chart;
    }

    /** {@code helm lint --strict} with the chart's default values (and its values schema). */
    public LintResult lint() {
        return new Helm(chart).lint().strict().call();
    }

    /**
     * {@code helm template} of the chart as release {@code release} in {@code namespace}, with the values files in
     * order and then the {@code --set} overrides. Throws {@link IllegalStateException} carrying Helm's message when
     * the values break the schema or a template fails.
     */
    public Rendered template(String release, String namespace, List<Path> valuesFiles, Map<String, String> sets) {
        TemplateCommand command = new Helm(chart)
                .template()
                .withName(release)
                .withNamespace(namespace)
                .withKubeVersion(KUBE_VERSION);
        valuesFiles.forEach(command::withValuesFile);
        sets.forEach(command::set);
        try {
            return new Rendered(command.call());
        } catch (RuntimeException e) {
            throw new IllegalStateException("helm template of " + chart + " failed: " + e.getMessage(), e);
        }
    }
}
