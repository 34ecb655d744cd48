package io.sage.studio.chat.support;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.sage.studio.events.ChatBackendEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.reactive.messaging.MutinyEmitter;

/**
 * The route emitter as Kafka looks to the service when it misbehaves, around the real one: for chosen sends the
 * broker never acknowledges (the record is {@link Mode#LOST}: not written, the producer gives up), or writes the
 * record but the acknowledgement comes too late ({@link Mode#LATE_ACK}: the ambiguous case). Other sends pass.
 */
public final class FlakyRoutes implements MutinyEmitter<ChatBackendEvent> {

    public enum Mode {
        LOST,
        LATE_ACK
    }

    private static final Duration LATE_BY = Duration.ofSeconds(6);

    private final MutinyEmitter<ChatBackendEvent> real;
    private final AtomicInteger sends = new AtomicInteger();
    private volatile Mode mode;
    private volatile int from;
    private volatile int to;

    public FlakyRoutes(MutinyEmitter<ChatBackendEvent> real) {
        this.real = real;
    }

    /** Sends number {@code first} to {@code first + count - 1} (1 = the next one) misbehave as {@code how} says, until {@link #heal()}. */
    public FlakyRoutes misbehave(Mode how, int first, int count) {
        int base = sends.get();
        mode = how;
        from = base + first;
        to = base + first + count - 1;
        return this;
    }

    /** Every later send passes. */
    public void heal() {
        mode = null;
    }

    @Override
    public <M extends Message<? extends ChatBackendEvent>> Uni<Void> sendMessage(M msg) {
        int n = sends.incrementAndGet();
        Mode how = mode;
        if (how == null || n < from || n > to) {
            return real.sendMessage(msg);
        }
        return switch (how) {
            case LOST -> Uni.createFrom().nothing();
            case LATE_ACK -> real.sendMessage(msg).onItem().delayIt().by(LATE_BY);
        };
    }

    @Override
    public Uni<Void> send(ChatBackendEvent payload) {
        return sendMessage(Message.of(payload));
    }

    @Override
    public void sendAndAwait(ChatBackendEvent payload) {
        send(payload).await().indefinitely();
    }

    @Override
    public Cancellable sendAndForget(ChatBackendEvent payload) {
        return send(payload).subscribe().with(x -> {});
    }

    @Override
    public <M extends Message<? extends ChatBackendEvent>> void send(M msg) {
        sendMessage(msg).subscribe().with(x -> {});
    }

    @Override
    public <M extends Message<? extends ChatBackendEvent>> void sendMessageAndAwait(M msg) {
        sendMessage(msg).await().indefinitely();
    }

    @Override
    public <M extends Message<? extends ChatBackendEvent>> Cancellable sendMessageAndForget(M msg) {
        return sendMessage(msg).subscribe().with(x -> {});
    }

    @Override
    public void complete() {
        real.complete();
    }

    @Override
    public void error(Exception e) {
        real.error(e);
    }

    @Override
    public boolean isCancelled() {
        return real.isCancelled();
    }

    @Override
    public boolean hasRequests() {
        return real.hasRequests();
    }
}
