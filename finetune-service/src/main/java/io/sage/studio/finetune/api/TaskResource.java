package io.sage.studio.finetune.api;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

import io.sage.studio.common.auth.StudioPrincipal;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.artifact.ArtifactArchive;
import io.sage.studio.finetune.artifact.Download;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.MergeState;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskRow;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.gpu.TaskShapes;
import io.sage.studio.finetune.messaging.TaskBroadcaster;
import io.sage.studio.finetune.progress.LogEvent;
import io.sage.studio.finetune.progress.LogFollower;
import io.sage.studio.finetune.progress.MetricsSeries;
import io.sage.studio.finetune.progress.TrainerLogTail;
import io.sage.studio.finetune.task.TaskLifecycle;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;

/** Tasks: create, list, watch (SSE), cancel, delete, logs, metrics, download. */
@Path("/api/finetune")
@Produces(MediaType.APPLICATION_JSON)
public class TaskResource {

    /** Between two keep-alive comments on an SSE stream. */
    static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final TaskLifecycle tasks;
    private final TaskViewCache views;
    private final LogFollower logFollower;
    private final TaskBroadcaster broadcaster;
    private final StudioPrincipal caller;
    private final DownloadSlots downloads;
    private final String defaultModel;
    private final HubSettings hub;
    private final TaskShapes shapes;

    public TaskResource(
            TaskLifecycle tasks,
            TaskViewCache views,
            LogFollower logFollower,
            TaskBroadcaster broadcaster,
            StudioPrincipal caller,
            DownloadSlots downloads,
            FinetuneConfig config,
            HubSettings hub,
            TaskShapes shapes) {
        this.defaultModel = config.defaultModel();
        this.hub = hub;
        this.shapes = shapes;
        this.tasks = tasks;
        this.views = views;
        this.logFollower = logFollower;
        this.broadcaster = broadcaster;
        this.caller = caller;
        this.downloads = downloads;
    }

    /** A deleted task on the SSE stream. */
    @Schema(name = "TaskDeleted")
    public record Deleted(@Schema(required = true) String taskId) {}

    /**
     * The answer of a delete: the seed's {@code {"status": "success", "message"}} (its UI shows the message) plus the
     * id.
     */
    @Schema(name = "TaskDeletion")
    public record Deletion(
            @Schema(required = true, enumeration = "success")
            String status,

            @Schema(required = true) String message,
            @Schema(required = true) String taskId) {}

    /**
     * The answer of a cancel: the task as it is now, plus the seed's {@code message}. The task's {@code status} is
     * {@code cancelled} when it had not started, else still {@code preparing}/{@code training} with
     * {@code cancel_requested} until the trainer has stopped.
     */
    @Schema(name = "TaskCancellation")
    public record Cancellation(
            @JsonUnwrapped Task task,
            @Schema(required = true) String message) {}

    @POST
    @Path("/create")
    @Consumes(MediaType.APPLICATION_JSON)
    @APIResponse(
            responseCode = "201",
            description = "the task, queued",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Task.class)))
    public Response create(@Valid TaskRequest request) throws IOException {
        if (request == null) {
            throw new StudioException(FinetuneError.MISSING_BODY, "send the task as a JSON object");
        }
        request = shapes.check(request.withDefaultModel(defaultModel));
        hub.requireCached(request.modelName(), "model_name");
        return Response.status(Response.Status.CREATED)
                .entity(tasks.create(request, caller.name()))
                .build();
    }

    /** A page of the task list (the answer of {@code GET /tasks} with any paging or filter parameter). */
    @Schema(name = "TaskPage")
    public record Page(
            @Schema(required = true, description = "the page's tasks as rows: GET /tasks/{id} has a whole task")
            List<TaskRow> tasks,

            @Schema(required = true, description = "tasks that pass the filters, on every page")
            int total,

            @Schema(description = "pass as cursor for the next page; null on the last page")
            String nextCursor) {}

    /**
     * The task list, newest first. With any of {@code limit}, {@code cursor}, {@code status}, {@code q},
     * {@code model}, {@code method}, {@code owner}: one page ({@link Page} of {@link TaskRow}s; {@code limit} 50 by
     * default, at most 500),
     * the next one asked for with {@code cursor=next_cursor}. Without any: the seed's answer, an array of every task
     * (kept for the seed's clients; Studio's own clients page). Both are assembled from per-task cached JSON.
     */
    @GET
    @Path("/tasks")
    @APIResponse(
            responseCode = "200",
            description = "a TaskPage when any parameter is given, else every task as an array (the seed's answer)",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(oneOf = {Page.class, Task[].class})))
    public byte[] list(
            @Parameter(
                            description = "tasks on the page",
                            schema =
                                    @Schema(
                                            type = SchemaType.INTEGER,
                                            minimum = "1",
                                            maximum = "500",
                                            defaultValue = "50"))
                    @QueryParam("limit")
                    String limit,
            @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor") String cursor,
            @Parameter(description = "only tasks in these states (repeat it or comma-separate)") @QueryParam("status")
                    List<String> status,
            @Parameter(description = "text in the task id, model name or suffix, any case") @QueryParam("q") String q,
            @Parameter(description = "only tasks of this base model_name") @QueryParam("model") String model,
            @Parameter(description = "only tasks of this method: lora, qlora or full") @QueryParam("method")
                    String method,
            @Parameter(description = "only tasks of this owner") @QueryParam("owner") String owner) {
        if (limit == null
                && cursor == null
                && (status == null || status.isEmpty())
                && q == null
                && model == null
                && method == null
                && owner == null) {
            return views.listJson();
        }
        return views.pageJson(TaskListQuery.parse(limit, cursor, status, q, model, method, owner));
    }

    /**
     * Every task now (event {@code task}), then each change as it happens ({@code task} / {@code deleted}); a client
     * that falls {@code 1024} changes behind gets {@code end} ({@code reason: too_slow}) and the stream closes. With
     * {@code snapshot=false} only the changes: a client that reads its first page from {@code GET /tasks} once the
     * stream is open (the UI) needs no copy of every task, which at 10,000 tasks is megabytes per connection.
     */
    @GET
    @Path("/tasks/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @APIResponse(
            responseCode = "200",
            description = "SSE; each event's data is JSON: task (a Task), deleted (a TaskDeleted), "
                    + "end (a LogStream End)",
            content =
                    @Content(
                            mediaType = MediaType.SERVER_SENT_EVENTS,
                            schema = @Schema(oneOf = {Task.class, Deleted.class, LogStream.End.class})))
    @Blocking
    public Multi<OutboundSseEvent> stream(
            @Context Sse sse,
            @Parameter(description = "true (default): every task first, then the changes; false: only the changes")
                    @QueryParam("snapshot")
                    @DefaultValue("true")
                    boolean withSnapshot) {
        AtomicBoolean ended = new AtomicBoolean();
        Multi<OutboundSseEvent> current = withSnapshot
                ? Multi.createFrom().iterable(views.list()).map(t -> taskEvent(sse, t))
                : Multi.createFrom().empty();
        Multi<OutboundSseEvent> live = broadcaster.changes().map(change -> {
            if (change.isEnd()) {
                ended.set(true);
                return sse.newEventBuilder()
                        .name("end")
                        .mediaType(MediaType.APPLICATION_JSON_TYPE)
                        .data(
                                LogStream.End.class,
                                new LogStream.End(
                                        LogEvent.TOO_SLOW,
                                        "the client read too slowly "
                                                + "and was dropped; reconnect to get every task again"))
                        .build();
            }
            return change.kind() == TaskEvent.Kind.DELETED
                    ? sse.newEventBuilder()
                            .name("deleted")
                            .mediaType(MediaType.APPLICATION_JSON_TYPE)
                            .data(Deleted.class, new Deleted(change.task().taskId()))
                            .build()
                    : taskEvent(sse, change.task());
        });
        Multi<OutboundSseEvent> heartbeat = Multi.createFrom()
                .ticks()
                .every(HEARTBEAT)
                .onOverflow()
                .drop()
                .select()
                .first(tick -> !ended.get())
                .map(tick -> sse.newEventBuilder().comment("keep-alive").build());
        return Multi.createBy().merging().streams(current, live, heartbeat);
    }

    private static OutboundSseEvent taskEvent(Sse sse, Task task) {
        return sse.newEventBuilder()
                .name("task")
                .id(task.taskId() + "/" + task.revision())
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(Task.class, task)
                .build();
    }

    @GET
    @Path("/tasks/{id}")
    public Task get(@PathParam("id") String id) {
        return views.get(id);
    }

    @DELETE
    @Path("/tasks/{id}")
    public Deletion delete(@PathParam("id") String id) {
        caller.requireOwnerOrAdmin(tasks.record(id).owner(), "task " + id);
        tasks.delete(id);
        return new Deletion("success", "task " + id + " deleted", id);
    }

    @POST
    @Path("/tasks/{id}/cancel")
    public Cancellation cancel(@PathParam("id") String id) {
        caller.requireOwnerOrAdmin(tasks.record(id).owner(), "task " + id);
        Task task = tasks.cancel(id);
        if (task.status() == TaskStatus.COMPLETED && task.mergeRun() != null) {
            // a completed task's merge was cancelled: the task stays completed
            return new Cancellation(
                    task,
                    task.mergeRun().state() == MergeState.CANCELLED
                            ? "the merge of task " + id + " cancelled; the task stays completed"
                            : "the merge of task " + id + " is stopping; the task stays completed");
        }
        return new Cancellation(
                task,
                task.status() == TaskStatus.CANCELLED
                        ? "task " + id + " cancelled"
                        : "task " + id + " is stopping; it turns cancelled when the trainer has stopped");
    }

    /** {@code ?tail=N}: the last lines as text; {@code &follow=true}: SSE {@code log} events until the task ends. */
    @Path("/tasks/{id}/logs")
    public Object logs(
            @PathParam("id") String id,
            @QueryParam("tail") @DefaultValue("200") @Min(0) @Max(100000) int tail,
            @QueryParam("follow") @DefaultValue("false") boolean follow) {
        return follow
                ? new LogStream(logFollower.follow(tasks.logFile(id), tail, () -> tasks.finished(id)))
                : new LogText(TrainerLogTail.text(tasks.logFile(id), tail));
    }

    @GET
    @Path("/tasks/{id}/metrics")
    public MetricsSeries.Series metrics(
            @PathParam("id") String id,
            @QueryParam("max_points") @DefaultValue("2000") @Min(2) @Max(100000) int maxPoints)
            throws IOException {
        return MetricsSeries.read(id, tasks.taskDir(id), maxPoints);
    }

    /** A {@code .tar.gz} of {@code merged_model/} (default when present) or {@code lora/}, streamed. */
    @GET
    @Path("/tasks/{id}/download")
    @Produces("application/gzip")
    public Response download(@PathParam("id") String id, @QueryParam("artifact") String artifact) {
        Download download = Download.of(tasks.record(id), tasks.taskDir(id), artifact);
        if (!downloads.tryAcquire()) {
            return downloads.refusal();
        }
        StreamingOutput body = out -> {
            try {
                ArtifactArchive.write(download.folder(), download.name(), out);
            } finally {
                downloads.release();
            }
        };
        return Response.ok(body, "application/gzip")
                .header("Content-Disposition", "attachment; filename=\"" + download.name() + ".tar.gz\"")
                .build();
    }
}
