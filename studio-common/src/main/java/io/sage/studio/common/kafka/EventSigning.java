package io.sage.studio.common.kafka;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.auth.AuthConfig;
import io.sage.studio.common.auth.AuthMode;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;
import io.sage.studio.events.EventSignature.Verdict;

/**
 * The studio's event signing key ({@code studio.events.signing-key}, env {@code STUDIO_EVENTS_SIGNING_KEY}, a Secret
 * in a cluster) and the check of events that steer routing or switches ({@code studio.chat.backend},
 * {@code studio.chat.commands}). Producers sign in {@link io.sage.studio.events.EventSerializer} (configured per
 * channel with the same key); consumers of those topics act only on records {@link #accept}s.
 *
 * <p>With authentication on ({@code studio.auth.mode} token or oidc) a key is required: the service does not start
 * without one. In mode {@code none} (one machine, loopback only) a key is optional; when set, it is enforced the same
 * way. Refused records are dropped, logged (without content) and counted in
 * {@code studio_events_rejected_total{topic,reason}}.
 */
@ApplicationScoped
public class EventSigning {

    private static final Logger LOG = Logger.getLogger(EventSigning.class);

    private final Optional<EventSignature> signature;
    private final AuthMode mode;
    private final Optional<MeterRegistry> registry;
    private final AtomicLong rejected = new AtomicLong();

    @Inject
    public EventSigning(
            @ConfigProperty(name = "studio.events.signing-key") Optional<String> key,
            AuthConfig auth,
            Instance<MeterRegistry> registry) {
        this(key, auth.mode(), registry.isResolvable() ? Optional.of(registry.get()) : Optional.empty());
    }

    /** Without CDI (plain clients, tests): a key or none, the auth mode, a registry to count refusals in or none. */
    public EventSigning(Optional<String> key, AuthMode mode, Optional<MeterRegistry> registry) {
        this.signature = key.filter(k -> !k.isBlank()).map(EventSignature::withKey);
        this.mode = mode;
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) {
        check(mode, signature.isPresent());
        LOG.infof(
                "event signing: %s",
                signature.isPresent()
                        ? "on (steering events are signed and checked)"
                        : "off (mode none: any producer on the broker can steer routing)");
    }

    /** Refuses to start with authentication on and no signing key. */
    static void check(AuthMode mode, boolean key) {
        if (mode != AuthMode.NONE && !key) {
            throw new IllegalStateException("studio.auth.mode=" + mode.name().toLowerCase(Locale.ROOT)
                    + " needs studio.events.signing-key (STUDIO_EVENTS_SIGNING_KEY, at least 16 bytes, the same in every "
                    + "service): without it anyone who can write to Kafka could re-route chat or trigger switches");
        }
    }

    /** Whether events are signed and checked. */
    public boolean enabled() {
        return signature.isPresent();
    }

    /** Whether a consumed record may be acted on: always without a key; with one, only when its signature is valid. */
    public boolean accept(ConsumerRecord<String, byte[]> record) {
        if (signature.isEmpty()) {
            return true;
        }
        Verdict verdict = signature.get().verify(record.headers(), record.value());
        if (verdict == Verdict.VALID) {
            return true;
        }
        rejected.incrementAndGet();
        String reason = verdict == Verdict.UNSIGNED ? "unsigned" : "forged";
        LOG.warnf(
                "dropped a%s %s event on %s (partition %d, offset %d, type %s): not signed with the studio's key",
                verdict == Verdict.UNSIGNED ? "n" : "",
                reason,
                record.topic(),
                record.partition(),
                record.offset(),
                printable(CloudEvents.typeOf(record)));
        registry.ifPresent(meters -> Counter.builder("studio_events_rejected")
                .description("Events dropped because their signature was missing or wrong")
                .tag("topic", record.topic())
                .tag("reason", reason)
                .register(meters)
                .increment());
        return false;
    }

    /** How many records this service dropped since it started. */
    public long rejected() {
        return rejected.get();
    }

    private static String printable(String value) {
        if (value == null) {
            return "(none)";
        }
        String cut = value.length() > 80 ? value.substring(0, 80) : value;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
