package io.sage.studio.finetune;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The packaged service ({@code target/quarkus-app}, as {@code mvn package} leaves it) started as a real process, for
 * the tests that kill it and start it again on the same studio home: its trainer is the stand-in trainer, its GPU
 * probe unreachable, its output appended to a log file of the test.
 */
public final class PackagedService {

    public static final Path JAR =
            Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
    public static final Path FAKE_TRAINER = Path.of("..", "testing", "fake-trainer", "fake_trainer.py")
            .toAbsolutePath()
            .normalize();
    public static final Duration LONG = Duration.ofSeconds(120);

    private PackagedService() {}

    /**
     * Starts the service on {@code port} with {@code home} and the broker at {@code bootstrap}, plus {@code env} (the
     * test's own settings win), and returns once it is live.
     */
    public static Process start(Path home, String bootstrap, int port, Path log, Map<String, String> env)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder("java", "-Xmx384m", "-jar", JAR.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> environment = builder.environment();
        environment.put("STUDIO_HOME", home.toString());
        environment.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        environment.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        environment.put("STUDIO_SERVICES_GPU_URL", "http://127.0.0.1:9");
        environment.put("STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND", "python3 " + FAKE_TRAINER);
        environment.putAll(env);
        Process process = builder.start();
        try {
            await().atMost(LONG)
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .until(() -> given().port(port).get("/q/health/live").statusCode() == 200);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
        return process;
    }
}
