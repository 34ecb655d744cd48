package io.sage.studio.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/** The objects of one rendered install, with look-ups the tests share. */
record Install(List<HasMetadata> objects) {

    static Install of(Rendered rendered) {
        return new Install(rendered.objects());
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream()
                .filter(o -> o.getMetadata().getName().equals(name))
                .findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type, String name) {
        return find(type, name)
                .orElseThrow(() ->
                        new AssertionError("no " + type.getSimpleName() + " named " + name + " among " + names()));
    }

    List<String> names() {
        return objects.stream()
                .map(o -> o.getKind() + "/" + o.getMetadata().getName())
                .toList();
    }

    /** Every pod template of the install: Deployments and DaemonSets. */
    List<PodTemplateSpec> podTemplates() {
        return objects.stream()
                .map(Install::podTemplate)
                .flatMap(Optional::stream)
                .toList();
    }

    static Optional<PodTemplateSpec> podTemplate(HasMetadata object) {
        if (object instanceof Deployment deployment) {
            return Optional.of(deployment.getSpec().getTemplate());
        }
        if (object instanceof DaemonSet daemonSet) {
            return Optional.of(daemonSet.getSpec().getTemplate());
        }
        return Optional.empty();
    }

    PodTemplateSpec pod(String workload) {
        return find(Deployment.class, workload)
                .map(d -> d.getSpec().getTemplate())
                .or(() -> find(DaemonSet.class, workload).map(d -> d.getSpec().getTemplate()))
                .orElseThrow(() -> new AssertionError("no workload " + workload + " among " + names()));
    }

    static Container container(PodTemplateSpec pod) {
        assertThat(pod.getSpec().getContainers()).hasSize(1);
        return pod.getSpec().getContainers().get(0);
    }

    static Optional<EnvVar> env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    static Volume volume(PodTemplateSpec pod, String name) {
        return pod.getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(
                        "no volume " + name + " in " + pod.getSpec().getVolumes()));
    }

    /** The application.properties a component's ConfigMap gives its service. */
    Properties properties(String configMap) {
        Properties props = new Properties();
        try {
            props.load(
                    new StringReader(get(ConfigMap.class, configMap).getData().get("application.properties")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return props;
    }
}
