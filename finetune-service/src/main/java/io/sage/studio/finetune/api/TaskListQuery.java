package io.sage.studio.finetune.api;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainingMethod;
import io.sage.studio.finetune.task.TaskStore.ListKey;
import io.sage.studio.finetune.task.TaskStore.SearchText;

/**
 * One page of the task list as asked for: how many, after which task (the cursor) and which tasks (filters). Every
 * parameter is checked here, and a bad one is a 400 {@code invalid_field} naming it, never a 404 or a 500.
 *
 * <p>The cursor is the place of the last task of the previous page ({@code created_at} and id, base64url), not an
 * offset: tasks created meanwhile are newer and sort before it, so walking the pages shows every task that existed
 * when the walk began exactly once, however many are added during it.
 *
 * @param limit    tasks on the page, 1 to {@link #MAX_LIMIT}
 * @param after    the page starts after this place; {@code null}: at the newest task
 * @param statuses the tasks' {@code status} is one of these; empty: any
 * @param q        lower-case text found in the task id, model name or suffix (any case); {@code null}: any
 * @param model    exactly this {@code model_name}; {@code null}: any
 * @param method   exactly this {@code method}; {@code null}: any
 * @param owner    exactly this {@code owner}; {@code null}: any
 */
record TaskListQuery(
        int limit,
        ListKey after,
        Set<TaskStatus> statuses,
        String q,
        String model,
        TrainingMethod method,
        String owner) {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    /** Longest accepted text of {@code q}, {@code model}, {@code owner} and {@code cursor}. */
    static final int MAX_TEXT = 512;

    private static final String CURSOR_VERSION = "1";

    /** Reads the query parameters, each may be {@code null}; {@code statuses} repeated and/or comma-separated. */
    static TaskListQuery parse(
            String limit, String cursor, List<String> statuses, String q, String model, String method, String owner) {
        return new TaskListQuery(
                parseLimit(limit),
                cursor == null || cursor.isBlank() ? null : decodeCursor(cursor),
                parseStatuses(statuses),
                text("q", q) == null ? null : q.strip().toLowerCase(Locale.ROOT),
                text("model", model),
                parseMethod(method),
                text("owner", owner));
    }

    /** Whether any filter is set ({@code total} then counts the matching tasks only). */
    boolean filtered() {
        return !statuses.isEmpty() || q != null || model != null || method != null || owner != null;
    }

    /** Whether the status is the only filter (its matches are then counted by the store's status index alone). */
    boolean onlyStatuses() {
        return q == null && model == null && method == null && owner == null;
    }

    /**
     * The filters as a test of a stored record, made once per request; {@code texts} gives a task's search text
     * (asked only when {@code q} is set).
     */
    Predicate<TaskRecord> matcher(Function<String, SearchText> texts) {
        char[] needle = q == null ? null : q.toCharArray();
        return record -> {
            if (!(statuses.isEmpty() || statuses.contains(record.status()))
                    || (model != null && !model.equals(record.modelName()))
                    || (method != null && method != record.method())
                    || (owner != null && !owner.equals(record.owner()))) {
                return false;
            }
            if (needle == null) {
                return true;
            }
            SearchText text = texts.apply(record.taskId());
            return text != null && text.contains(needle);
        };
    }

    /** The cursor naming {@code key}: where the page after it starts. */
    static String cursor(ListKey key) {
        String at = key.createdAt() == null
                ? "-"
                : key.createdAt().getEpochSecond() + "." + key.createdAt().getNano();
        String plain = CURSOR_VERSION + ":" + at + ":" + key.taskId();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    private static ListKey decodeCursor(String cursor) {
        if (cursor.length() > MAX_TEXT) {
            throw badCursor();
        }
        String plain;
        try {
            plain = new String(Base64.getUrlDecoder().decode(cursor.strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw badCursor();
        }
        String[] parts = plain.split(":", 3);
        if (parts.length != 3 || !parts[0].equals(CURSOR_VERSION) || parts[2].isEmpty()) {
            throw badCursor();
        }
        if (parts[1].equals("-")) {
            return new ListKey(null, parts[2]);
        }
        String[] time = parts[1].split("\\.", 2);
        try {
            return new ListKey(
                    Instant.ofEpochSecond(Long.parseLong(time[0]), time.length == 2 ? Long.parseLong(time[1]) : 0),
                    parts[2]);
        } catch (NumberFormatException | DateTimeException e) {
            throw badCursor();
        }
    }

    private static StudioException badCursor() {
        return StudioException.invalidField(
                "cursor", "cursor must be a next_cursor of an earlier answer of GET /api/finetune/tasks");
    }

    private static int parseLimit(String limit) {
        if (limit == null || limit.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int value = Integer.parseInt(limit.strip());
            if (value >= 1 && value <= MAX_LIMIT) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw StudioException.invalidField("limit", "limit must be a whole number from 1 to " + MAX_LIMIT);
    }

    private static Set<TaskStatus> parseStatuses(List<String> values) {
        Set<TaskStatus> statuses = EnumSet.noneOf(TaskStatus.class);
        if (values == null) {
            return statuses;
        }
        for (String value : values) {
            for (String name : value.split(",")) {
                if (name.isBlank()) {
                    continue;
                }
                try {
                    statuses.add(TaskStatus.of(name));
                } catch (IllegalArgumentException e) {
                    throw StudioException.invalidField(
                            "status",
                            "status must be one or more of " + wireNames(TaskStatus.values()) + ", comma-separated");
                }
            }
        }
        return statuses;
    }

    private static TrainingMethod parseMethod(String method) {
        if (method == null || method.isBlank()) {
            return null;
        }
        try {
            return TrainingMethod.of(method);
        } catch (IllegalArgumentException e) {
            throw StudioException.invalidField("method", "method must be one of " + wireNames(TrainingMethod.values()));
        }
    }

    private static String text(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.length() > MAX_TEXT) {
            throw StudioException.invalidField(name, name + " must be at most " + MAX_TEXT + " characters");
        }
        return value.strip();
    }

    private static String wireNames(Enum<?>[] values) {
        StringBuilder names = new StringBuilder();
        for (Enum<?> value : values) {
            names.append(names.isEmpty() ? "" : ", ").append(value.name().toLowerCase(Locale.ROOT));
        }
        return names.toString();
    }
}
