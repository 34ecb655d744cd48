package io.sage.studio.cli.api;

import java.util.List;

/**
 * {@code GET /api/audit}: one state-changing call to the studio (an {@code AuditEvent} of the {@code studio.audit}
 * topic), as {@code sage audit} prints it.
 *
 * @param outcome {@code ok}, {@code refused} (401/403) or {@code failed}
 * @param target what the call acted on (a task id, a model, a webhook id), when it names one
 */
public record AuditEntry(
        String id,
        String at,
        String service,
        String actor,
        String role,
        String action,
        String method,
        String path,
        String target,
        Integer status,
        String outcome,
        String traceId) {

    /** The body of {@code GET /api/audit}, newest first. */
    public record Listing(List<AuditEntry> entries) {
        public Listing {
            entries = entries == null ? List.of() : entries;
        }
    }
}
