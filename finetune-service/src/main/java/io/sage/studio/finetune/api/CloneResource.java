package io.sage.studio.finetune.api;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Validator;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.sage.studio.common.auth.StudioPrincipal;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.Parallelism;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TrainingConfig;
import io.sage.studio.finetune.gpu.TaskShapes;
import io.sage.studio.finetune.task.TaskLifecycle;

/**
 * {@code POST /api/finetune/tasks/{id}/clone}: a new task with the source task's base model, method and settings and
 * its own copy of the dataset ({@code dataset.jsonl} in its folder, so a deleted upload does not matter), plus the
 * overrides in the body (any field of {@code POST /create}, checked exactly like a create). The caller owns the new
 * task (its quota applies); it records {@code cloned_from}. Any task may be cloned, in any state. 201 with the task;
 * 404 {@code task_not_found}, 400 {@code invalid_field} naming the field.
 */
@Path("/api/finetune/tasks/{id}/clone")
@Produces(MediaType.APPLICATION_JSON)
public class CloneResource {

    private final TaskLifecycle tasks;
    private final StudioPrincipal caller;
    private final ObjectMapper mapper;
    private final Validator validator;
    private final String defaultModel;
    private final HubSettings hub;
    private final TaskShapes shapes;

    public CloneResource(
            TaskLifecycle tasks,
            StudioPrincipal caller,
            ObjectMapper mapper,
            Validator validator,
            FinetuneConfig config,
            HubSettings hub,
            TaskShapes shapes) {
        this.hub = hub;
        this.shapes = shapes;
        this.tasks = tasks;
        this.caller = caller;
        this.mapper = mapper;
        this.validator = validator;
        this.defaultModel = config.defaultModel();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RequestBody(
            required = false,
            description = "overrides: any field of the create request; the rest comes from the source task",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = TaskRequest.class)))
    @APIResponse(
            responseCode = "201",
            description = "the new task, queued (cloned_from names the source)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Task.class)))
    public Response cloneTask(@PathParam("id") String id, JsonNode overrides) throws IOException {
        TaskRecord source = tasks.record(id);
        if (overrides != null && !overrides.isNull() && !overrides.isObject()) {
            throw StudioException.invalidField("request", "send the overrides as a JSON object (or no body)");
        }
        ObjectNode merged = mapper.valueToTree(settingsOf(source));
        boolean ownDataset = overrides == null || !overrides.has("dataset_file");
        if (overrides != null && overrides.isObject()) {
            // one validation set: an override of either kind replaces the source's (both overridden: the create's 400)
            if (overrides.has("validation_split")) {
                merged.remove("validation_file");
            }
            if (overrides.has("validation_file")) {
                merged.remove("validation_split");
            }
            merged.setAll((ObjectNode) overrides);
        }
        // a field of the wrong type fails here with the same 400 as a create's body (ApiExceptionMappers)
        TaskRequest request = mapper.treeToValue(merged, TaskRequest.class);
        Set<ConstraintViolation<TaskRequest>> violations = validator.validate(request);
        if (!violations.isEmpty()) {
            throw new ConstraintViolationException(violations);
        }
        request = shapes.check(request.withDefaultModel(defaultModel));
        hub.requireCached(request.modelName(), "model_name");
        return Response.status(Response.Status.CREATED)
                .entity(tasks.clone(source.taskId(), request, ownDataset, caller.name()))
                .build();
    }

    /** The source task's create request, as the JSON fields of {@code POST /create}. */
    private static Map<String, Object> settingsOf(TaskRecord r) {
        TrainingConfig c = r.config();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_name", r.modelName());
        // what the source was trained on, for the record; the clone copies the source task's own dataset.jsonl
        m.put(
                "dataset_file",
                r.datasetSource() == null || r.datasetSource().isBlank() ? r.taskId() : r.datasetSource());
        if (c != null) {
            m.put("num_epochs", c.numEpochs());
            m.put("batch_size", c.batchSize());
            m.put("gradient_accumulation_steps", c.gradientAccumulationSteps());
            m.put("learning_rate", c.learningRate());
            m.put("max_length", c.maxLength());
            m.put("load_in_8bit", c.loadIn8bit());
            m.put("lora_r", c.loraR());
            m.put("lora_alpha", c.loraAlpha());
            m.put("lora_dropout", c.loraDropout());
            m.put("gradient_checkpointing", c.gradientCheckpointing());
            // validation settings as given (the clone holds out the same rows: same seed; or uses the source's copy
            // of its validation_file, TaskLifecycle); a record from before them has none
            putIfSet(m, "validation_split", c.validationSplit());
            putIfSet(m, "validation_file", c.validationFile());
            putIfSet(m, "eval_steps", c.evalSteps());
            putIfSet(m, "early_stopping_patience", c.earlyStoppingPatience());
            putIfSet(m, "seed", c.seed());
            // the layout as resolved (none, one GPU, asks auto again: a clone given more GPUs gets one picked)
            m.put("gpus", c.gpus());
            m.put("nodes", c.nodes());
            if (c.parallelism() != Parallelism.NONE) {
                m.put("parallelism", c.parallelism().wire());
            }
            putIfSet(m, "save_steps", c.saveSteps());
            if (!c.reportTo().isEmpty()) {
                m.put("report_to", c.reportTo());
            }
        }
        if (r.method() != null) {
            m.put("method", r.method().wire());
        }
        m.put("merge", r.merge());
        m.put("priority", r.priority());
        if (r.suffix() != null) {
            m.put("suffix", r.suffix());
        }
        return m;
    }

    private static void putIfSet(Map<String, Object> m, String field, Object value) {
        if (value != null) {
            m.put(field, value);
        }
    }
}
