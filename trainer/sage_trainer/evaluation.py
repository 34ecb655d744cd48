"""Validation bookkeeping, without torch: when to evaluate, the best eval loss and its step, early stopping.

The training loop (``train.Trainer``) computes the eval loss; this decides what it means. An evaluation that
improves on the best so far makes its step the best checkpoint (the loop saves it; ``CheckpointSaver`` never
prunes it); ``patience`` evaluations in a row without improvement stop training early. The state travels in
each checkpoint's ``trainer_state.json`` so a resumed run compares with the best of the run it continues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVALUATIONS_PER_RUN = 10


def default_eval_steps(total_steps: int) -> int:
    """About ten evaluations a run (the studio writes its own ``eval_steps``; this is for a job without one)."""
    return max(1, round(total_steps / EVALUATIONS_PER_RUN))


@dataclass
class Validation:
    every: int
    patience: int | None = None
    best_step: int | None = None
    best_eval_loss: float | None = None
    without_improvement: int = 0

    def due(self, step: int, total_steps: int) -> bool:
        """Evaluate at every ``every``-th step and at the last one."""
        return step % self.every == 0 or step == total_steps

    def record(self, step: int, eval_loss: float) -> bool:
        """Count an evaluation; whether it is a new best (lower than every earlier one)."""
        if self.best_eval_loss is None or eval_loss < self.best_eval_loss:
            self.best_step, self.best_eval_loss, self.without_improvement = step, eval_loss, 0
            return True
        self.without_improvement += 1
        return False

    def should_stop(self) -> bool:
        return self.patience is not None and self.without_improvement >= self.patience

    def state(self) -> dict[str, Any]:
        """What a checkpoint's ``trainer_state.json`` carries for a resume."""
        return {
            "best_step": self.best_step,
            "best_eval_loss": self.best_eval_loss,
            "evals_without_improvement": self.without_improvement,
        }

    def resume(self, trainer_state: dict[str, Any]) -> None:
        """Continue from a checkpoint's state (one written without validation has none: nothing changes)."""
        best_step, best_loss = trainer_state.get("best_step"), trainer_state.get("best_eval_loss")
        if isinstance(best_step, int) and isinstance(best_loss, (int, float)):
            self.best_step, self.best_eval_loss = best_step, float(best_loss)
            self.without_improvement = int(trainer_state.get("evals_without_improvement") or 0)

    def stop_message(self, step: int) -> str:
        return (
            f"early stopping at step {step}: no lower eval loss in {self.patience} evaluations "
            f"(best {self.best_eval_loss:.4f} at step {self.best_step})"
        )
