package io.sage.studio.gpu.estimate;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Training precision, as the trainer takes it: {@code auto} is bf16 on GPUs that have it (Ampere and later),
 * fp16 on older ones.
 */
public enum Precision {
    AUTO,
    BF16,
    FP16,
    FP32;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What {@code auto} becomes on a GPU with or without bf16. */
    public Precision resolve(boolean bf16Supported) {
        if (this != AUTO) {
            return this;
        }
        return bf16Supported ? BF16 : FP16;
    }

    /** {@code null} for an unknown name. */
    public static Precision parse(String value) {
        for (Precision precision : values()) {
            if (precision.id().equals(value)) {
                return precision;
            }
        }
        return null;
    }
}
