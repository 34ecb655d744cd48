package io.sage.studio.cli.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaBroker;
import io.sage.studio.kafka.StandaloneBroker;
import io.sage.studio.process.ProcessControl;

/** The launcher against a real broker and services whose processes run but do not answer yet. */
class StudioLauncherTest {

    @TempDir
    Path repo;

    private final List<HttpServer> servers = new ArrayList<>();
    private KafkaBroker broker;

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyServiceGetsTheSameEventSigningKeyMadeOncePerHomeAndAUsersKeyWins() throws Exception {
        LauncherSettings settings = LauncherSettings.from(
                Map.of("STUDIO_HOME", repo.resolve("home").toString(), "STUDIO_BUILD", "never"), repo);
        StudioLauncher launcher = new StudioLauncher(
                settings, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        String gateway = launcher.serviceEnvironment(settings.gateway(), StudioLauncher.StartOptions.defaults())
                .get("STUDIO_EVENTS_SIGNING_KEY");
        String chat = launcher.serviceEnvironment(settings.chat(), StudioLauncher.StartOptions.defaults())
                .get("STUDIO_EVENTS_SIGNING_KEY");
        assertThat(gateway).hasSizeGreaterThanOrEqualTo(40).isEqualTo(chat);
        Path file = settings.studioDir().resolve("events-signing-key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");

        LauncherSettings again = LauncherSettings.from(
                Map.of("STUDIO_HOME", repo.resolve("home").toString(), "STUDIO_BUILD", "never"), repo);
        assertThat(new StudioLauncher(again, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                        .serviceEnvironment(again.finetune(), StudioLauncher.StartOptions.defaults())
                        .get("STUDIO_EVENTS_SIGNING_KEY"))
                .isEqualTo(gateway);

        LauncherSettings own = LauncherSettings.from(
                Map.of(
                        "STUDIO_HOME",
                        repo.resolve("home").toString(),
                        "STUDIO_BUILD",
                        "never",
                        "STUDIO_EVENTS_SIGNING_KEY",
                        "users-own-signing-key-000000"),
                repo);
        Map<String, String> env = new StudioLauncher(
                        own, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .serviceEnvironment(own.gpu(), StudioLauncher.StartOptions.defaults());
        // Not overridden: the services inherit the launcher's environment, the user's key with it.
        assertThat(env).doesNotContainKey("STUDIO_EVENTS_SIGNING_KEY");
    }

    /**
     * After a broker outage the services run but are not ready (their readiness needs the broker): {@code studio
     * start} must wait for them, not start second copies that cannot bind the port and orphan the first ones.
     */
    @Test
    void aServiceThatIsStartingIsAwaitedNeverStartedTwice() throws Exception {
        broker = KafkaBroker.ephemeral().start();
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin client = Admin.create(admin)) {
            client.createTopics(Topics.ALL.stream()
                            .map(t -> new NewTopic(t.name(), t.partitions(), (short) 1))
                            .toList())
                    .all()
                    .get();
        }
        Map<String, String> env = new HashMap<>();
        env.put("STUDIO_HOME", repo.resolve("home").toString());
        env.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        env.put("STUDIO_BUILD", "never");
        AtomicInteger readinessCalls = new AtomicInteger();
        for (String variable :
                List.of("STUDIO_GATEWAY_PORT", "STUDIO_FINETUNE_PORT", "STUDIO_CHAT_PORT", "STUDIO_GPU_PORT")) {
            env.put(variable, Integer.toString(notReadyTwice(readinessCalls)));
        }
        LauncherSettings settings = LauncherSettings.from(env, repo);
        long pid = ProcessHandle.current().pid();
        PidRecord self = new PidRecord(pid, ProcessControl.startTicks(pid).orElseThrow(), "this test");
        for (Component service : settings.services()) {
            Path jar = service.jar(repo); // an empty jar: a second start of it would exit at once
            Files.createDirectories(jar.getParent());
            Files.writeString(jar, "");
            self.write(settings.pidFile(service));
        }

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new StudioLauncher(settings, new PrintStream(out, true, StandardCharsets.UTF_8))
                .start(StudioLauncher.StartOptions.defaults());

        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("gateway-adapter (pid " + pid + ") is starting; waiting")
                .contains("✓ finetune-service is ready")
                .doesNotContain("Starting ");
        for (Component service : settings.services()) {
            assertThat(PidRecord.read(settings.pidFile(service))).contains(self);
        }
        assertThat(readinessCalls.get()).isGreaterThanOrEqualTo(8);
    }

    /** {@code studio stop} ends the recorded process with everything of its group, and forgets it. */
    @Test
    void stopEndsTheRecordedProcessGroupAndRemovesItsPidFile() throws Exception {
        LauncherSettings settings = LauncherSettings.from(
                Map.of("STUDIO_HOME", repo.resolve("home").toString(), "STUDIO_BUILD", "never"), repo);
        ProcessControl.Started child = new ProcessControl(null)
                .start(new ProcessBuilder("sh", "-c", "sleep 60 & wait")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD));
        Component gpu = settings.gpu();
        PidRecord.of(child.identity(), "sh").write(settings.pidFile(gpu));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(new StudioLauncher(settings, new PrintStream(out, true, StandardCharsets.UTF_8)).stop())
                .isTrue();

        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("Stopping " + gpu.name() + " (pid " + child.process().pid() + ")");
        assertThat(child.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessControl.groupAlive(child.process().pid())).isFalse();
        assertThat(settings.pidFile(gpu)).doesNotExist();
    }

    /** A readiness endpoint on a free port that answers 503 twice, then 200. */
    private int notReadyTwice(AtomicInteger calls) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger mine = new AtomicInteger();
        server.createContext("/q/health/ready", exchange -> {
            calls.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(mine.incrementAndGet() <= 2 ? 503 : 200, -1);
            exchange.close();
        });
        server.start();
        servers.add(server);
        return server.getAddress().getPort();
    }

    /**
     * Its own broker is ready when the part of its log written since this start has the ready line: a ready line of
     * an earlier start, above that point, does not count.
     */
    @Test
    void theBrokerItStartedIsReadyOnlyWithAReadyLineOfThisStart() throws IOException {
        Path log = repo.resolve("kafka.log");
        Files.writeString(log, "old start\n" + StandaloneBroker.READY + "127.0.0.1:9092\nstopped\n");
        long from = Files.size(log);
        assertThat(StudioLauncher.logSaysSince(log, from, StandaloneBroker.READY))
                .isFalse();
        Files.writeString(log, "starting …\n", StandardOpenOption.APPEND);
        assertThat(StudioLauncher.logSaysSince(log, from, StandaloneBroker.READY))
                .isFalse();
        Files.writeString(log, StandaloneBroker.READY + "127.0.0.1:9092\n", StandardOpenOption.APPEND);
        assertThat(StudioLauncher.logSaysSince(log, from, StandaloneBroker.READY))
                .isTrue();
        assertThat(StudioLauncher.logSaysSince(repo.resolve("missing.log"), 0, StandaloneBroker.READY))
                .isFalse();
    }

    /**
     * The options for newer JDKs start the JDK the launcher would choose on this machine (a typo in one would stop
     * every service); JDK 17 gets none of them.
     */
    @Test
    void runtimeOptionsAreOnlyForJdk22AndLaterAndItAcceptsThem() throws Exception {
        assertThat(StudioLauncher.runtimeOptions(new JavaRuntime(Path.of("/jdk17"), 17)))
                .isEmpty();
        JavaRuntime chosen =
                JavaRuntime.choose(Map.of(), Path.of(System.getProperty("java.home")), JavaRuntime.JDK_DIRS);
        List<String> options = StudioLauncher.runtimeOptions(chosen);
        if (chosen.feature() < 22) {
            assertThat(options).isEmpty();
            return;
        }
        assertThat(options).contains("-XX:TrimNativeHeapInterval=5000");
        List<String> command = new ArrayList<>();
        command.add(chosen.java());
        command.addAll(options);
        command.add("-version");
        Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(java.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(java.exitValue()).as(output).isZero();
    }

    /**
     * The services' default options start the JDK the launcher would choose (a typo would stop every service), and
     * the benches that start a service themselves use the same ones ({@code bench/lib.sh}), so what they measure is
     * what a user runs.
     */
    @Test
    void defaultServiceOptionsStartTheJdkAndTheBenchesUseThem() throws Exception {
        JavaRuntime chosen =
                JavaRuntime.choose(Map.of(), Path.of(System.getProperty("java.home")), JavaRuntime.JDK_DIRS);
        List<String> command = new ArrayList<>();
        command.add(chosen.java());
        command.addAll(List.of(LauncherSettings.DEFAULT_JAVA_OPTS.split(" ")));
        command.add("-version");
        Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(java.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(java.exitValue()).as(output).isZero();

        String benchLib = Files.readString(Path.of("..", "bench", "lib.sh"));
        assertThat(benchLib)
                .contains(
                        "BENCH_SERVICE_JAVA_OPTS=\"${STUDIO_JAVA_OPTS:-" + LauncherSettings.DEFAULT_JAVA_OPTS + "}\"");
    }
}
