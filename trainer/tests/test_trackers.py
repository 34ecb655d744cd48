"""Experiment trackers (``trackers.py``): the hand-written TensorBoard event files (read back by this package's
reader always, and by tensorboard's own ``EventAccumulator`` where it is installed), the ``tracker`` records of a run
through the CLI, ``report_to`` naming trackers that are not installed, and MLflow / W&B through stand-in modules."""

import importlib.util
import json
import os
import tempfile
import textwrap
import unittest
from pathlib import Path

from sage_trainer.errors import BAD_SPEC, TrainerError
from sage_trainer.spec import parse_spec
from sage_trainer.trackers import EventFileWriter, crc32c, encode_event, frame, masked_crc32c, read_event_file

from tests.support import job, records, run_trainer, trainer_env, write_dataset, write_job

TENSORBOARD = importlib.util.find_spec("tensorboard") is not None
TRACKER_VARIABLES = ("MLFLOW_", "WANDB_")

# Stand-ins for the two libraries: each call is appended to calls.jsonl beside the module.
STAND_INS = {
    "mlflow": """
        import json, os
        from types import SimpleNamespace
        _calls = os.path.join(os.path.dirname(__file__), "calls.jsonl")
        def _call(*args):
            with open(_calls, "a") as f:
                f.write(json.dumps(["mlflow", *args]) + "\\n")
        def set_tracking_uri(uri): _call("set_tracking_uri", uri)
        def set_experiment(name): _call("set_experiment", name)
        def start_run(run_id=None, run_name=None, tags=None):
            _call("start_run", run_id, run_name)
            return SimpleNamespace(info=SimpleNamespace(run_id=run_id or "run-abc", experiment_id="7"))
        def log_params(params): _call("log_params", params)
        def log_metrics(metrics, step=None):
            if os.environ.get("FAKE_MLFLOW_BROKEN"):
                raise ConnectionError("tracking server went away")
            _call("log_metrics", metrics, step)
        def end_run(status="FINISHED"): _call("end_run", status)
    """,
    "wandb": """
        import json, os
        _calls = os.path.join(os.path.dirname(__file__), "calls.jsonl")
        def _call(*args):
            with open(_calls, "a") as f:
                f.write(json.dumps(["wandb", *args]) + "\\n")
        class Settings:
            def __init__(self, **kw): pass
        class _Run:
            id = "wb123"
            url = None if os.environ.get("WANDB_MODE") == "offline" else "https://wandb.ai/team/sage-studio/runs/wb123"
            def log(self, data, step=None): _call("log", data, step)
            def finish(self, exit_code=0): _call("finish", exit_code)
        def init(**kw):
            _call("init", kw.get("project"), kw.get("name"), kw.get("id"))
            return _Run()
    """,
}


def clean_env(**variables):
    env = trainer_env(**variables)
    for name in list(env):
        if name.startswith(TRACKER_VARIABLES) and name not in variables:
            del env[name]
    return env


class EventFileFormatTest(unittest.TestCase):
    def test_crc32c_matches_the_standard_check_value(self):
        self.assertEqual(crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(crc32c(b""), 0)

    def test_a_record_is_framed_with_its_length_and_two_masked_checksums(self):
        data = encode_event(1.5, step=3, scalars={"train/loss": 0.25})
        framed = frame(data)
        self.assertEqual(len(framed), 8 + 4 + len(data) + 4)
        self.assertEqual(int.from_bytes(framed[:8], "little"), len(data))
        self.assertEqual(int.from_bytes(framed[8:12], "little"), masked_crc32c(framed[:8]))
        self.assertEqual(int.from_bytes(framed[-4:], "little"), masked_crc32c(data))

    def test_written_scalars_read_back(self):
        with tempfile.TemporaryDirectory() as tmp:
            writer = EventFileWriter(tmp)
            writer.add_scalars({"train/loss": 1.25, "train/learning_rate": 2e-4}, 1)
            writer.add_scalars({"train/loss": 0.5}, 2**40)
            writer.close()
            self.assertIn("tfevents", os.path.basename(writer.path))
            events = read_event_file(writer.path)
        self.assertEqual(events[0]["file_version"], "brain.Event:2")
        self.assertEqual([e["step"] for e in events[1:]], [1, 2**40])
        self.assertEqual(events[1]["scalars"]["train/loss"], 1.25)
        self.assertAlmostEqual(events[1]["scalars"]["train/learning_rate"], 2e-4, places=9)
        self.assertEqual(events[2]["scalars"], {"train/loss": 0.5})

    def test_a_corrupted_record_is_detected(self):
        with tempfile.TemporaryDirectory() as tmp:
            writer = EventFileWriter(tmp)
            writer.add_scalars({"train/loss": 1.0}, 1)
            writer.close()
            data = bytearray(Path(writer.path).read_bytes())
            data[-6] ^= 0xFF
            Path(writer.path).write_bytes(bytes(data))
            with self.assertRaisesRegex(ValueError, "checksum"):
                read_event_file(writer.path)

    @unittest.skipUnless(TENSORBOARD, "needs tensorboard (pip install tensorboard)")
    def test_tensorboards_own_reader_loads_the_hand_written_file(self):
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        with tempfile.TemporaryDirectory() as tmp:
            writer = EventFileWriter(tmp)
            for step in (1, 2, 3):
                writer.add_scalars({"train/loss": 1.0 / step, "eval/loss": 2.0 / step}, step)
            writer.close()
            accumulator = EventAccumulator(tmp)
            accumulator.Reload()
            self.assertEqual(set(accumulator.Tags()["scalars"]), {"train/loss", "eval/loss"})
            loss = accumulator.Scalars("train/loss")
        self.assertEqual([e.step for e in loss], [1, 2, 3])
        self.assertEqual([round(e.value, 6) for e in loss], [1.0, 0.5, 0.333333])


class ReportToSpecTest(unittest.TestCase):
    def test_report_to_names_known_trackers_once(self):
        spec = parse_spec(job(report_to=["mlflow", "wandb", "mlflow"]), Path("/tmp/task"))
        self.assertEqual(spec.report_to, ("mlflow", "wandb"))
        self.assertEqual(parse_spec(job(), Path("/tmp/task")).report_to, ())

    def test_an_unknown_tracker_is_a_bad_spec_naming_it(self):
        with self.assertRaises(TrainerError) as caught:
            parse_spec(job(report_to=["comet"]), Path("/tmp/task"))
        self.assertEqual(caught.exception.code, BAD_SPEC)
        self.assertIn("report_to names unknown trackers comet", caught.exception.message)


class TrackedRunTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.task = Path(self._tmp.name) / "task"
        self.task.mkdir()
        write_dataset(self.task / "dataset.jsonl", 8)

    def tearDown(self):
        self._tmp.cleanup()

    def stand_ins(self) -> Path:
        folder = Path(self._tmp.name) / "stand_ins"
        folder.mkdir(exist_ok=True)
        for name, source in STAND_INS.items():
            (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        return folder

    def calls(self, folder: Path) -> list:
        path = folder / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def trackers(self) -> dict:
        return {r["name"]: r for r in records(self.task) if r["type"] == "tracker"}

    def scalars(self) -> dict:
        files = sorted((self.task / "tensorboard").glob("events.out.tfevents.*"))
        self.assertEqual(len(files), 1, files)
        out: dict = {}
        for event in read_event_file(files[0]):
            for tag, value in event["scalars"].items():
                out.setdefault(tag, {})[event["step"]] = value
        return out

    def test_every_run_writes_tensorboard_event_files_of_its_metrics_and_evals(self):
        write_dataset(self.task / "validation.jsonl", 2)
        write_job(self.task, validation_path="validation.jsonl", hyperparameters={"max_steps": 4, "eval_steps": 2})
        result = run_trainer(self.task, "--spec", "job.json", env=clean_env())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(
            self.trackers(),
            {"tensorboard": {**self.trackers()["tensorboard"], "state": "active", "log_dir": "tensorboard"}},
        )
        metrics = [r for r in records(self.task) if r["type"] == "metrics"]
        scalars = self.scalars()
        self.assertEqual(sorted(scalars["train/loss"]), [m["step"] for m in metrics])
        for record in metrics:
            self.assertAlmostEqual(scalars["train/loss"][record["step"]], record["loss"], places=5)
        self.assertIn("train/learning_rate", scalars)
        evals = {r["step"]: r["eval_loss"] for r in records(self.task) if r["type"] == "eval"}
        self.assertEqual(sorted(scalars["eval/loss"]), sorted(evals))

    def test_named_trackers_that_are_not_installed_are_reported_unavailable_and_the_run_succeeds(self):
        write_job(self.task, report_to=["mlflow", "wandb"])
        result = run_trainer(self.task, "--spec", "job.json", env=clean_env(MLFLOW_TRACKING_URI="http://127.0.0.1:1"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        trackers = self.trackers()
        self.assertEqual(trackers["tensorboard"]["state"], "active")
        for name in ("mlflow", "wandb"):
            self.assertEqual(trackers[name]["state"], "unavailable")
            self.assertIn(f"WARNING: {name} is named in report_to but unavailable", result.stdout)
        if importlib.util.find_spec("mlflow") is None:
            self.assertIn("pip install mlflow", trackers["mlflow"]["message"])

    def test_mlflow_and_wandb_get_params_metrics_and_the_outcome_and_secrets_stay_out(self):
        folder = self.stand_ins()
        write_job(self.task, report_to=["mlflow", "wandb"], hyperparameters={"max_steps": 3})
        env = clean_env(
            extra_path=None,
            MLFLOW_TRACKING_URI="https://alice:s3cret-pass@mlflow.example:5000/",
            WANDB_API_KEY="wandb-secret-key-123",
        )
        env["PYTHONPATH"] = os.pathsep.join([str(folder), env["PYTHONPATH"]])
        result = run_trainer(self.task, "--spec", "job.json", env=env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        trackers = self.trackers()
        self.assertEqual(
            {k: trackers["mlflow"][k] for k in ("state", "run_id", "url")},
            {"state": "active", "run_id": "run-abc", "url": "https://mlflow.example:5000/#/experiments/7/runs/run-abc"},
        )
        self.assertEqual(
            {k: trackers["wandb"][k] for k in ("state", "run_id", "url")},
            {"state": "active", "run_id": "wb123", "url": "https://wandb.ai/team/sage-studio/runs/wb123"},
        )
        calls = self.calls(folder)
        params = next(c[2] for c in calls if c[:2] == ["mlflow", "log_params"])
        self.assertEqual((params["task_id"], params["method"], params["max_steps"]), ("task-1", "lora", 3))
        self.assertEqual([c[3] for c in calls if c[:2] == ["mlflow", "log_metrics"]], [1, 2, 3])
        self.assertEqual([c[3] for c in calls if c[:2] == ["wandb", "log"]], [1, 2, 3])
        self.assertIn(["mlflow", "end_run", "FINISHED"], calls)
        self.assertIn(["wandb", "finish", 0], calls)
        everything = (self.task / "progress.jsonl").read_text() + result.stdout + result.stderr
        self.assertNotIn("s3cret-pass", everything)
        self.assertNotIn("wandb-secret-key-123", everything)

    def test_a_failing_run_ends_the_tracker_runs_as_failed_and_a_resumed_one_continues_them(self):
        folder = self.stand_ins()
        write_job(self.task, report_to=["mlflow", "wandb"])
        env = clean_env(MLFLOW_TRACKING_URI="file:///tmp/mlruns", WANDB_MODE="offline", FAKE_BACKEND_FAIL="crash")
        env["PYTHONPATH"] = os.pathsep.join([str(folder), env["PYTHONPATH"]])
        self.assertEqual(run_trainer(self.task, "--spec", "job.json", env=env).returncode, 1)
        self.assertIn(["mlflow", "end_run", "FAILED"], self.calls(folder))
        self.assertIn(["wandb", "finish", 1], self.calls(folder))
        self.assertIsNone(self.trackers()["mlflow"]["url"])  # a file store has no page to link
        self.assertIsNone(self.trackers()["wandb"]["url"])  # offline

        (self.task / "checkpoints" / "step-1" / "model").mkdir(parents=True)
        (self.task / "checkpoints" / "step-1" / "trainer_state.json").write_text('{"step": 1}')
        write_job(self.task, report_to=["mlflow", "wandb"], resume_from="checkpoints/step-1")
        del env["FAKE_BACKEND_FAIL"]
        (folder / "calls.jsonl").unlink()
        self.assertEqual(run_trainer(self.task, "--spec", "job.json", env=env).returncode, 0)
        calls = self.calls(folder)
        self.assertIn(["mlflow", "start_run", "run-abc", None], calls)
        self.assertIn(["wandb", "init", "sage-studio", "task-1", "wb123"], calls)

    def test_a_tracker_that_breaks_mid_run_is_dropped_with_a_warning(self):
        folder = self.stand_ins()
        write_job(self.task, report_to=["mlflow"], hyperparameters={"max_steps": 3})
        env = clean_env(MLFLOW_TRACKING_URI="http://127.0.0.1:1", FAKE_MLFLOW_BROKEN="1")
        env["PYTHONPATH"] = os.pathsep.join([str(folder), env["PYTHONPATH"]])
        result = run_trainer(self.task, "--spec", "job.json", env=env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("WARNING: mlflow stopped working (ConnectionError: tracking server went away)", result.stdout)
        self.assertEqual(sorted(self.scalars()["train/loss"]), [1, 2, 3])


if __name__ == "__main__":
    unittest.main()
