package io.sage.studio.cli.launcher;

import java.nio.file.Path;

/**
 * One process the launcher manages: the Kafka broker or a Quarkus service.
 *
 * @param name         the name users see and type ({@code sage studio logs finetune-service})
 * @param module       the Maven module that builds it ({@code null} for the broker)
 * @param port         the port it listens on
 * @param portVariable the environment variable that sets the port
 * @param service      whether it is a Quarkus service with {@code /q/health/ready}
 */
public record Component(String name, String module, int port, String portVariable, boolean service) {

    public static final String KAFKA = "kafka";

    /** The packaged service, {@code <module>/target/quarkus-app/quarkus-run.jar}. */
    public Path jar(Path repo) {
        return repo.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    public String url() {
        return service ? "http://localhost:" + port : "localhost:" + port;
    }

    public String healthUrl() {
        return "http://127.0.0.1:" + port + "/q/health/ready";
    }
}
