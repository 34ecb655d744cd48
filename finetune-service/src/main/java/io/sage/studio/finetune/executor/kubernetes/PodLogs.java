package io.sage.studio.finetune.executor.kubernetes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * A trainer's stdout/stderr live in its pod's log, which goes with the pod: when a run ends, the executors (a single
 * trainer's Job, a distributed run's rank 0) append it to the task's log file, as a local trainer writes it there. A
 * log that cannot be read or written is left out; the run's outcome does not depend on it.
 */
final class PodLogs {

    private static final Logger LOG = Logger.getLogger(PodLogs.class);

    private PodLogs() {}

    /** Appends the log of {@code container} in {@code pod} to {@code logFile}, ending it with a newline. */
    static void copy(
            KubernetesClient client, String namespace, Pod pod, String container, Path logFile, String taskId) {
        try {
            String log = client.pods()
                    .inNamespace(namespace)
                    .withName(pod.getMetadata().getName())
                    .inContainer(container)
                    .getLog();
            if (log != null && !log.isEmpty()) {
                Files.writeString(
                        logFile,
                        log.endsWith("\n") ? log : log + "\n",
                        StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
        } catch (KubernetesClientException | IOException e) {
            LOG.debugf("no log copied for %s: %s", taskId, e.getMessage());
        }
    }
}
