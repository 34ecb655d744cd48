package io.sage.studio.chat.support;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.Map;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/** REST helpers for switch tests. */
public final class Switches {

    private Switches() {}

    public static void awaitServiceReady() {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> given().get("/q/health/ready").statusCode() == 200);
    }

    /** POSTs a switch (202 expected) and returns its id. */
    public static String start(Map<String, Object> body) {
        return given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/chat/switch")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
    }

    /** Waits until the operation ends and returns it. */
    public static JsonPath awaitEnd(String id) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    String state = given().get("/api/chat/switch/" + id)
                            .then()
                            .statusCode(200)
                            .extract()
                            .path("state");
                    return "completed".equals(state) || "failed".equals(state);
                });
        return given().get("/api/chat/switch/" + id).then().extract().jsonPath();
    }

    /** Switches to {@code model} (waiting out a switch already running) and asserts that it completed. */
    public static JsonPath serve(Map<String, Object> body) {
        awaitIdle();
        JsonPath op = awaitEnd(start(body));
        if (!"completed".equals(op.getString("state"))) {
            throw new AssertionError("switch to " + body + " failed: " + op.getString("error"));
        }
        return op;
    }

    /**
     * Serves a model by name ({@code POST /api/chat/serving}, 202 {@code loading} expected, waiting out a switch
     * already running) and returns its operation once it completed. Waits for the operation's end, not for the model
     * to show as ready: the operation publishes the route, then ends and frees the switch slot, and a switch or
     * rollout started in between is refused with {@code switch_in_progress}.
     */
    public static JsonPath serveByName(Map<String, Object> body) {
        awaitIdle();
        String id = given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/chat/serving")
                .then()
                .statusCode(202)
                .body("state", equalTo("loading"))
                .extract()
                .path("operation_id");
        JsonPath op = awaitEnd(id);
        if (!"completed".equals(op.getString("state"))) {
            throw new AssertionError("serving " + body + " failed: " + op.getString("error"));
        }
        return op;
    }

    /** Waits until no switch runs. */
    public static void awaitIdle() {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> given().get("/api/finetune/current-model")
                                .then()
                                .extract()
                                .path("switch_in_progress")
                        == null);
    }

    public static JsonPath current() {
        return given().get("/api/finetune/current-model")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }
}
