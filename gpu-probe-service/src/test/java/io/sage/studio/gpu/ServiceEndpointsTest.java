package io.sage.studio.gpu;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.kafka.KafkaTestResource;

@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
class ServiceEndpointsTest {

    @Test
    void readinessIncludesTheKafkaConnectionAndTheTelemetryView() {
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> given().when()
                        .get("/q/health/ready")
                        .then()
                        .statusCode(200)
                        .body("status", equalTo("UP"))
                        .body("checks.name", hasItem(containsString("Kafka")))
                        .body("checks.name", hasItem("GPU telemetry")));
    }

    @Test
    void servesLivenessOpenApiAndPrometheusMetrics() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/openapi").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(containsString("jvm_"));
    }

    @Test
    void unknownRoutesAnswerInTheStudioErrorShape() {
        given().get("/api/does-not-exist").then().statusCode(404).body("error.code", equalTo("not_found"));
    }
}
