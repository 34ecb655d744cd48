package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Switches.awaitEnd;
import static io.sage.studio.chat.support.Switches.serve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The evaluation gate on the real service with real engines (the stand-in vLLM) and the finetune stand-in's tasks
 * and evaluations: with {@code require_evaluation} a task's adapter is refused without a completed evaluation
 * ({@code evaluation_missing}) and with a {@code worse} one ({@code evaluation_worse}, naming it and its reason);
 * {@code force} switches or rolls out anyway and says so on the operation or rollout; base models are not gated.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class EvaluationGateTest {

    private static final String REASON = "worse: token-F1 0.400 vs 0.500 (-0.100) over 50 samples";

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
    }

    @Test
    void aSwitchThatRequiresAnEvaluationIsRefusedWithoutOrWithAWorseOneAndForcePassesAndIsRecorded() {
        serve(Map.of("model", BASE_A));
        register("t-gate");

        refusedSwitch(Map.of("task_id", "t-gate", "require_evaluation", true), "evaluation_missing", "no evaluation");
        LocalEnvironment.finetune().evaluation("t-gate", "ev-20261206-101010-aaaaaa", "running", null, null);
        refusedSwitch(
                Map.of("task_id", "t-gate", "require_evaluation", true),
                "evaluation_missing",
                "ev-20261206-101010-aaaaaa) is running");
        LocalEnvironment.finetune().evaluation("t-gate", "ev-20261206-101011-bbbbbb", "completed", "worse", REASON);
        refusedSwitch(
                Map.of("task_id", "t-gate", "require_evaluation", true),
                "evaluation_worse",
                "evaluation ev-20261206-101011-bbbbbb of task t-gate found it worse than base: " + REASON);
        // the seed's endpoints take the same fields
        String taskModel =
                LocalEnvironment.home().resolve("studio_finetune/t-gate").toString();
        given().contentType(ContentType.JSON)
                .body(Map.of("task_id", "t-gate", "require_evaluation", true))
                .post("/api/finetune/use-as-backend")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("evaluation_worse"));
        given().queryParam("model_path", taskModel)
                .queryParam("require_evaluation", true)
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("evaluation_worse"));
        // a force that is neither true nor false is refused, not read as false (studio-common StrictParams)
        given().queryParam("model_path", taskModel)
                .queryParam("require_evaluation", true)
                .queryParam("force", "yes")
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details[0].field", equalTo("force"));
        String forced = Switches.start(Map.of("task_id", "t-gate", "require_evaluation", true, "force", true));
        JsonPath op = awaitEnd(forced);
        assertThat(op.getString("state")).isEqualTo("completed");
        assertThat(op.getBoolean("evaluation_forced")).isTrue();
        assertThat(op.getList("steps.message", String.class))
                .anyMatch(
                        m -> m.startsWith("evaluation gate overridden with force: evaluation ev-20261206-101011-bbbbbb")
                                && m.contains(REASON));

        // a base model is no task's output: never gated
        JsonPath base = serve(Map.of("model", BASE_A, "require_evaluation", true));
        assertThat(base.getBoolean("evaluation_forced")).isFalse();
        // a better (or inconclusive) verdict passes without force
        LocalEnvironment.finetune()
                .evaluation("t-gate", "ev-20261206-101012-cccccc", "completed", "better", "better: …");
        JsonPath passed = serve(Map.of("task_id", "t-gate", "require_evaluation", true));
        assertThat(passed.getBoolean("evaluation_forced")).isFalse();
        serve(Map.of("model", BASE_A));
    }

    @Test
    void aRolloutThatRequiresAnEvaluationIsRefusedWithAWorseOneAndForceRollsOutWithANote() {
        serve(Map.of("model", BASE_A));
        register("t-gate-roll");
        LocalEnvironment.finetune()
                .evaluation("t-gate-roll", "ev-20261206-101013-dddddd", "completed", "worse", REASON);
        Map<String, Object> body = new HashMap<>(Map.of("model", "t-gate-roll", "require_evaluation", true));
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/chat/rollouts")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("evaluation_worse"))
                .body("error.message", containsString("ev-20261206-101013-dddddd"));
        assertThat(given().get("/api/chat/serving").then().extract().jsonPath().getList("models.model"))
                .as("nothing was served for a refused rollout")
                .doesNotContain("ft-t-gate-roll");

        body.put("force", true);
        body.put("step_seconds", 3600);
        JsonPath rollout = given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/chat/rollouts")
                .then()
                .statusCode(202)
                .extract()
                .jsonPath();
        String id = rollout.getString("rollout_id");
        try {
            assertThat(rollout.getBoolean("evaluation_forced")).isTrue();
            assertThat(rollout.getList("history.event", String.class)).containsSubsequence("started", "note");
            assertThat(rollout.getList("history.message", String.class))
                    .anyMatch(m -> m.startsWith("evaluation gate overridden with force:") && m.contains(REASON));
        } finally {
            given().post("/api/chat/rollouts/" + id + "/abort");
            // The abort ends the rollout asynchronously (409 model_in_rollout until then); a model left served here
            // is served again by the monitor when a later test class recreates its engine.
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> List.of(200, 404)
                            .contains(given().delete("/api/chat/serving/ft-t-gate-roll")
                                    .statusCode()));
        }
    }

    private static void refusedSwitch(Map<String, Object> body, String code, String message) {
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/chat/switch")
                .then()
                .statusCode(409)
                .body("error.code", equalTo(code))
                .body("error.message", containsString(message));
    }

    /** A LoRA adapter of BASE_A as a completed task of the finetune stand-in. */
    private static void register(String taskId) {
        Path lora =
                Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/" + taskId + "/lora"), 8, BASE_A);
        LocalEnvironment.finetune().task(taskId, "completed", BASE_A, Map.of("lora", lora.toString()));
    }
}
