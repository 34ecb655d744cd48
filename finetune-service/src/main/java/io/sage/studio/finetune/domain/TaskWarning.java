package io.sage.studio.finetune.domain;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** Something the user should know about a task's settings; informs, never blocks. */
@RegisterForReflection
public record TaskWarning(String code, String message) {
}
