package io.sage.studio.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/** {@code ./sage studio start|status|stop} on the packaged services, as a user runs them. */
class LauncherIT {

    @TempDir
    Path tmp;

    @Test
    void startsEverythingRestartsOnlyWhatCrashedAndStopsWithoutLeavingListeners() throws Exception {
        try (Studio studio = new Studio(tmp.resolve("home"))) {
            Studio.Run start = studio.sage("studio", "start");
            assertThat(start.exitCode()).as(start.output()).isZero();
            assertThat(start.output()).contains("SAGE Studio is ready: http://localhost:" + studio.gatewayPort);

            for (int port : new int[] {studio.gatewayPort, studio.finetunePort, studio.chatPort, studio.gpuPort}) {
                assertThat(studio.get(port, "/q/health/ready").statusCode())
                        .as("ready on " + port)
                        .isEqualTo(200);
            }
            assertThat(Studio.listening(studio.kafkaPort)).isTrue();
            servesTheCommittedOpenApiDocuments(studio);
            assertThat(start.output()).contains("Local OpenAI API: http://localhost:" + studio.llmPort + "/v1");
            // The seed's stable local URL (SAGE_STUDIO_LLM_PORT): /v1/models answers there as on the gateway's port
            // (no model serves yet: the same OpenAI-shaped answer), and nothing else is served there.
            HttpResponse<String> models = studio.get(studio.llmPort, "/v1/models");
            HttpResponse<String> viaGateway = studio.get(studio.gatewayPort, "/v1/models");
            assertThat(models.statusCode()).as(models.body()).isEqualTo(viaGateway.statusCode());
            assertThat(models.body()).as("OpenAI shape").containsAnyOf("\"data\"", "\"error\"");
            HttpResponse<String> elsewhere = studio.get(studio.llmPort, "/api/gateway/status");
            assertThat(elsewhere.statusCode()).isEqualTo(404);
            assertThat(elsewhere.body()).contains("only the OpenAI-compatible API under /v1");
            assertThat(studio.home.resolve("studio/kafka/data/meta.properties")).exists();
            assertThat(studio.home.resolve("studio/logs/finetune-service.log")).exists();

            Studio.Run status = studio.sage("studio", "status", "--json");
            assertThat(status.exitCode()).as(status.output()).isZero();
            assertThat(status.output()).doesNotContain("\"down\"");

            Map<String, Long> pids = Map.of(
                    "gateway-adapter",
                    studio.pid("gateway-adapter"),
                    "kafka",
                    studio.pid("kafka"),
                    "chat-switch-service",
                    studio.pid("chat-switch-service"));
            // A source edited while the studio runs (a pull): nothing is rebuilt under a running service; the
            // start names it and the command that rebuilds it.
            Path edited = Studio.REPO.resolve("gpu-probe-service/src/main/resources/application.properties");
            FileTime original = Files.getLastModifiedTime(edited);
            Studio.Run again;
            try {
                Files.setLastModifiedTime(edited, FileTime.from(Instant.now().plusSeconds(60)));
                again = studio.sage("studio", "start");
            } finally {
                Files.setLastModifiedTime(edited, original);
            }
            assertThat(again.exitCode()).as(again.output()).isZero();
            assertThat(again.output())
                    .contains("already running")
                    .contains("gpu-probe-service runs a build older than its sources")
                    .contains("./sage studio restart")
                    .doesNotContain("rebuilding");
            pids.forEach((component, pid) -> assertThat(studio.pid(component)).isEqualTo(pid));

            // A crashed service: status says so, start brings back just that one.
            new ProcessBuilder("kill", "-9", Long.toString(studio.pid("finetune-service")))
                    .start()
                    .waitFor();
            Studio.Run down = studio.sage("studio", "status");
            assertThat(down.exitCode()).isEqualTo(1);
            assertThat(down.output()).containsPattern("finetune-service\\s+down");
            Studio.Run recover = studio.sage("studio", "start");
            assertThat(recover.exitCode()).as(recover.output()).isZero();
            assertThat(recover.output())
                    .contains("Starting finetune-service")
                    .doesNotContain("Starting gateway-adapter")
                    .doesNotContain("Starting kafka");
            pids.forEach((component, pid) -> assertThat(studio.pid(component)).isEqualTo(pid));
            assertThat(studio.get(studio.finetunePort, "/q/health/ready").statusCode())
                    .isEqualTo(200);

            Studio.Run stop = studio.sage("studio", "stop");
            assertThat(stop.exitCode()).as(stop.output()).isZero();
            for (int port : studio.ports()) {
                assertThat(Studio.listening(port))
                        .as("port " + port + " after stop")
                        .isFalse();
            }
            for (long pid : pids.values()) {
                assertThat(Studio.alive(pid)).as("pid " + pid + " after stop").isFalse();
            }
            Studio.Run stopAgain = studio.sage("studio", "stop");
            assertThat(stopAgain.exitCode()).isZero();
            assertThat(stopAgain.output()).contains("not running");

            // The broker's data survives a restart: the topics are still there, nothing is reformatted.
            String clusterId = Files.readString(studio.home.resolve("studio/kafka/data/meta.properties"));
            Studio.Run restart = studio.sage("studio", "start");
            assertThat(restart.exitCode()).as(restart.output()).isZero();
            assertThat(Files.readString(studio.home.resolve("studio/kafka/data/meta.properties")))
                    .isEqualTo(clusterId);

            // The class cache (bench/startup): written as the services stopped, used by the start after.
            assertThat(start.output()).contains("Services run on JDK");
            for (String service :
                    List.of("gateway-adapter", "finetune-service", "chat-switch-service", "gpu-probe-service")) {
                Properties record = new Properties();
                try (var in = Files.newBufferedReader(studio.home.resolve("studio/run/" + service + ".pid"))) {
                    record.load(in);
                }
                String command = record.getProperty("command");
                assertThat(command).as(service).containsAnyOf("-XX:AOTCache=", "-XX:SharedArchiveFile=");
                String cache = command.replaceAll(".*-XX:(AOTCache|SharedArchiveFile)=(\\S+).*", "$2");
                assertThat(Path.of(cache)).as(service).isRegularFile();
            }
        }
    }

    /**
     * A studio "runs" at the default home of the CLI's JVM (its {@code user.home}, which comes from passwd, not
     * {@code $HOME}; moved here to a decoy): a test studio's runs never see it, and name the test studio's ports.
     */
    @Test
    void aTestStudioNeverSeesTheStudioAtTheDefaultHome() throws Exception {
        Path decoyUser = tmp.resolve("decoy-user");
        Path run = Files.createDirectories(decoyUser.resolve(".sage/studio/run"));
        long pid = ProcessHandle.current().pid();
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String startTime = stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
        for (String component :
                new String[] {"kafka", "gateway-adapter", "finetune-service", "chat-switch-service", "gpu-probe-service"
                }) {
            Files.writeString(run.resolve(component + ".pid"), "pid=" + pid + "\nstart_time=" + startTime + "\n");
        }
        Studio studio = new Studio(tmp.resolve("home4"));
        studio.env.put("SAGE_CLI_JAVA_OPTS", "-XX:+UseSerialGC -Duser.home=" + decoyUser);

        Studio.Run isolated = studio.sage("studio", "status", "--json");
        assertThat(isolated.exitCode()).as(isolated.output()).isEqualTo(1);
        JsonNode statuses = StudioJson.mapper().readTree(isolated.stdout());
        assertThat(statuses.findValuesAsText("state")).containsOnly("down");
        assertThat(statuses.findValues("pid")).allMatch(JsonNode::isNull);
        assertThat(statuses.findValuesAsText("url"))
                .contains("http://localhost:" + studio.gatewayPort, "localhost:" + studio.kafkaPort);

        studio.env.remove("STUDIO_HOME"); // the control: without its own home a run does see the decoy
        Studio.Run defaults = studio.sage("studio", "status", "--json");
        assertThat(StudioJson.mapper().readTree(defaults.stdout()).findValuesAsText("pid"))
                .as(defaults.output())
                .contains(Long.toString(pid));
    }

    @Test
    void aTakenPortFailsTheStartNamingPortAndComponentAndLeavesNothingRunning() throws Exception {
        try (Studio studio = new Studio(tmp.resolve("home2"));
                ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", studio.chatPort));
            Studio.Run start = studio.sage("studio", "start");
            assertThat(start.exitCode()).isEqualTo(1);
            assertThat(start.output())
                    .contains("port " + studio.chatPort)
                    .contains("chat-switch-service")
                    .contains("STUDIO_CHAT_PORT");
            for (int port : studio.ports()) {
                if (port != studio.chatPort) {
                    assertThat(Studio.listening(port)).as("port " + port).isFalse();
                }
            }
        }
    }

    @Test
    void aSettingOutOfRangeFailsTheStartNamingTheSettingAndItsVariable() throws Exception {
        try (Studio studio = new Studio(tmp.resolve("home4"))) {
            // The studio's own config checks (io.sage.studio.common.config), as the packaged service runs them.
            studio.env.put("STUDIO_GATEWAY_MAX_CONCURRENT_REQUESTS", "0");
            startFailsLeavingNothingListening(
                    studio,
                    "gateway-adapter exited during start-up",
                    "studio.gateway.max-concurrent-requests (STUDIO_GATEWAY_MAX_CONCURRENT_REQUESTS) is 0:"
                            + " it must be between 1 and 100000");
        }
    }

    @Test
    void aServiceThatCannotStartFailsTheCommandWithItsLogAndStopsTheRest() throws Exception {
        try (Studio studio = new Studio(tmp.resolve("home3"))) {
            // An invalid value for a typed config key makes the gpu-probe-service fail at start.
            studio.env.put("QUARKUS_HTTP_HOST", "not a host name!");
            startFailsLeavingNothingListening(studio, "exited during start-up", "Last lines of");
        }
    }

    /** {@code sage studio start} exits 1 saying each of {@code shown}, and no port of the studio is left listening. */
    private static void startFailsLeavingNothingListening(Studio studio, String... shown) {
        Studio.Run start = studio.sage("studio", "start");
        assertThat(start.exitCode()).isEqualTo(1);
        assertThat(start.output()).contains(shown);
        for (int port : studio.ports()) {
            assertThat(Studio.listening(port)).as("port " + port).isFalse();
        }
    }

    /**
     * The packaged services serve their committed OpenAPI documents (studio-common {@code CommittedOpenApi}) and do not
     * ship the OpenAPI extension, which built the document at every start (~5 MiB of resident memory per service).
     */
    private static void servesTheCommittedOpenApiDocuments(Studio studio) throws Exception {
        Map<String, Integer> documents = Map.of(
                "gateway", studio.gatewayPort,
                "finetune", studio.finetunePort,
                "chat-switch", studio.chatPort,
                "gpu-probe", studio.gpuPort);
        for (Map.Entry<String, Integer> document : documents.entrySet()) {
            HttpResponse<String> json = studio.get(document.getValue(), "/q/openapi?format=json");
            assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
            Path committed = Studio.REPO.resolve("studio-ui/src/api/openapi/" + document.getKey() + ".json");
            assertThat(StudioJson.mapper().readTree(json.body()))
                    .as(document.getKey())
                    .isEqualTo(StudioJson.mapper().readTree(committed.toFile()));
            HttpResponse<String> yaml = studio.get(document.getValue(), "/q/openapi");
            assertThat(yaml.headers().firstValue("Content-Type")).hasValue("application/yaml;charset=UTF-8");
        }
        for (String module :
                List.of("gateway-adapter", "finetune-service", "chat-switch-service", "gpu-probe-service")) {
            try (var jars = Files.list(Studio.REPO.resolve(module + "/target/quarkus-app/lib/main"))) {
                assertThat(jars.map(jar -> jar.getFileName().toString()))
                        .as(module + " ships no OpenAPI extension")
                        .noneMatch(name -> name.contains("smallrye-open-api") || name.contains("smallrye-openapi"));
            }
        }
    }
}
