package io.sage.studio.gpu;

import io.sage.studio.common.error.ErrorCode;
import io.sage.studio.common.error.ErrorKind;

/**
 * Every error code the gpu-probe-service answers besides the shared ones ({@code invalid_field}, {@code invalid_json},
 * {@code path_outside_home} in {@link io.sage.studio.common.error.CommonError}). The estimator throws
 * {@link io.sage.studio.common.error.StudioException} with one of these; the REST edge turns the kind into a status.
 */
public enum GpuProbeError implements ErrorCode {
    /** {@code node} and {@code gpu_uuid} name a GPU no current telemetry reports. */
    GPU_NOT_FOUND("gpu_not_found", ErrorKind.NOT_FOUND),
    /** {@code model} is a file, or a folder with neither {@code config.json} nor {@code adapter_config.json}. */
    NOT_A_MODEL("not_a_model", ErrorKind.INVALID),
    /** {@code model} is neither a catalogue id nor a model folder the estimator can size. */
    UNKNOWN_MODEL("unknown_model", ErrorKind.INVALID);

    private final String code;
    private final ErrorKind kind;

    GpuProbeError(String code, ErrorKind kind) {
        this.code = code;
        this.kind = kind;
    }

    @Override
    public String code() {
        return code;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }
}
