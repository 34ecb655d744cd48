"""The arithmetic of a run: step counts, the learning-rate schedule, precision, ETA. No torch."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import UNSUPPORTED, TrainerError
from .spec import Hyperparameters


@dataclass(frozen=True)
class TrainingPlan:
    """How many optimizer steps the run takes.

    One optimizer step consumes ``gradient_accumulation_steps`` micro-batches per process (the last group of an
    epoch may be shorter). ``max_steps > 0`` replaces ``epochs``, cycling through the data as needed.
    """

    examples: int
    micro_batches_per_epoch: int
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int

    def epoch_at(self, step: int) -> float:
        return step / self.steps_per_epoch


def make_plan(examples: int, hp: Hyperparameters, world_size: int = 1) -> TrainingPlan:
    """``world_size`` processes each take ``batch_size`` rows per micro-batch (``batch_size`` is per process, like
    transformers' ``per_device_train_batch_size``): a step consumes ``world_size`` times the rows of one process."""
    if examples <= 0:
        raise ValueError("a plan needs at least one example")
    micro_batches = math.ceil(examples / hp.batch_size)
    steps_per_epoch = math.ceil(micro_batches / (hp.gradient_accumulation_steps * world_size))
    total = hp.max_steps if hp.max_steps > 0 else hp.epochs * steps_per_epoch
    warmup = min(total, math.ceil(hp.warmup_ratio * total))
    return TrainingPlan(examples, micro_batches, steps_per_epoch, total, warmup)


def lr_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """Learning-rate multiplier for optimizer step ``step`` (1-based): linear warmup, then cosine.

    Warmup reaches the full rate at step ``warmup_steps``; the cosine then decays towards zero over
    the remaining steps without spending a step at exactly zero at either end.
    """
    if warmup_steps > 0 and step <= warmup_steps:
        return step / warmup_steps
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps - 1) / decay_steps)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def resolve_precision(requested: str, device_type: str, bf16_supported: bool) -> str:
    """``auto`` → bf16 where the GPU has it, else fp16; fp32 on CPU. Explicit choices are honoured
    or refused, never swapped for another."""
    if requested == "auto":
        if device_type == "cuda":
            return "bf16" if bf16_supported else "fp16"
        return "fp32"
    if requested == "bf16" and device_type == "cuda" and not bf16_supported:
        raise TrainerError(
            UNSUPPORTED,
            "precision bf16 was requested but this GPU does not support bfloat16; " "use precision fp16 or auto",
        )
    if requested == "fp16" and device_type != "cuda":
        raise TrainerError(
            UNSUPPORTED,
            "precision fp16 needs a CUDA GPU (mixed-precision fp16 training is not "
            "supported on CPU); use precision fp32 or auto",
        )
    return requested


def eta_seconds(elapsed: float, steps_done: int, steps_left: int) -> int | None:
    """Remaining time at the average pace of the ``steps_done`` steps this process took so far."""
    if steps_done <= 0:
        return None
    return max(0, round(elapsed / steps_done * steps_left))
