package io.sage.studio.chat.switching;

import java.util.Arrays;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How a switch moves traffic to the new model. The wire value is the kebab-case name. */
public enum SwitchStrategy {
    /** Pick one: hot-load when possible, else blue-green when two engines fit, else recreate. */
    AUTO("auto"),
    /** Load a LoRA adapter into the running engine; no restart. */
    LORA_HOT_LOAD("lora-hot-load"),
    /** Start the new engine beside the old one, flip the route once it is ready, drain and stop the old one. */
    BLUE_GREEN("blue-green"),
    /** Stop the old engine, start the new one; the gateway answers 503 + Retry-After meanwhile. */
    RECREATE("recreate"),
    /** Nothing to do: the requested model already serves. */
    NONE("none"),
    /** Route to the configured cloud API (no local engine). */
    CLOUD("cloud"),
    /** Serve a model by name beside the default ({@code POST /api/chat/serving}); the default route stays. */
    SERVE("serve");

    private final String wire;

    SwitchStrategy(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    /** Parses a requested strategy (only the four a user may ask for); {@code null} when unknown. */
    @JsonCreator
    public static SwitchStrategy fromWire(String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        return Arrays.stream(values()).filter(s -> s.wire.equals(v)).findFirst().orElse(null);
    }

    /** Whether a user may request this strategy. */
    public boolean requestable() {
        return this == AUTO || this == LORA_HOT_LOAD || this == BLUE_GREEN || this == RECREATE;
    }

    @Override
    public String toString() {
        return wire;
    }
}
