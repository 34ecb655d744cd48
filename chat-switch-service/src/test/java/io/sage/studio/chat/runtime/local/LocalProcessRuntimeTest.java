package io.sage.studio.chat.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.process.ChildEnvironment;

/**
 * The local runtime on its own, with a second instance over the same studio home standing in for a restarted
 * service: processes are recognised by pid and start time, orphans stopped, the rest left alone.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class LocalProcessRuntimeTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Inject
    ChatConfig config;

    @Inject
    StudioHome home;

    @Inject
    EngineApiKey apiKey;

    @Test
    void aRestartedRuntimeAdoptsTheEngineItKeepsAndStopsTheOthers() throws Exception {
        LocalProcessRuntime before = new LocalProcessRuntime(config, home, apiKey);
        Backend kept = before.start(spec("b-unit-keep"));
        Backend orphan = before.start(spec("b-unit-orph"));
        awaitHealthy(kept);
        awaitHealthy(orphan);
        assertThat(kept.port()).isNotEqualTo(orphan.port());

        LocalProcessRuntime after = new LocalProcessRuntime(config, home, apiKey);
        List<Backend> adopted = after.adopt(List.of(kept, orphan), Set.of(kept.id()));

        assertThat(adopted).extracting(Backend::id).containsExactly(kept.id());
        awaitGone(orphan.pid());
        assertThat(after.liveness(kept).alive()).isTrue();
        after.stop(kept);
        awaitGone(kept.pid());
        assertThat(Files.readString(home.chatDir().resolve(kept.id() + ".log")))
                .contains("Uvicorn running on http://127.0.0.1:" + kept.port());
    }

    @Test
    void aRecordedPidWithAnotherStartTimeIsNotTheEngineAndIsLeftAlone() throws Exception {
        LocalProcessRuntime runtime = new LocalProcessRuntime(config, home, apiKey);
        Backend engine = runtime.start(spec("b-unit-pid"));
        Backend impostor = new Backend(
                engine.id(),
                "local",
                engine.spec(),
                engine.baseUrl(),
                engine.port(),
                engine.pid(),
                engine.processStart().minusSeconds(3600),
                null,
                engine.logFile(),
                Map.of(),
                Backend.State.READY,
                engine.startedAt());

        LocalProcessRuntime restarted = new LocalProcessRuntime(config, home, apiKey);
        assertThat(restarted.adopt(List.of(impostor), Set.of())).isEmpty();
        assertThat(restarted.liveness(impostor).alive()).isFalse();
        assertThat(alive(engine.pid())).isTrue();
        runtime.stop(engine);
    }

    @Test
    void anEngineThatExitsReportsItsExitCodeAndLastOutput() {
        LocalProcessRuntime runtime = new LocalProcessRuntime(config, home, apiKey);
        Backend broken;
        try {
            broken = runtime.start(
                    new BackendSpec("b-unit-broken", "/nonexistent/broken-model", "x", false, 16, Map.of()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        await().until(() -> !runtime.liveness(broken).alive());
        assertThat(runtime.liveness(broken).reason()).contains("exited with code 1", "model path does not exist");
    }

    @Test
    void loraEnginesGetTheFlagsAndTheRuntimeUpdateSwitch() {
        LocalProcessRuntime runtime = new LocalProcessRuntime(config, home, apiKey);
        List<String> args = runtime.command(
                new BackendSpec("b", "/m/base dir", "base", true, 128, Map.of("ft-1", "/a/lora")), 8001);
        assertThat(args)
                .contains("/m/base dir")
                .containsSubsequence("--port", "8001")
                .containsSubsequence("--host", "127.0.0.1")
                .containsSubsequence("--served-model-name", "base")
                .containsSubsequence(
                        "--enable-lora",
                        "--max-lora-rank",
                        "128",
                        "--max-loras",
                        "4",
                        "--max-cpu-loras",
                        "8",
                        "--lora-modules",
                        "{\"name\":\"ft-1\",\"path\":\"/a/lora\",\"base_model_name\":\"base\"}");
    }

    @Test
    void anEngineGetsItsApiKeyAndTheAllowListedEnvironmentOnlyNeverTheServicesSecrets() throws Exception {
        LocalProcessRuntime runtime = new LocalProcessRuntime(config, home, apiKey);
        Backend engine = runtime.start(spec("b-unit-env"));
        try {
            awaitHealthy(engine);
            Map<String, String> env = environmentOf(engine.pid());

            assertThat(env)
                    .containsEntry("VLLM_API_KEY", apiKey.getOrCreate())
                    .containsEntry("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True")
                    .containsEntry("SAGE_ENGINE_MARK", "explicit")
                    .containsKey("PATH");
            // Set for this test JVM by the module's pom (surefire environmentVariables).
            assertThat(env)
                    .containsEntry("HF_TOKEN", "hf_test_token_passes")
                    .containsEntry("HF_HOME", "/tmp/hf-home-test")
                    .containsEntry("HTTPS_PROXY", "http://proxy.test.invalid:3128")
                    .containsEntry("CUDA_VISIBLE_DEVICES", "0");
            assertThat(env)
                    .doesNotContainKeys(
                            "STUDIO_CHAT_CLOUD_API_KEY",
                            "OPENAI_API_KEY",
                            "AWS_SECRET_ACCESS_KEY",
                            "SAGE_NOT_FOR_ENGINES");
            assertThat(String.join("\n", env.values())).doesNotContain("sk-cloud-must-not-leak", "aws-must-not-leak");
            assertThat(Files.readString(Path.of("/proc/" + engine.pid() + "/cmdline")))
                    .doesNotContain(apiKey.getOrCreate());
        } finally {
            runtime.stop(engine);
        }
    }

    @Test
    void anEngineRequiresTheApiKey() throws Exception {
        LocalProcessRuntime runtime = new LocalProcessRuntime(config, home, apiKey);
        Backend engine = runtime.start(spec("b-unit-key"));
        try {
            awaitHealthy(engine);
            assertThat(Engines.status(engine.baseUrl(), "/v1/models", null)).isEqualTo(401);
            assertThat(Engines.status(engine.baseUrl(), "/v1/models", apiKey.getOrCreate()))
                    .isEqualTo(200);
        } finally {
            runtime.stop(engine);
        }
    }

    @Test
    void anEngineListensOnTheConfiguredHostOnlyWhateverTheTemplateSays() throws Exception {
        String script = Engines.fakeVllm().toString();
        for (String template : List.of(
                Engines.commandTemplate(),
                "python3 " + script + " serve {model} --port {port} --served-model-name {name}",
                "python3 " + script + " serve {model} --host 0.0.0.0 --port {port} --served-model-name {name}",
                "python3 " + script + " serve {model} --host=0.0.0.0 --port {port} --served-model-name {name}")) {
            LocalProcessRuntime runtime = new LocalProcessRuntime(withCommand(template), home, apiKey);
            Backend engine = runtime.start(spec("b-unit-host"));
            try {
                awaitHealthy(engine);
                assertThat(listeningAddresses(engine.port())).as(template).containsExactly("127.0.0.1");
            } finally {
                runtime.stop(engine);
            }
        }
    }

    /** The local addresses of the sockets listening on {@code port}, from /proc/net/tcp and tcp6. */
    private static List<String> listeningAddresses(int port) throws Exception {
        List<String> addresses = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            // One read: the table changes between two (other sockets open and close meanwhile).
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.strip().split("\\s+");
                String[] local = fields[1].split(":");
                if (Integer.parseInt(local[1], 16) == port && "0A".equals(fields[3])) {
                    addresses.add(decode(local[0]));
                }
            }
        }
        return addresses;
    }

    private static String decode(String hex) {
        if (hex.length() == 8) {
            long v = Long.parseLong(hex, 16);
            return (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 24) & 0xff);
        }
        return hex.equals("00000000000000000000000000000000") ? "::" : hex;
    }

    private static Map<String, String> environmentOf(long pid) throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String entry : new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8)
                .split("\0")) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                env.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return env;
    }

    /** This service's configuration with another engine command template. */
    private ChatConfig withCommand(String template) {
        ChatConfig.Local local = (ChatConfig.Local) Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ChatConfig.Local.class},
                (proxy, method, args) ->
                        method.getName().equals("command") ? template : method.invoke(config.local(), args));
        return (ChatConfig) Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ChatConfig.class},
                (proxy, method, args) -> method.getName().equals("local") ? local : method.invoke(config, args));
    }

    @Test
    void anEngineGetsTheSharedCacheTheTokenAndTheOfflineSwitchesButNoServiceSecret() throws IOException {
        Path tokenFile = Files.writeString(Files.createTempFile("hf-token-", ""), "hf_engine_token_0123456789\n");
        HubSettings hub = new HubSettings(
                home,
                Optional.empty(),
                Optional.of(tokenFile.toString()),
                true,
                Optional.empty(),
                HubSettings.DEFAULT_SECRET_KEY,
                Map.of());
        Map<String, String> env = new LocalProcessRuntime(config, home, apiKey, hub).environment(spec("b-unit-hub"));

        assertThat(env)
                .containsEntry("HF_HOME", home.root().resolve("hf-cache").toString())
                .containsEntry("HF_TOKEN", "hf_engine_token_0123456789")
                .containsEntry("HF_HUB_OFFLINE", "1")
                .containsEntry("TRANSFORMERS_OFFLINE", "1")
                .containsKey(LocalProcessRuntime.API_KEY_ENV);
        assertThat(ChildEnvironment.build(
                        Map.of("OPENAI_API_KEY", "sk-cloud", "STUDIO_CHAT_CLOUD_API_KEY", "sk-x"), env))
                .doesNotContainKeys("OPENAI_API_KEY", "STUDIO_CHAT_CLOUD_API_KEY")
                .containsEntry("HF_TOKEN", "hf_engine_token_0123456789");
    }

    private static BackendSpec spec(String id) {
        return new BackendSpec(id, Engines.BASE_A, "unit-" + id, true, 64, Map.of());
    }

    private void awaitHealthy(Backend backend) {
        await().atMost(Duration.ofSeconds(20))
                .ignoreExceptions()
                .until(() -> http.send(
                                        HttpRequest.newBuilder(URI.create(backend.baseUrl() + "/health"))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200);
    }

    /**
     * The stop returns once the engine has exited; here it is still this JVM's child (started by the first runtime), so
     * the JVM sees it alive until its reaper thread collects the exit status, a moment later. A restarted service never
     * has that moment: its engines are not its children.
     */
    private static void awaitGone(long pid) {
        await().atMost(Duration.ofSeconds(5)).until(() -> !alive(pid));
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
