package io.sage.studio.finetune.executor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.sage.studio.finetune.config.FinetuneConfig;

/**
 * Where the experiment trackers of trainers report ({@code studio.finetune.trackers.*}): plain values, which become
 * environment variables as they are, and the Secrets that hold the credentials, which a trainer pod reads by reference.
 * The service never reads the credentials themselves, so it has none to leak.
 *
 * @param mlflowTrackingUri    {@code MLFLOW_TRACKING_URI}
 * @param mlflowExperimentName {@code MLFLOW_EXPERIMENT_NAME}
 * @param mlflowToken          where {@code MLFLOW_TRACKING_TOKEN} is kept
 * @param wandbBaseUrl         {@code WANDB_BASE_URL}
 * @param wandbProject         {@code WANDB_PROJECT}
 * @param wandbApiKey          where {@code WANDB_API_KEY} is kept
 */
public record TrackerSettings(
        Optional<String> mlflowTrackingUri,
        Optional<String> mlflowExperimentName,
        Optional<SecretKey> mlflowToken,
        Optional<String> wandbBaseUrl,
        Optional<String> wandbProject,
        Optional<SecretKey> wandbApiKey) {

    public static final String MLFLOW = "mlflow";
    public static final String WANDB = "wandb";
    public static final String MLFLOW_TRACKING_URI = "MLFLOW_TRACKING_URI";
    public static final String MLFLOW_EXPERIMENT_NAME = "MLFLOW_EXPERIMENT_NAME";
    public static final String MLFLOW_TRACKING_TOKEN = "MLFLOW_TRACKING_TOKEN";
    public static final String WANDB_BASE_URL = "WANDB_BASE_URL";
    public static final String WANDB_PROJECT = "WANDB_PROJECT";
    public static final String WANDB_API_KEY = "WANDB_API_KEY";

    /** A key of an existing Secret in the trainers' namespace. */
    public record SecretKey(String name, String key) {}

    /** A variable a trainer gets: a value, or a Secret's key ({@code value} then {@code null}). */
    public record Variable(String value, SecretKey secret) {}

    /** Nothing configured: trainers get no tracker settings from the service's configuration. */
    public static TrackerSettings none() {
        return new TrackerSettings(
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
    }

    public static TrackerSettings of(FinetuneConfig.Trackers config) {
        FinetuneConfig.Trackers.Mlflow mlflow = config.mlflow();
        FinetuneConfig.Trackers.Wandb wandb = config.wandb();
        return new TrackerSettings(
                set(mlflow.trackingUri()),
                set(mlflow.experimentName()),
                set(mlflow.tokenSecretName())
                        .map(name -> new SecretKey(name, mlflow.tokenSecretKey().strip())),
                set(wandb.baseUrl()),
                set(wandb.project()),
                set(wandb.apiKeySecretName())
                        .map(name -> new SecretKey(name, wandb.apiKeySecretKey().strip())));
    }

    /**
     * The variables of the trackers {@code reportTo} names, in a stable order; none for a task that names neither
     * MLflow nor W&amp;B (TensorBoard needs no settings).
     */
    public Map<String, Variable> variables(List<String> reportTo) {
        Map<String, Variable> env = new LinkedHashMap<>();
        if (reportTo == null) {
            return env;
        }
        if (reportTo.contains(MLFLOW)) {
            mlflowTrackingUri.ifPresent(v -> env.put(MLFLOW_TRACKING_URI, new Variable(v, null)));
            mlflowExperimentName.ifPresent(v -> env.put(MLFLOW_EXPERIMENT_NAME, new Variable(v, null)));
            mlflowToken.ifPresent(s -> env.put(MLFLOW_TRACKING_TOKEN, new Variable(null, s)));
        }
        if (reportTo.contains(WANDB)) {
            wandbBaseUrl.ifPresent(v -> env.put(WANDB_BASE_URL, new Variable(v, null)));
            wandbProject.ifPresent(v -> env.put(WANDB_PROJECT, new Variable(v, null)));
            wandbApiKey.ifPresent(s -> env.put(WANDB_API_KEY, new Variable(null, s)));
        }
        return env;
    }

    private static Optional<String> set(Optional<String> value) {
        return value.map(String::strip).filter(v -> !v.isEmpty());
    }
}
