package io.sage.studio.finetune.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/**
 * The client's reading of gpu-probe's per-layout answer (issue 21): the fields it reads exist in gpu-probe's OpenAPI
 * snapshot with those names, and an answer parses into the layouts and the recommendation {@code auto} resolves to.
 */
class GpuProbeEstimateTest {

    @Test
    void readsTheFieldsGpuProbesSnapshotDeclares() throws Exception {
        JsonNode schemas = StudioJson.mapper()
                .readTree(Path.of("../studio-ui/src/api/openapi/gpu-probe.json").toFile())
                .path("components")
                .path("schemas");
        JsonNode response = schemas.path("EstimateResponse").path("properties");
        assertThat(response.has("layouts")).isTrue();
        assertThat(response.has("recommended")).isTrue();
        assertThat(response.has("parallelism")).isTrue();
        JsonNode layout = schemas.path("LayoutEstimate").path("properties");
        assertThat(layout.has("parallelism")).isTrue();
        assertThat(layout.has("per_gpu_bytes")).isTrue();
        assertThat(layout.has("per_gpu_high_bytes")).isTrue();
        assertThat(layout.has("fits")).isTrue();
    }

    @Test
    void parsesLayoutsAndTheRecommendation() throws Exception {
        GpuProbeEstimate fsdp = parse("""
                {"low_bytes":1,"expected_bytes":51107690831,"high_bytes":3,"parallelism":"fsdp","world_size":8,
                 "layouts":[{"parallelism":"ddp","per_gpu_bytes":104771712459,"per_gpu_high_bytes":5,"fits":false},
                            {"parallelism":"fsdp","per_gpu_bytes":51107690831,"per_gpu_high_bytes":6,"fits":true}],
                 "recommended":"fsdp","notes":[]}""");
        assertThat(fsdp.recommended()).isEqualTo("fsdp");
        assertThat(fsdp.layouts())
                .extracting(GpuProbeEstimate.Layout::parallelism)
                .containsExactly("ddp", "fsdp");
        assertThat(fsdp.layouts().get(0).perGpuBytes()).isEqualTo(104_771_712_459L);
        assertThat(fsdp.fitsNoLayout()).isFalse();

        GpuProbeEstimate none = parse("""
                {"low_bytes":1,"expected_bytes":2,"high_bytes":3,"recommended":null,
                 "layouts":[{"parallelism":"ddp","per_gpu_bytes":9,"per_gpu_high_bytes":9,"fits":false},
                            {"parallelism":"fsdp","per_gpu_bytes":8,"per_gpu_high_bytes":8,"fits":false}]}""");
        assertThat(none.recommended()).isNull();
        assertThat(none.fitsNoLayout()).isTrue();

        // not sized (no telemetry): not "fits nowhere"; an older gpu-probe: no layouts at all
        assertThat(parse("""
                        {"low_bytes":1,"expected_bytes":2,"high_bytes":3,
                         "layouts":[{"parallelism":"ddp","per_gpu_bytes":9,"per_gpu_high_bytes":9,"fits":null}]}""").fitsNoLayout()).isFalse();
        GpuProbeEstimate old = parse("{\"low_bytes\":1,\"expected_bytes\":2,\"high_bytes\":3}");
        assertThat(old.layouts()).isEmpty();
        assertThat(old.recommended()).isNull();
        assertThat(old.fitsNoLayout()).isFalse();
    }

    private static GpuProbeEstimate parse(String json) throws Exception {
        return StudioJson.mapper().readValue(json, GpuProbeEstimate.class);
    }
}
