package io.sage.studio.finetune.executor;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The settings of the experiment trackers a task's {@code report_to} names, taken from the service's environment for
 * its trainer: {@code MLFLOW_*} for {@code mlflow} ({@code MLFLOW_TRACKING_URI}, {@code MLFLOW_EXPERIMENT_NAME},
 * {@code MLFLOW_TRACKING_TOKEN}, …) and {@code WANDB_*} for {@code wandb} ({@code WANDB_API_KEY}, {@code WANDB_MODE},
 * {@code WANDB_PROJECT}, …).
 *
 * <p>Why not the child-environment allow-list: it keeps every {@code *_API_KEY}, {@code *_TOKEN} and
 * {@code *PASSWORD*} from children on purpose, yet these credentials exist only to reach the trainer, like
 * {@code HF_TOKEN}. So they pass here, and only to a task that asked for that tracker; the trainer never writes them
 * to a record or a log line, and nothing here logs a value.
 *
 * <p>The plain values of {@code studio.finetune.trackers.*} ({@link TrackerSettings}: tracking URI, experiment,
 * W&amp;B base URL and project) come first, so one setting serves local and Kubernetes trainers alike; the service's
 * environment wins over them. Their Secret references are for trainer pods only: a local trainer's credentials come
 * from the environment.
 */
public final class TrackerEnvironment {

    private static final Map<String, String> PREFIXES = Map.of("mlflow", "MLFLOW_", "wandb", "WANDB_");

    private TrackerEnvironment() {}

    /** The variables of {@code parent} that the trackers in {@code reportTo} read. */
    public static Map<String, String> of(Map<String, String> parent, List<String> reportTo) {
        return of(parent, reportTo, TrackerSettings.none());
    }

    /** {@code settings}' plain values for the trackers in {@code reportTo}, then those of {@code parent} over them. */
    public static Map<String, String> of(Map<String, String> parent, List<String> reportTo, TrackerSettings settings) {
        Map<String, String> env = new TreeMap<>();
        if (reportTo == null || reportTo.isEmpty()) {
            return env;
        }
        settings.variables(reportTo).forEach((name, variable) -> {
            if (variable.value() != null) {
                env.put(name, variable.value());
            }
        });
        List<String> prefixes =
                reportTo.stream().map(PREFIXES::get).filter(p -> p != null).toList();
        parent.forEach((name, value) -> {
            if (prefixes.stream().anyMatch(name::startsWith)) {
                env.put(name, value);
            }
        });
        return env;
    }
}
