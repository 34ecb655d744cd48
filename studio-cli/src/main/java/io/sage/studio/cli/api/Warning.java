package io.sage.studio.cli.api;

import com.fasterxml.jackson.annotation.JsonCreator;

/** A task warning: an object {@code {code, message}} from the finetune-service, or (older answers) plain text. */
public record Warning(String code, String message) {

    /** A plain-text warning. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Warning ofText(String text) {
        return new Warning(null, text);
    }

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public Warning {}

    /** What the CLI prints: the message ({@code ""} when an object has none). */
    public String text() {
        return message == null ? "" : message;
    }
}
