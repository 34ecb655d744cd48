package io.sage.studio.finetune.domain;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** Something the user should know about a task's settings; informs, never blocks. */
@RegisterForReflection
public record TaskWarning(
        @Schema(required = true) String code,
        @Schema(required = true) String message) {}
