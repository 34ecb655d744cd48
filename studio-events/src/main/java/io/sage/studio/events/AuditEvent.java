package io.sage.studio.events;

import java.time.Instant;

/**
 * One state-changing call to a studio service, allowed or refused. Key: the entry id. Every service appends its own;
 * one reader keeps them in a rolling file in the studio home and answers {@code GET /api/audit}.
 *
 * @param id       a unique entry id (the record key)
 * @param at       when the call was answered
 * @param service  the service that answered ({@code finetune-service}, {@code chat-switch-service}, …)
 * @param actor    the caller's principal name, or {@code anonymous}
 * @param role     the caller's role ({@code viewer}, {@code operator}, {@code admin}) or {@code null} when unknown
 * @param action   a stable name of what was asked, e.g. {@code finetune.task.create}, {@code chat.switch}
 * @param method   the HTTP method
 * @param path     the request path (no query string: it may hold user data)
 * @param target   what the call acted on (a task id, a model, a webhook id), or {@code null}
 * @param status   the HTTP status answered
 * @param outcome  {@code ok} (2xx/3xx), {@code refused} (401/403/404/409/4xx), or {@code failed} (5xx)
 * @param traceId  the W3C trace id of the call, or {@code null} when tracing is off
 */
public record AuditEvent(
        int schemaVersion,
        String id,
        Instant at,
        String service,
        String actor,
        String role,
        String action,
        String method,
        String path,
        String target,
        int status,
        String outcome,
        String traceId)
        implements StudioEvent {

    public static final int SCHEMA_VERSION = 1;
    public static final String TYPE = "io.sage.studio.audit.entry.v1";

    @Override
    public String key() {
        return id;
    }

    @Override
    public String cloudEventType() {
        return TYPE;
    }

    @Override
    public String topic() {
        return Topics.AUDIT;
    }
}
