package io.sage.studio.common.audit;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import io.sage.studio.common.auth.AccessPolicy.Access;
import io.sage.studio.common.auth.AccessRule;

/**
 * The stable action names of the audit log: one row per state-changing endpoint of the studio (method + path
 * template → a name such as {@code finetune.task.create}), so that entries can be filtered by what was asked
 * however the path was spelled, and the name survives a path's rename. A row also says where the call's target
 * is: the path segment in place of the template's {@code *}, or, for a create, a field of the JSON answer
 * ({@code task_id}, {@code model}, {@code id}).
 *
 * <p>An endpoint no row lists is still audited, as {@code <first segment after /api>.<method>} (e.g.
 * {@code settings.put}): a new endpoint is never missing from the log, only its name is generic until it gets a row.
 * The few {@code POST}s that change nothing (the memory estimate, a calculation) are listed in {@link #UNAUDITED}.
 */
public final class AuditActions {

    /** What the audit log knows about one endpoint. */
    public record Action(String name, int targetSegment, List<String> targetFields) {

        /** The target named by the path (the segment in place of the template's {@code *}), or {@code null}. */
        public String targetOf(String path) {
            if (targetSegment < 0) {
                return null;
            }
            String[] segments = path.substring(1).split("/");
            return targetSegment < segments.length ? segments[targetSegment] : null;
        }
    }

    /** {@code POST}s that compute an answer and change nothing. */
    static final List<AccessRule> UNAUDITED = List.of(AccessRule.post("/api/system/memory-estimate", Access.OPEN));

    private record Row(AccessRule rule, Action action) {}

    /** A generic area name: letters, digits, {@code _} and {@code -}, short (the path is the caller's). */
    private static final Pattern AREA = Pattern.compile("[a-z0-9_-]{1,40}");

    private static final List<Row> ROWS = List.of(
            row("POST", "/api/finetune/create", "finetune.task.create", "task_id"),
            row("POST", "/api/finetune/tasks/*/cancel", "finetune.task.cancel"),
            row("POST", "/api/finetune/tasks/*/pause", "finetune.task.pause"),
            row("POST", "/api/finetune/tasks/*/resume", "finetune.task.resume"),
            row("POST", "/api/finetune/tasks/*/retry", "finetune.task.retry"),
            row("POST", "/api/finetune/tasks/*/clone", "finetune.task.clone"),
            row("POST", "/api/finetune/tasks/*/merge", "finetune.task.merge"),
            row("POST", "/api/finetune/tasks/*/evaluations", "finetune.task.evaluate"),
            row("DELETE", "/api/finetune/tasks/*", "finetune.task.delete"),
            row("POST", "/api/finetune/upload-dataset", "finetune.dataset.upload", "dataset_id"),
            row("POST", "/api/finetune/prepare-sage-docs", "finetune.dataset.prepare", "dataset_id"),
            row("DELETE", "/api/finetune/datasets/*", "finetune.dataset.delete"),
            // Three spellings of "serve this model in production" (the seed's two and the switch API): one name.
            row("POST", "/api/chat/switch", "chat.switch", "model"),
            row("POST", "/api/finetune/switch-model", "chat.switch", "model_name"),
            row("POST", "/api/finetune/use-as-backend", "chat.switch", "model_name"),
            row("POST", "/api/chat/stop", "chat.stop"),
            row("POST", "/api/chat/serving/on-demand", "chat.serving.on_demand", "model"),
            row("POST", "/api/chat/serving", "chat.serving.add", "model"),
            row("DELETE", "/api/chat/serving/*", "chat.serving.remove"),
            row("POST", "/api/chat/rollouts", "chat.rollout.create", "model"),
            row("POST", "/api/chat/rollouts/*/promote", "chat.rollout.promote"),
            row("POST", "/api/chat/rollouts/*/abort", "chat.rollout.abort"),
            row("POST", "/api/webhooks", "webhooks.create", "id"),
            row("PATCH", "/api/webhooks/*", "webhooks.update"),
            row("DELETE", "/api/webhooks/*", "webhooks.delete"));

    private AuditActions() {}

    /**
     * The action of a state-changing call to this canonical path under {@code /api}, or empty when the call changes
     * nothing ({@link #UNAUDITED}).
     */
    public static Optional<Action> of(String method, String path) {
        String verb = method.toUpperCase(Locale.ROOT);
        for (AccessRule rule : UNAUDITED) {
            if (rule.matches(verb, path)) {
                return Optional.empty();
            }
        }
        for (Row row : ROWS) {
            if (row.rule().matches(verb, path)) {
                return Optional.of(row.action());
            }
        }
        String[] segments = path.split("/");
        String area = segments.length > 2 ? segments[2].toLowerCase(Locale.ROOT) : "api";
        if (!AREA.matcher(area).matches()) {
            area = "api";
        }
        return Optional.of(new Action(area + "." + verb.toLowerCase(Locale.ROOT), -1, List.of()));
    }

    private static Row row(String method, String pattern, String name, String... targetFields) {
        List<String> segments = List.of(pattern.substring(1).split("/"));
        return new Row(
                new AccessRule(Set.of(method), pattern, Access.ADMIN),
                new Action(name, segments.indexOf("*"), List.of(targetFields)));
    }
}
