package io.sage.studio.finetune.executor.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.executor.RunListener;
import io.sage.studio.finetune.gpu.GpuInventory;

/**
 * The trainer's environment, checked on a real process. The test JVM carries service secrets in its own
 * environment (set by surefire in {@code finetune-service/pom.xml}), as a deployed service would.
 */
class LocalExecutorTest {

    static final String CLOUD_KEY = "STUDIO_CHAT_CLOUD_API_KEY";
    static final String SIGNING_KEY = "STUDIO_EVENTS_SIGNING_KEY";

    @TempDir
    Path root;

    record Settings(
            String trainerCommand,
            int concurrency,
            boolean onePerGpu,
            Optional<String> gpuNode,
            Duration cancelGrace,
            Map<String, String> env,
            List<String> passEnv)
            implements FinetuneConfig.Local {

        @Override
        public Duration gpuReservationAfter() {
            return Duration.ofMinutes(10);
        }
    }

    private static final GpuInventory NO_GPUS = new GpuInventory() {
        @Override
        public List<GpuTelemetryEvent> localGpus() {
            return List.of();
        }

        @Override
        public List<GpuTelemetryEvent> allGpus() {
            return List.of();
        }
    };

    @Test
    void theTrainerGetsTheAllowListedEnvironmentNeverTheServicesSecrets() throws Exception {
        assertThat(System.getenv())
                .as("the service's environment holds secrets (surefire sets them)")
                .containsKeys(CLOUD_KEY, SIGNING_KEY, "HF_TOKEN", "FAKE_TRAINER_MARKER");
        StudioHome home = StudioHome.at(root);
        Path dir = Files.createDirectories(home.finetuneDir().resolve("ft-env"));
        LocalExecutor executor = new LocalExecutor(
                new Settings(
                        "sh -c 'env > env.txt' trainer",
                        1,
                        false,
                        Optional.empty(),
                        Duration.ofSeconds(1),
                        Map.of("HF_HOME", "/models/hf"),
                        List.of("FAKE_TRAINER_*", "STUDIO_*")),
                NO_GPUS,
                InstanceIdentity.of(home));
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        executor.launch(TaskRecord.builder().taskId("ft-env").build(), dir, new RunListener() {
            @Override
            public void exited(String taskId, Integer exitCode, String detail) {
                exit.complete(exitCode);
            }

            @Override
            public void waiting(String taskId, TrainerPhase phase, String message) {}
        });
        assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();

        String dump = Files.readString(dir.resolve("env.txt"));
        Map<String, String> env = dump.lines()
                .filter(l -> l.indexOf('=') > 0)
                .collect(Collectors.toMap(
                        l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1), (a, b) -> b));
        assertThat(env)
                .doesNotContainKeys(CLOUD_KEY, SIGNING_KEY)
                .containsEntry("HF_TOKEN", System.getenv("HF_TOKEN"))
                .containsEntry("HF_HOME", "/models/hf")
                .containsEntry("SAGE_TASK_ID", "ft-env")
                .containsEntry("PYTHONUNBUFFERED", "1")
                .containsEntry("FAKE_TRAINER_MARKER", System.getenv("FAKE_TRAINER_MARKER"))
                .containsKey("PATH");
        assertThat(dump).doesNotContain(System.getenv(CLOUD_KEY)).doesNotContain(System.getenv(SIGNING_KEY));
        executor.close();
    }

    @Test
    void theTrainerGetsTheHubTokenTheSharedCacheAndTheOfflineSwitchesButNotTheCloudKey() throws Exception {
        assertThat(System.getenv()).containsKeys(CLOUD_KEY, "OPENAI_API_KEY");
        StudioHome home = StudioHome.at(root);
        Path tokenFile = Files.writeString(root.resolve("hf-token"), "hf_from_the_token_file_42\n");
        HubSettings hub = new HubSettings(
                home,
                Optional.empty(),
                Optional.of(tokenFile.toString()),
                true,
                Optional.empty(),
                HubSettings.DEFAULT_SECRET_KEY,
                System.getenv());
        Map<String, String> env = launchAndDump(home, hub, Map.of());

        assertThat(env)
                .containsEntry("HF_TOKEN", "hf_from_the_token_file_42")
                .containsEntry("HF_HOME", home.root().resolve("hf-cache").toString())
                .containsEntry("HF_HUB_OFFLINE", "1")
                .containsEntry("TRANSFORMERS_OFFLINE", "1")
                .doesNotContainKeys(CLOUD_KEY, "OPENAI_API_KEY", SIGNING_KEY);
        assertThat(env.values())
                .doesNotContain(System.getenv(CLOUD_KEY), System.getenv("OPENAI_API_KEY"), System.getenv(SIGNING_KEY));
        assertThat(Files.readString(home.finetuneDir().resolve("ft-hub").resolve("logs.txt")))
                .doesNotContain("hf_from_the_token_file_42");

        // without a token file the service's own HF_TOKEN reaches the trainer; studio.finetune.local.env wins
        Map<String, String> plain = launchAndDump(
                StudioHome.at(root.resolve("second")),
                HubSettings.defaults(StudioHome.at(root.resolve("second")), System.getenv()),
                Map.of("HF_HOME", "/models/hf"));
        assertThat(plain)
                .containsEntry("HF_TOKEN", System.getenv("HF_TOKEN"))
                .containsEntry("HF_HOME", "/models/hf")
                .doesNotContainKeys("HF_HUB_OFFLINE", CLOUD_KEY, "OPENAI_API_KEY");
    }

    private Map<String, String> launchAndDump(StudioHome home, HubSettings hub, Map<String, String> localEnv)
            throws Exception {
        Path dir = Files.createDirectories(home.finetuneDir().resolve("ft-hub"));
        LocalExecutor executor = new LocalExecutor(
                new Settings(
                        "sh -c 'env > env.txt' trainer",
                        1,
                        false,
                        Optional.empty(),
                        Duration.ofSeconds(1),
                        localEnv,
                        List.of("FAKE_TRAINER_*")),
                NO_GPUS,
                InstanceIdentity.of(home),
                hub.processEnv());
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        executor.launch(TaskRecord.builder().taskId("ft-hub").build(), dir, new RunListener() {
            @Override
            public void exited(String taskId, Integer exitCode, String detail) {
                exit.complete(exitCode);
            }

            @Override
            public void waiting(String taskId, TrainerPhase phase, String message) {}
        });
        try {
            assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
        } finally {
            executor.close();
        }
        return Files.readString(dir.resolve("env.txt"))
                .lines()
                .filter(l -> l.indexOf('=') > 0)
                .collect(Collectors.toMap(
                        l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1), (a, b) -> b));
    }

    @Test
    void theInstallIdIsKeptPrivatelyAndReused() throws IOException {
        StudioHome home = StudioHome.at(root);
        String first = InstanceIdentity.of(home).id();
        assertThat(InstanceIdentity.of(home).id()).isEqualTo(first);
        Path file = home.studioDir().resolve("finetune-instance-id");
        assertThat(Files.getPosixFilePermissions(file))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }
}
