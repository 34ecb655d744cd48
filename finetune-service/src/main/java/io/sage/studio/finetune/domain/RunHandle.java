package io.sage.studio.finetune.domain;

import java.time.Instant;
import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * How to find a launched trainer again after a restart of the service.
 *
 * @param executor      {@code local} or {@code kubernetes}
 * @param pid           local: the trainer's pid, also its process-group id
 * @param pidStartTicks local: the process start time from {@code /proc/<pid>/stat}, so a reused pid is not mistaken for it
 * @param gpus          local: the GPU indexes given in {@code CUDA_VISIBLE_DEVICES} (empty: not restricted)
 * @param namespace     kubernetes: the Job's namespace
 * @param jobName       kubernetes: the Job's name
 */
@RegisterForReflection
public record RunHandle(
        String executor,
        Long pid,
        Long pidStartTicks,
        List<Integer> gpus,
        String namespace,
        String jobName,
        Instant launchedAt) {

    public RunHandle {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }

    public static RunHandle local(long pid, long startTicks, List<Integer> gpus) {
        return new RunHandle("local", pid, startTicks, gpus, null, null, Instant.now());
    }

    public static RunHandle kubernetes(String namespace, String jobName) {
        return new RunHandle("kubernetes", null, null, List.of(), namespace, jobName, Instant.now());
    }
}
