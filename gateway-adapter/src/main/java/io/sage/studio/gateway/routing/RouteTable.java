package io.sage.studio.gateway.routing;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.kafka.CompactedTopicView;
import io.sage.studio.common.kafka.EventSigning;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.gateway.config.CloudConfig;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.status.GatewayMetrics;

/**
 * Follows {@code studio.chat.backend} from the beginning of the topic and holds the resulting {@link ActiveRoute}.
 * Until the topic has been read to the end it found at start, the route is {@link ActiveRoute#UNKNOWN} and the
 * readiness check is down, so a restarted gateway never routes by a stale record. With a signing key
 * ({@link EventSigning}) only routes signed with it are followed, and a route older than the one followed (a replay)
 * is ignored. Requests waiting for a model loaded on demand {@linkplain #awaitModel wait} here, without a thread: the
 * route that names the model completes their wait.
 */
@Singleton
public class RouteTable {

    private static final Logger LOG = Logger.getLogger(RouteTable.class);

    private final KafkaClientConfig kafka;
    private final GatewayConfig config;
    private final ActiveRoute.Cloud cloud;
    private final GatewayMetrics metrics;
    private final EventSigning signing;
    private volatile ActiveRoute latest;
    private volatile LastSwitch lastSwitch;
    private volatile Instant appliedAt;
    private volatile CompactedTopicView<ChatBackendEvent> view;
    /** Waits for a route that serves a model by name; bounded by their callers ({@code max-on-demand-waits}). */
    private final Set<ModelWait> waits = ConcurrentHashMap.newKeySet();

    public RouteTable(
            KafkaClientConfig kafka,
            GatewayConfig config,
            CloudConfig cloud,
            GatewayMetrics metrics,
            EventSigning signing) {
        this.kafka = kafka;
        this.config = config;
        this.cloud = new ActiveRoute.Cloud(cloud.baseUrl(), cloud.apiKey());
        this.metrics = metrics;
        this.signing = signing;
        this.latest = ActiveRoute.of(null, config.modelAlias(), this.cloud, metrics::backend);
    }

    void start(@Observes StartupEvent event) {
        CompactedTopicView<ChatBackendEvent> v = new CompactedTopicView<>(
                        Topics.CHAT_BACKEND, ChatBackendEvent.class, kafka.properties())
                .admitOnly(signing::accept);
        v.onChange((key, value) -> {
            if (ChatBackendEvent.KEY.equals(key)) {
                apply(value);
            }
        });
        view = v;
        v.start();
    }

    void stop(@Observes ShutdownEvent event) {
        CompactedTopicView<ChatBackendEvent> v = view;
        if (v != null) {
            v.close();
        }
    }

    /** The route for a request arriving now. */
    public ActiveRoute current() {
        return caughtUp() ? latest : ActiveRoute.UNKNOWN;
    }

    /** Whether the route topic has been read up to the end it had at start. */
    public boolean caughtUp() {
        CompactedTopicView<ChatBackendEvent> v = view;
        return v != null && v.caughtUp();
    }

    /** The last route event that carried a switch operation id, or {@code null}. */
    public LastSwitch lastSwitch() {
        return lastSwitch;
    }

    /** When the current route was applied by this gateway, or {@code null}. */
    public Instant appliedAt() {
        return appliedAt;
    }

    /**
     * A wait for the first route (this one, or one applied later) that serves {@code name} by name; it completes on
     * the route reader's thread, or at once when the current route serves the name already. Give it up with
     * {@link #cancel}.
     */
    public ModelWait awaitModel(String name) {
        ModelWait wait = new ModelWait(name);
        waits.add(wait);
        // Checked after the wait is registered: a route applied in between completes it either here or in apply().
        offer(wait, current());
        return wait;
    }

    /** Gives a wait up (its future is left incomplete); nothing when it is over already. */
    public void cancel(ModelWait wait) {
        waits.remove(wait);
    }

    /** Waits registered now. */
    public int waiting() {
        return waits.size();
    }

    private void offer(ModelWait wait, ActiveRoute route) {
        if (route.serves(wait.name) && waits.remove(wait)) {
            wait.route.complete(route);
        }
    }

    private void apply(ChatBackendEvent event) {
        ActiveRoute previous = latest;
        if (event != null
                && previous.event() != null
                && event.revision() < previous.event().revision()) {
            if (signing.enabled()) {
                // Signed routes only grow; an older one is a replay of a record captured earlier.
                LOG.warnf(
                        "ignoring route revision %d: this gateway follows revision %d already (a replayed event; if "
                                + "the chat-switch state and the topic were both wiped, restart the gateways)",
                        event.revision(), previous.event().revision());
                return;
            }
            LOG.warnf(
                    "route revision went back from %d to %d; following the topic",
                    previous.event().revision(), event.revision());
        }
        ActiveRoute next = ActiveRoute.of(event, config.modelAlias(), cloud, metrics::backend);
        latest = next;
        appliedAt = Instant.now();
        metrics.retain(next.models().stream().map(RouteTarget::meters).toList());
        for (ModelWait wait : waits) {
            offer(wait, next);
        }
        if (event != null && event.switchOperationId() != null) {
            lastSwitch = new LastSwitch(
                    event.switchOperationId(),
                    event.revision(),
                    next.condition().label(),
                    appliedAt);
        }
        if (next.serving()) {
            LOG.infof(
                    "route (revision %d): %s → %s as '%s'%s%s",
                    event.revision(),
                    next.backend().id(),
                    next.target(),
                    next.servedModel(),
                    next.models().size() > 1
                            ? "; by name: "
                                    + next.models().stream()
                                            .filter(t -> t != next.primary())
                                            .map(t -> "'" + t.servedModel() + "' (" + t.backendId() + ")")
                                            .collect(Collectors.joining(", "))
                            : "",
                    next.split() == null
                            ? ""
                            : "; split " + next.split().weight() + " % to '"
                                    + next.split().candidate().servedModel() + "' (rollout "
                                    + next.split().rolloutId() + ")");
            if (!next.unusable().isEmpty()) {
                LOG.warnf(
                        "route (revision %d): left out models whose backend the gateway cannot use (no served name, "
                                + "a base URL that is not http(s), or a cloud API other than studio.chat.cloud.base-url): %s",
                        event.revision(), next.unusable());
            }
        } else {
            LOG.infof(
                    "route (revision %d): %s — %s%s",
                    event == null ? -1 : event.revision(),
                    next.condition().label(),
                    next.problem(),
                    next.models().isEmpty()
                            ? ""
                            : "; by name only: "
                                    + next.models().stream()
                                            .map(t -> "'" + t.servedModel() + "' (" + t.backendId() + ")")
                                            .collect(Collectors.joining(", ")));
        }
    }

    /** A request's wait for a route that serves a model by name ({@link #awaitModel}). */
    public static final class ModelWait {

        private final String name;
        private final CompletableFuture<ActiveRoute> route = new CompletableFuture<>();

        ModelWait(String name) {
            this.name = name;
        }

        /** The model name waited for. */
        public String name() {
            return name;
        }

        /** Completed with the first route that serves the name (on the route reader's thread). */
        public CompletableFuture<ActiveRoute> route() {
            return route;
        }
    }

    /**
     * The latest switch the gateway applied.
     *
     * @param operationId the chat-switch operation id
     * @param revision    the route revision it produced
     * @param state       the route condition it led to
     * @param appliedAt   when this gateway applied it
     */
    public record LastSwitch(String operationId, long revision, String state, Instant appliedAt) {}
}
