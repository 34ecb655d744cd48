package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Switches.awaitIdle;
import static io.sage.studio.chat.support.Switches.current;
import static io.sage.studio.chat.support.Switches.serve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * What the original SAGE Studio's clients send to {@code switch-model} and read back: a task's folder (its
 * {@code output_dir}), a model's {@code name} from {@code GET /api/finetune/models}, the {@code current_model} of
 * {@code GET /api/finetune/current-model}; and the seed's answer fields ({@code status}, {@code message},
 * {@code model_name}, {@code model_path}).
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class SeedCompatibilityTest {

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
        awaitIdle();
    }

    @Test
    void aTaskFolderServesItsMergedModelWhenThereIsOneElseItsLora() {
        serve(Map.of("model", BASE_A));
        Path both = LocalEnvironment.home().resolve("studio_finetune/t-seed-both");
        Path lora = Engines.adapterDir(both.resolve("lora"), 8, BASE_A);
        Path merged = Engines.modelDir(both.resolve("merged_model"), null);
        LocalEnvironment.finetune()
                .task(
                        "t-seed-both",
                        "completed",
                        BASE_A,
                        Map.of("lora", lora.toString(), "merged_model", merged.toString()),
                        both.toString());
        Path loraOnly = LocalEnvironment.home().resolve("studio_finetune/t-seed-lora");
        Path onlyAdapter = Engines.adapterDir(loraOnly.resolve("lora"), 8, BASE_A);
        LocalEnvironment.finetune()
                .task("t-seed-lora", "completed", BASE_A, Map.of("lora", "lora"), loraOnly.toString());

        switchModel(both.toString())
                .statusCode(200)
                .body("status", equalTo("success"))
                .body("current_model", equalTo(merged.toString()))
                .body("model_path", equalTo(merged.toString()))
                .body("served_model_name", equalTo("ft-t-seed-both-merged"))
                .body("llm_service_restarted", equalTo(true))
                .body("message", containsString("the local LLM serves it now"));

        // Relative to the studio home, as the seed's folder names are.
        switchModel("studio_finetune/t-seed-lora")
                .statusCode(200)
                .body("current_model", equalTo(onlyAdapter.toString()))
                .body("served_model_name", equalTo("ft-t-seed-lora"))
                .body("llm_service_restarted", equalTo(true));
        assertThat(current().getString("current_model")).isEqualTo(onlyAdapter.toString());

        // A registry entry whose path is the task's folder (how the seed listed fine-tuned models) resolves alike.
        LocalEnvironment.finetune()
                .finetunedModel("t-seed-both", "Seed bot", both.toString(), null, "t-seed-both", BASE_A);
        switchModel("Seed bot")
                .statusCode(200)
                .body("current_model", equalTo(merged.toString()))
                .body("model_name", equalTo("Seed bot"));
    }

    @Test
    void aTaskFolderOfAnUnfinishedOrUnknownTaskIsRefusedWithoutTakingTheSlot() {
        Path running = LocalEnvironment.home().resolve("studio_finetune/t-seed-running");
        Engines.adapterDir(running.resolve("lora"), 8, BASE_A);
        LocalEnvironment.finetune().task("t-seed-running", "training", BASE_A, Map.of(), running.toString());
        Path unknown = LocalEnvironment.home().resolve("studio_finetune/t-seed-unknown");
        Engines.adapterDir(unknown.resolve("lora"), 8, BASE_A);

        switchModel(running.toString()).statusCode(409).body("error.code", equalTo("task_not_completed"));
        switchModel(unknown.toString()).statusCode(400).body("error.code", equalTo("not_a_model"));
        switchModel(running + "/../../../outside").statusCode(400).body("error.code", equalTo("path_outside_home"));

        assertThat(current().getString("switch_in_progress")).isNull();
    }

    @Test
    void aNameFromTheModelListServesThatModelAndAnAmbiguousNameListsTheCandidates() {
        serve(Map.of("model", BASE_A));
        Path merged = Engines.modelDir(LocalEnvironment.home().resolve("studio_finetune/t-seed-name/merged"), null);
        LocalEnvironment.finetune()
                .finetunedModel(
                        "t-seed-name-merged", "Support bot (seed)", merged.toString(), "merged", "t-seed-name", BASE_A);
        Path twinA = Engines.modelDir(LocalEnvironment.home().resolve("studio_finetune/t-twin-a/merged"), null);
        Path twinB = Engines.modelDir(LocalEnvironment.home().resolve("studio_finetune/t-twin-b/merged"), null);
        LocalEnvironment.finetune()
                .finetunedModel("t-twin-a-merged", "Twin", twinA.toString(), "merged", "t-twin-a", BASE_A);
        LocalEnvironment.finetune()
                .finetunedModel("t-twin-b-merged", "Twin", twinB.toString(), "merged", "t-twin-b", BASE_A);
        LocalEnvironment.finetune().baseModel(BASE_A, "Qwen2.5 0.5B Instruct (seed)");

        switchModel("Support bot (seed)")
                .statusCode(200)
                .body("current_model", equalTo(merged.toString()))
                .body("model_name", equalTo("Support bot (seed)"))
                .body("served_model_name", equalTo("ft-t-seed-name-merged"));
        assertThat(current().getString("display_name")).isEqualTo("Support bot (seed)");

        switchModel("Twin")
                .statusCode(409)
                .body("error.code", equalTo("ambiguous_model"))
                .body("error.message", containsString("t-twin-a-merged"))
                .body("error.message", containsString("t-twin-b-merged"))
                .body("error.details.id", containsInAnyOrder("t-twin-a-merged", "t-twin-b-merged"));
        assertThat(current().getString("switch_in_progress")).isNull();

        switchModel("Qwen2.5 0.5B Instruct (seed)")
                .statusCode(200)
                .body("current_model", equalTo(BASE_A))
                .body("served_model_name", equalTo(BASE_A));
    }

    @Test
    void currentModelIsAPathThatSwitchModelTakesBackForBaseLoraAndMergedModels() {
        Path lora = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-round-lora/lora"), 8, BASE_A);
        LocalEnvironment.finetune().task("t-round-lora", "completed", BASE_A, Map.of("lora", lora.toString()));
        Path merged =
                Engines.modelDir(LocalEnvironment.home().resolve("studio_finetune/t-round-merged/merged_model"), null);
        LocalEnvironment.finetune()
                .task("t-round-merged", "completed", BASE_A, Map.of("merged_model", merged.toString()));

        roundTrip(Map.of("model", BASE_A), BASE_A, BASE_A);
        roundTrip(Map.of("task_id", "t-round-lora"), lora.toString(), "ft-t-round-lora");
        roundTrip(Map.of("task_id", "t-round-merged"), merged.toString(), "ft-t-round-merged-merged");
    }

    /** Serves {@code request}, reads {@code current_model} and switches to it: the same model, nothing to do. */
    private static void roundTrip(Map<String, Object> request, String path, String displayName) {
        serve(request);
        JsonPath now = current();
        assertThat(now.getString("current_model")).isEqualTo(path);
        assertThat(now.getString("model_path")).isEqualTo(path);
        assertThat(now.getString("display_name")).isEqualTo(displayName);

        switchModel(now.getString("current_model"))
                .statusCode(200)
                .body("current_model", equalTo(path))
                .body("model_name", equalTo(displayName))
                .body("llm_service_restarted", equalTo(true))
                .body("operation.strategy", equalTo("none"));
        assertThat(current().getString("served_model_name")).isEqualTo(now.getString("served_model_name"));
    }

    private static ValidatableResponse switchModel(String modelPath) {
        awaitIdle();
        return given().queryParam("model_path", modelPath)
                .post("/api/finetune/switch-model")
                .then();
    }
}
