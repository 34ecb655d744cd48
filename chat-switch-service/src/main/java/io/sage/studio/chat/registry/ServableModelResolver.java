package io.sage.studio.chat.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.config.ChatConfig.PreferredArtifact;
import io.sage.studio.chat.registry.ServableModel.Artifact;
import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.common.models.ModelFolder;

/**
 * Turns what a user asked for (a model id or path, or a task id) into a {@link ServableModel}. Only registered
 * models serve: a base model id (the finetune-service registry or the shared catalogue), a model of the registry
 * (by id, path or – as the seed's clients send it – name), a completed task's artifact (by task id, or by the task's
 * folder, the seed's {@code output_dir}), or a model directory inside the studio home.
 * Anything else is {@code unknown_model} (or {@code not_a_model}), saying which of those was expected.
 */
@ApplicationScoped
public class ServableModelResolver {

    private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final String FIELD_MODEL = "model_path";
    private static final String FIELD_TASK = "task_id";

    private final FinetuneClient finetune;
    private final StudioHome home;
    private final BaseModelCatalog catalog;
    private final PreferredArtifact prefer;
    private final HubSettings hub;

    public ServableModelResolver(
            FinetuneClient finetune, StudioHome home, BaseModelCatalog catalog, ChatConfig config, HubSettings hub) {
        this.hub = hub;
        this.finetune = finetune;
        this.home = home;
        this.catalog = catalog;
        this.prefer = config.preferArtifact();
    }

    /** The artifact of a completed task ({@code lora} or {@code merged_model}, as {@code prefer-artifact} says). */
    public ServableModel byTask(String taskId) {
        if (taskId == null || !TASK_ID.matcher(taskId).matches()) {
            throw StudioException.invalidField(
                    FIELD_TASK, "task_id must be a task id such as the one in GET /api/finetune/tasks");
        }
        TaskView task = finetune.task(taskId)
                .orElseThrow(
                        () -> new StudioException(ChatSwitchError.TASK_NOT_FOUND, "no fine-tuning task " + taskId));
        return cached(artifactOf(task, prefer, null), FIELD_TASK);
    }

    /**
     * {@code model} with the model its engine loads checked against the Hugging Face cache when
     * {@code studio.models.offline} is on (409 {@code model_not_cached} naming it, {@link HubSettings#requireCached}):
     * the base of a LoRA adapter, a base model by id; a model directory passes.
     */
    private ServableModel cached(ServableModel model, String field) {
        if (model.artifact() != Artifact.CLOUD) {
            hub.requireCached(model.enginePath(), field);
        }
        return model;
    }

    /** The artifact {@code preferred} of a completed task, else its other one; {@code displayName} may be null. */
    private ServableModel artifactOf(TaskView task, PreferredArtifact preferred, String displayName) {
        String taskId = task.taskId();
        if (!TaskView.COMPLETED.equals(task.status())) {
            throw new StudioException(
                    ChatSwitchError.TASK_NOT_COMPLETED,
                    "task " + taskId + " is " + task.status() + "; only a completed task can serve chat");
        }
        String lora = task.artifact("lora");
        String merged = task.artifact("merged_model");
        String first = preferred == PreferredArtifact.MERGED ? merged : lora;
        String second = preferred == PreferredArtifact.MERGED ? lora : merged;
        String chosen = first != null ? first : second;
        if (chosen == null) {
            throw new StudioException(
                    ChatSwitchError.NO_ARTIFACT, "task " + taskId + " produced no LoRA adapter and no merged model");
        }
        Path dir = artifactPath(task, chosen);
        return fromDirectory(dir, taskId, task.modelName(), displayName);
    }

    /** A model named by id or path (the seed's {@code model_path}). */
    public ServableModel byModel(String model) {
        return cached(resolve(model), FIELD_MODEL);
    }

    private ServableModel resolve(String model) {
        if (model == null || model.isBlank()) {
            throw StudioException.invalidField(FIELD_MODEL, "model_path is required");
        }
        String m = model.strip();
        Optional<List<ModelView>> registry = finetune.models();
        List<ModelView> entries = registry.orElse(List.of());
        boolean registeredBase =
                entries.stream().anyMatch(e -> ModelView.TYPE_BASE.equals(e.type()) && m.equals(e.id()));
        if (registeredBase || catalog.find(m).isPresent()) {
            return base(m);
        }
        Optional<ModelView> byId = entries.stream()
                .filter(e -> ModelView.TYPE_FINETUNED.equals(e.type()) && m.equals(e.id()) && e.path() != null)
                .findFirst();
        if (byId.isPresent()) {
            return registered(byId.get());
        }
        List<ModelView> named = entries.stream().filter(e -> m.equals(e.name())).toList();
        if (named.size() == 1) {
            return registered(named.get(0));
        }
        if (named.size() > 1) {
            throw ambiguous(m, named);
        }
        if (!looksLikePath(m)) {
            throw unknown(m, registry.isPresent());
        }
        Path dir = home.resolveInside(m, FIELD_MODEL);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw notAModel(dir);
        }
        if (!Files.isDirectory(dir)) {
            throw unknown(m, registry.isPresent());
        }
        Optional<TaskView> task = taskFolder(dir);
        if (task.isPresent()) {
            return artifactOf(task.get(), PreferredArtifact.MERGED, null);
        }
        Optional<ModelView> byPath = entries.stream()
                .filter(e -> e.path() != null && home.contains(Path.of(e.path())) && samePath(e.path(), dir))
                .findFirst();
        if (byPath.isPresent()) {
            ModelView entry = byPath.get();
            if (ModelView.TYPE_BASE.equals(entry.type())) {
                return localBase(dir);
            }
            return fromDirectory(dir, entry.taskId(), entry.baseModel(), entry.name());
        }
        return fromDirectory(dir, taskOf(dir), null, null);
    }

    /** A registry entry named by its id or its name: a base model by id, a fine-tuned one by its folder. */
    private ServableModel registered(ModelView entry) {
        if (ModelView.TYPE_BASE.equals(entry.type())) {
            return base(entry.id());
        }
        if (entry.path() == null) {
            throw new StudioException(
                    ChatSwitchError.ARTIFACT_MISSING,
                    "the registry lists the fine-tuned model " + entry.id() + " without a path");
        }
        Path dir = home.resolveInside(entry.path(), FIELD_MODEL);
        if (Files.isDirectory(dir)) {
            Optional<TaskView> task = taskFolder(dir);
            if (task.isPresent()) {
                return artifactOf(task.get(), PreferredArtifact.MERGED, entry.name());
            }
        }
        return fromDirectory(dir, entry.taskId(), entry.baseModel(), entry.name());
    }

    /**
     * The seed's {@code output_dir}: a task's own folder ({@code studio_finetune/<task_id>}) that is neither a model
     * nor an adapter itself, for a task the finetune-service knows (its {@code output_dir} is this folder).
     */
    private Optional<TaskView> taskFolder(Path dir) {
        if (AdapterConfig.isAdapter(dir) || ModelFolder.hasConfig(dir)) {
            return Optional.empty();
        }
        Path tasks = home.finetuneDir();
        if (!dir.startsWith(tasks) || dir.getNameCount() != tasks.getNameCount() + 1) {
            return Optional.empty();
        }
        String taskId = dir.getFileName().toString();
        if (!TASK_ID.matcher(taskId).matches()) {
            return Optional.empty();
        }
        return finetune.task(taskId).filter(t -> t.outputDir() == null || samePath(t.outputDir(), dir));
    }

    private ServableModel base(String id) {
        return new ServableModel(
                id,
                id,
                ServableModel.KIND_BASE,
                Artifact.BASE,
                id,
                null,
                id,
                null,
                null,
                ModelNames.servedNameOfEngine(id));
    }

    private ServableModel localBase(Path dir) {
        String path = dir.toString();
        String name = ModelNames.local(path);
        return new ServableModel(
                path, name, ServableModel.KIND_BASE, Artifact.BASE, path, null, path, null, null, name);
    }

    /** A LoRA adapter or a model directory; {@code baseHint} is the task's base model when known. */
    private ServableModel fromDirectory(Path dir, String taskId, String baseHint, String displayName) {
        String path = dir.toString();
        if (AdapterConfig.isAdapter(dir)) {
            if (!home.contains(dir.resolve(AdapterConfig.FILE))) {
                throw new StudioException(
                        ChatSwitchError.INVALID_ADAPTER,
                        dir.resolve(AdapterConfig.FILE) + " links outside the studio home");
            }
            AdapterConfig adapter = AdapterConfig.read(dir);
            String base = adapter.baseModel() != null ? adapter.baseModel() : baseHint;
            if (base == null) {
                throw new StudioException(
                        ChatSwitchError.INVALID_ADAPTER,
                        dir.resolve(AdapterConfig.FILE)
                                + " names no base_model_name_or_path and no task says which base it belongs to");
            }
            if (base.startsWith("/") && !home.contains(Path.of(base))) {
                throw new StudioException(
                        ChatSwitchError.INVALID_ADAPTER,
                        "the adapter's base model " + base + " is outside the studio home");
            }
            String served = taskId != null ? ModelNames.adapter(taskId) : ModelNames.local(path);
            return new ServableModel(
                    path,
                    displayName != null ? displayName : served,
                    ServableModel.KIND_FINETUNED,
                    Artifact.LORA,
                    base,
                    path,
                    base,
                    adapter.rank(),
                    taskId,
                    served);
        }
        if (!ModelFolder.hasConfig(dir)) {
            throw notAModel(dir);
        }
        if (taskId == null && baseHint == null) {
            return localBase(dir);
        }
        String served = taskId != null ? ModelNames.merged(taskId) : ModelNames.local(path);
        return new ServableModel(
                path,
                displayName != null ? displayName : served,
                ServableModel.KIND_FINETUNED,
                Artifact.MERGED,
                path,
                null,
                baseHint != null ? baseHint : path,
                null,
                taskId,
                served);
    }

    private Path artifactPath(TaskView task, String artifact) {
        Path given = Path.of(artifact);
        if (!given.isAbsolute()) {
            Path taskDir = task.outputDir() != null
                    ? Path.of(task.outputDir())
                    : home.finetuneDir().resolve(task.taskId());
            given = taskDir.resolve(given);
        }
        Path dir = home.resolveInside(given.toString(), FIELD_TASK);
        if (!Files.isDirectory(dir)) {
            throw new StudioException(
                    ChatSwitchError.ARTIFACT_MISSING,
                    "task " + task.taskId() + " lists " + dir + " but it does not exist");
        }
        return dir;
    }

    /** {@code studio_finetune/<task>/...} → the task id. */
    private String taskOf(Path dir) {
        Path tasks = home.finetuneDir();
        if (dir.startsWith(tasks) && dir.getNameCount() > tasks.getNameCount()) {
            return dir.getName(tasks.getNameCount()).toString();
        }
        return null;
    }

    private boolean samePath(String registered, Path dir) {
        try {
            return Path.of(registered).toRealPath().equals(dir);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean looksLikePath(String m) {
        return m.startsWith("/") || m.startsWith("~") || m.startsWith(".") || m.contains("/");
    }

    /** {@code not_a_model}: a file, or a folder with neither config.json nor adapter_config.json (never read). */
    private static StudioException notAModel(Path path) {
        return new StudioException(
                ChatSwitchError.NOT_A_MODEL,
                path + " holds neither a model (config.json) nor a LoRA adapter (" + AdapterConfig.FILE
                        + "): give a model or adapter folder",
                List.of(new FieldError(FIELD_MODEL, "not a model folder")));
    }

    /** {@code ambiguous_model}: a name that several registry entries carry; the details list them. */
    private static StudioException ambiguous(String m, List<ModelView> candidates) {
        List<Map<String, String>> listed = candidates.stream()
                .map(e -> {
                    Map<String, String> c = new LinkedHashMap<>();
                    c.put("id", e.id());
                    c.put("name", e.name());
                    c.put("type", e.type());
                    c.put("path", e.path());
                    c.put("task_id", e.taskId());
                    return c;
                })
                .toList();
        return new StudioException(
                ChatSwitchError.AMBIGUOUS_MODEL,
                "'" + m + "' names " + candidates.size() + " models of GET /api/finetune/models ("
                        + String.join(
                                ", ", candidates.stream().map(ModelView::id).toList())
                        + "): give one of these ids, or the model's path",
                listed);
    }

    private StudioException unknown(String m, boolean registryReachable) {
        String why = registryReachable
                ? ""
                : " (the finetune-service cannot be reached, so only catalogue ids and paths were checked)";
        return new StudioException(
                ChatSwitchError.UNKNOWN_MODEL,
                "'" + m + "' is not a registered model: use a base model id, a fine-tuned"
                        + " model from GET /api/finetune/models, or a model directory inside the studio home" + why,
                List.of(new FieldError(FIELD_MODEL, "not a registered model")));
    }
}
