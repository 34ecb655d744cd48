package io.sage.studio.finetune.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainingMethod;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.task.TaskStore;

/** The paged task list on a real store: cursors, filters and the parameters' 400s. */
class TaskListPageTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path root;

    private TaskStore store;
    private TaskViewCache views;

    @BeforeEach
    void setUp() {
        store = new TaskStore(root, (target, content) -> {});
        views = new TaskViewCache(store, new TaskQueue(), 5);
    }

    private void add(String id, Instant createdAt, TaskStatus status, String model, TrainingMethod method, String owner)
            throws IOException {
        Files.createDirectories(root.resolve(id));
        store.save(TaskRecord.builder()
                .taskId(id)
                .modelName(model)
                .status(status)
                .method(method)
                .owner(owner)
                .suffix(id.endsWith("7") ? "Night-Run" : null)
                .createdAt(createdAt)
                .revision(1)
                .build());
    }

    private void add(String id, Instant createdAt) throws IOException {
        add(id, createdAt, TaskStatus.COMPLETED, "Qwen/Qwen2.5-0.5B-Instruct", TrainingMethod.LORA, "alice");
    }

    private JsonNode page(String limit, String cursor, List<String> status, String q, String model, String method)
            throws IOException {
        return StudioJson.mapper()
                .readTree(views.pageJson(TaskListQuery.parse(limit, cursor, status, q, model, method, null)));
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.path("tasks").forEach(t -> ids.add(t.path("task_id").asText()));
        return ids;
    }

    @Test
    void cursorsWalkEveryTaskExactlyOnceNewestFirstWhileTasksAreAdded() throws Exception {
        Set<String> before = new HashSet<>();
        for (int i = 0; i < 230; i++) {
            // pairs share a created_at: the id breaks the tie, and a cursor must not skip or repeat either one
            String id = String.format("ft-%04d", i);
            add(id, T0.plusSeconds(i / 2));
            before.add(id);
        }
        JsonNode first = page("7", null, null, null, null, null);
        List<String> walked = new ArrayList<>(ids(first));
        String cursor = first.path("next_cursor").asText();
        AtomicBoolean walking = new AtomicBoolean(true);
        AtomicInteger added = new AtomicInteger();
        Thread adder = new Thread(() -> {
            try {
                while (walking.get() && added.get() < 2000) {
                    int n = added.incrementAndGet();
                    add(String.format("ft-new-%05d", n), T0.plusSeconds(1000 + n));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        adder.start();
        int pages = 1;
        try {
            while (cursor != null) {
                JsonNode page = page("7", cursor, null, null, null, null);
                List<String> ids = ids(page);
                // tasks added during the walk are newer than its cursor: never on a later page
                assertThat(ids).hasSizeLessThanOrEqualTo(7).allMatch(before::contains);
                assertThat(page.path("total").asInt()).isGreaterThanOrEqualTo(230);
                walked.addAll(ids);
                add(String.format("ft-between-%03d", pages), T0.plusSeconds(500 + pages));
                cursor = page.path("next_cursor").isNull()
                        ? null
                        : page.path("next_cursor").asText();
                pages++;
            }
        } finally {
            walking.set(false);
            adder.join();
        }
        assertThat(pages).isEqualTo(33);
        assertThat(walked).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(before);
        assertThat(walked)
                .containsExactlyElementsOf(
                        before.stream().sorted((a, b) -> b.compareTo(a)).toList());
        assertThat(added.get()).isPositive();
    }

    @Test
    void theLastPageHasNoCursorAndTotalCountsEveryTask() throws Exception {
        for (int i = 0; i < 5; i++) {
            add("ft-" + i, T0.plusSeconds(i));
        }
        JsonNode first = page("3", null, null, null, null, null);
        assertThat(ids(first)).containsExactly("ft-4", "ft-3", "ft-2");
        assertThat(first.path("total").asInt()).isEqualTo(5);
        JsonNode second = page("3", first.path("next_cursor").asText(), null, null, null, null);
        assertThat(ids(second)).containsExactly("ft-1", "ft-0");
        assertThat(second.path("next_cursor").isNull()).isTrue();
        assertThat(page(null, null, null, null, null, null).path("tasks")).hasSize(5);
    }

    @Test
    void filtersByStatusTextModelAndMethodAndCountTheMatchesOnly() throws Exception {
        for (int i = 0; i < 40; i++) {
            TaskStatus status = i % 4 == 0 ? TaskStatus.FAILED : i % 4 == 1 ? TaskStatus.QUEUED : TaskStatus.COMPLETED;
            add(
                    String.format("ft-%02d", i),
                    T0.plusSeconds(i),
                    status,
                    i % 2 == 0 ? "Qwen/Qwen2.5-7B-Instruct" : "Qwen/Qwen2.5-0.5B-Instruct",
                    i % 3 == 0 ? TrainingMethod.QLORA : TrainingMethod.LORA,
                    "alice");
        }
        JsonNode failed = page("3", null, List.of("failed"), null, null, null);
        assertThat(failed.path("total").asInt()).isEqualTo(10);
        assertThat(ids(failed)).containsExactly("ft-36", "ft-32", "ft-28");
        List<String> walked = new ArrayList<>(ids(failed));
        String cursor = failed.path("next_cursor").asText();
        while (cursor != null) {
            JsonNode next = page("3", cursor, List.of("failed"), null, null, null);
            walked.addAll(ids(next));
            assertThat(next.path("total").asInt()).isEqualTo(10);
            cursor = next.path("next_cursor").isNull()
                    ? null
                    : next.path("next_cursor").asText();
        }
        assertThat(walked).hasSize(10).allMatch(id -> Integer.parseInt(id.substring(3)) % 4 == 0);

        assertThat(page("50", null, List.of("failed,queued"), null, null, null)
                        .path("total")
                        .asInt())
                .isEqualTo(20);
        assertThat(page("50", null, List.of("failed", "queued"), null, null, null)
                        .path("total")
                        .asInt())
                .isEqualTo(20);
        assertThat(ids(page("50", null, null, "FT-1", null, null))).hasSize(10).allMatch(id -> id.startsWith("ft-1"));
        assertThat(ids(page("50", null, null, "night-run", null, null)))
                .containsExactly("ft-37", "ft-27", "ft-17", "ft-07");
        assertThat(ids(page("50", null, null, "7b-instruct", null, null))).hasSize(20);
        assertThat(page("50", null, null, null, "Qwen/Qwen2.5-7B-Instruct", "qlora")
                        .path("total")
                        .asInt())
                .isEqualTo(7); // even and a multiple of 3: 0, 6, 12, 18, 24, 30, 36
        assertThat(page("50", null, List.of("paused"), null, null, null).path("tasks"))
                .isEmpty();
    }

    @Test
    void statusCountsFollowEveryChangeOfStatusAndEveryDeletion() throws Exception {
        for (int i = 0; i < 12; i++) {
            add(
                    String.format("ft-%02d", i),
                    T0.plusSeconds(i),
                    TaskStatus.QUEUED,
                    i % 2 == 0 ? "Qwen/Qwen2.5-7B-Instruct" : "Qwen/Qwen2.5-0.5B-Instruct",
                    TrainingMethod.LORA,
                    "alice");
        }
        assertCounts(12, 0, 0, 6);
        move("ft-00", TaskStatus.PREPARING);
        move("ft-00", TaskStatus.TRAINING);
        move("ft-01", TaskStatus.FAILED);
        move("ft-02", TaskStatus.CANCELLED);
        move("ft-03", TaskStatus.CANCELLED);
        assertCounts(8, 1, 3, 4);
        assertThat(ids(page("50", null, List.of("failed,cancelled"), null, null, null)))
                .containsExactly("ft-03", "ft-02", "ft-01");
        assertThat(ids(page("50", null, List.of("failed,cancelled"), "7b", null, null)))
                .containsExactly("ft-02");
        move("ft-01", TaskStatus.QUEUED); // a retry
        store.remove("ft-02");
        views.forget("ft-02");
        assertCounts(9, 1, 1, 4);
        // the unfiltered total and the walk agree with the per-status counts
        assertThat(page("50", null, null, null, null, null).path("total").asInt())
                .isEqualTo(11);
        assertThat(ids(page("50", null, List.of("queued"), null, null, null))).hasSize(9);
    }

    private void move(String id, TaskStatus status) throws IOException {
        store.save(store.require(id).toBuilder().status(status).build());
    }

    /** {@code total} of a status filter, alone and with {@code q} (which tests the tasks in those states). */
    private void assertCounts(int queued, int training, int failedOrCancelled, int queued7b) throws IOException {
        assertThat(page("1", null, List.of("queued"), null, null, null)
                        .path("total")
                        .asInt())
                .isEqualTo(queued);
        assertThat(page("1", null, List.of("training"), null, null, null)
                        .path("total")
                        .asInt())
                .isEqualTo(training);
        assertThat(page("1", null, List.of("failed", "cancelled"), null, null, null)
                        .path("total")
                        .asInt())
                .isEqualTo(failedOrCancelled);
        assertThat(page("1", null, List.of("queued"), "7B", null, null)
                        .path("total")
                        .asInt())
                .isEqualTo(queued7b);
    }

    @Test
    void aPageRowIsTheTaskWithoutTheFieldsOnlyItsOwnViewNeeds() throws Exception {
        Files.createDirectories(root.resolve("ft-full"));
        Files.writeString(root.resolve("ft-full/logs.txt"), "loading\nstep 1/10 loss=2.1\n");
        store.save(TaskRecord.builder()
                .taskId("ft-full")
                .modelName("Qwen/Qwen2.5-0.5B-Instruct")
                .status(TaskStatus.FAILED)
                .method(TrainingMethod.QLORA)
                .owner("alice")
                .suffix("night")
                .datasetPath(root.resolve("ft-full/dataset.jsonl").toString())
                .outputDir(root.resolve("ft-full").toString())
                .errorCode("trainer_failed")
                .errorMessage("out of memory")
                .createdAt(T0)
                .revision(3)
                .build());
        JsonNode task = StudioJson.mapper().readTree(StudioJson.mapper().writeValueAsBytes(views.get("ft-full")));
        JsonNode row = page("50", null, null, null, null, null).path("tasks").get(0);
        Set<String> omitted = Set.of(
                "logs",
                "config",
                "attempts",
                "warning_details",
                "trackers",
                "dataset_path",
                "dataset_source",
                "output_dir");
        assertThat(task.path("logs")).hasSize(2);
        List<String> expected = new ArrayList<>();
        task.fieldNames().forEachRemaining(name -> {
            if (!omitted.contains(name)) {
                expected.add(name);
            }
        });
        List<String> actual = new ArrayList<>();
        row.fieldNames().forEachRemaining(actual::add);
        // every other field of a task, in the same order and with the same value: a new Task field must join the row
        assertThat(actual).containsExactlyElementsOf(expected);
        expected.forEach(name -> assertThat(row.get(name)).as(name).isEqualTo(task.get(name)));
        // the seed's unpaged array keeps whole tasks
        assertThat(StudioJson.mapper().readTree(views.listJson()).get(0)).isEqualTo(task);
    }

    @Test
    void badParametersAre400sNamingTheParameter() {
        assertInvalid("limit", () -> TaskListQuery.parse("0", null, null, null, null, null, null));
        assertInvalid("limit", () -> TaskListQuery.parse("501", null, null, null, null, null, null));
        assertInvalid("limit", () -> TaskListQuery.parse("ten", null, null, null, null, null, null));
        assertInvalid("cursor", () -> TaskListQuery.parse(null, "not a cursor!", null, null, null, null, null));
        assertInvalid("cursor", () -> TaskListQuery.parse(null, "MjpmOng", null, null, null, null, null));
        assertInvalid(
                "status", () -> TaskListQuery.parse(null, null, List.of("failed,runing"), null, null, null, null));
        assertInvalid("method", () -> TaskListQuery.parse(null, null, null, null, null, "dpo", null));
        assertInvalid("q", () -> TaskListQuery.parse(null, null, null, "x".repeat(513), null, null, null));
        assertThat(TaskListQuery.parse("500", null, null, null, null, null, null)
                        .limit())
                .isEqualTo(500);
    }

    private static void assertInvalid(String field, Runnable parse) {
        assertThatThrownBy(parse::run).isInstanceOfSatisfying(StudioException.class, e -> {
            assertThat(e.code()).isEqualTo("invalid_field");
            assertThat(List.<Object>copyOf(e.details())).containsExactly(new FieldError(field, e.getMessage()));
            assertThat(e.getMessage()).startsWith(field + " must");
        });
    }
}
