package io.sage.studio.finetune.executor.kubernetes;

import static io.sage.studio.finetune.executor.kubernetes.TrainerFixtures.env;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.spi.ConfigProviderResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.common.tracing.ChildTracing;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.executor.TrackerSettings;
import io.sage.studio.finetune.executor.TrackerSettings.SecretKey;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The environment of trainer pods as the manifest builders write it, for a single trainer's Job and for each
 * distributed engine: the trace of the task's create call ({@code TRACEPARENT}, {@code TRACESTATE}), where to export
 * while the service traces ({@code OTEL_*}), and the settings of the trackers the task's {@code report_to} names -
 * credentials only as Secret references, never a value.
 */
class TrainerPodEnvTest {

    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final String TRACESTATE = "vendor=a1";
    private static final String ENDPOINT = "http://otel-collector.observability:4318";
    private static final String IN_POD = "/studio-home/finetune/ft-env";
    private static final TrackerSettings TRACKERS = new TrackerSettings(
            Optional.of("http://mlflow.mlops:5000"),
            Optional.of("team-a"),
            Optional.of(new SecretKey("mlflow-auth", "token")),
            Optional.of("https://wandb.example.com"),
            Optional.of("sage-runs"),
            Optional.of(new SecretKey("wandb-auth", "api-key")));

    private static final FinetuneConfig.Kubernetes SETTINGS =
            KubeSettings.base().build();

    private static TaskRecord task(int nodes, int gpus, List<String> reportTo) {
        return TrainerFixtures.task("ft-env", nodes, gpus, reportTo).toBuilder()
                .traceparent(TRACEPARENT)
                .tracestate(TRACESTATE)
                .build();
    }

    private static Job job(TaskRecord task, RunKind kind) {
        return TrainerJobs.build(
                task.taskId(),
                kind,
                1,
                "studio",
                IN_POD,
                SETTINGS,
                TrainerJobs.scheduling(SETTINGS),
                "install-1",
                TrainerJobs.taskEnv(List.of(), TRACKERS, task, kind));
    }

    @Test
    void aTrainersJobJoinsTheTasksTraceAndReadsTrackerCredentialsFromTheirSecrets() {
        Map<String, EnvVar> env = env(job(task(1, 1, List.of("tensorboard", "mlflow", "wandb")), RunKind.TRAIN));

        assertThat(env.get(ChildTracing.TRACEPARENT).getValue()).isEqualTo(TRACEPARENT);
        assertThat(env.get(ChildTracing.TRACESTATE).getValue()).isEqualTo(TRACESTATE);

        assertThat(env.get("MLFLOW_TRACKING_URI").getValue()).isEqualTo("http://mlflow.mlops:5000");
        assertThat(env.get("MLFLOW_EXPERIMENT_NAME").getValue()).isEqualTo("team-a");
        assertThat(env.get("WANDB_BASE_URL").getValue()).isEqualTo("https://wandb.example.com");
        assertThat(env.get("WANDB_PROJECT").getValue()).isEqualTo("sage-runs");
        assertSecretRef(env.get("MLFLOW_TRACKING_TOKEN"), "mlflow-auth", "token");
        assertSecretRef(env.get("WANDB_API_KEY"), "wandb-auth", "api-key");
    }

    @Test
    void onlyTheNamedTrackersSettingsReachThePodAndAMergeGetsNone() {
        Map<String, EnvVar> mlflowOnly = env(job(task(1, 1, List.of("mlflow")), RunKind.TRAIN));
        assertThat(mlflowOnly).containsKeys("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN");
        assertThat(mlflowOnly.keySet()).noneMatch(name -> name.startsWith("WANDB_"));

        Map<String, EnvVar> none = env(job(task(1, 1, List.of()), RunKind.TRAIN));
        assertThat(none.keySet()).noneMatch(name -> name.startsWith("MLFLOW_") || name.startsWith("WANDB_"));
        assertThat(none).containsKey(ChildTracing.TRACEPARENT);

        Map<String, EnvVar> merge = env(job(task(1, 1, List.of("mlflow", "wandb")), RunKind.MERGE));
        assertThat(merge.keySet()).noneMatch(name -> name.startsWith("MLFLOW_") || name.startsWith("WANDB_"));
        assertThat(merge.get(ChildTracing.TRACEPARENT).getValue()).isEqualTo(TRACEPARENT);

        Map<String, EnvVar> unconfigured = env(TrainerJobs.build(
                "ft-env",
                RunKind.TRAIN,
                1,
                "studio",
                IN_POD,
                SETTINGS,
                TrainerJobs.scheduling(SETTINGS),
                "install-1",
                TrainerJobs.taskEnv(
                        List.of(), TrackerSettings.none(), task(1, 1, List.of("mlflow", "wandb")), RunKind.TRAIN)));
        assertThat(unconfigured.keySet()).noneMatch(name -> name.startsWith("MLFLOW_") || name.startsWith("WANDB_"));
    }

    @ParameterizedTest
    @EnumSource(DistributedEngine.class)
    void everyDistributedEnginesTrainerGetsTheTraceAndTheTrackers(DistributedEngine engine) {
        Map<String, JsonNode> env = distributedEnv(engine, task(2, 4, List.of("mlflow", "wandb")));

        assertThat(env.get(ChildTracing.TRACEPARENT).at("/value").asText()).isEqualTo(TRACEPARENT);
        assertThat(env.get(ChildTracing.TRACESTATE).at("/value").asText()).isEqualTo(TRACESTATE);
        assertThat(env.get("MLFLOW_TRACKING_URI").at("/value").asText()).isEqualTo("http://mlflow.mlops:5000");
        assertThat(env.get("WANDB_PROJECT").at("/value").asText()).isEqualTo("sage-runs");
        assertThat(env.get("MLFLOW_TRACKING_TOKEN")
                        .at("/valueFrom/secretKeyRef/name")
                        .asText())
                .isEqualTo("mlflow-auth");
        assertThat(env.get("MLFLOW_TRACKING_TOKEN").has("value")).isFalse();
        assertThat(env.get("WANDB_API_KEY").at("/valueFrom/secretKeyRef/key").asText())
                .isEqualTo("api-key");
        assertThat(env.get("WANDB_API_KEY").has("value")).isFalse();
    }

    /**
     * With the service tracing (an OTLP endpoint configured, as {@code TracingConfig} leaves it), the trainer pods of
     * a Job and of every distributed engine also learn where to export and under which service name.
     */
    @Test
    void whileTheServiceTracesEveryTrainerPodExportsToItsCollector() {
        ConfigProviderResolver resolver = ConfigProviderResolver.instance();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        resolver.releaseConfig(resolver.getConfig(loader));
        Config tracing = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(
                        Map.of(
                                "quarkus.otel.sdk.disabled", "false",
                                "quarkus.otel.exporter.otlp.endpoint", ENDPOINT,
                                "quarkus.otel.exporter.otlp.protocol", "http/protobuf"),
                        "tracing-on",
                        500))
                .build();
        resolver.registerConfig(tracing, loader);
        try {
            Map<String, EnvVar> job = env(job(task(1, 1, List.of()), RunKind.TRAIN));
            assertThat(job.get(ChildTracing.TRACEPARENT).getValue()).isEqualTo(TRACEPARENT);
            assertThat(job.get(ChildTracing.ENDPOINT).getValue()).isEqualTo(ENDPOINT);
            assertThat(job.get(ChildTracing.PROTOCOL).getValue()).isEqualTo("http/protobuf");
            assertThat(job.get(ChildTracing.SERVICE_NAME).getValue()).isEqualTo(ChildTracing.TRAINER);
            for (DistributedEngine engine : DistributedEngine.values()) {
                Map<String, JsonNode> env = distributedEnv(engine, task(2, 4, List.of()));
                assertThat(env.get(ChildTracing.TRACEPARENT).at("/value").asText())
                        .as(engine.kind())
                        .isEqualTo(TRACEPARENT);
                assertThat(env.get(ChildTracing.ENDPOINT).at("/value").asText())
                        .as(engine.kind())
                        .isEqualTo(ENDPOINT);
                assertThat(env.get(ChildTracing.SERVICE_NAME).at("/value").asText())
                        .as(engine.kind())
                        .isEqualTo(ChildTracing.TRAINER);
            }
        } finally {
            resolver.releaseConfig(tracing);
        }
    }

    /** What the executor creates on the (mock) API server for a task is what the builders above give. */
    @Test
    void theExecutorLaunchesTheTrainerWithItsTraceAndTrackers(@TempDir Path root) throws Exception {
        KubernetesMockServer server = TrainerFixtures.crudServer();
        StudioHome home = StudioHome.at(root);
        try (KubernetesClient client = server.createClient()) {
            KubernetesExecutor executor = new KubernetesExecutor(
                    client, SETTINGS, home, InstanceIdentity.of(home), HubSettings.defaults(home, Map.of()), TRACKERS);
            Map<String, EnvVar> env =
                    env(TrainerFixtures.launchTraining(executor, client, home, task(1, 1, List.of("wandb"))));
            assertThat(env.get(ChildTracing.TRACEPARENT).getValue()).isEqualTo(TRACEPARENT);
            assertThat(env.get("WANDB_BASE_URL").getValue()).isEqualTo("https://wandb.example.com");
            assertSecretRef(env.get("WANDB_API_KEY"), "wandb-auth", "api-key");
            assertThat(env.keySet()).noneMatch(name -> name.startsWith("MLFLOW_"));
        } finally {
            server.destroy();
        }
    }

    /** The keys of {@code studio.finetune.trackers.*} (what the chart writes) become the trainers' settings. */
    @Test
    void theTrackerKeysOfTheServiceConfigurationAreTheSettings() {
        Map<String, String> properties = Map.of(
                "studio.finetune.trackers.mlflow.tracking-uri", "http://mlflow.mlops:5000",
                "studio.finetune.trackers.mlflow.experiment-name", "team-a",
                "studio.finetune.trackers.mlflow.token-secret-name", "mlflow-auth",
                "studio.finetune.trackers.mlflow.token-secret-key", "token",
                "studio.finetune.trackers.wandb.base-url", "https://wandb.example.com",
                "studio.finetune.trackers.wandb.project", "sage-runs",
                "studio.finetune.trackers.wandb.api-key-secret-name", "wandb-auth",
                "studio.finetune.trackers.wandb.api-key-secret-key", "api-key");
        assertThat(TrackerSettings.of(trackers(properties))).isEqualTo(TRACKERS);

        TrackerSettings defaults = TrackerSettings.of(
                trackers(Map.of("studio.finetune.trackers.wandb.api-key-secret-name", "wandb-auth")));
        assertThat(defaults.wandbApiKey()).contains(new SecretKey("wandb-auth", "WANDB_API_KEY"));
        assertThat(defaults.mlflowToken()).isEmpty();
        assertThat(defaults.mlflowTrackingUri()).isEmpty();
    }

    private static FinetuneConfig.Trackers trackers(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .withMapping(FinetuneConfig.Trackers.class, "studio.finetune.trackers")
                .build()
                .getConfigMapping(FinetuneConfig.Trackers.class, "studio.finetune.trackers");
    }

    private static Map<String, JsonNode> distributedEnv(DistributedEngine engine, TaskRecord task) {
        GenericKubernetesResource resource = DistributedJobs.build(
                engine,
                new DistributedJobs.Shape(task.config().nodes(), task.config().gpus()),
                task.taskId(),
                1,
                "studio",
                IN_POD,
                SETTINGS,
                TrainerJobs.scheduling(SETTINGS),
                "install-1",
                TrainerJobs.taskEnv(List.of(), TRACKERS, task, RunKind.TRAIN),
                "torch-distributed");
        JsonNode tree = JSON.convertValue(resource, JsonNode.class);
        JsonNode list = switch (engine) {
            case JOBSET -> tree.at("/spec/replicatedJobs/0/template/spec/template/spec/containers/0/env");
            case PYTORCHJOB -> tree.at("/spec/pytorchReplicaSpecs/Master/template/spec/containers/0/env");
            case TRAINJOB -> tree.at("/spec/trainer/env");
        };
        Map<String, JsonNode> env = new LinkedHashMap<>();
        list.forEach(entry -> env.put(entry.get("name").asText(), entry));
        assertThat(env).as(engine.kind() + " env").isNotEmpty();
        return env;
    }

    private static void assertSecretRef(EnvVar variable, String secret, String key) {
        assertThat(variable.getValue()).isNull();
        assertThat(variable.getValueFrom().getSecretKeyRef().getName()).isEqualTo(secret);
        assertThat(variable.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(key);
        assertThat(variable.getValueFrom().getSecretKeyRef().getOptional()).isTrue();
    }
}
