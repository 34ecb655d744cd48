package io.sage.studio.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;

/**
 * The chart's Prometheus Operator monitors and Grafana dashboard ConfigMap: none by default; when enabled, a
 * ServiceMonitor selecting exactly the gateway, finetune and chat-switch Services on their {@code http} port, a
 * PodMonitor selecting the gpu-probe pods (the per-node DaemonSet's included), both at {@code /q/metrics} with the
 * viewer token Secret, and the dashboard JSON byte for byte in a ConfigMap with the sidecar's label.
 */
class MonitoringChartTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ChartRenderer chart = new ChartRenderer(HelmChartTest.CHART);

    private Install render(Map<String, String> sets) {
        return Install.of(chart.template("sage-studio", HelmChartTest.NS, List.of(), sets));
    }

    private static List<GenericKubernetesResource> kind(Install install, String kind) {
        return install.all(GenericKubernetesResource.class).stream()
                .filter(r -> r.getKind().equals(kind))
                .toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource resource) {
        return (Map<String, Object>) resource.getAdditionalProperties().get("spec");
    }

    @Test
    void nothingByDefault() {
        Install install = render(Map.of());
        assertThat(kind(install, "ServiceMonitor")).isEmpty();
        assertThat(kind(install, "PodMonitor")).isEmpty();
        assertThat(install.all(ConfigMap.class))
                .noneMatch(c -> c.getMetadata().getName().endsWith("-dashboard"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void monitorsSelectTheServicesAndTheGpuProbePodsWithTheToken() {
        Install install = render(Map.of(
                "metrics.serviceMonitor.enabled", "true",
                "metrics.serviceMonitor.labels.release", "kube-prometheus-stack",
                "metrics.podMonitor.enabled", "true",
                "metrics.podMonitor.interval", "15s",
                "metrics.tokenSecret.name", "prometheus-studio-token"));

        GenericKubernetesResource serviceMonitor =
                kind(install, "ServiceMonitor").get(0);
        assertThat(serviceMonitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(serviceMonitor.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack");
        Map<String, Object> selector =
                (Map<String, Object>) spec(serviceMonitor).get("selector");
        List<Map<String, Object>> expressions = (List<Map<String, Object>>) selector.get("matchExpressions");
        List<String> components = (List<String>) expressions.get(0).get("values");
        // The Services it selects are the studio's, by their labels.
        List<String> selected = install.all(Service.class).stream()
                .filter(s -> s.getMetadata()
                        .getLabels()
                        .entrySet()
                        .containsAll(((Map<String, String>) selector.get("matchLabels")).entrySet()))
                .filter(s -> components.contains(s.getMetadata().getLabels().get("app.kubernetes.io/component")))
                .map(s -> s.getMetadata().getName())
                .toList();
        assertThat(selected)
                .containsExactlyInAnyOrder("sage-studio-gateway", "sage-studio-finetune", "sage-studio-chat-switch");
        assertThat(install.all(Service.class))
                .filteredOn(s -> selected.contains(s.getMetadata().getName()))
                .allSatisfy(s -> assertThat(s.getSpec().getPorts())
                        .anyMatch(p -> p.getName().equals("http")));
        Map<String, Object> endpoint =
                ((List<Map<String, Object>>) spec(serviceMonitor).get("endpoints")).get(0);
        assertThat(endpoint)
                .containsEntry("port", "http")
                .containsEntry("path", "/q/metrics")
                .containsEntry("interval", "30s")
                .containsEntry(
                        "authorization",
                        Map.of(
                                "type",
                                "Bearer",
                                "credentials",
                                Map.of("name", "prometheus-studio-token", "key", "token")));

        GenericKubernetesResource podMonitor = kind(install, "PodMonitor").get(0);
        Map<String, String> podLabels =
                (Map<String, String>) ((Map<String, Object>) spec(podMonitor).get("selector")).get("matchLabels");
        DaemonSet probes = install.get(DaemonSet.class, "sage-studio-gpu-probe");
        assertThat(probes.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(podLabels);
        assertThat(probes.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getPorts())
                .anyMatch(p -> "http".equals(p.getName()));
        Map<String, Object> podEndpoint =
                ((List<Map<String, Object>>) spec(podMonitor).get("podMetricsEndpoints")).get(0);
        assertThat(podEndpoint)
                .containsEntry("port", "http")
                .containsEntry("path", "/q/metrics")
                .containsEntry("interval", "15s")
                .containsKey("authorization");
    }

    @Test
    void withoutATokenSecretTheMonitorsSendNone() {
        Install install = render(Map.of("metrics.serviceMonitor.enabled", "true"));
        assertThat(spec(kind(install, "ServiceMonitor").get(0)).toString()).doesNotContain("authorization");
    }

    @Test
    void theDashboardShipsInAConfigMapWithTheSidecarLabel() throws IOException {
        Install install = render(Map.of(
                "metrics.grafanaDashboard.enabled", "true",
                "metrics.grafanaDashboard.namespace", "monitoring",
                "metrics.grafanaDashboard.annotations.grafana_folder", "SAGE Studio"));
        ConfigMap dashboard = install.get(ConfigMap.class, "sage-studio-dashboard");
        assertThat(dashboard.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(dashboard.getMetadata().getAnnotations()).containsEntry("grafana_folder", "SAGE Studio");
        JsonNode shipped = JSON.readTree(dashboard.getData().get("sage-studio.json"));
        assertThat(shipped).isEqualTo(JSON.readTree(Files.readString(DashboardTest.DASHBOARD)));

        Install relabelled = render(Map.of(
                "metrics.grafanaDashboard.enabled", "true",
                "metrics.grafanaDashboard.labels.grafana_dashboard", "null",
                "metrics.grafanaDashboard.labels.studio-dashboards", "yes"));
        assertThat(relabelled
                        .get(ConfigMap.class, "sage-studio-dashboard")
                        .getMetadata()
                        .getLabels())
                .containsEntry("studio-dashboards", "yes")
                .doesNotContainKey("grafana_dashboard");
    }
}
