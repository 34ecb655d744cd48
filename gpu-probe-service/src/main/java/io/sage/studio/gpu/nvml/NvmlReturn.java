package io.sage.studio.gpu.nvml;

import java.util.Locale;

/**
 * The {@code nvmlReturn_t} codes of {@code nvml.h} with their symbolic names and what each means for a
 * reader of the error, so a message stays useful when the library cannot describe its own code.
 */
public enum NvmlReturn {
    SUCCESS(0, "the operation was successful"),
    UNINITIALIZED(1, "NVML was not initialised"),
    INVALID_ARGUMENT(2, "a supplied argument is invalid"),
    NOT_SUPPORTED(3, "the device does not support the requested operation"),
    NO_PERMISSION(4, "the current user has no permission for the operation"),
    ALREADY_INITIALIZED(5, "NVML was already initialised"),
    NOT_FOUND(6, "a query to find an object was unsuccessful"),
    INSUFFICIENT_SIZE(7, "an input buffer is not large enough"),
    INSUFFICIENT_POWER(8, "a device's external power cables are not properly attached"),
    DRIVER_NOT_LOADED(9, "the NVIDIA driver is not loaded"),
    TIMEOUT(10, "the provided timeout has passed"),
    IRQ_ISSUE(11, "the NVIDIA kernel detected an interrupt issue with a GPU"),
    LIBRARY_NOT_FOUND(12, "NVML's shared library could not be found or loaded"),
    FUNCTION_NOT_FOUND(13, "the local version of NVML does not implement this function"),
    CORRUPTED_INFOROM(14, "the infoROM is corrupted"),
    GPU_IS_LOST(15, "the GPU has fallen off the bus or has otherwise become inaccessible"),
    RESET_REQUIRED(16, "the GPU requires a reset before it can be used again"),
    OPERATING_SYSTEM(17, "the GPU control device has been blocked by the operating system or cgroups"),
    LIB_RM_VERSION_MISMATCH(18, "the driver and the NVML library versions do not match"),
    IN_USE(19, "the GPU is currently in use"),
    MEMORY(20, "insufficient memory"),
    NO_DATA(21, "no data"),
    VGPU_ECC_NOT_SUPPORTED(22, "the vGPU operation is not available because ECC is enabled"),
    INSUFFICIENT_RESOURCES(23, "ran out of critical resources other than memory"),
    FREQ_NOT_SUPPORTED(24, "the frequency is not supported"),
    ARGUMENT_VERSION_MISMATCH(25, "the provided structure version is invalid or unsupported"),
    DEPRECATED(26, "the requested functionality has been deprecated"),
    NOT_READY(27, "the system is not ready for the request"),
    GPU_NOT_FOUND(28, "no GPUs were found"),
    INVALID_STATE(29, "the resource is not in the correct state for the operation"),
    RESET_TYPE_NOT_SUPPORTED(30, "the reset type is not supported"),
    UNKNOWN(999, "an internal driver error occurred");

    private final int code;
    private final String description;

    NvmlReturn(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public int code() {
        return code;
    }

    /** {@code NVML_ERROR_GPU_IS_LOST}, {@code NVML_SUCCESS}, … */
    public String symbol() {
        return this == SUCCESS ? "NVML_SUCCESS" : "NVML_ERROR_" + name();
    }

    public String description() {
        return description;
    }

    /** The constant for a code, {@code null} for a code this table does not know (a newer driver's). */
    public static NvmlReturn of(int code) {
        for (NvmlReturn value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }

    /** {@code "NVML_ERROR_GPU_IS_LOST (15): …"}, or the bare code and {@code fallback} for an unknown code. */
    public static String describe(int code, String fallback) {
        NvmlReturn known = of(code);
        if (known == null) {
            return String.format(Locale.ROOT, "NVML error %d: %s", code, fallback == null ? "unknown code" : fallback);
        }
        return String.format(Locale.ROOT, "%s (%d): %s", known.symbol(), code, known.description());
    }
}
