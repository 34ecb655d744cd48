package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.sage.studio.finetune.domain.TaskStatus;

class OutcomeTest {

    @Test
    void exitZeroIsSuccessAndACancelWins() {
        assertThat(Outcome.decide(false, 0, null, null, null, false, List.of()).status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(Outcome.decide(true, 143, null, "cancelled", "cancelled by SIGTERM", false, List.of()).status())
                .isEqualTo(TaskStatus.CANCELLED);
    }

    @Test
    void aCrashCarriesTheTrainersErrorRecordOrItsExitStatusAndLastLogLine() {
        Outcome withError = Outcome.decide(false, 1, null, "cuda_oom", "CUDA out of memory. Try: lower batch_size", false,
                List.of("Traceback", "boom"));
        assertThat(withError).isEqualTo(new Outcome(TaskStatus.FAILED, "cuda_oom", "CUDA out of memory. Try: lower batch_size"));

        Outcome silent = Outcome.decide(false, 137, "killed by signal 9 (SIGKILL)", null, null, false, List.of("step 3", ""));
        assertThat(silent.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(silent.errorCode()).isEqualTo("trainer_exit");
        assertThat(silent.errorMessage())
                .isEqualTo("the trainer exited with status 137 (killed by signal 9 (SIGKILL)); last log line: step 3");
    }

    @Test
    void anUnknownExitStatusIsDecidedByTheProgressRecords() {
        assertThat(Outcome.decide(false, null, null, null, null, true, List.of()).status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(Outcome.decide(false, null, null, "diverged", "loss is NaN", true, List.of()).status())
                .isEqualTo(TaskStatus.FAILED);
        Outcome lost = Outcome.decide(false, null, null, null, null, false, List.of());
        assertThat(lost.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(lost.errorCode()).isEqualTo("trainer_lost");
    }
}
