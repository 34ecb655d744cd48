package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.Webhook;
import io.sage.studio.cli.api.WebhookDelivery;
import io.sage.studio.cli.client.StudioClient;
import io.sage.studio.events.StudioJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sage webhooks add|list|enable|disable|rm|deliveries}: the URLs the finetune-service POSTs studio events to
 * ({@code /api/webhooks}, admin only). Delivery, retries and signing are the service's; the CLI registers, lists,
 * enables, disables and removes webhooks and shows their deliveries. {@code enable} is how a webhook the service
 * disabled after repeated failed deliveries comes back ({@code PATCH {"enabled": true}}: its reason and failures are
 * cleared and what it still owed is sent). The signing secret is in the create answer only, so {@code add} prints
 * it there and says it will not be shown again.
 */
@Command(
        name = "webhooks",
        mixinStandardHelpOptions = true,
        description = {
            "Send studio events (task.*, evaluation.*, switch.*, rollout.*) to your URLs, signed the Standard "
                    + "Webhooks way (webhook-id, webhook-timestamp, webhook-signature). Admin only."
        },
        subcommands = {
            WebhooksCommand.Add.class,
            WebhooksCommand.ListWebhooks.class,
            WebhooksCommand.Enable.class,
            WebhooksCommand.Disable.class,
            WebhooksCommand.Remove.class,
            WebhooksCommand.Deliveries.class
        })
public class WebhooksCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static String path(String id) {
        return "/api/webhooks/" + StudioClient.encode(id);
    }

    @Command(
            name = "add",
            mixinStandardHelpOptions = true,
            description = "Add a webhook; prints its signing secret once (generated unless --secret is given).")
    static class Add implements Callable<Integer> {
        @Parameters(paramLabel = "URL", description = "http(s) URL the events are POSTed to.")
        String url;

        @Option(
                names = "--events",
                required = true,
                split = ",",
                paramLabel = "EVENT",
                description = "Exact events or patterns, comma-separated: task.completed,switch.*  (task.*, "
                        + "evaluation.*, switch.*, rollout.*, * for everything).")
        List<String> events;

        @Option(
                names = "--secret",
                paramLabel = "SECRET",
                description = "The signing secret (default: the studio generates a whsec_… one).")
        String secret;

        @Option(names = "--description", paramLabel = "TEXT", description = "What the webhook is for.")
        String description;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("url", url);
            body.put(
                    "events",
                    events.stream().map(String::trim).filter(e -> !e.isEmpty()).toList());
            if (secret != null) {
                body.put("secret", secret);
            }
            if (description != null) {
                body.put("description", description);
            }
            JsonNode answer = options.client().post("/api/webhooks", body);
            if (options.json()) {
                Output.json(System.out, answer);
                return 0;
            }
            Webhook created = StudioClient.as(answer, Webhook.class);
            PrintStream out = System.out;
            out.println("Added webhook " + Output.text(created.id()) + " → " + Output.text(created.url()));
            out.println("  events  " + String.join(", ", created.events()));
            if (secret != null) {
                out.println("  secret  the one given with --secret");
            } else {
                out.println("  secret  " + Output.text(created.secret()));
                out.println("Store the secret now: it is not shown again. The receiver verifies the "
                        + "webhook-signature header with it.");
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the webhooks and their state.")
    static class ListWebhooks implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            JsonNode json = options.client().get("/api/webhooks");
            if (options.json()) {
                Output.json(System.out, json);
            } else {
                list(StudioClient.as(json, Webhook.Listing.class).webhooks(), System.out);
            }
            return 0;
        }
    }

    /** {@code PATCH {"enabled": on}} and what the webhook is now. */
    abstract static class Switch implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        ClientOptions options;

        abstract boolean on();

        @Override
        public Integer call() {
            JsonNode answer = options.client().patch(path(id), Map.of("enabled", on()));
            if (options.json()) {
                Output.json(System.out, answer);
                return 0;
            }
            Webhook w = StudioClient.as(answer, Webhook.class);
            System.out.println((Boolean.FALSE.equals(w.enabled()) ? "Disabled" : "Enabled") + " webhook "
                    + Output.text(w.id()) + " → " + Output.text(w.url()));
            if (w.disabledReason() != null) {
                System.out.println("  disabled: " + w.disabledReason());
            }
            return 0;
        }
    }

    @Command(
            name = "enable",
            mixinStandardHelpOptions = true,
            description = "Enable a webhook again (one the studio disabled after failed deliveries included): its "
                    + "failures are cleared and the deliveries it still owes go out.")
    static class Enable extends Switch {
        @Override
        boolean on() {
            return true;
        }
    }

    @Command(
            name = "disable",
            mixinStandardHelpOptions = true,
            description = "Disable a webhook: nothing is sent to it, nor queued for it, until it is enabled again.")
    static class Disable extends Switch {
        @Override
        boolean on() {
            return false;
        }
    }

    @Command(
            name = "rm",
            mixinStandardHelpOptions = true,
            description = "Delete a webhook (its pending deliveries are dropped).")
    static class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            options.client().delete(path(id));
            if (options.json()) {
                Output.json(
                        System.out,
                        StudioJson.mapper().createObjectNode().put("id", id).put("deleted", true));
            } else {
                System.out.println("Deleted webhook " + id);
            }
            return 0;
        }
    }

    @Command(
            name = "deliveries",
            mixinStandardHelpOptions = true,
            description = "A webhook's deliveries, newest first: event, attempt, state, HTTP status, next attempt.")
    static class Deliveries implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--limit", defaultValue = "20", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            JsonNode json = options.client().get(path(id) + "/deliveries?limit=" + limit);
            if (options.json()) {
                Output.json(System.out, json);
            } else {
                deliveries(StudioClient.as(json, WebhookDelivery.Listing.class).deliveries(), System.out);
            }
            return 0;
        }
    }

    static void list(List<Webhook> webhooks, PrintStream out) {
        if (webhooks.isEmpty()) {
            out.println("No webhooks; add one with: sage webhooks add URL --events task.completed");
            return;
        }
        Table table = Table.of(
                Table.cut("ID", 24),
                Table.cut("URL", 40),
                Table.cut("EVENTS", 28),
                Table.left("STATE", 9),
                Table.left("LAST DELIVERY", 26),
                Table.rest("FAILURES"));
        table.header(out);
        for (Webhook w : webhooks) {
            String last = w.lastDeliveryAt() == null ? "never" : Output.text(w.lastStatus()) + " " + w.lastDeliveryAt();
            table.row(
                    out,
                    w.id(),
                    w.url(),
                    String.join(",", w.events()),
                    Boolean.FALSE.equals(w.enabled()) ? "disabled" : "enabled",
                    last,
                    Output.or0(w.failures()));
            if (w.disabledReason() != null) {
                out.println("  disabled: " + w.disabledReason());
            }
        }
    }

    static void deliveries(List<WebhookDelivery> deliveries, PrintStream out) {
        if (deliveries.isEmpty()) {
            out.println("No deliveries yet.");
            return;
        }
        Table table = Table.of(
                Table.left("CREATED", 20),
                Table.cut("EVENT", 22),
                Table.right("ATTEMPT", 7),
                Table.left("STATE", 10),
                Table.right("HTTP", 4),
                Table.left("NEXT", 20),
                Table.rest("ID"));
        table.header(out);
        for (WebhookDelivery d : deliveries) {
            table.row(out, d.createdAt(), d.event(), d.attempt(), d.state(), d.status(), d.nextAttemptAt(), d.id());
            if (d.error() != null && !"delivered".equals(d.state())) {
                out.println("  error: " + d.error());
            }
        }
    }
}
