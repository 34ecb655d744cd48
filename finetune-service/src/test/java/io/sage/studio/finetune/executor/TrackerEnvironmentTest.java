package io.sage.studio.finetune.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.sage.studio.finetune.executor.TrackerSettings.SecretKey;
import io.sage.studio.process.ChildEnvironment;

/**
 * A local trainer's tracker environment as the local executor composes it: the child allow-list
 * ({@link ChildEnvironment}) alone passes none of the trackers' variables (their credentials look like secrets on
 * purpose), {@link TrackerEnvironment} gives them back for the trackers a task names, and the service's
 * {@code studio.finetune.trackers.*} values fill in beneath the service's own environment.
 */
class TrackerEnvironmentTest {

    private static final Map<String, String> SERVICE = Map.of(
            "PATH", "/usr/bin",
            "MLFLOW_TRACKING_URI", "http://mlflow.local:5000",
            "MLFLOW_TRACKING_TOKEN", "mlflow-token-value",
            "WANDB_API_KEY", "wandb-key-value",
            "WANDB_BASE_URL", "https://wandb.local",
            "OPENAI_API_KEY", "sk-service",
            "STUDIO_EVENTS_SIGNING_KEY", "signing");

    private static final TrackerSettings CONFIGURED = new TrackerSettings(
            Optional.of("http://mlflow.config:5000"),
            Optional.of("team-a"),
            Optional.of(new SecretKey("mlflow-auth", "token")),
            Optional.of("https://wandb.config"),
            Optional.of("sage-runs"),
            Optional.of(new SecretKey("wandb-auth", "api-key")));

    @Test
    void theAllowListAloneKeepsEveryTrackerVariableFromTheTrainer() {
        Map<String, String> child = ChildEnvironment.build(SERVICE, Map.of());
        assertThat(child).containsEntry("PATH", "/usr/bin");
        assertThat(child.keySet()).noneMatch(name -> name.startsWith("MLFLOW_") || name.startsWith("WANDB_"));
    }

    @Test
    void aTaskNamingTheTrackersGetsTheirVariablesAndNothingElseOfTheServices() {
        Map<String, String> child = ChildEnvironment.build(
                SERVICE, TrackerEnvironment.of(SERVICE, List.of("tensorboard", "mlflow", "wandb")));
        assertThat(child)
                .containsEntry("MLFLOW_TRACKING_URI", "http://mlflow.local:5000")
                .containsEntry("MLFLOW_TRACKING_TOKEN", "mlflow-token-value")
                .containsEntry("WANDB_API_KEY", "wandb-key-value")
                .containsEntry("WANDB_BASE_URL", "https://wandb.local")
                .doesNotContainKeys("OPENAI_API_KEY", "STUDIO_EVENTS_SIGNING_KEY");

        Map<String, String> wandbOnly =
                ChildEnvironment.build(SERVICE, TrackerEnvironment.of(SERVICE, List.of("wandb")));
        assertThat(wandbOnly).containsKey("WANDB_API_KEY");
        assertThat(wandbOnly.keySet()).noneMatch(name -> name.startsWith("MLFLOW_"));
    }

    @Test
    void theConfiguredValuesFillInBeneathTheServicesEnvironmentAndSecretsStayReferences() {
        Map<String, String> env = TrackerEnvironment.of(SERVICE, List.of("mlflow", "wandb"), CONFIGURED);
        // the service's own environment wins
        assertThat(env).containsEntry("MLFLOW_TRACKING_URI", "http://mlflow.local:5000");
        assertThat(env).containsEntry("WANDB_BASE_URL", "https://wandb.local");
        // what it lacks comes from studio.finetune.trackers.*
        assertThat(env).containsEntry("MLFLOW_EXPERIMENT_NAME", "team-a");
        assertThat(env).containsEntry("WANDB_PROJECT", "sage-runs");

        Map<String, String> bare = TrackerEnvironment.of(Map.of(), List.of("mlflow", "wandb"), CONFIGURED);
        assertThat(bare)
                .containsOnlyKeys("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "WANDB_BASE_URL", "WANDB_PROJECT");
        assertThat(TrackerEnvironment.of(Map.of(), List.of("tensorboard"), CONFIGURED))
                .isEmpty();
    }
}
