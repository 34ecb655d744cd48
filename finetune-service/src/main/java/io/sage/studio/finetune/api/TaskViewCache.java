package io.sage.studio.finetune.api;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.progress.TrainerLogTail;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.task.TaskStore;
import io.sage.studio.finetune.task.TaskViews;

/**
 * Tasks as the API shows them, each with its JSON, cached: a view is reused while its record, queue position and
 * log tail stay the same, so listing a thousand tasks costs little more than copying bytes. A finished task's log no
 * longer grows, so its view is reused without even looking at the log file; other tasks re-read their log tail
 * (itself cached by size and modification time).
 */
@Singleton
public class TaskViewCache implements TaskViews {

    private final TaskStore store;
    private final TaskQueue queue;
    private final int logsTailLines;
    private final TrainerLogTail logTail = new TrainerLogTail();
    private final Map<String, View> views = new ConcurrentHashMap<>();

    /** A task as shown, with its JSON. */
    private record View(TaskRecord record, Integer position, String logs, Task task, byte[] json) {}

    @Inject
    public TaskViewCache(TaskStore store, TaskQueue queue, FinetuneConfig config) {
        this(store, queue, config.logsTailLines());
    }

    /** @param logsTailLines lines of {@code logs.txt} in a task's {@code logs} */
    public TaskViewCache(TaskStore store, TaskQueue queue, int logsTailLines) {
        this.store = store;
        this.queue = queue;
        this.logsTailLines = logsTailLines;
    }

    /** One task (404 {@code task_not_found} when there is none). */
    public Task get(String taskId) {
        return view(store.require(taskId));
    }

    /** Every task, newest first. */
    public List<Task> list() {
        return views().stream().map(View::task).toList();
    }

    /** {@link #list()} as JSON, assembled from each task's cached JSON. */
    public byte[] listJson() {
        List<View> all = views();
        ByteArrayOutputStream out = new ByteArrayOutputStream(all.size() * 1200 + 2);
        out.write('[');
        for (int i = 0; i < all.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(all.get(i).json());
        }
        out.write(']');
        return out.toByteArray();
    }

    @Override
    public Task view(TaskRecord record) {
        return view(record, queue.position(record.taskId())).task();
    }

    @Override
    public void forget(String taskId) {
        views.remove(taskId);
        logTail.forget(store.dir(taskId).resolve(TrainerLogTail.FILE));
    }

    private List<View> views() {
        Map<String, Integer> positions = queue.positions();
        return store.all().stream()
                .sorted(Comparator.comparing(TaskRecord::createdAt, Comparator.nullsLast(Comparator.reverseOrder()))
                        .thenComparing(TaskRecord::taskId, Comparator.reverseOrder()))
                .map(r -> view(r, positions.get(r.taskId())))
                .toList();
    }

    private View view(TaskRecord record, Integer position) {
        View cached = views.get(record.taskId());
        boolean same = cached != null && cached.record() == record && Objects.equals(cached.position(), position);
        if (same && record.status().terminal()) {
            return cached;
        }
        Path dir = store.dir(record.taskId());
        String logs = logTail.tail(dir.resolve(TrainerLogTail.FILE), logsTailLines);
        if (same && cached.logs().equals(logs)) {
            return cached;
        }
        Task task = Task.of(record, dir, position, logs);
        byte[] json;
        try {
            json = StudioJson.mapper().writeValueAsBytes(task);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise task " + record.taskId(), e);
        }
        View view = new View(record, position, logs, task, json);
        views.put(record.taskId(), view);
        return view;
    }
}
