package io.sage.studio.finetune.domain;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A model a user can pick: a base model from the catalogue or the artifact of a completed task.
 *
 * @param type     {@code base} or {@code finetuned}
 * @param path     base: the model id; fine-tuned: the absolute artifact directory (what switch-model takes)
 * @param artifact fine-tuned only: {@code lora} or {@code merged}
 */
public record Model(
        @Schema(required = true) String id,
        @Schema(required = true) String name,

        @Schema(
                required = true,
                enumeration = {"base", "finetuned"})
        String type,

        String baseModel,
        String path,
        String artifact,
        String taskId,
        Instant createdAt,
        Double paramsB,
        Integer contextLength,
        Double vramHintGb,
        String description) {}
