package io.sage.studio.gpu.telemetry;

import static io.restassured.RestAssured.given;
import static io.sage.studio.gpu.StandinGpuProfile.A100;
import static io.sage.studio.gpu.StandinGpuProfile.GIB;
import static io.sage.studio.gpu.StandinGpuProfile.L4;
import static io.sage.studio.gpu.StandinGpuProfile.NODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.gpu.StandinGpuProfile;
import io.sage.studio.gpu.StandinNvml;
import io.sage.studio.gpu.TelemetryTopic;
import io.sage.studio.kafka.KafkaTestResource;

/** The stand-in GPUs through NVML, onto Kafka, and back out of {@code gpu-info}, with other nodes beside them. */
@QuarkusTest
@TestProfile(StandinGpuProfile.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
class GpuTelemetryTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final String otherNode =
            "gpu-node-b-" + UUID.randomUUID().toString().substring(0, 8);
    private TelemetryTopic topic;

    @BeforeEach
    void startWithTwoGpus() {
        StandinGpuProfile.nvml().configure(StandinNvml.system(A100, L4));
        topic = new TelemetryTopic();
    }

    @AfterEach
    void removeTheOtherNode() throws Exception {
        for (int index = 0; index < 2; index++) {
            topic.tombstone(GpuTelemetryEvent.keyOf(otherNode, "GPU-remote-" + index));
        }
        topic.close();
    }

    @Test
    void gpuInfoReportsExactlyTheStandinGpusWithMemoryUtilisationAndProcesses() {
        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath info = gpuInfo(NODE);
            assertThat(info.getBoolean("available")).isTrue();
            assertThat(info.getInt("count")).isEqualTo(2);
            assertThat(info.getList("devices.uuid")).containsExactly(A100.uuid(), L4.uuid());
            assertThat(info.getList("devices.name")).containsExactly(A100.name(), L4.name());
            // The seed reads an integer id (the NVML index); the cluster-wide key is device_id.
            assertThat(info.getList("devices.id", Integer.class)).containsExactly(0, 1);
            assertThat(info.getList("devices.index", Integer.class)).containsExactly(0, 1);
            assertThat(info.getList("devices.device_id"))
                    .containsExactly(NODE + "/" + A100.uuid(), NODE + "/" + L4.uuid());
            assertThat(info.getDouble("devices[0].memory_gb")).isEqualTo(80.0);
            assertThat(info.getLong("devices[0].memory_free_bytes")).isEqualTo(70 * GIB);
            assertThat(info.getLong("devices[0].memory_used_bytes")).isEqualTo(10 * GIB);
            assertThat(info.getInt("devices[0].utilization_gpu")).isEqualTo(37);
            assertThat(info.getInt("devices[0].temperature_c")).isEqualTo(54);
            assertThat(info.getDouble("devices[0].power_w")).isEqualTo(71.25);
            assertThat(info.getLong("devices[0].processes[0].pid")).isEqualTo(3141);
            assertThat(info.getLong("devices[0].processes[0].used_memory_bytes"))
                    .isEqualTo(10 * GIB);
            assertThat(info.getString("nodes[0].driver_version")).isEqualTo("550.54.15");
            assertThat(info.getString("nodes[0].cuda_version")).isEqualTo("12.4");
            assertThat(info.getBoolean("nodes[0].local")).isTrue();
            assertThat(info.getString("recommendation"))
                    .contains("NVIDIA A100-SXM4-80GB", "LoRA fits up to Qwen/Qwen2.5-");
            assertThat(info.getString("reason")).isNull();
        });
    }

    @Test
    void publishesEveryGpuKeyedByNodeAndUuidWithCloudEventsHeaders() {
        String key = GpuTelemetryEvent.keyOf(NODE, L4.uuid());
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(topic.records()).anySatisfy(record -> {
                    assertThat(record.key()).isEqualTo(key);
                    Map<String, String> headers = TelemetryTopic.headers(record);
                    assertThat(headers)
                            .containsEntry(CloudEvents.H_TYPE, GpuTelemetryEvent.TYPE)
                            .containsEntry(CloudEvents.H_SOURCE, CloudEvents.source("gpu-probe-service"))
                            .containsEntry(CloudEvents.H_SUBJECT, key)
                            .containsEntry(CloudEvents.H_SPEC_VERSION, "1.0");
                    GpuTelemetryEvent event = CloudEvents.decode(record.value(), GpuTelemetryEvent.class);
                    assertThat(event.node()).isEqualTo(NODE);
                    assertThat(event.name()).isEqualTo(L4.name());
                    assertThat(event.memoryFreeBytes()).isEqualTo(22 * GIB);
                    assertThat(event.intervalMillis()).isEqualTo(200);
                    assertThat(event.schemaVersion()).isEqualTo(GpuTelemetryEvent.SCHEMA_VERSION);
                }));
    }

    @Test
    void aggregatesEveryNodeSeenOnKafkaAndFiltersByNode() throws Exception {
        topic.publish(TelemetryTopic.reading(
                otherNode, "GPU-remote-0", 0, 40 * GIB, Instant.now().plusSeconds(2)));

        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath all = gpuInfo(null);
            assertThat(all.getList("devices.node", String.class)).contains(NODE, otherNode);
            assertThat(all.getList("nodes.name", String.class)).contains(NODE, otherNode);
            assertThat(all.getList("devices.device_id", String.class)).contains(otherNode + "/GPU-remote-0");
        });
        JsonPath remote = gpuInfo(otherNode);
        assertThat(remote.getInt("count")).isEqualTo(1);
        assertThat(remote.getList("devices.node", String.class)).containsOnly(otherNode);
        assertThat(remote.getLong("devices[0].memory_free_bytes")).isEqualTo(40 * GIB);
        assertThat(remote.getInt("devices[0].id")).isZero();
        assertThat(remote.getList("nodes.local", Boolean.class)).containsExactly(false);

        JsonPath unknown = gpuInfo("no-such-node");
        assertThat(unknown.getBoolean("available")).isFalse();
        assertThat(unknown.getString("reason")).isEqualTo("no current telemetry from node no-such-node");
    }

    @Test
    void leavesOutReadingsOfNodesThatStoppedReporting() throws Exception {
        topic.publish(TelemetryTopic.reading(
                otherNode, "GPU-remote-0", 0, GIB, Instant.now().minusSeconds(3600)));
        topic.publish(TelemetryTopic.reading(
                otherNode, "GPU-remote-1", 1, GIB, Instant.now().plusSeconds(2)));

        await().atMost(WAIT)
                .untilAsserted(() ->
                        assertThat(gpuInfo(otherNode).getList("devices.uuid")).containsExactly("GPU-remote-1"));
    }

    @Test
    void tombstonesAGpuThatDisappearsAndKeepsTheOthers() {
        String gone = GpuTelemetryEvent.keyOf(NODE, L4.uuid());
        await().atMost(WAIT).until(() -> topic.records().stream().anyMatch(r -> gone.equals(r.key())));

        StandinGpuProfile.nvml().configure(StandinNvml.system(A100));

        await().atMost(WAIT).untilAsserted(() -> {
            List<ConsumerRecord<String, byte[]>> records = topic.records();
            assertThat(records).anySatisfy(r -> {
                assertThat(r.key()).isEqualTo(gone);
                assertThat(r.value()).isNull();
            });
            assertThat(gpuInfo(NODE).getList("devices.uuid")).containsExactly(A100.uuid());
        });
    }

    @Test
    void aGpuFailingOneCallIsListedAsAnErrorAndTheOtherStillShows() {
        StandinGpuProfile.nvml().configure(StandinNvml.system(A100.with("fail.memory=15"), L4));

        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath info = gpuInfo(NODE);
            assertThat(info.getList("devices.uuid")).containsExactly(L4.uuid());
            assertThat(info.getInt("errors[0].index")).isZero();
            assertThat(info.getString("errors[0].function")).isEqualTo("nvmlDeviceGetMemoryInfo");
            assertThat(info.getString("errors[0].message")).contains("NVML_ERROR_GPU_IS_LOST");
        });
    }

    private static JsonPath gpuInfo(String node) {
        return (node == null ? given() : given().queryParam("node", node))
                .get("/api/system/gpu-info")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }
}
