package io.sage.studio.chat.metrics;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.chat.support.CloudEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.testkit.DashboardMetrics;

/**
 * {@code studio_chat_switch_duration_seconds} after real switches (cloud mode: no engine to start): a switch to the
 * cloud's model is timed as succeeded, one to a model the cloud does not offer as failed, each under its strategy,
 * and the switch names the dashboard queries are exported.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(CloudEnvironment.class)
class SwitchMetricsTest {

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> "active".equals(Switches.current().getString("state")));
        Switches.awaitIdle();
    }

    private static double count(String scrape, String outcome) {
        return scrape.lines()
                .filter(l -> l.startsWith("studio_chat_switch_duration_seconds_count{")
                        && l.contains("outcome=\"" + outcome + "\""))
                // The value follows the labels; an exemplar (# {trace_id=…} …) may follow it when tracing is on.
                .mapToDouble(l -> Double.parseDouble(
                        l.substring(l.indexOf("} ") + 2).strip().split("\\s+")[0]))
                .sum();
    }

    private static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    @Test
    void switchesAreTimedByStrategyAndOutcome() {
        String before = scrape();
        given().queryParam("model_path", CloudEnvironment.MODEL)
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(200);
        given().queryParam("model_path", "gpt-unknown")
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(502);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String after = scrape();
            assertThat(count(after, "succeeded")).isEqualTo(count(before, "succeeded") + 1);
            assertThat(count(after, "failed")).isEqualTo(count(before, "failed") + 1);
            assertThat(after)
                    .containsPattern(
                            "studio_chat_switch_duration_seconds_bucket\\{[^}]*outcome=\"failed\"[^}]*strategy=\"");
            assertThat(DashboardMetrics.missing(after, "studio_chat_switch_")).isEmpty();
        });
    }
}
