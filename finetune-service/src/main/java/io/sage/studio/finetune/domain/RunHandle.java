package io.sage.studio.finetune.domain;

import java.time.Instant;
import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * How to find a launched trainer again after a restart of the service.
 *
 * <p>A handle is only acted on (re-adopted, signalled, deleted) by the install that wrote it: {@code instanceId}
 * must be this install's id, and for a local process {@code bootId} this machine's current boot. A task folder
 * copied in from elsewhere carries another install's pid or Job name, which here may name an unrelated process or
 * Job; such a task is settled from its files and nothing is killed.
 *
 * @param executor      {@code local} or {@code kubernetes}
 * @param pid           local: the trainer's pid, also its process-group id
 * @param pidStartTicks local: the process start time from {@code /proc/<pid>/stat}, so a reused pid is not mistaken for it
 * @param gpus          local: the GPU indexes given in {@code CUDA_VISIBLE_DEVICES} (empty: not restricted)
 * @param namespace     kubernetes: the Job's namespace
 * @param jobName       kubernetes: the Job's name
 * @param instanceId    the id of the studio install that launched it ({@code null} in handles written before ids)
 * @param bootId        local: {@code /proc/sys/kernel/random/boot_id} of the machine when it was launched
 */
@RegisterForReflection
public record RunHandle(
        String executor,
        Long pid,
        Long pidStartTicks,
        List<Integer> gpus,
        String namespace,
        String jobName,
        Instant launchedAt,
        String instanceId,
        String bootId) {

    public RunHandle {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }

    public static RunHandle local(long pid, long startTicks, List<Integer> gpus, String instanceId, String bootId) {
        return new RunHandle("local", pid, startTicks, gpus, null, null, Instant.now(), instanceId, bootId);
    }

    public static RunHandle kubernetes(String namespace, String jobName, String instanceId) {
        return new RunHandle("kubernetes", null, null, List.of(), namespace, jobName, Instant.now(), instanceId, null);
    }
}
