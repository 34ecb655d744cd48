"""``resume_from: "latest"`` (issue 20): the studio writes it into every Kubernetes attempt's job.json, because a Job that
Kubernetes restarts with the same job.json (a Kueue preemption suspends it, then admits it again) must continue from
its newest complete checkpoint rather than start over; with no checkpoint yet it starts fresh."""

import json
import tempfile
import unittest
from pathlib import Path

from sage_trainer.spec import parse_spec

from tests.support import job, records, run_trainer, trainer_env, write_dataset, write_job


def checkpoint(task: Path, step: int, complete: bool = True) -> None:
    directory = task / "checkpoints" / f"step-{step}"
    directory.mkdir(parents=True)
    if complete:
        (directory / "model").mkdir()
    (directory / "trainer_state.json").write_text(json.dumps({"step": step}))


class ResumeLatestTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.task = Path(self._tmp.name)
        write_dataset(self.task / "dataset.jsonl", 8)

    def tearDown(self):
        self._tmp.cleanup()

    def test_latest_is_the_newest_complete_checkpoint(self):
        checkpoint(self.task, 2)
        checkpoint(self.task, 10)
        checkpoint(self.task, 12, complete=False)  # cut short by the kill: no model/
        spec = parse_spec(job(resume_from="latest"), self.task)
        self.assertEqual(spec.resume_from, self.task / "checkpoints" / "step-10")

    def test_latest_without_a_checkpoint_is_a_fresh_start(self):
        self.assertIsNone(parse_spec(job(resume_from="latest"), self.task).resume_from)
        checkpoint(self.task, 3, complete=False)
        self.assertIsNone(parse_spec(job(resume_from="latest"), self.task).resume_from)

    def test_the_same_job_run_again_continues_after_its_checkpoint(self):
        write_job(self.task, resume_from="latest", hyperparameters={"max_steps": 8, "save_steps": 0})
        first = run_trainer(self.task, "--spec", "job.json", env=trainer_env())
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertIn("resume_from latest: no complete checkpoint yet, starting fresh", first.stdout)
        self.assertEqual([r["step"] for r in records(self.task) if r["type"] == "metrics"][0], 1)

        (self.task / "progress.jsonl").unlink()
        checkpoint(self.task, 5)  # what a SIGTERM at step 5 leaves (the fake backend writes the same)
        second = run_trainer(self.task, "--spec", "job.json", env=trainer_env())
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        self.assertIn("resume_from latest: step-5", second.stdout)
        steps = [r["step"] for r in records(self.task) if r["type"] == "metrics"]
        self.assertEqual(steps, [6, 7, 8])


if __name__ == "__main__":
    unittest.main()
