package io.sage.studio.finetune.task;

import java.util.List;

import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskWarning;

/** Create-time advice about a request (GPU memory, unknown model, …). Never throws, never blocks for long. */
@FunctionalInterface
public interface WarningsProvider {

    List<TaskWarning> warningsFor(TaskRequest request);
}
