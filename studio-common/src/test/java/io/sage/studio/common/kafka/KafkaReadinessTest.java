package io.sage.studio.common.kafka;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** With the broker gone, readiness says so quickly (a probe waits seconds, not the admin client's 60 s) and liveness stays up. */
@QuarkusTest
class KafkaReadinessTest {

    @Test
    void readinessIsDownWithinTheHealthTimeoutWhenNoBrokerAnswers() {
        long started = System.nanoTime();
        given().get("/q/health/ready")
                .then()
                .statusCode(503)
                .body(containsString("Kafka connection"))
                .body(containsString("no answer from 127.0.0.1:1"));
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertThat(millis).as("readiness answered in %d ms", millis).isLessThan(15_000);
        given().get("/q/health/live").then().statusCode(200);
    }
}
