package io.sage.studio.finetune.registry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.common.models.BaseModel;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.finetune.artifact.Artifacts;
import io.sage.studio.finetune.domain.Model;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.gpu.MemoryAdvisor;
import io.sage.studio.finetune.task.TaskLifecycle;

/**
 * The models a user can pick: the base catalogue (shared with gpu-probe, replaceable with
 * {@code studio.models.catalog-file}) and every artifact of a completed task — found from the task folders,
 * so a task folder copied in from another install is listed too.
 */
@ApplicationScoped
public class ModelRegistry {

    private final BaseModelCatalog catalog;
    private final MemoryAdvisor advisor;
    private final TaskLifecycle tasks;

    public ModelRegistry(BaseModelCatalog catalog, MemoryAdvisor advisor, TaskLifecycle tasks) {
        this.catalog = catalog;
        this.advisor = advisor;
        this.tasks = tasks;
    }

    public List<Model> base() {
        return catalog.all().stream().map(this::base).toList();
    }

    /** Base models, then fine-tuned ones newest first (a merged model before the adapter of the same task). */
    public List<Model> all() {
        List<Model> models = new ArrayList<>(base());
        tasks.refresh();
        tasks.records().stream()
                .filter(r ->
                        r.status() == TaskStatus.COMPLETED && !r.artifacts().isEmpty())
                .sorted(Comparator.comparing(TaskRecord::completedAt, Comparator.nullsLast(Comparator.reverseOrder())))
                .forEach(r -> models.addAll(finetuned(r)));
        return models;
    }

    private Model base(BaseModel m) {
        return new Model(
                m.id(),
                m.name(),
                "base",
                m.id(),
                m.id(),
                null,
                null,
                null,
                Math.round(m.params() / 1e7) / 100.0,
                m.contextLength(),
                advisor.vramHintGb(m.id()),
                m.description());
    }

    private List<Model> finetuned(TaskRecord r) {
        Path dir = tasks.taskDir(r.taskId());
        List<Model> out = new ArrayList<>();
        for (Map.Entry<String, String> artifact : orderedArtifacts(r)) {
            String kind = artifact.getKey().equals(Artifacts.MERGED) ? "merged" : "lora";
            BaseModel base = catalog.find(r.modelName()).orElse(null);
            String label = r.suffix() == null || r.suffix().isBlank() ? r.taskId() : r.suffix();
            out.add(new Model(
                    r.taskId() + "/" + artifact.getKey(),
                    label + " (" + (kind.equals("merged") ? "merged" : "LoRA") + " on " + r.modelName() + ")",
                    "finetuned",
                    r.modelName(),
                    dir.resolve(artifact.getValue()).normalize().toString(),
                    kind,
                    r.taskId(),
                    r.completedAt(),
                    base == null ? null : Math.round(base.params() / 1e7) / 100.0,
                    base == null ? null : base.contextLength(),
                    null,
                    "fine-tuned with " + (r.method() == null ? null : r.method().wire()) + " by task " + r.taskId()));
        }
        return out;
    }

    private static List<Map.Entry<String, String>> orderedArtifacts(TaskRecord r) {
        return r.artifacts().entrySet().stream()
                .filter(e -> e.getKey().equals(Artifacts.MERGED) || e.getKey().equals(Artifacts.LORA))
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(k -> k.equals(Artifacts.MERGED) ? 0 : 1)))
                .toList();
    }
}
