package io.sage.studio.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/** Deadlines without a timer each: idle ones fire once, on their loop; touched and unwatched ones do not. */
class IdleWatchTest {

    private static final Duration TIMEOUT = Duration.ofMillis(200);

    private static Vertx vertx;
    private static Context loop;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        loop = vertx.getOrCreateContext();
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    /** Records when (and on which thread) it went idle. */
    private static final class Probe extends IdleWatch.Watched {
        final String name;
        final List<String> log;
        Thread thread;

        Probe(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        void progress() {
            touch();
        }

        @Override
        protected void idle() {
            thread = Thread.currentThread();
            log.add(name);
        }
    }

    private static <T> T onLoop(Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.runOnContext(v -> result.complete(action.get()));
        return result.get(5, TimeUnit.SECONDS);
    }

    @Test
    void anIdleExchangeFiresOnceOnItsLoopAndOnlyAfterTheTimeout() throws Exception {
        IdleWatch watch = new IdleWatch(vertx, TIMEOUT);
        List<String> log = new CopyOnWriteArrayList<>();
        Probe idle = new Probe("idle", log);
        long start = System.nanoTime();
        Thread loopThread = onLoop(() -> {
            watch.watch(idle);
            return Thread.currentThread();
        });

        Thread.sleep(TIMEOUT.toMillis() / 2);
        assertThat(log).isEmpty();
        waitFor(() -> !log.isEmpty());
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertThat(log).containsExactly("idle");
        assertThat(elapsedMs).isGreaterThanOrEqualTo(TIMEOUT.toMillis());
        assertThat(idle.thread).isSameAs(loopThread);
        Thread.sleep(TIMEOUT.toMillis() * 2);
        assertThat(log).as("no second call once it fired").containsExactly("idle");
        assertThat(onLoop(watch::watchedHere)).isZero();
    }

    @Test
    void progressPostponesTheDeadlineAndUnwatchedExchangesNeverFire() throws Exception {
        IdleWatch watch = new IdleWatch(vertx, TIMEOUT);
        List<String> log = new CopyOnWriteArrayList<>();
        Probe busy = new Probe("busy", log);
        Probe done = new Probe("done", log);
        Probe quiet = new Probe("quiet", log);
        onLoop(() -> {
            watch.watch(busy);
            watch.watch(done);
            watch.watch(quiet);
            watch.unwatch(done);
            watch.unwatch(done); // twice: harmless
            return null;
        });
        // "busy" makes progress every 50 ms for 3 timeouts; "quiet" goes idle meanwhile.
        for (int i = 0; i < 12; i++) {
            Thread.sleep(50);
            onLoop(() -> {
                busy.progress();
                return null;
            });
        }
        assertThat(log).containsExactly("quiet");
        assertThat(onLoop(watch::watchedHere)).isEqualTo(1);

        waitFor(() -> log.size() == 2);
        assertThat(log).containsExactly("quiet", "busy");
        assertThat(onLoop(watch::watchedHere)).isZero();
    }

    private static void waitFor(Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.get()) {
            assertThat(System.nanoTime()).as("condition met within 5 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
