package io.sage.studio.finetune.api;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** Sub-resource of {@code …/logs}: the last lines of {@code logs.txt} as text. */
public class LogText {

    private final String text;

    LogText(String text) {
        this.text = text;
    }

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public String text() {
        return text;
    }
}
