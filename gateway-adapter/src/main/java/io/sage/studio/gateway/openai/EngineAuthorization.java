package io.sage.studio.gateway.openai;

import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.gateway.routing.ActiveRoute;

/**
 * The {@code Authorization} the gateway sends to the studio's own model servers (route backends of kind
 * {@code base} or {@code finetuned}, anything but {@code cloud}): {@code Bearer} and the engine API key, which the
 * chat-switch service starts every engine with ({@code --api-key}), or nothing while no key exists. A
 * {@code cloud} backend gets the cloud key of its route instead ({@link io.sage.studio.gateway.routing.RouteTarget#cloud()}).
 * Every engine of a route has the same key, so one cached value serves all the models a route names.
 *
 * <p>The key comes from {@link EngineApiKey}: configured ({@code studio.engines.api-key}), else the key file in
 * the studio home. The value is cached and looked up again at most every {@link #RECHECK_NANOS} and whenever the
 * route changes (a switch is when a new key shows up), so a request costs a reference comparison, never a file
 * lookup. The key is never logged.
 */
final class EngineAuthorization {

    private static final Logger LOG = Logger.getLogger(EngineAuthorization.class);
    /** Longest time a key file change goes unnoticed while the route stays the same. */
    static final long RECHECK_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final EngineApiKey key;
    private volatile Cached cached;

    EngineAuthorization(EngineApiKey key) {
        this.key = key;
    }

    /**
     * The header value for a request to {@code route}'s engine arriving at {@code now} ({@link System#nanoTime()}),
     * or {@code null} when there is no key.
     */
    String header(ActiveRoute route, long now) {
        Cached c = cached;
        if (c != null && c.route == route && now - c.checkedAt < RECHECK_NANOS) {
            return c.header;
        }
        return refresh(route, now, c);
    }

    private String refresh(ActiveRoute route, long now, Cached previous) {
        String header;
        try {
            header = key.current().map(k -> "Bearer " + k).orElse(null);
        } catch (UncheckedIOException e) {
            header = previous == null ? null : previous.header;
            LOG.warnf(
                    "cannot read the engine API key file %s (%s); %s",
                    key.file(),
                    e.getCause().getMessage(),
                    header == null ? "engines get no key" : "engines keep getting the key read before");
        }
        cached = new Cached(route, now, header);
        return header;
    }

    private record Cached(ActiveRoute route, long checkedAt, String header) {}
}
