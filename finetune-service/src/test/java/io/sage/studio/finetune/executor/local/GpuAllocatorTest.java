package io.sage.studio.finetune.executor.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/**
 * The GPU allocator on a stand-in 4-GPU node: tasks hold exactly their GPUs, one-GPU tasks run beside a two-GPU task,
 * and a two-GPU task that waited longer than the reservation threshold is no longer passed over by one-GPU tasks.
 */
class GpuAllocatorTest {

    private static final List<Integer> NODE = List.of(0, 1, 2, 3);
    private static final Duration RESERVE_AFTER = Duration.ofMinutes(10);

    /** A clock the test moves. */
    private static final class Now extends Clock {
        private Instant now = Instant.parse("2026-12-06T12:00:00Z");

        void pass(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static GpuAllocator.Want want(String id, int gpus) {
        return new GpuAllocator.Want(id, gpus);
    }

    /** Starts whatever {@code next} picks of {@code waiting}; the id started, or empty. */
    private static Optional<String> startNext(GpuAllocator allocator, List<GpuAllocator.Want> waiting) {
        Optional<GpuAllocator.Want> next = allocator.next(NODE, waiting);
        next.ifPresent(
                w -> assertThat(allocator.take(w.taskId(), NODE, w.gpus())).hasSize(w.gpus()));
        return next.map(GpuAllocator.Want::taskId);
    }

    @Test
    void twoOneGpuTasksRunBesideATwoGpuTaskEachHoldingExactlyItsGpus() {
        GpuAllocator allocator = new GpuAllocator(RESERVE_AFTER, new Now());
        assertThat(allocator.next(NODE, List.of(want("wide", 2), want("a", 1), want("b", 1), want("c", 1))))
                .map(GpuAllocator.Want::taskId)
                .contains("wide");
        assertThat(allocator.take("wide", NODE, 2)).containsExactly(0, 1);
        assertThat(startNext(allocator, List.of(want("a", 1), want("b", 1), want("c", 1))))
                .contains("a");
        assertThat(startNext(allocator, List.of(want("b", 1), want("c", 1)))).contains("b");
        assertThat(allocator.free(NODE)).isEmpty();
        assertThat(allocator.next(NODE, List.of(want("c", 1)))).isEmpty();
        assertThat(allocator.take("c", NODE, 1)).isEmpty();

        allocator.release("a");
        assertThat(allocator.free(NODE)).containsExactly(2);
        assertThat(startNext(allocator, List.of(want("c", 1)))).contains("c");
        assertThat(allocator.take("x", NODE, 1)).isEmpty();
        allocator.release("wide");
        assertThat(allocator.free(NODE)).containsExactly(0, 1);
    }

    @Test
    void aWaitingTwoGpuTaskLetsOneGpuTasksPassOnlyUntilItHasWaitedTheThreshold() {
        Now clock = new Now();
        GpuAllocator allocator = new GpuAllocator(RESERVE_AFTER, clock);
        allocator.hold("r1", List.of(0));
        allocator.hold("r2", List.of(1));
        allocator.hold("r3", List.of(2));
        // one GPU free: the 2-GPU task at the head does not fit, the 1-GPU task behind it runs on the free one
        assertThat(startNext(allocator, List.of(want("wide", 2), want("small1", 1))))
                .contains("small1");

        clock.pass(Duration.ofMinutes(5));
        allocator.release("r1");
        assertThat(startNext(allocator, List.of(want("wide", 2), want("small2", 1))))
                .contains("small2");

        // waited 10 minutes: a freed GPU is kept for it; one-GPU tasks behind it wait too
        clock.pass(Duration.ofMinutes(5));
        allocator.release("r2");
        assertThat(allocator.free(NODE)).hasSize(1);
        assertThat(allocator.next(NODE, List.of(want("wide", 2), want("small3", 1), want("small4", 1))))
                .isEmpty();
        allocator.release("r3");
        assertThat(startNext(allocator, List.of(want("wide", 2), want("small3", 1), want("small4", 1))))
                .contains("wide");
        assertThat(allocator.free(NODE)).isEmpty();
    }

    @Test
    void aReservationLeavesTheGpusBeyondWhatItNeedsToOthersAndATaskThatCanNeverFitReservesNothing() {
        Now clock = new Now();
        GpuAllocator allocator = new GpuAllocator(RESERVE_AFTER, clock);
        allocator.hold("r1", List.of(0));
        List<GpuAllocator.Want> waiting = List.of(want("huge", 8), want("big", 4), want("small", 1));
        assertThat(allocator.next(NODE, waiting)).map(GpuAllocator.Want::taskId).contains("small");
        clock.pass(RESERVE_AFTER);
        // big (4 of 4) has waited: small may not take a GPU it needs; huge (8 > 4) is passed over without reserving
        assertThat(allocator.next(NODE, waiting)).isEmpty();
        allocator.release("r1");
        assertThat(allocator.next(NODE, waiting)).map(GpuAllocator.Want::taskId).contains("big");

        GpuAllocator two = new GpuAllocator(Duration.ZERO, clock);
        two.hold("r", List.of(0, 1));
        // a 3-GPU task reserves 3 of the 2 free: nothing behind it starts; a 1-GPU task ahead of nothing would
        assertThat(two.next(NODE, List.of(want("three", 3), want("one", 1)))).isEmpty();
        assertThat(two.next(NODE, List.of(want("one", 1), want("three", 3))))
                .map(GpuAllocator.Want::taskId)
                .contains("one");
    }
}
