package io.sage.studio.gpu.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.kafka.KafkaTestResource;

/** Without NVML (the test profile points at a library that does not exist): healthy, and says why there is no GPU. */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
class NoGpuModeTest {

    private static final String NODE = "test-node";

    @Test
    void gpuInfoAnswersNotAvailableWithTheReason() {
        given().queryParam("node", NODE)
                .get("/api/system/gpu-info")
                .then()
                .statusCode(200)
                .body("available", equalTo(false))
                .body("count", equalTo(0))
                .body("devices", empty())
                .body("local_node", equalTo(NODE))
                .body(
                        "reason",
                        startsWith("no usable NVIDIA driver on this node: dlopen failed: cannot load "
                                + "/nonexistent/libnvidia-ml.so.1"))
                .body("recommendation", startsWith("No GPU to train on"));
    }

    @Test
    void staysReadyAndReportsTheProbeState() {
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> given().get("/q/health/ready")
                        .then()
                        .statusCode(200)
                        .body("checks.find { it.name == 'GPU telemetry' }.data.nvml_available", equalTo(false))
                        .body("checks.find { it.name == 'GPU telemetry' }.data.view_caught_up", equalTo(true)));
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void memoryEstimatesStillWorkForAGivenBudget() {
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"Qwen/Qwen2.5-1.5B-Instruct\",\"gpu_memory_bytes\":" + (16L << 30) + "}")
                .post("/api/system/memory-estimate")
                .then()
                .statusCode(200)
                .body("params", equalTo(1543714304))
                .body("recommendation.fits", equalTo(true))
                .body("recommendation.target", containsString("16.0 GiB"))
                .body("fits.gpu", hasItem("NVIDIA T4 16GB"));
    }

    @Test
    void withoutABudgetOrTelemetryTheRecommendationSaysWhatIsMissing() {
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"node\":\"" + NODE + "\",\"gpu_uuid\":\"GPU-none\"}")
                .post("/api/system/memory-estimate")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("gpu_not_found"));
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\"}")
                .post("/api/system/memory-estimate")
                .then()
                .statusCode(200)
                .body("recommendation.fits", nullValue());
    }
}
