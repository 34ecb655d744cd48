package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.sage.studio.finetune.domain.TaskStatus;

class RunOutcomeTest {

    @Test
    void exitZeroIsSuccessAndACancelWins() {
        assertThat(RunOutcome.decide(false, 0, null, null, null, false, List.of())
                        .status())
                .isEqualTo(TaskStatus.COMPLETED);
        assertThat(RunOutcome.decide(true, 143, null, "cancelled", "cancelled by SIGTERM", false, List.of())
                        .status())
                .isEqualTo(TaskStatus.CANCELLED);
    }

    @Test
    void aCrashCarriesTheTrainersErrorRecordOrItsExitStatusAndLastLogLine() {
        RunOutcome withError = RunOutcome.decide(
                false,
                1,
                null,
                "cuda_oom",
                "CUDA out of memory. Try: lower batch_size",
                false,
                List.of("Traceback", "boom"));
        assertThat(withError)
                .isEqualTo(new RunOutcome(TaskStatus.FAILED, "cuda_oom", "CUDA out of memory. Try: lower batch_size"));

        RunOutcome silent =
                RunOutcome.decide(false, 137, "killed by signal 9 (SIGKILL)", null, null, false, List.of("step 3", ""));
        assertThat(silent.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(silent.errorCode()).isEqualTo("trainer_exit");
        assertThat(silent.errorMessage())
                .isEqualTo("the trainer exited with status 137 (killed by signal 9 (SIGKILL)); last log line: step 3");
    }

    @Test
    void anUnknownExitStatusIsDecidedByTheProgressRecords() {
        assertThat(RunOutcome.decide(false, null, null, null, null, true, List.of())
                        .status())
                .isEqualTo(TaskStatus.COMPLETED);
        assertThat(RunOutcome.decide(false, null, null, "diverged", "loss is NaN", true, List.of())
                        .status())
                .isEqualTo(TaskStatus.FAILED);
        RunOutcome lost = RunOutcome.decide(false, null, null, null, null, false, List.of());
        assertThat(lost.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(lost.errorCode()).isEqualTo("trainer_lost");
    }
}
