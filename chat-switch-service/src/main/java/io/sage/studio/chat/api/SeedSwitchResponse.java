package io.sage.studio.chat.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.sage.studio.chat.switching.SwitchOperation;

/** The seed's switch answer, plus the operation that did it. */
public record SeedSwitchResponse(
        @Schema(required = true) String currentModel,
        @Schema(required = true) boolean llmServiceRestarted,
        SwitchOperation operation) {}
