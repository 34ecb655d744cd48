package io.sage.studio.finetune.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TaskQueueTest {

    @Test
    void higherPriorityFirstThenFirstComeFirstServed() {
        TaskQueue queue = new TaskQueue();
        queue.add("a", 0, queue.nextSeq());
        queue.add("b", 0, queue.nextSeq());
        queue.add("c", 5, queue.nextSeq());
        queue.add("d", -1, queue.nextSeq());
        queue.add("e", 5, queue.nextSeq());
        assertThat(queue.positions())
                .containsEntry("c", 1)
                .containsEntry("e", 2)
                .containsEntry("a", 3)
                .containsEntry("b", 4)
                .containsEntry("d", 5);
        assertThat(queue.head()).contains("c");
        assertThat(queue.remove("c")).isTrue();
        assertThat(queue.position("a")).isEqualTo(2);
        assertThat(queue.position("c")).isNull();
        assertThat(queue.remove("c")).isFalse();
    }

    @Test
    void sequenceNumbersStayAboveEverythingSeenAfterARestart() {
        TaskQueue queue = new TaskQueue();
        queue.add("old", 0, 41);
        queue.observeSeq(57);
        assertThat(queue.nextSeq()).isEqualTo(58);
    }
}
