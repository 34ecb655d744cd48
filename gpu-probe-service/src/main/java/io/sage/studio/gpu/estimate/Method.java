package io.sage.studio.gpu.estimate;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonValue;

/** How the model is trained: a LoRA adapter on 16-bit weights, on 4-bit weights (QLoRA), or every weight. */
public enum Method {
    LORA,
    QLORA,
    FULL;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code null} for an unknown name. */
    public static Method parse(String value) {
        for (Method method : values()) {
            if (method.id().equals(value)) {
                return method;
            }
        }
        return null;
    }
}
