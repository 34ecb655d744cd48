package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.AuditEntry;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sage audit [--since ISO] [--actor A] [--action X] [--limit N]}: the studio's audit log, newest first
 * ({@code GET /api/audit}, admin only). The filters are the server's; the CLI only checks that {@code --since} is a
 * time before sending it, so a typo is a usage error here rather than a 400 from the service.
 */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = "Who changed what: every state-changing call to the studio, newest first. Admin only.")
public class AuditCommand implements Callable<Integer> {

    @Option(
            names = "--since",
            paramLabel = "TIME",
            converter = Since.class,
            description = "Entries at or after this time: 2026-12-06T10:00:00Z, an offset time, or a date (UTC).")
    Instant since;

    @Option(names = "--actor", paramLabel = "NAME", description = "Only calls by this caller.")
    String actor;

    @Option(names = "--action", paramLabel = "ACTION", description = "Only this action.")
    String action;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default ${DEFAULT-VALUE}).")
    int limit;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        JsonNode json = options.client().get(path());
        if (options.json()) {
            Output.json(System.out, json);
        } else {
            print(StudioClient.as(json, AuditEntry.Listing.class).entries(), System.out);
        }
        return 0;
    }

    /** {@code /api/audit?…} with the filters given, encoded. */
    String path() {
        List<String> query = new ArrayList<>();
        if (since != null) {
            query.add("since=" + StudioClient.encode(since.toString()));
        }
        if (actor != null && !actor.isBlank()) {
            query.add("actor=" + StudioClient.encode(actor.trim()));
        }
        if (action != null && !action.isBlank()) {
            query.add("action=" + StudioClient.encode(action.trim()));
        }
        query.add("limit=" + limit);
        return "/api/audit?" + String.join("&", query);
    }

    static void print(List<AuditEntry> entries, PrintStream out) {
        if (entries.isEmpty()) {
            out.println("No audit entries match.");
            return;
        }
        out.printf(
                "%-24s %-16s %-8s %-24s %-28s %-8s %6s  %s%n",
                "TIME", "ACTOR", "ROLE", "ACTION", "TARGET", "OUTCOME", "STATUS", "TRACE");
        for (AuditEntry e : entries) {
            out.println(String.format(
                            "%-24s %-16s %-8s %-24s %-28s %-8s %6s  %s",
                            Output.text(e.at()),
                            Output.truncate(Output.text(e.actor()), 16),
                            Output.text(e.role()),
                            Output.truncate(Output.text(e.action()), 24),
                            Output.truncate(Output.text(e.target()), 28),
                            Output.text(e.outcome()),
                            Output.text(e.status()),
                            Output.orEmpty(e.traceId()))
                    .stripTrailing());
        }
    }

    /** An ISO-8601 instant, an offset date-time, or a date (its start, UTC). */
    static final class Since implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            String text = value.trim();
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException notInstant) {
                try {
                    return OffsetDateTime.parse(text).toInstant();
                } catch (DateTimeParseException notOffset) {
                    try {
                        return LocalDate.parse(text)
                                .atStartOfDay(ZoneOffset.UTC)
                                .toInstant();
                    } catch (DateTimeParseException notDate) {
                        throw new TypeConversionException("'" + value
                                + "' is not a time: use 2026-12-06T10:00:00Z, 2026-12-06T11:00:00+01:00 or 2026-12-06");
                    }
                }
            }
        }
    }
}
