package io.sage.studio.finetune.metrics;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.testkit.DashboardMetrics;

/**
 * {@code /q/metrics} while a task trains on the stand-in trainer (a real process; "slow-me" makes it take 0.4 s a
 * step): the task's training gauges carry its id, base model and method and follow its progress records, and the
 * names the dashboard queries are all exported; when the task ends its gauges go and it is counted as completed, its
 * wait in the queue recorded.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class TrainingMetricsTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String SLOW_MODEL = "Qwen/slow-me-0.5B";

    private static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /**
     * The value of the first sample of {@code name} whose labels hold {@code label} (an exemplar may follow the value
     * when tracing is on).
     */
    private static Optional<Double> sample(String scrape, String name, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{([^}]*)\\})? (\\S+)")
                .matcher(scrape);
        while (m.find()) {
            if (String.valueOf(m.group(1)).contains(label)) {
                return Optional.of(Double.parseDouble(m.group(2)));
            }
        }
        return Optional.empty();
    }

    private static double total(String scrape, String name, String label) {
        return sample(scrape, name, label).orElse(0.0);
    }

    @Test
    void aRunningTaskHasTrainingGaugesThatGoWhenItEnds() {
        String before = scrape();
        double completedBefore = total(before, "studio_finetune_tasks_finished_total", "state=\"completed\"");
        double waitsBefore = sample(before, "studio_finetune_queue_wait_seconds_count", "")
                .or(() -> Optional.of(0.0))
                .get();

        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            jsonl.append("{\"prompt\":\"m")
                    .append(i)
                    .append("\",\"completion\":\"n")
                    .append(i)
                    .append("\"}\n");
        }
        String dataset = given().multiPart(
                        "file", "metrics.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        String id = given().contentType(ContentType.JSON)
                .body(Map.of("model_name", SLOW_MODEL, "dataset_file", dataset, "num_epochs", 1, "method", "lora"))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        String label = "task_id=\"" + id + "\"";

        await().atMost(LONG).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            String during = scrape();
            assertThat(sample(during, "studio_finetune_task_step", label))
                    .hasValueSatisfying(step -> assertThat(step).isGreaterThanOrEqualTo(2));
            assertThat(sample(during, "studio_finetune_task_loss", label))
                    .hasValueSatisfying(loss -> assertThat(loss).isPositive());
            // The stand-in reports 2048 tokens a second in every metrics record.
            assertThat(sample(during, "studio_finetune_task_tokens_per_second", label))
                    .contains(2048.0);
            assertThat(during).containsPattern("studio_finetune_task_eval_loss\\{[^}]*" + Pattern.quote(label));
            assertThat(during)
                    .containsPattern(
                            "studio_finetune_task_loss\\{[^}]*base_model=\"" + Pattern.quote(SLOW_MODEL) + "\"")
                    .containsPattern("studio_finetune_task_loss\\{[^}]*method=\"lora\"[^}]*" + Pattern.quote(label));
            assertThat(sample(during, "studio_finetune_tasks", "state=\"training\""))
                    .hasValueSatisfying(n -> assertThat(n).isGreaterThanOrEqualTo(1));
            assertThat(DashboardMetrics.missing(during, "studio_finetune_"))
                    .as("dashboard names not exported")
                    .isEmpty();
        });

        await().atMost(LONG)
                .until(() -> "completed"
                        .equals(given().get("/api/finetune/tasks/" + id)
                                .then()
                                .extract()
                                .path("status")));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String after = scrape();
            assertThat(after).doesNotContain(label);
            assertThat(total(after, "studio_finetune_tasks_finished_total", "state=\"completed\""))
                    .isGreaterThanOrEqualTo(completedBefore + 1);
            assertThat(sample(after, "studio_finetune_queue_wait_seconds_count", ""))
                    .hasValueSatisfying(n -> assertThat(n).isGreaterThanOrEqualTo(waitsBefore + 1));
            assertThat(after).containsPattern("(?m)^studio_finetune_queue_depth(\\{\\})? \\d");
        });
    }
}
