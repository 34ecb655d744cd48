package io.sage.studio.finetune.api;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.AuditEvent;
import io.sage.studio.finetune.audit.AuditStore;

/**
 * {@code GET /api/audit}: the studio's audit log, newest first (admin only, in the access table). Filters: {@code since}
 * (an ISO-8601 instant or offset date-time; 400 naming it otherwise), {@code actor} and {@code action} (exact);
 * {@code limit} defaults to 100 and is at most {@value AuditStore#MAX_LIMIT}.
 */
@Path("/api/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {

    static final int DEFAULT_LIMIT = 100;

    private final AuditStore store;

    public AuditResource(AuditStore store) {
        this.store = store;
    }

    /** The answer: entries newest first. */
    public record AuditEntries(@Schema(required = true) List<AuditEvent> entries) {}

    @GET
    public AuditEntries entries(
            @QueryParam("since") String since,
            @QueryParam("actor") String actor,
            @QueryParam("action") String action,
            @QueryParam("limit") Integer limit) {
        if (limit != null && (limit < 1 || limit > AuditStore.MAX_LIMIT)) {
            throw StudioException.invalidField("limit", "limit must be between 1 and " + AuditStore.MAX_LIMIT);
        }
        return new AuditEntries(store.query(
                parse(since), blankToNull(actor), blankToNull(action), limit == null ? DEFAULT_LIMIT : limit));
    }

    private static Instant parse(String since) {
        if (since == null || since.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(since.strip()).toInstant();
        } catch (DateTimeParseException e) {
            throw StudioException.invalidField(
                    "since", "since must be an ISO-8601 date-time with an offset, e.g. 2026-12-06T10:00:00Z");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
