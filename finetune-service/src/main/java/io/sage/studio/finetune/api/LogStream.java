package io.sage.studio.finetune.api;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import io.smallrye.mutiny.Multi;

/** Sub-resource of {@code …/logs?follow=true}: each line as an SSE {@code log} event until the task ends. */
public class LogStream {

    private final Multi<String> lines;

    LogStream(Multi<String> lines) {
        this.lines = lines;
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@Context Sse sse) {
        return lines.map(line -> sse.newEventBuilder().name("log").data(line).build());
    }
}
