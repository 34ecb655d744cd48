package io.sage.studio.finetune.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The audit log end to end on the running service (mode {@code none}: the caller is {@code local}, admin) and a real
 * broker: a task create, its cancel and a cross-site call the {@code Origin} check refuses each reach
 * {@code studio.audit} through the service's own audit filter, come back through the audit consumer into the day
 * file, and {@code GET /api/audit} answers them newest first, filtered by actor, action and since.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class AuditApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void createCancelAndARefusedCallAreInTheLogAndFilterable() {
        Instant before = Instant.now().minusSeconds(1);
        String dataset = given().multiPart(
                        "file",
                        "audit.jsonl",
                        "{\"prompt\":\"q\",\"completion\":\"a\"}\n".getBytes(StandardCharsets.UTF_8))
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        String task = given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/slow-me-0.5B", "dataset_file", dataset, "num_epochs", 1))
                .post("/api/finetune/create?note=not-in-the-log")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        given().post("/api/finetune/tasks/" + task + "/cancel").then().statusCode(200);
        given().header("Origin", "https://elsewhere.example")
                .post("/api/finetune/tasks/" + task + "/retry")
                .then()
                .statusCode(403);

        await().atMost(WAIT)
                .untilAsserted(() ->
                        assertThat(targets("finetune.task.create", "local")).contains(task));
        Map<String, Object> create = entry("action=finetune.task.create&actor=local", task);
        assertThat(create)
                .containsEntry("service", "finetune-service")
                .containsEntry("role", "admin")
                .containsEntry("method", "POST")
                .containsEntry("path", "/api/finetune/create")
                .containsEntry("status", 201)
                .containsEntry("outcome", "ok");

        await().atMost(WAIT)
                .untilAsserted(() ->
                        assertThat(targets("finetune.task.cancel", "local")).contains(task));
        assertThat(entry("action=finetune.task.cancel", task))
                .containsEntry("status", 200)
                .containsEntry("outcome", "ok")
                .containsEntry("path", "/api/finetune/tasks/" + task + "/cancel");

        await().atMost(WAIT)
                .untilAsserted(() ->
                        assertThat(targets("finetune.task.retry", "anonymous")).contains(task));
        assertThat(entry("action=finetune.task.retry&actor=anonymous", task))
                .containsEntry("status", 403)
                .containsEntry("outcome", "refused")
                .containsEntry("role", null);

        // Newest first, whatever else the log holds: the refused retry came after the cancel, the cancel after the
        // create.
        List<String> actions = given().get("/api/audit?since=" + before + "&limit=1000")
                .then()
                .statusCode(200)
                .extract()
                .path("entries.findAll { it.target == '" + task + "' }.action");
        assertThat(actions).containsSubsequence("finetune.task.retry", "finetune.task.cancel", "finetune.task.create");
        // Actor and action are exact filters; since excludes what came before it; limit cuts the newest.
        assertThat(targets("finetune.task.create", "someone-else")).isEmpty();
        given().get("/api/audit?since=" + Instant.now().plusSeconds(3600))
                .then()
                .statusCode(200)
                .body("entries.size()", equalTo(0));
        given().get("/api/audit?limit=1").then().statusCode(200).body("entries.size()", equalTo(1));
        // Reads are not audited.
        assertThat(given().get("/api/audit?limit=1000").then().extract().<List<String>>path("entries.method"))
                .doesNotContain("GET");

        Path day = StudioTestResource.home().resolve("studio/audit/audit-" + LocalDate.now(ZoneOffset.UTC) + ".jsonl");
        assertThat(day).exists();
        assertThat(readable(day)).contains(task).doesNotContain("not-in-the-log");
    }

    @Test
    void badParametersAreRefusedNamingThem() {
        given().get("/api/audit?since=yesterday")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details[0].field", equalTo("since"));
        given().get("/api/audit?limit=0").then().statusCode(400).body("error.details[0].field", equalTo("limit"));
        given().get("/api/audit?limit=100000").then().statusCode(400);
    }

    private static List<String> targets(String action, String actor) {
        return given().get("/api/audit?action=" + action + "&actor=" + actor + "&limit=1000")
                .then()
                .statusCode(200)
                .extract()
                .path("entries.target");
    }

    private static Map<String, Object> entry(String query, String target) {
        return given().get("/api/audit?" + query + "&limit=1000")
                .then()
                .statusCode(200)
                .extract()
                .path("entries.find { it.target == '" + target + "' }");
    }

    private static String readable(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
