package io.sage.studio.finetune.contract;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

/** The running service's tasks as the contract tests drive them over REST. */
final class ServiceTasks {

    private ServiceTasks() {}

    /** Waits (at most a minute) until task {@code id} is {@code completed}. */
    static void awaitCompleted(String id) {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> "completed"
                        .equals(given().get("/api/finetune/tasks/" + id)
                                .then()
                                .extract()
                                .path("status")));
    }
}
