package io.sage.studio.finetune.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskRow;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.progress.TrainerLogTail;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.task.TaskStore;
import io.sage.studio.finetune.task.TaskStore.ListKey;
import io.sage.studio.finetune.task.TaskViews;

/**
 * Tasks as the API shows them, each with its JSON, cached: a view is reused while its record, queue position and
 * log tail stay the same, so listing a thousand tasks costs little more than copying bytes. A finished task's log no
 * longer grows, so its view is reused without even looking at the log file; other tasks re-read their log tail
 * (itself cached by size and modification time).
 *
 * <p>A page of the list ({@link #pageJson}) walks the store's list-ordered index from the cursor until the page is
 * full, tests the filters on the stored records (no view is made for a task that is not shown) and concatenates the
 * cached JSON of the page's rows ({@link TaskRow}: a task without its log tail, settings and the other fields only
 * its own view needs). Its cost grows with the page, plus, when filtered, the tasks passed over and {@code total}: a
 * status filter counts from the store's per-status index (testing the other filters on those tasks only), other
 * filters test every task. The cache holds one view per existing task (dropped by {@link #forget} when the task
 * goes), so it is bounded by the task count.
 */
@Singleton
public class TaskViewCache implements TaskViews {

    private static final byte[] TASKS_FIELD = "{\"tasks\":[".getBytes(StandardCharsets.US_ASCII);

    private final TaskStore store;
    private final TaskQueue queue;
    private final int logsTailLines;
    private final TrainerLogTail logTail = new TrainerLogTail();
    private final Map<String, View> views = new ConcurrentHashMap<>();

    /** A task as shown, with its JSON and the JSON of its row in a page ({@link TaskRow}). */
    private record View(TaskRecord record, Integer position, String logs, Task task, byte[] json, byte[] rowJson) {}

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

    /**
     * One page of the list as JSON: {@code {"tasks": [TaskRow…], "total": n, "next_cursor": "…"|null}}; {@code total}
     * counts every task that passes the filters (on every page), {@code next_cursor} is {@code null} on the last page.
     */
    byte[] pageJson(TaskListQuery query) {
        Predicate<TaskRecord> matches = query.matcher(store::searchText);
        NavigableSet<ListKey> order = store.newestFirst();
        List<TaskRecord> page = new ArrayList<>(Math.min(query.limit(), 64));
        ListKey last = null;
        boolean more = false;
        for (ListKey key : query.after() == null ? order : order.tailSet(query.after(), false)) {
            TaskRecord record = store.get(key.taskId()).orElse(null);
            if (record == null || !matches.test(record)) {
                continue;
            }
            if (page.size() == query.limit()) {
                more = true;
                break;
            }
            page.add(record);
            last = key;
        }
        int total = query.filtered() ? total(query, matches) : store.size();
        Map<String, Integer> positions = queue.positions();
        ByteArrayOutputStream out = new ByteArrayOutputStream(page.size() * 1200 + 64);
        out.writeBytes(TASKS_FIELD);
        for (int i = 0; i < page.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            TaskRecord record = page.get(i);
            out.writeBytes(view(record, positions.get(record.taskId())).rowJson());
        }
        String tail = "],\"total\":" + total + ",\"next_cursor\":"
                + (more ? "\"" + TaskListQuery.cursor(last) + "\"" : "null") + "}";
        out.writeBytes(tail.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * How many tasks pass the filters: with a status filter only the tasks in those states are looked at (their count
     * is the answer when no other filter is set), else every stored record is tested.
     */
    private int total(TaskListQuery query, Predicate<TaskRecord> matches) {
        if (query.statuses().isEmpty()) {
            int total = 0;
            for (TaskRecord record : store.all()) {
                if (matches.test(record)) {
                    total++;
                }
            }
            return total;
        }
        int total = 0;
        for (TaskStatus status : query.statuses()) {
            Set<String> ids = store.withStatus(status);
            if (query.onlyStatuses()) {
                total += ids.size();
                continue;
            }
            for (String id : ids) {
                TaskRecord record = store.get(id).orElse(null);
                // one changing status just now may still be in its old state's set: counted in its current one only
                if (record != null && record.status() == status && matches.test(record)) {
                    total++;
                }
            }
        }
        return total;
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
        List<View> all = new ArrayList<>(store.size());
        for (ListKey key : store.newestFirst()) {
            store.get(key.taskId()).ifPresent(r -> all.add(view(r, positions.get(r.taskId()))));
        }
        return all;
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
        byte[] rowJson;
        try {
            json = StudioJson.mapper().writeValueAsBytes(task);
            rowJson = StudioJson.mapper().writeValueAsBytes(TaskRow.of(task));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise task " + record.taskId(), e);
        }
        View view = new View(record, position, logs, task, json, rowJson);
        views.put(record.taskId(), view);
        return view;
    }
}
