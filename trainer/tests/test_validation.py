"""Validation during training (issue 19): the spec's fields, the bookkeeping of ``Validation``, and the CLI with
the fake backend writing eval records, keeping the best checkpoint, stopping early and resuming with the best."""

import json
import tempfile
import unittest
from pathlib import Path

from sage_trainer.errors import BAD_SPEC, TrainerError
from sage_trainer.evaluation import Validation, default_eval_steps
from sage_trainer.spec import parse_spec

from tests.support import job, records, run_trainer, trainer_env, write_dataset, write_job


class ValidationBookkeepingTest(unittest.TestCase):
    def test_about_ten_evaluations_a_run(self):
        self.assertEqual(default_eval_steps(100), 10)
        self.assertEqual(default_eval_steps(15), 2)
        self.assertEqual(default_eval_steps(3), 1)

    def test_due_every_n_steps_and_at_the_end(self):
        v = Validation(every=4)
        self.assertEqual([s for s in range(1, 11) if v.due(s, 10)], [4, 8, 10])

    def test_best_and_patience(self):
        v = Validation(every=1, patience=2)
        self.assertTrue(v.record(1, 2.0))
        self.assertTrue(v.record(2, 1.5))
        self.assertFalse(v.record(3, 1.5))  # equal is no improvement
        self.assertFalse(v.should_stop())
        self.assertFalse(v.record(4, 1.7))
        self.assertTrue(v.should_stop())
        self.assertEqual((v.best_step, v.best_eval_loss), (2, 1.5))
        self.assertTrue(v.record(5, 1.0))
        self.assertFalse(v.should_stop())

    def test_without_patience_it_never_stops(self):
        v = Validation(every=1)
        v.record(1, 1.0)
        for step in range(2, 50):
            v.record(step, 2.0)
        self.assertFalse(v.should_stop())

    def test_state_round_trips_through_a_checkpoint(self):
        v = Validation(every=2, patience=3)
        v.record(2, 1.0)
        v.record(4, 1.2)
        resumed = Validation(every=2, patience=3)
        resumed.resume(json.loads(json.dumps({"step": 4, **v.state()})))
        self.assertEqual(resumed.state(), v.state())
        untouched = Validation(every=2)
        untouched.resume({"step": 4})  # a checkpoint of a run without validation
        self.assertIsNone(untouched.best_step)


class ValidationSpecTest(unittest.TestCase):
    TASK = Path("/tmp/task")

    def test_validation_path_and_its_hyperparameters(self):
        spec = parse_spec(
            job(validation_path="validation.jsonl", hyperparameters={"eval_steps": 5, "early_stopping_patience": 2}),
            self.TASK,
        )
        self.assertEqual(spec.validation_path, self.TASK / "validation.jsonl")
        self.assertEqual((spec.hyperparameters.eval_steps, spec.hyperparameters.early_stopping_patience), (5, 2))
        self.assertIsNone(parse_spec(job(validation_path=None), self.TASK).validation_path)

    def test_strict_like_every_field(self):
        cases = {
            "validation_path": job(validation_path=7),
            "hyperparameters.eval_steps must": job(validation_path="v.jsonl", hyperparameters={"eval_steps": 0}),
            "hyperparameters.early_stopping_patience must": job(
                validation_path="v.jsonl", hyperparameters={"early_stopping_patience": True}
            ),
            "hyperparameters.eval_steps needs validation_path": job(hyperparameters={"eval_steps": 5}),
            "hyperparameters.early_stopping_patience needs validation_path": job(
                hyperparameters={"early_stopping_patience": 1}
            ),
        }
        for expected, spec in cases.items():
            with self.subTest(expected):
                with self.assertRaises(TrainerError) as caught:
                    parse_spec(spec, self.TASK)
                self.assertEqual(caught.exception.code, BAD_SPEC)
                self.assertIn(expected, caught.exception.message)


class ValidationRunTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.task = Path(self._tmp.name)
        write_dataset(self.task / "dataset.jsonl", 8)
        write_dataset(self.task / "validation.jsonl", 3)

    def tearDown(self):
        self._tmp.cleanup()

    def run_job(self, **hp):
        base = {"max_steps": 20, "logging_steps": 1, "save_steps": 0}
        write_job(self.task, validation_path="validation.jsonl", hyperparameters={**base, **hp})
        return run_trainer(self.task, "--spec", "job.json", env=trainer_env())

    def of_type(self, kind):
        return [r for r in records(self.task) if r["type"] == kind]

    def test_evaluates_keeps_the_best_checkpoint_and_writes_the_model_from_it(self):
        result = self.run_job(save_steps=3, save_total_limit=1)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        evals = self.of_type("eval")
        self.assertEqual([e["step"] for e in evals], list(range(2, 21, 2)))  # default: a tenth of 20 steps
        losses = [e["eval_loss"] for e in evals]
        best_index = losses.index(min(losses))
        self.assertTrue(0 < best_index < len(losses) - 1, losses)
        best = [r for r in self.of_type("artifact") if r["kind"] == "best_checkpoint"]
        self.assertEqual(len(best), 1)
        self.assertEqual(
            (best[0]["path"], best[0]["step"], best[0]["eval_loss"]),
            (f"checkpoints/step-{evals[best_index]['step']}", evals[best_index]["step"], min(losses)),
        )
        # save_total_limit=1 prunes the periodic checkpoints, never the best one
        self.assertTrue((self.task / best[0]["path"] / "trainer_state.json").is_file())
        adapter = json.loads((self.task / "lora" / "adapter_config.json").read_text())
        self.assertEqual(adapter["trained_to_step"], best[0]["step"])
        self.assertEqual(self.of_type("phase")[-1]["phase"], "done")
        self.assertFalse(self.of_type("early_stopping"))

    def test_early_stopping_after_patience_evaluations_without_improvement(self):
        result = self.run_job(eval_steps=2, early_stopping_patience=2)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        evals = self.of_type("eval")
        losses = [e["eval_loss"] for e in evals]
        best_index = losses.index(min(losses))
        self.assertEqual(len(evals), best_index + 3)
        stop = self.of_type("early_stopping")
        self.assertEqual(len(stop), 1)
        self.assertEqual(
            (stop[0]["step"], stop[0]["patience"], stop[0]["best_step"]),
            (evals[-1]["step"], 2, evals[best_index]["step"]),
        )
        self.assertEqual(self.of_type("metrics")[-1]["step"], evals[-1]["step"])
        self.assertIn("early stopping at step", result.stdout)
        self.assertEqual(self.of_type("phase")[-1]["phase"], "done")

    def test_a_resumed_run_compares_with_the_best_before_it(self):
        result = self.run_job(eval_steps=2, max_steps=12)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        evals = {e["step"]: e["eval_loss"] for e in self.of_type("eval")}
        best_step = min(evals, key=evals.get)
        state = json.loads((self.task / f"checkpoints/step-{best_step}/trainer_state.json").read_text())
        self.assertEqual((state["best_step"], state["best_eval_loss"]), (best_step, evals[best_step]))

        (self.task / "progress.jsonl").unlink()
        write_job(
            self.task,
            validation_path="validation.jsonl",
            resume_from=f"checkpoints/step-{best_step}",
            hyperparameters={"max_steps": 12, "logging_steps": 1, "save_steps": 0, "eval_steps": 2},
        )
        result = run_trainer(self.task, "--spec", "job.json", env=trainer_env())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.of_type("metrics")[0]["step"], best_step + 1)
        best = [r for r in self.of_type("artifact") if r["kind"] == "best_checkpoint"]
        self.assertEqual(best[0]["step"], best_step)  # later evaluations were worse than the one before the resume

    def test_a_missing_validation_file_fails_like_a_missing_dataset(self):
        (self.task / "validation.jsonl").unlink()
        result = self.run_job()
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.of_type("error")[-1]["code"], "dataset_empty")


if __name__ == "__main__":
    unittest.main()
