"""A backend on the tiny torch model of test_torch_train (no transformers), selected with
SAGE_TRAINER_TEST_BACKEND=tests.tiny_torch_backend: the real training loop, the real ``parallel`` module and the real
checkpoint saver, on counting sequences instead of a dataset, so a distributed run (gloo, CPU) is testable where
torch alone is installed. Artifacts: ``lora/model.pt`` (the whole tiny model, whatever the method)."""

from __future__ import annotations

import torch

from sage_trainer.checkpoint import MODEL_DIR, CheckpointSaver, load_training_state
from sage_trainer.distributed import current_rank
from sage_trainer.fsutil import staged_dir
from sage_trainer.plan import make_plan
from sage_trainer.protocol import log
from sage_trainer.train import Trainer

from tests.test_torch_train import counting_samples, tiny_model

MODEL_FILE = "model.pt"


class TinyBackend:
    def __init__(self, spec, writer, cancel):
        self.spec, self.writer, self.cancel = spec, writer, cancel
        self.parallel = None
        self.device = torch.device("cpu")
        if current_rank().distributed:
            from sage_trainer.parallel import Parallel

            self.parallel = Parallel.start(spec.distributed.parallelism)
            self.device = self.parallel.device
        self.model = self.wrapped = self.trainer = self.plan = None
        self.decay_names = None
        self.samples = []

    @property
    def is_main(self):
        return self.parallel is None or self.parallel.is_main

    def load_model(self):
        self.model = tiny_model(seed=self.spec.hyperparameters.seed)
        if self.spec.resume_from is not None:
            self.model.load_state_dict(torch.load(self.spec.resume_from / MODEL_DIR / MODEL_FILE, weights_only=True))
        self.model.to(self.device)
        if self.parallel is not None:
            self.decay_names = {n for n, p in self.model.named_parameters() if p.ndim >= 2}
            self.wrapped = self.parallel.wrap(self.model)

    def prepare_data(self):
        self.samples = counting_samples(24)
        world = self.parallel.world_size if self.parallel is not None else 1
        self.plan = make_plan(len(self.samples), self.spec.hyperparameters, world)
        log(f"{self.plan.total_steps} steps over {world} process(es)")

    def _state(self):
        return self.parallel.model_state() if self.parallel is not None else self.model.state_dict()

    def _save_model(self, directory):
        state = self._state()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            torch.save(state, directory / MODEL_FILE)

    def train(self):
        spec, hp = self.spec, self.spec.hyperparameters
        saver = CheckpointSaver(
            spec.checkpoints_dir,
            self._save_model,
            {"total_steps": self.plan.total_steps},
            hp.save_total_limit,
            self.writer,
            spec.task_dir,
            main=self.is_main,
            barrier=self.parallel.barrier if self.parallel is not None else None,
        )
        self.trainer = Trainer(
            self.wrapped if self.wrapped is not None else self.model,
            self.samples,
            hp,
            self.plan,
            self.device,
            "fp32",
            0,
            self.writer,
            self.cancel,
            saver,
            parallel=self.parallel,
            decay_names=self.decay_names,
        )
        if spec.resume_from is not None:
            self.trainer.load_state_dict(load_training_state(spec.resume_from))
            log(f"resumed at step {self.trainer.step}")
        self.trainer.run()

    def save(self):
        state = self._state()
        artifacts = []
        if self.is_main:
            with staged_dir(self.spec.lora_dir) as staging:
                torch.save(state, staging / MODEL_FILE)
            artifacts.append(("lora", self.spec.lora_dir))
        if self.parallel is not None:
            self.parallel.barrier()
            self.parallel.finish()
        return artifacts

    def best_checkpoint(self):
        return None

    def merge(self):
        raise NotImplementedError("the tiny model has nothing to merge")


def create_backend(spec, writer, cancel):
    return TinyBackend(spec, writer, cancel)
