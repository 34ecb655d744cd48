package io.sage.studio.finetune.webhook;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.ChatOperationEvent;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.events.TaskSnapshot;

/**
 * The outside events a webhook can ask for, and how the studio's Kafka events become them. A task event becomes
 * {@code task.<status>} when it is a creation or a state change ({@code task.started} when an executor takes the
 * task); a change of the task's {@code evaluation} summary becomes {@code evaluation.<state>}. Switch and rollout
 * events carry their outside name already. Each outside event has a {@link Occurrence#key() key} that is the same
 * however often Kafka redelivers the record it came from, so it is queued once per webhook.
 */
final class WebhookEvents {

    /** Every event name a webhook may list exactly; {@link #PATTERNS} cover them by family. */
    static final Set<String> NAMES = Set.of(
            "task.created",
            "task.queued",
            "task.started",
            "task.training",
            "task.completed",
            "task.failed",
            "task.cancelled",
            "task.paused",
            "evaluation.queued",
            "evaluation.started",
            "evaluation.completed",
            "evaluation.failed",
            "switch.started",
            "switch.step",
            "switch.succeeded",
            "switch.failed",
            "switch.rolled_back",
            "rollout.started",
            "rollout.step",
            "rollout.promoted",
            "rollout.rolled_back",
            "rollout.aborted");

    static final Set<String> PATTERNS = Set.of("*", "task.*", "evaluation.*", "switch.*", "rollout.*");
    static final int MAX_EVENTS = 32;

    private WebhookEvents() {}

    /**
     * One outside event: its name, a key stable under redelivery, when it happened and the payload's {@code data}.
     */
    record Occurrence(String type, String key, Instant at, Object data) {}

    /** The names as registered (deduplicated, in order), or 400 {@code invalid_field} naming {@code events[i]}. */
    static List<String> validate(List<String> events) {
        if (events == null || events.isEmpty()) {
            throw StudioException.invalidField("events", "events must name at least one event");
        }
        if (events.size() > MAX_EVENTS) {
            throw StudioException.invalidField("events", "events lists more than " + MAX_EVENTS + " names");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            String name = events.get(i) == null ? "" : events.get(i).strip();
            if (!NAMES.contains(name) && !PATTERNS.contains(name)) {
                throw StudioException.invalidField(
                        "events[" + i + "]",
                        "events[" + i + "] is not a known event; use task.*, evaluation.*, switch.*, rollout.*, * or"
                                + " one of "
                                + String.join(", ", NAMES.stream().sorted().toList()));
            }
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    /** Whether a webhook listening to {@code subscribed} wants {@code type}. */
    static boolean wants(List<String> subscribed, String type) {
        for (String name : subscribed) {
            if (name.equals("*")
                    || name.equals(type)
                    || (name.endsWith(".*") && type.startsWith(name.substring(0, name.length() - 1)))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The outside events in a task event: {@code task.<status>} for a creation or state change, and
     * {@code evaluation.<state>} whenever the event shows an evaluation (its key makes repeats of the same state
     * of the same evaluation one delivery).
     */
    static List<Occurrence> of(TaskEvent event) {
        TaskSnapshot task = event.task();
        if (task == null || event.kind() == TaskEvent.Kind.DELETED) {
            return List.of();
        }
        List<Occurrence> out = new ArrayList<>(2);
        int attempt = task.attempt() == null ? 1 : task.attempt();
        String type = event.kind() == TaskEvent.Kind.CREATED ? "task.created" : taskType(task.status());
        if (type != null && event.kind() != TaskEvent.Kind.PROGRESS) {
            out.add(new Occurrence(
                    type, "task:" + task.taskId() + ":" + attempt + ":" + type, event.timestamp(), task));
        }
        TaskSnapshot.Evaluation evaluation = task.evaluation();
        String evaluationType = evaluation == null ? null : evaluationType(evaluation.state());
        if (evaluationType != null) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("task_id", task.taskId());
            data.put("model_name", task.modelName());
            data.put("evaluation", evaluation);
            out.add(new Occurrence(
                    evaluationType,
                    "evaluation:" + task.taskId() + ":" + evaluation.evaluationId() + ":" + evaluationType,
                    event.timestamp(),
                    data));
        }
        return out;
    }

    /** The outside event of a switch or rollout change, or none when its name is not one webhooks know. */
    static List<Occurrence> of(ChatOperationEvent event) {
        if (event.event() == null || !NAMES.contains(event.event())) {
            return List.of();
        }
        return List.of(new Occurrence(
                event.event(),
                event.kind() + ":" + event.id() + ":" + event.event() + ":" + event.state() + ":" + event.at(),
                event.at(),
                event));
    }

    private static String taskType(String status) {
        return switch (status == null ? "" : status) {
            case "queued", "pending" -> "task.queued";
            case "preparing" -> "task.started";
            case "training" -> "task.training";
            case "completed" -> "task.completed";
            case "failed" -> "task.failed";
            case "cancelled" -> "task.cancelled";
            case "paused" -> "task.paused";
            default -> null;
        };
    }

    private static String evaluationType(String state) {
        return switch (state == null ? "" : state) {
            case "queued" -> "evaluation.queued";
            case "running" -> "evaluation.started";
            case "completed" -> "evaluation.completed";
            case "failed" -> "evaluation.failed";
            default -> null;
        };
    }
}
