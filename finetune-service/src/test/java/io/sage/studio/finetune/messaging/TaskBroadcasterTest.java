package io.sage.studio.finetune.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.sage.studio.events.TaskEvent;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;

class TaskBroadcasterTest {

    @Test
    void aSubscriberThatFallsTooFarBehindGetsTheEndAndIsClosedNotBufferedFor() {
        TaskBroadcaster broadcaster = new TaskBroadcaster();
        AssertSubscriber<TaskBroadcaster.Change> slow =
                broadcaster.changes().subscribe().withSubscriber(AssertSubscriber.create(1));
        AssertSubscriber<TaskBroadcaster.Change> fast =
                broadcaster.changes().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        int published = TaskBroadcaster.SUBSCRIBER_BUFFER * 3;
        for (int i = 0; i < published; i++) {
            broadcaster.changed(TaskEvent.Kind.PROGRESS, null, i);
        }
        slow.request(Long.MAX_VALUE);
        slow.awaitCompletion(Duration.ofSeconds(5));
        assertThat(slow.getItems()).hasSizeLessThanOrEqualTo(1 + TaskBroadcaster.SUBSCRIBER_BUFFER + 1);
        assertThat(slow.getItems().get(slow.getItems().size() - 1).isEnd()).isTrue();
        assertThat(fast.getItems()).hasSize(published).noneMatch(TaskBroadcaster.Change::isEnd);
        assertThat(fast.isCancelled()).isFalse();
    }
}
