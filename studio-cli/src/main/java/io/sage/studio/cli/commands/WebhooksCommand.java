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
 * {@code sage webhooks add|list|rm|deliveries}: the URLs the finetune-service POSTs studio events to
 * ({@code /api/webhooks}, admin only). Delivery, retries and signing are the service's; the CLI registers, lists and
 * removes webhooks and shows their deliveries. The signing secret is in the create answer only, so {@code add} prints
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
        out.printf("%-24s %-40s %-28s %-9s %-26s %s%n", "ID", "URL", "EVENTS", "STATE", "LAST DELIVERY", "FAILURES");
        for (Webhook w : webhooks) {
            String last = w.lastDeliveryAt() == null ? "never" : Output.text(w.lastStatus()) + " " + w.lastDeliveryAt();
            out.println(String.format(
                            "%-24s %-40s %-28s %-9s %-26s %s",
                            Output.truncate(Output.text(w.id()), 24),
                            Output.truncate(Output.text(w.url()), 40),
                            Output.truncate(String.join(",", w.events()), 28),
                            Boolean.FALSE.equals(w.enabled()) ? "disabled" : "enabled",
                            last,
                            Output.or0(w.failures()))
                    .stripTrailing());
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
        out.printf(
                "%-20s %-22s %7s %-10s %4s  %-20s %s%n", "CREATED", "EVENT", "ATTEMPT", "STATE", "HTTP", "NEXT", "ID");
        for (WebhookDelivery d : deliveries) {
            out.printf(
                    "%-20s %-22s %7s %-10s %4s  %-20s %s%n",
                    Output.text(d.createdAt()),
                    Output.truncate(Output.text(d.event()), 22),
                    Output.text(d.attempt()),
                    Output.text(d.state()),
                    Output.text(d.status()),
                    d.nextAttemptAt() != null ? d.nextAttemptAt() : "-",
                    Output.text(d.id()));
            if (d.error() != null && !"delivered".equals(d.state())) {
                out.println("  error: " + d.error());
            }
        }
    }
}
