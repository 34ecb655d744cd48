package io.sage.studio.finetune.executor.kubernetes;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.sage.studio.finetune.config.FinetuneConfig;
import io.smallrye.config.WithDefault;

/**
 * {@link FinetuneConfig.Kubernetes} for tests: every key at its {@link WithDefault} (an optional one empty, a map one
 * empty) unless {@link #with} names it, so a key added to the interface needs no edit here.
 */
final class KubeSettings {

    private final Map<String, Object> values = new HashMap<>();

    /** The settings the distributed tests share: namespace {@code studio}, a pinned image, a fast poll. */
    static KubeSettings base() {
        return new KubeSettings()
                .with("namespace", Optional.of("studio"))
                .with("image", "registry.example/sage-trainer:1.2.3")
                .with("homeClaim", "studio-home-pvc")
                .with("cpuRequest", "4")
                .with("memory", "24Gi")
                .with("runtimeClassName", Optional.of("nvidia"))
                .with("serviceAccount", Optional.of("sage-trainer"))
                .with("fsGroup", Optional.of(185L))
                .with("pollInterval", Duration.ofMillis(50));
    }

    KubeSettings with(String method, Object value) {
        values.put(method, value);
        return this;
    }

    FinetuneConfig.Kubernetes build() {
        return (FinetuneConfig.Kubernetes) Proxy.newProxyInstance(
                FinetuneConfig.Kubernetes.class.getClassLoader(),
                new Class<?>[] {FinetuneConfig.Kubernetes.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "toString" -> "KubeSettings" + values;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> values.containsKey(method.getName()) ? values.get(method.getName()) : fallback(method);
                });
    }

    private static Object fallback(Method method) {
        Class<?> type = method.getReturnType();
        if (type == Optional.class) {
            return Optional.empty();
        }
        if (type == Map.class) {
            return Map.of();
        }
        WithDefault annotation = method.getAnnotation(WithDefault.class);
        if (annotation == null) {
            throw new IllegalStateException("no value and no default for " + method.getName());
        }
        String text = annotation.value();
        if (type == String.class) {
            return text;
        }
        if (type == int.class) {
            return Integer.parseInt(text);
        }
        if (type == long.class) {
            return Long.parseLong(text);
        }
        if (type == boolean.class) {
            return Boolean.parseBoolean(text);
        }
        if (type == List.class) {
            return Arrays.asList(text.split(","));
        }
        if (type == Duration.class) {
            return Duration.parse("PT" + text.toUpperCase());
        }
        if (type.isEnum()) {
            for (Object constant : type.getEnumConstants()) {
                if (((Enum<?>) constant).name().equalsIgnoreCase(text)) {
                    return constant;
                }
            }
        }
        throw new IllegalStateException("cannot read the default of " + method.getName() + ": " + text);
    }
}
