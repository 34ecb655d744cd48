package io.sage.studio.common.auth;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.vertx.ext.web.RoutingContext;

/**
 * The requests in progress that a credential let in, so that a credential that stops being valid also ends what
 * it opened: an SSE stream of task events, a followed log, a streamed chat answer. Every
 * {@link AuthConfig#reloadInterval()} the open requests are checked again against the current tokens and API keys
 * files (a revoked or expired token, a removed key) and, in mode {@code oidc}, against the access token's expiry;
 * a request whose credential no longer passes has its connection closed. Nothing is tracked in mode {@code none}.
 *
 * <p>Bounded by the requests the server has open: an entry is removed when its response ends or its connection
 * closes.
 */
@ApplicationScoped
public class OpenRequests {

    private static final Logger LOG = Logger.getLogger(OpenRequests.class);

    private final Authenticator authenticator;
    private final long intervalMillis;
    private final Clock clock;
    private final Map<RoutingContext, Entry> open = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService sweeper;

    public OpenRequests(Authenticator authenticator, AuthConfig config) {
        this.authenticator = authenticator;
        this.intervalMillis = Math.max(100, config.reloadInterval().toMillis());
        this.clock = Clock.systemUTC();
    }

    private record Entry(String caller, Authenticator.Credential credential) {}

    /** Tracks a request {@link AuthFilter} let through, until its response ends. */
    void track(RoutingContext request, Caller caller) {
        if (caller == Caller.LOCAL) {
            return;
        }
        Authenticator.Credential credential = request.get(Authenticator.CREDENTIAL);
        if (credential == null
                || credential.kind() == Authenticator.Credential.Kind.OIDC && credential.expiresAt() == null) {
            return;
        }
        Entry entry = new Entry(caller.name(), credential);
        startSweeper();
        open.put(request, entry);
        request.addEndHandler(done -> open.remove(request));
    }

    /** How many requests are tracked now. */
    public int size() {
        return open.size();
    }

    /** Closes every tracked request whose credential no longer passes; returns how many it closed. */
    int sweep() {
        Instant now = clock.instant();
        int closed = 0;
        for (Map.Entry<RoutingContext, Entry> tracked : open.entrySet()) {
            RoutingContext request = tracked.getKey();
            Entry entry = tracked.getValue();
            if (request.response().ended() || request.response().closed()) {
                open.remove(request);
                continue;
            }
            String why = authenticator.noLongerValid(entry.credential(), now);
            if (why != null) {
                open.remove(request);
                LOG.infof("closing a request of '%s' that is still open: %s", entry.caller(), why);
                request.response().reset();
                closed++;
            }
        }
        return closed;
    }

    private void startSweeper() {
        if (sweeper != null) {
            return;
        }
        synchronized (this) {
            if (sweeper == null) {
                ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(task -> {
                    Thread thread = new Thread(task, "studio-open-requests");
                    thread.setDaemon(true);
                    return thread;
                });
                executor.scheduleWithFixedDelay(
                        () -> {
                            try {
                                sweep();
                            } catch (RuntimeException e) {
                                LOG.errorf(e, "checking open requests failed");
                            }
                        },
                        intervalMillis,
                        intervalMillis,
                        TimeUnit.MILLISECONDS);
                sweeper = executor;
            }
        }
    }

    @PreDestroy
    void stop() {
        ScheduledExecutorService executor = sweeper;
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
