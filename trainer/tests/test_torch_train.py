"""The real training loop on a tiny torch model (skipped where torch is not installed)."""

import copy
from dataclasses import dataclass
from typing import Any
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

from sage_trainer.cancel import CancelToken
from sage_trainer.checkpoint import CheckpointSaver, list_checkpoints, read_state
from sage_trainer.data import Sample, collate
from sage_trainer.errors import DIVERGED, Cancelled, TrainerError
from sage_trainer.formatting import IGNORE_INDEX
from sage_trainer.plan import lr_factor, make_plan
from sage_trainer.protocol import ProgressWriter, read_records
from sage_trainer.spec import Hyperparameters

try:
    import torch
except ImportError:
    torch = None

# Checkpoints load with torch.load(weights_only=True), which needs the trainer's minimum torch 2.1.
TORCH_OK = torch is not None and tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 1)

VOCAB = 24


def tiny_model(seed=0):
    torch.manual_seed(seed)

    class TinyCausalLM(torch.nn.Module):
        """Next-token model with the keyword interface of a transformers causal LM."""

        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(VOCAB, 32)
            self.hidden = torch.nn.Linear(32, 32)
            self.head = torch.nn.Linear(32, VOCAB)

        def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None, use_cache=None):
            logits = self.head(torch.tanh(self.hidden(self.embed(input_ids))))
            loss = torch.nn.functional.cross_entropy(
                logits[:, :-1].reshape(-1, VOCAB).float(), labels[:, 1:].reshape(-1), ignore_index=IGNORE_INDEX
            )
            return TinyOutput(loss=loss, logits=logits)

    return TinyCausalLM()


@dataclass
class TinyOutput:
    """What a transformers model returns, as far as the loop and FSDP care: a dataclass (FSDP hooks the tensors of
    the outputs it can walk: dataclasses, mappings, sequences; not a SimpleNamespace)."""

    loss: Any
    logits: Any


def counting_samples(count=12):
    """Sequences that count up modulo VOCAB; the first tokens are the (masked) prompt."""
    samples = []
    for i in range(count):
        length = 6 + i % 5
        ids = [(i + k) % VOCAB for k in range(length)]
        prompt = 2 + i % 3
        samples.append(Sample(ids, [IGNORE_INDEX] * prompt + ids[prompt:]))
    return samples


@unittest.skipUnless(TORCH_OK, "needs torch>=2.1")
class TrainingLoopTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.task = Path(self._tmp.name)
        self.writer = ProgressWriter(self.task / "progress.jsonl")

    def tearDown(self):
        self.writer.close()
        self._tmp.cleanup()

    def trainer(self, model, hp, cancel=None, keep=None, validation=None):
        from sage_trainer.train import Trainer

        samples = counting_samples()
        plan = make_plan(len(samples), hp)

        def save_model(directory):
            directory.mkdir(parents=True)
            torch.save(model.state_dict(), directory / "model.pt")

        saver = CheckpointSaver(
            self.task / "checkpoints", save_model, {"total_steps": plan.total_steps}, keep, self.writer, self.task
        )
        return Trainer(
            model,
            samples,
            hp,
            plan,
            torch.device("cpu"),
            "fp32",
            0,
            self.writer,
            cancel or CancelToken(),
            saver,
            counting_samples(6) if validation else (),
            validation,
        )

    def metrics(self):
        return [r for r in read_records(self.task / "progress.jsonl") if r["type"] == "metrics"]

    def test_loss_falls_and_every_metrics_line_is_complete(self):
        hp = Hyperparameters(
            batch_size=4,
            learning_rate=0.05,
            max_steps=30,
            logging_steps=3,
            warmup_ratio=0.1,
            save_steps=0,
            weight_decay=0.01,
        )
        self.trainer(tiny_model(), hp).run()
        metrics = self.metrics()
        self.assertEqual([m["step"] for m in metrics], list(range(3, 31, 3)))
        self.assertLess(metrics[-1]["loss"], 0.5 * metrics[0]["loss"])
        for m in metrics:
            self.assertEqual(m["total_steps"], 30)
            self.assertAlmostEqual(m["learning_rate"], 0.05 * lr_factor(m["step"], 3, 30))
            self.assertAlmostEqual(m["epoch"], m["step"] / 3, places=3)
            self.assertGreater(m["grad_norm"], 0)
            self.assertGreater(m["tokens_per_second"], 0)
            self.assertIsInstance(m["eta_seconds"], int)
            self.assertIsNone(m["peak_memory_bytes"])

    def test_accumulated_micro_batches_give_the_gradient_of_the_whole_batch(self):
        hp = Hyperparameters(batch_size=2, gradient_accumulation_steps=2, learning_rate=0.01, max_steps=1)
        model = tiny_model()
        reference = copy.deepcopy(model)
        trainer = self.trainer(model, hp)
        trainer._accumulate([[0, 1], [2, 5]])
        samples = counting_samples()
        batch = {k: torch.tensor(v) for k, v in collate([samples[i] for i in (0, 1, 2, 5)], 0).items()}
        reference(**batch).loss.backward()
        for mine, theirs in zip(model.parameters(), reference.parameters()):
            torch.testing.assert_close(mine.grad, theirs.grad)

    def test_cancel_checkpoints_and_resume_continues_exactly(self):
        hp = Hyperparameters(
            batch_size=3,
            gradient_accumulation_steps=2,
            learning_rate=0.05,
            max_steps=8,
            logging_steps=1,
            save_steps=0,
            warmup_ratio=0.25,
        )
        straight = tiny_model()
        self.trainer(straight, hp).run()

        interrupted = tiny_model()
        cancel = CancelToken()
        trainer = self.trainer(interrupted, hp, cancel)
        original_log = trainer._log

        def log_then_cancel(*args):
            original_log(*args)
            if trainer.step == 4:
                with cancel.deferred():
                    cancel.request("SIGTERM")
                cancel.stop_watchdog()

        trainer._log = log_then_cancel
        with self.assertRaises(Cancelled) as caught:
            trainer.run()
        self.assertIn("checkpoint saved to checkpoints/step-4", caught.exception.message)
        checkpoint = self.task / "checkpoints" / "step-4"
        self.assertEqual(read_state(checkpoint)["step"], 4)

        from sage_trainer.checkpoint import load_training_state

        resumed = tiny_model(seed=123)
        resumed.load_state_dict(torch.load(checkpoint / "model" / "model.pt"))
        trainer = self.trainer(resumed, hp)
        trainer.load_state_dict(load_training_state(checkpoint))
        self.assertEqual(trainer.step, 4)
        trainer.run()
        for mine, theirs in zip(resumed.parameters(), straight.parameters()):
            torch.testing.assert_close(mine, theirs)

    def test_periodic_checkpoints_are_pruned_to_the_limit(self):
        hp = Hyperparameters(batch_size=4, learning_rate=0.01, max_steps=7, save_steps=2, logging_steps=10)
        self.trainer(tiny_model(), hp, keep=2).run()
        self.assertEqual([p.name for p in list_checkpoints(self.task / "checkpoints")], ["step-4", "step-6"])
        artifacts = [r["path"] for r in read_records(self.task / "progress.jsonl") if r["type"] == "artifact"]
        self.assertEqual(artifacts, ["checkpoints/step-2", "checkpoints/step-4", "checkpoints/step-6"])

    def test_validation_evaluates_and_keeps_the_best_checkpoint_from_pruning(self):
        from sage_trainer.evaluation import Validation

        hp = Hyperparameters(batch_size=4, learning_rate=0.05, max_steps=30, logging_steps=3, save_steps=4)
        validation = Validation(every=5)
        trainer = self.trainer(tiny_model(), hp, keep=1, validation=validation)
        trainer.run()
        records = read_records(self.task / "progress.jsonl")
        evals = [r for r in records if r["type"] == "eval"]
        self.assertEqual([e["step"] for e in evals], [5, 10, 15, 20, 25, 30])
        self.assertLess(evals[-1]["eval_loss"], 0.7 * evals[0]["eval_loss"])
        best = min(evals, key=lambda e: e["eval_loss"])
        self.assertEqual(validation.best_step, best["step"])
        self.assertAlmostEqual(validation.best_eval_loss, best["eval_loss"], places=6)  # the record is rounded
        self.assertEqual(trainer.best_checkpoint(), self.task / "checkpoints" / f"step-{best['step']}")
        self.assertIn(f"step-{best['step']}", [p.name for p in list_checkpoints(self.task / "checkpoints")])
        self.assertEqual(read_state(trainer.best_checkpoint())["best_step"], best["step"])
        self.assertTrue(trainer.model.training)  # evaluation puts the model back into training mode

    def test_early_stopping_after_patience_evaluations_without_improvement(self):
        from sage_trainer.evaluation import Validation

        hp = Hyperparameters(batch_size=4, learning_rate=0.01, max_steps=30, logging_steps=1, save_steps=0)
        trainer = self.trainer(tiny_model(), hp, validation=Validation(every=3, patience=2))
        losses = iter([3.0, 2.0, 1.0, 1.5, 1.2, 0.5])
        trainer.evaluate = lambda: next(losses)
        trainer.run()
        records = read_records(self.task / "progress.jsonl")
        self.assertEqual([r["step"] for r in records if r["type"] == "eval"], [3, 6, 9, 12, 15])
        stop = [r for r in records if r["type"] == "early_stopping"]
        self.assertEqual([(r["step"], r["best_step"], r["patience"]) for r in stop], [(15, 9, 2)])
        self.assertEqual(trainer.step, 15)
        self.assertEqual([p.name for p in list_checkpoints(self.task / "checkpoints")], ["step-3", "step-6", "step-9"])

    def test_a_non_finite_loss_stops_the_run(self):
        model = tiny_model()
        forward = model.forward
        model.forward = lambda **kw: SimpleNamespace(loss=forward(**kw).loss * float("nan"))
        with self.assertRaises(TrainerError) as caught:
            self.trainer(model, Hyperparameters(batch_size=4, max_steps=2, logging_steps=1)).run()
        self.assertEqual(caught.exception.code, DIVERGED)


if __name__ == "__main__":
    unittest.main()
