"""The training loop: AdamW, warmup + cosine, gradient accumulation, mixed precision, checkpoints, and
validation (an eval loss every ``eval_steps`` and at the end, the best checkpoint kept, early stopping).

A hand-written loop rather than ``transformers.Trainer``: every protocol field comes straight from
the loop (the loss is the token-weighted mean over the logging window, exactly what was optimised),
cancellation can checkpoint between any two micro-batches, and nothing depends on the Trainer API,
which changed a lot between transformers 4 and 5.

Gradient accumulation weights each micro-batch by its share of the step's assistant tokens, so a
step's gradient is that of the mean loss over all its tokens, however they fall into micro-batches.
The eval loss is the same token-weighted mean, over every validation row, in eval mode without gradients.

Distributed (``parallel``, :mod:`.parallel`): each step's micro-batches are dealt out over the ranks
(``data.shard_group``), each weighted by its share of the whole step's tokens (times the world size: DDP and FSDP
average gradients over ranks), so the step's gradient is the same mean over all its tokens. A stop request is agreed
by all ranks at the same micro-batch; losses, token counts and eval losses are summed over the ranks; the checkpoint
is gathered whole and written by rank 0 (the writer of other ranks writes nothing).
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any, Sequence

from .cancel import CancelToken
from .checkpoint import CheckpointSaver
from .data import Sample, collate, count_trained_tokens, micro_batches, optimizer_groups, shard_group
from .errors import DIVERGED, INTERNAL, Cancelled, TrainerError
from .evaluation import Validation
from .plan import TrainingPlan, eta_seconds, lr_factor
from .protocol import ProgressWriter, log
from .spec import Hyperparameters, relative_to_task
from .speed import FLASH, AnswerLoss, block_causal_mask


class _Stop(Exception):
    """Cancellation noticed between micro-batches."""


def _grad_scaler(torch: Any):
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        try:
            return amp.GradScaler("cuda")
        except TypeError:
            pass
    return torch.cuda.amp.GradScaler()


class Trainer:
    def __init__(
        self,
        model: Any,
        samples: Sequence[Sample],
        hp: Hyperparameters,
        plan: TrainingPlan,
        device: Any,
        precision: str,
        pad_id: int,
        writer: ProgressWriter,
        cancel: CancelToken,
        checkpoints: CheckpointSaver,
        eval_samples: Sequence[Sample] = (),
        validation: Validation | None = None,
        parallel: Any = None,
        decay_names: set[str] | None = None,
        attention: str = "sdpa",
        fused_optimizer: bool = False,
    ):
        import torch

        self.torch = torch
        self.model = model
        self.samples = samples
        self.hp = hp
        self.plan = plan
        self.device = device
        self.pad_id = pad_id
        self.writer = writer
        self.cancel = cancel
        self.checkpoints = checkpoints
        self.eval_samples = eval_samples
        self.validation = validation
        self.parallel = parallel
        self.world_size = parallel.world_size if parallel is not None else 1
        self.rank = parallel.rank.rank if parallel is not None else 0
        self.step = 0
        self.attention = attention
        self.flatten = attention == FLASH  # flash-attention's varlen path: a micro-batch is one row, no padding
        self.loss = AnswerLoss(model)

        named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        self.params = [p for _, p in named]
        if not self.params:
            raise TrainerError(INTERNAL, "the model has no trainable parameters")
        # Matrices decay; biases and norm weights do not. FSDP flattens its shards, so the names decided before it.
        if decay_names is None:
            decays = [p.ndim >= 2 for _, p in named]
        else:
            from .parallel import clean_name

            decays = [clean_name(name) in decay_names for name, _ in named]
        groups = [
            {"params": [p for (_, p), d in zip(named, decays) if d], "weight_decay": hp.weight_decay},
            {"params": [p for (_, p), d in zip(named, decays) if not d], "weight_decay": 0.0},
        ]
        self.optimizer = torch.optim.AdamW(
            [g for g in groups if g["params"]], lr=hp.learning_rate, **({"fused": True} if fused_optimizer else {})
        )
        warmup, total = plan.warmup_steps, plan.total_steps
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda index: lr_factor(index + 1, warmup, total)
        )
        self.scaler = _grad_scaler(torch) if precision == "fp16" else None
        self.autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)

    # --- state -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        torch = self.torch
        rng = {"cpu": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        if self.parallel is not None:
            optimizer_format, optimizer_state = self.parallel.optimizer_state(self.optimizer)
        else:
            optimizer_format, optimizer_state = "ids", self.optimizer.state_dict()
        state = {
            "step": self.step,
            "optimizer": optimizer_state,
            "optimizer_format": optimizer_format,
            "scheduler": self.scheduler.state_dict(),
            "rng": rng,
        }
        if self.scaler is not None:
            state["scaler"] = self.scaler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        torch = self.torch
        saved_format = state.get("optimizer_format", "ids")
        wanted = self.parallel.optimizer_format() if self.parallel is not None else "ids"
        if saved_format != wanted:
            log(
                "note: the checkpoint's optimizer state was saved under another parallelism "
                f"({saved_format}-keyed, this run needs {wanted}-keyed): the weights resume, the optimizer starts afresh"
            )
        elif self.parallel is not None:
            self.parallel.load_optimizer_state(self.optimizer, state["optimizer"])
        else:
            self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng"]["cpu"])
        if self.device.type == "cuda" and "cuda" in state["rng"]:
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        self.step = int(state["step"])

    def save_checkpoint(self):
        extra = self.validation.state() if self.validation is not None else None
        return self.checkpoints.save(self.step, self.plan.epoch_at(self.step), self.state_dict(), extra)

    def best_checkpoint(self):
        """The checkpoint with the lowest eval loss, or ``None`` (no validation, or no evaluation yet)."""
        if self.validation is None or self.validation.best_step is None:
            return None
        return self.checkpoints.path(self.validation.best_step)

    # --- loop --------------------------------------------------------------------------------

    def run(self) -> None:
        plan, hp = self.plan, self.hp
        self.model.train()
        started = time.monotonic()
        steps_done = 0
        window = _Window(self.torch, self.device)
        with self.cancel.deferred():
            try:
                while self.step < plan.total_steps:
                    epoch = self.step // plan.steps_per_epoch
                    batches = micro_batches(len(self.samples), hp.batch_size, hp.seed, epoch)
                    groups = optimizer_groups(batches, hp.gradient_accumulation_steps * self.world_size)
                    for group in groups[self.step - epoch * plan.steps_per_epoch :]:
                        window.add(*self._accumulate(group))
                        grad_norm, learning_rate = self._optimizer_step()
                        self.step += 1
                        steps_done += 1
                        if self.step % hp.logging_steps == 0 or self.step == plan.total_steps:
                            self._log(window, grad_norm, learning_rate, time.monotonic() - started, steps_done)
                        saved = False
                        if self.validation is not None and self.validation.due(self.step, plan.total_steps):
                            improved = self._evaluate_and_record()
                            if improved:
                                # the best so far is a checkpoint of its own, never pruned: the model comes from it
                                self.checkpoints.protect(self.save_checkpoint())
                                saved = True
                            elif self.validation.should_stop():
                                message = self.validation.stop_message(self.step)
                                log(message)
                                self.writer.early_stopping(
                                    self.step,
                                    self.validation.patience,
                                    self.validation.best_step,
                                    self.validation.best_eval_loss,
                                )
                                return
                        if (
                            hp.save_steps
                            and self.step % hp.save_steps == 0
                            and self.step < plan.total_steps
                            and not saved
                        ):
                            self.save_checkpoint()
                        if self.step >= plan.total_steps:
                            break
            except _Stop:
                self.optimizer.zero_grad(set_to_none=True)
                saved = self.save_checkpoint()
                raise Cancelled(
                    f"cancelled by {self.cancel.signal_name or 'signal'} at step {self.step}; "
                    f"checkpoint saved to {relative_to_task(saved, self.checkpoints.task_dir)}"
                )

    def _evaluate_and_record(self) -> bool:
        """Evaluate, write the ``eval`` record, count it; whether it is the best so far."""
        eval_loss = self.evaluate()
        self.writer.eval(self.step, round(self.plan.epoch_at(self.step), 4), round(eval_loss, 6))
        return math.isfinite(eval_loss) and self.validation.record(self.step, eval_loss)

    def _stop_requested(self) -> bool:
        """A stop request: this process's own, or on any rank (all ranks agree at the same call)."""
        if self.parallel is None:
            return self.cancel.requested
        return self.parallel.any(self.cancel.requested)

    def evaluate(self) -> float:
        """The token-weighted mean loss over the validation rows (eval mode, no gradients, fixed order)."""
        torch = self.torch
        self.model.eval()
        forward = self.parallel.eval_module() if self.parallel is not None else self.model
        loss_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        tokens = 0
        starts = [[start] for start in range(0, len(self.eval_samples), self.hp.batch_size)]
        mine = shard_group(starts, self.rank, self.world_size) if self.parallel is not None else starts
        try:
            with torch.no_grad():
                for share in mine:
                    if self._stop_requested():
                        raise _Stop()
                    start = (share or starts[0])[0]
                    batch = self.eval_samples[start : start + self.hp.batch_size]
                    trained = count_trained_tokens(batch) if share is not None else 0
                    if trained == 0 and self.parallel is None:
                        continue
                    tensors = self._tensors(batch)
                    autocast = (
                        torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)
                        if self.autocast_dtype is not None
                        else contextlib.nullcontext()
                    )
                    with autocast:
                        loss = self.loss(forward, tensors)
                    if trained:
                        loss_sum += loss.double() * trained
                        tokens += trained
        finally:
            self.model.train()
        total, tokens = float(loss_sum.item()), tokens
        if self.parallel is not None:
            total, tokens = self.parallel.sum([total, tokens])
        return total / max(1, tokens)

    def _tensors(self, batch: Sequence[Sample]) -> dict[str, Any]:
        """A micro-batch on the device. Packed rows under SDPA/eager get the block-diagonal causal mask that keeps
        their samples apart; under flash-attention the micro-batch is one flattened row read by position ids."""
        torch = self.torch
        tensors = {
            name: torch.tensor(rows, dtype=torch.long, device=self.device)
            for name, rows in collate(batch, self.pad_id, flatten=self.flatten).items()
        }
        if "position_ids" in tensors and not self.flatten:
            tensors["attention_mask"] = block_causal_mask(tensors["position_ids"], self.attention)
        return tensors

    def _accumulate(self, group: list[list[int]]):
        """Forward and backward of this process's micro-batches of one step; (loss sum, trained tokens, input
        tokens) of what it trained on."""
        torch = self.torch
        group_tokens = max(1, sum(count_trained_tokens([self.samples[i] for i in indices]) for indices in group))
        mine = shard_group(group, self.rank, self.world_size) if self.parallel is not None else list(group)
        loss_sum = torch.zeros((), device=self.device, dtype=torch.float32)
        trained_tokens = input_tokens = 0
        for position, indices in enumerate(mine):
            if self._stop_requested():
                raise _Stop()
            batch = [self.samples[i] for i in (indices if indices is not None else group[0])]
            tensors = self._tensors(batch)
            trained = count_trained_tokens(batch) if indices is not None else 0
            autocast = (
                torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)
                if self.autocast_dtype is not None
                else contextlib.nullcontext()
            )
            sync = (
                self.parallel.no_sync(last=position == len(mine) - 1)
                if self.parallel is not None
                else contextlib.nullcontext()
            )
            with sync:
                with autocast:
                    loss = self.loss(self.model, tensors)
                share = loss * (trained / group_tokens * self.world_size)
                (self.scaler.scale(share) if self.scaler is not None else share).backward()
            if indices is not None:
                loss_sum += loss.detach() * trained
                trained_tokens += trained
                input_tokens += sum(len(sample.input_ids) for sample in batch)
        return loss_sum, trained_tokens, input_tokens

    def _optimizer_step(self):
        torch = self.torch
        if self._stop_requested():
            raise _Stop()
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        max_norm = self.hp.max_grad_norm if self.hp.max_grad_norm > 0 else math.inf
        if self.parallel is not None:
            grad_norm = self.parallel.clip_grad_norm(self.params, max_norm)
        else:
            grad_norm = torch.nn.utils.clip_grad_norm_(self.params, max_norm)
        learning_rate = self.optimizer.param_groups[0]["lr"]
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return grad_norm, learning_rate

    def _log(self, window: "_Window", grad_norm: Any, learning_rate: float, elapsed: float, steps_done: int) -> None:
        loss, tokens_per_second = window.flush(self.parallel)
        if not math.isfinite(loss):
            hint = " or use bf16/fp32 precision" if self.scaler is not None else ""
            raise TrainerError(
                DIVERGED,
                f"the loss became {loss} at step {self.step}; lower learning_rate "
                f"(now {self.hp.learning_rate:g}){hint}",
            )
        metrics = {
            "step": self.step,
            "total_steps": self.plan.total_steps,
            "epoch": round(self.plan.epoch_at(self.step), 4),
            "loss": round(loss, 6),
            "learning_rate": learning_rate,
            "grad_norm": round(float(grad_norm), 6),
            "tokens_per_second": round(tokens_per_second, 1),
            "eta_seconds": eta_seconds(elapsed, steps_done, self.plan.total_steps - self.step),
            "peak_memory_bytes": None,
        }
        if self.device.type == "cuda":
            metrics["peak_memory_bytes"] = int(self.torch.cuda.max_memory_allocated(self.device))
            metrics["peak_memory_reserved_bytes"] = int(self.torch.cuda.max_memory_reserved(self.device))
        self.writer.metrics(**metrics)


class _Window:
    """Loss and throughput over the steps since the last metrics line."""

    def __init__(self, torch: Any, device: Any):
        self._torch = torch
        self._device = device
        self._reset()

    def _reset(self) -> None:
        self.loss_sum = self._torch.zeros((), device=self._device, dtype=self._torch.float32)
        self.trained_tokens = 0
        self.input_tokens = 0
        self.started = time.monotonic()

    def add(self, loss_sum: Any, trained_tokens: int, input_tokens: int) -> None:
        self.loss_sum += loss_sum
        self.trained_tokens += trained_tokens
        self.input_tokens += input_tokens

    def flush(self, parallel: Any = None) -> tuple[float, float]:
        """The window's loss and throughput (of all ranks: every rank calls it at the same steps)."""
        loss_sum, trained, inputs = float(self.loss_sum.item()), self.trained_tokens, self.input_tokens  # waits for GPU
        if parallel is not None:
            loss_sum, trained, inputs = parallel.sum([loss_sum, trained, inputs])
        loss = loss_sum / max(1, trained)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        tokens_per_second = inputs / elapsed
        self._reset()
        return loss, tokens_per_second
