package io.sage.studio.chat.state;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonValue;

/** The route's state as the API reports it; mirrors {@code ChatBackendEvent.State}. */
public enum RouteState {
    ACTIVE,
    SWITCHING,
    NONE;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
