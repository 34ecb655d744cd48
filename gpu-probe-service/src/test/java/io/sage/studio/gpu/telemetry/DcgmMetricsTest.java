package io.sage.studio.gpu.telemetry;

import static io.restassured.RestAssured.given;
import static io.sage.studio.gpu.StandinGpuProfile.A100;
import static io.sage.studio.gpu.StandinGpuProfile.L4;
import static io.sage.studio.gpu.StandinGpuProfile.NODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sage.studio.gpu.StandinGpuProfile;
import io.sage.studio.gpu.StandinNvml;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.testkit.DashboardMetrics;

/**
 * The stand-in NVML's GPUs on {@code /q/metrics} with dcgm-exporter's names, units and labels: the A100 (80 GiB, 70
 * free, 37 % busy, 12 % memory, 54 C, 71.25 W) as MiB, percent, C and W; a GPU that goes away loses its series.
 */
@QuarkusTest
@TestProfile(StandinGpuProfile.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
class DcgmMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String A100_LABELS = "DCGM_FI_DRIVER_VERSION=\"550.54.15\",Hostname=\"" + NODE + "\",UUID=\""
            + A100.uuid() + "\",device=\"nvidia0\",gpu=\"0\",modelName=\"" + A100.name() + "\"";

    @BeforeEach
    void twoGpus() {
        StandinGpuProfile.nvml().configure(StandinNvml.system(A100, L4));
    }

    private static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static String sample(String name, String value) {
        return "(?m)^" + name + Pattern.quote("{" + A100_LABELS + "} " + value) + "$";
    }

    @Test
    void gpusAreExportedUnderDcgmExporterNamesAndLabels() {
        await().atMost(WAIT).untilAsserted(() -> {
            String metrics = scrape();
            assertThat(metrics)
                    .containsPattern(sample("DCGM_FI_DEV_FB_USED", "10240.0"))
                    .containsPattern(sample("DCGM_FI_DEV_FB_FREE", "71680.0"))
                    .containsPattern(sample("DCGM_FI_DEV_FB_TOTAL", "81920.0"))
                    .containsPattern(sample("DCGM_FI_DEV_GPU_UTIL", "37.0"))
                    .containsPattern(sample("DCGM_FI_DEV_MEM_COPY_UTIL", "12.0"))
                    .containsPattern(sample("DCGM_FI_DEV_GPU_TEMP", "54.0"))
                    .containsPattern(sample("DCGM_FI_DEV_POWER_USAGE", "71.25"))
                    .contains("UUID=\"" + L4.uuid() + "\"");
            assertThat(DashboardMetrics.missing(metrics, "DCGM_FI_")).isEmpty();
        });

        StandinGpuProfile.nvml().configure(StandinNvml.system(A100));
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(scrape())
                        .contains("UUID=\"" + A100.uuid() + "\"")
                        .doesNotContain("UUID=\"" + L4.uuid() + "\""));
    }
}
