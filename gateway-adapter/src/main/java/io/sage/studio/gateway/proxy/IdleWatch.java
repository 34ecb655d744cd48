package io.sage.studio.gateway.proxy;

import java.time.Duration;

import io.vertx.core.Vertx;

/**
 * Idle deadlines for upstream exchanges without a timer each. A Vert.x timer per request (set when it goes
 * upstream, cancelled when it ends) costs more than the rest of the gateway's own work on a small proxied answer;
 * here every event loop keeps its watched exchanges in an intrusive list (adding and removing allocate nothing)
 * and one periodic timer per loop hands the ones that have been idle for the whole timeout to
 * {@link Watched#idle()}. A deadline is therefore met within one period late: a quarter of the timeout, at most
 * one second.
 *
 * <p>
 * Not thread-safe by design: an exchange is watched, touched and unwatched on the event loop it runs on, which is
 * also the loop that checks it.
 */
public final class IdleWatch {

    /** Something with a deadline: extend it, {@link #touch()} on progress, implement {@link #idle()}. */
    public abstract static class Watched {

        private Loop loop;
        private Watched previous;
        private Watched next;
        private long lastActivity;

        /** Progress: the deadline starts again from now. */
        protected final void touch() {
            lastActivity = System.nanoTime();
        }

        /** When progress last happened ({@link System#nanoTime()}): a clock reading to share. */
        protected final long lastActivity() {
            return lastActivity;
        }

        /** Runs on the exchange's event loop once nothing happened for the timeout; it is no longer watched. */
        protected abstract void idle();
    }

    private final Vertx vertx;
    private final long timeoutNanos;
    private final long periodMs;
    private final ThreadLocal<Loop> loops = new ThreadLocal<>();

    public IdleWatch(Vertx vertx, Duration timeout) {
        this.vertx = vertx;
        this.timeoutNanos = timeout.toNanos();
        this.periodMs = Math.max(10, Math.min(1_000, timeout.toMillis() / 4));
    }

    /** Starts watching {@code watched} (on the calling event loop), counting from now. */
    public void watch(Watched watched) {
        if (watched.loop != null) {
            watched.touch();
            return;
        }
        Loop loop = loops.get();
        if (loop == null) {
            loop = new Loop();
            loops.set(loop);
            // On the calling event loop's context, so the sweep runs on the thread that owns the list.
            vertx.setPeriodic(periodMs, id -> sweep());
        }
        watched.touch();
        watched.loop = loop;
        watched.previous = loop.tail;
        if (loop.tail == null) {
            loop.head = watched;
        } else {
            loop.tail.next = watched;
        }
        loop.tail = watched;
    }

    /** Stops watching {@code watched}; does nothing when it is not watched. */
    public void unwatch(Watched watched) {
        Loop loop = watched.loop;
        if (loop == null) {
            return;
        }
        if (watched.previous == null) {
            loop.head = watched.next;
        } else {
            watched.previous.next = watched.next;
        }
        if (watched.next == null) {
            loop.tail = watched.previous;
        } else {
            watched.next.previous = watched.previous;
        }
        watched.loop = null;
        watched.previous = null;
        watched.next = null;
    }

    /** Exchanges watched on the calling thread's event loop (for tests). */
    int watchedHere() {
        Loop loop = loops.get();
        int count = 0;
        for (Watched watched = loop == null ? null : loop.head; watched != null; watched = watched.next) {
            count++;
        }
        return count;
    }

    private void sweep() {
        Loop loop = loops.get();
        if (loop == null || loop.head == null) {
            return;
        }
        long now = System.nanoTime();
        Watched watched = loop.head;
        while (watched != null) {
            Watched next = watched.next;
            if (now - watched.lastActivity >= timeoutNanos) {
                unwatch(watched);
                watched.idle();
                if (next != null && next.loop != loop) {
                    next = loop.head; // idle() ended others too: go over what is left from the start
                }
            }
            watched = next;
        }
    }

    /** The watched exchanges of one event loop, oldest first. */
    private static final class Loop {
        private Watched head;
        private Watched tail;
    }
}
