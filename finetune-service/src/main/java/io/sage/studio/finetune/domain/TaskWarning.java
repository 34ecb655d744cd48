package io.sage.studio.finetune.domain;

/** Something the user should know about a task's settings; informs, never blocks. */
public record TaskWarning(String code, String message) {
}
