"""A torch-free backend for the CLI tests, selected with SAGE_TRAINER_TEST_BACKEND=tests.fake_backend.

Data loading and validation are the real ones (with the stand-in tokenizer); training is a timed
loop that obeys the same cancellation contract as the real loop. With ``validation_path`` it evaluates like the
real loop (``sage_trainer.evaluation.Validation``: every ``eval_steps`` and at the end, the best checkpoint saved and
kept, early stopping) on an eval loss that falls, then rises. Knobs (environment):
FAKE_BACKEND_LOAD_SECONDS, FAKE_BACKEND_STEP_SECONDS, FAKE_BACKEND_FAIL=oom|crash|kill (at step 2; kill: SIGKILL
itself), FAKE_BACKEND_FAIL_RANK (only that rank of a distributed run fails). As one rank of a distributed run, rank 0
alone writes checkpoints and lora/, as the real backend does.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from pathlib import Path

from sage_trainer.data import as_samples, encode_conversations, load_conversations
from sage_trainer.errors import Cancelled
from sage_trainer.distributed import current_rank
from sage_trainer.evaluation import Validation, default_eval_steps
from sage_trainer.formatting import ChatEncoder
from sage_trainer.plan import make_plan
from sage_trainer.protocol import log
from sage_trainer.spec import relative_to_task

from tests.stand_ins import ChatMLTokenizer


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError, which the CLI recognises by name."""


def _seconds(name: str) -> float:
    return float(os.environ.get(name, "0"))


class FakeBackend:
    def __init__(self, spec, writer, cancel):
        self.spec, self.writer, self.cancel = spec, writer, cancel
        self.plan = None
        self.validation = None
        self.step = 0
        self.rank = current_rank()

    def load_model(self):
        time.sleep(_seconds("FAKE_BACKEND_LOAD_SECONDS"))

    def prepare_data(self):
        hp = self.spec.hyperparameters
        examples, _ = encode_conversations(
            ChatEncoder(ChatMLTokenizer(), hp.max_length), load_conversations(self.spec.dataset_path)
        )
        self.plan = make_plan(len(as_samples(examples)), hp)
        if self.spec.validation_path is not None:
            encode_conversations(
                ChatEncoder(ChatMLTokenizer(), hp.max_length), load_conversations(self.spec.validation_path)
            )
            self.validation = Validation(
                hp.eval_steps or default_eval_steps(self.plan.total_steps), hp.early_stopping_patience
            )

    def _checkpoint(self, step):
        directory = self.spec.checkpoints_dir / f"step-{step}"
        if not self.rank.is_main:
            return directory
        (directory / "model").mkdir(parents=True, exist_ok=True)
        state = {"step": step, **(self.validation.state() if self.validation else {})}
        (directory / "trainer_state.json").write_text(json.dumps(state))
        self.writer.artifact("checkpoint", relative_to_task(directory, self.spec.task_dir))
        return directory

    def _eval_loss(self, step):
        x = step / self.plan.total_steps
        return round(0.55 + 1.9 * math.exp(-5.0 * x) + 0.9 * x * x, 4)

    def train(self):
        failure = os.environ.get("FAKE_BACKEND_FAIL")
        failing_rank = os.environ.get("FAKE_BACKEND_FAIL_RANK")
        if failing_rank is not None and int(failing_rank) != self.rank.rank:
            failure = None
        start = 0
        if self.spec.resume_from is not None:
            state = json.loads((self.spec.resume_from / "trainer_state.json").read_text())
            start = state["step"]
            if self.validation is not None:
                self.validation.resume(state)
        with self.cancel.deferred():
            for step in range(start + 1, self.plan.total_steps + 1):
                if self.cancel.requested:
                    saved = self._checkpoint(step - 1)
                    raise Cancelled(
                        f"cancelled by {self.cancel.signal_name}; checkpoint saved to "
                        f"{relative_to_task(saved, self.spec.task_dir)}"
                    )
                if failure == "oom" and step == 2:
                    raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
                if failure == "crash" and step == 2:
                    raise RuntimeError("simulated crash")
                if failure == "kill" and step == 2:
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(_seconds("FAKE_BACKEND_STEP_SECONDS"))
                self.writer.metrics(
                    step=step,
                    total_steps=self.plan.total_steps,
                    epoch=round(self.plan.epoch_at(step), 4),
                    loss=2.0 / step,
                    learning_rate=1e-4,
                    grad_norm=1.0,
                    tokens_per_second=100.0,
                    eta_seconds=0,
                    peak_memory_bytes=None,
                )
                self.step = step
                v = self.validation
                if v is not None and v.due(step, self.plan.total_steps):
                    eval_loss = self._eval_loss(step)
                    self.writer.eval(step, round(self.plan.epoch_at(step), 4), eval_loss)
                    if v.record(step, eval_loss):
                        self._checkpoint(step)
                    elif v.should_stop():
                        log(v.stop_message(step))
                        self.writer.early_stopping(step, v.patience, v.best_step, v.best_eval_loss)
                        return

    def best_checkpoint(self):
        v = self.validation
        if v is None or v.best_step is None:
            return None
        return self.spec.checkpoints_dir / f"step-{v.best_step}", v.best_step, v.best_eval_loss

    def save(self):
        if not self.rank.is_main:
            return []
        lora = self.spec.lora_dir
        lora.mkdir(parents=True, exist_ok=True)
        adapter = {"base_model_name_or_path": self.spec.base_model}
        best = self.best_checkpoint()
        if best is not None:
            adapter["trained_to_step"] = best[1]  # where the weights come from: the best checkpoint, not the last step
        (lora / "adapter_config.json").write_text(json.dumps(adapter))
        return [("lora", lora)]

    def merge(self):
        return merge_adapter(
            self.spec.base_model, self.spec.task_dir, self.spec.lora_dir, self.spec.merged_dir, self.cancel
        )


def create_backend(spec, writer, cancel):
    return FakeBackend(spec, writer, cancel)


def merge_adapter(base_model, task_dir, lora_dir, output_dir, cancel):
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / "config.json").write_text(json.dumps({"merged_from": base_model, "adapter": str(lora_dir)}))
    return output
