package io.sage.studio.finetune.artifact;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.jboss.logging.Logger;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;

/**
 * A model folder of a completed task to archive ({@link ArtifactArchive}) and the name of the archive's root folder.
 *
 * @param folder the artifact folder's real path, strictly inside the task folder
 * @param name   {@code <task_id>-<kind>}
 */
public record Download(Path folder, String name) {

    private static final Logger LOG = Logger.getLogger(Download.class);

    /**
     * The {@code merged_model/} (default when there is one) or {@code lora/} folder of a completed task.
     *
     * @param taskDir  the task's folder
     * @param artifact {@code lora}, {@code merged_model}, or {@code null} for the default
     */
    public static Download of(TaskRecord record, Path taskDir, String artifact) {
        String taskId = record.taskId();
        if (record.status() != TaskStatus.COMPLETED) {
            throw new StudioException(
                    FinetuneError.TASK_NOT_COMPLETED,
                    "task " + taskId + " is " + record.status().wire()
                            + "; only a completed task has a model to download");
        }
        if (artifact != null && !artifact.equals(Artifacts.LORA) && !artifact.equals(Artifacts.MERGED)) {
            throw StudioException.invalidField("artifact", "artifact must be lora or merged_model");
        }
        String kind = artifact != null
                ? artifact
                : record.artifacts().containsKey(Artifacts.MERGED) ? Artifacts.MERGED : Artifacts.LORA;
        String relative = record.artifacts().get(kind);
        Path folder = relative == null ? null : artifactFolder(taskId, taskDir, kind, relative);
        if (folder == null) {
            throw new StudioException(
                    FinetuneError.ARTIFACT_NOT_FOUND, "task " + taskId + " has no " + kind + " artifact");
        }
        return new Download(folder, taskId + "-" + kind);
    }

    /**
     * The real path of an artifact folder when it is a folder strictly inside the task's real folder once every
     * link on the way is resolved (a lexical check would let {@code link/x} with {@code link -> ../../studio} out).
     */
    private static Path artifactFolder(String taskId, Path taskDir, String kind, String relative) {
        try {
            Path dir = taskDir.toRealPath();
            Path real = dir.resolve(relative).toRealPath();
            if (real.startsWith(dir) && !real.equals(dir) && Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
                return real;
            }
            LOG.warnf("task %s: its %s artifact leads outside the task folder; refused", taskId, kind);
            return null;
        } catch (IOException | InvalidPathException e) {
            return null;
        }
    }
}
