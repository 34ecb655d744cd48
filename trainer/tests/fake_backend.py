"""A torch-free backend for the CLI tests, selected with SAGE_TRAINER_TEST_BACKEND=tests.fake_backend.

Data loading and validation are the real ones (with the stand-in tokenizer); training is a timed
loop that obeys the same cancellation contract as the real loop. Knobs (environment):
FAKE_BACKEND_LOAD_SECONDS, FAKE_BACKEND_STEP_SECONDS, FAKE_BACKEND_FAIL=oom|crash (at step 2).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sage_trainer.data import as_samples, encode_conversations, load_conversations
from sage_trainer.errors import Cancelled
from sage_trainer.formatting import ChatEncoder
from sage_trainer.plan import make_plan
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

    def load_model(self):
        time.sleep(_seconds("FAKE_BACKEND_LOAD_SECONDS"))

    def prepare_data(self):
        hp = self.spec.hyperparameters
        examples, _ = encode_conversations(
            ChatEncoder(ChatMLTokenizer(), hp.max_length), load_conversations(self.spec.dataset_path)
        )
        self.plan = make_plan(len(as_samples(examples)), hp)

    def _checkpoint(self, step):
        directory = self.spec.checkpoints_dir / f"step-{step}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "trainer_state.json").write_text(json.dumps({"step": step}))
        self.writer.artifact("checkpoint", relative_to_task(directory, self.spec.task_dir))
        return directory

    def train(self):
        failure = os.environ.get("FAKE_BACKEND_FAIL")
        with self.cancel.deferred():
            for step in range(1, self.plan.total_steps + 1):
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

    def save(self):
        lora = self.spec.lora_dir
        lora.mkdir(parents=True, exist_ok=True)
        (lora / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": self.spec.base_model}))
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
