package io.sage.studio.finetune.task;

import java.util.List;

import io.sage.studio.finetune.domain.TaskStatus;

/**
 * How a trainer run ended, decided from what is known: a requested cancel wins; then the exit status
 * (0 = success, {@code docs/trainer-protocol.md}) with the trainer's last {@code error} record as the reason of a failure; when the exit
 * status is unknown (the trainer ended while the service was down, or a re-adopted process), the protocol
 * records decide: an {@code error} record means failed, the {@code done} phase means completed.
 */
record RunOutcome(TaskStatus status, String errorCode, String errorMessage) {

    /** The end of a run that was asked to pause: {@code paused}, unless it completed before it stopped. */
    RunOutcome paused() {
        return status == TaskStatus.COMPLETED ? this : new RunOutcome(TaskStatus.PAUSED, null, null);
    }

    static RunOutcome decide(
            boolean cancelRequested,
            Integer exitCode,
            String detail,
            String trainerErrorCode,
            String trainerErrorMessage,
            boolean done,
            List<String> lastLogLines) {
        if (cancelRequested) {
            return new RunOutcome(TaskStatus.CANCELLED, null, null);
        }
        if (exitCode != null && exitCode == 0) {
            return new RunOutcome(TaskStatus.COMPLETED, null, null);
        }
        if (trainerErrorCode != null) {
            return new RunOutcome(TaskStatus.FAILED, trainerErrorCode, trainerErrorMessage);
        }
        if (exitCode == null && done) {
            return new RunOutcome(TaskStatus.COMPLETED, null, null);
        }
        StringBuilder message = new StringBuilder();
        if (exitCode != null) {
            message.append("the trainer exited with status ").append(exitCode);
            if (detail != null) {
                message.append(" (").append(detail).append(')');
            }
        } else {
            message.append(
                    detail != null
                            ? detail
                            : "the trainer ended while the service was not watching it and reported no outcome");
        }
        List<String> tail = lastLogLines.stream().filter(l -> !l.isBlank()).toList();
        if (!tail.isEmpty()) {
            message.append("; last log line: ").append(tail.get(tail.size() - 1).strip());
        }
        return new RunOutcome(
                TaskStatus.FAILED, exitCode != null ? "trainer_exit" : "trainer_lost", message.toString());
    }
}
