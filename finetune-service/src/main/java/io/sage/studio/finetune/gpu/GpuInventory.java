package io.sage.studio.finetune.gpu;

import java.util.List;

import io.sage.studio.events.GpuTelemetryEvent;

/** The GPUs the studio knows from gpu-probe telemetry. */
public interface GpuInventory {

    /** GPUs of the machine this service runs on (what the local executor can hand out), by index. */
    List<GpuTelemetryEvent> localGpus();

    /** Every GPU reported on any node (what a Kubernetes Job may land on). */
    List<GpuTelemetryEvent> allGpus();
}
