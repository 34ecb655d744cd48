"""The entry point as a real subprocess: protocol lines, exit codes, signals, missing torch."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from tests.support import TRAINER_ROOT, records, run_trainer, trainer_command, trainer_env, write_dataset, write_job

ALL_PHASES = ["loading_model", "preparing_data", "training", "saving", "merging", "done"]


def wait_for(predicate, timeout=20.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not met within %.0fs" % timeout)


class CliTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.task = Path(self._tmp.name)
        write_dataset(self.task / "dataset.jsonl", 8)

    def tearDown(self):
        self._tmp.cleanup()

    def phases(self):
        return [r["phase"] for r in records(self.task) if r["type"] == "phase"]

    def last_error(self):
        errors = [r for r in records(self.task) if r["type"] == "error"]
        self.assertTrue(errors, "no error line")
        return errors[-1]

    def test_success_writes_all_phases_metrics_and_artifacts(self):
        write_job(self.task, merge=True)
        result = run_trainer(self.task, "--spec", "job.json", env=trainer_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.phases(), ALL_PHASES)
        lines = records(self.task)
        metrics = [r for r in lines if r["type"] == "metrics"]
        self.assertEqual([m["step"] for m in metrics], [1, 2, 3, 4])
        self.assertTrue(all(m["total_steps"] == 4 for m in metrics))
        artifacts = {r["kind"]: r["path"] for r in lines if r["type"] == "artifact"}
        self.assertEqual(artifacts, {"lora": "lora", "merged_model": "merged_model"})
        self.assertTrue((self.task / "merged_model" / "config.json").is_file())
        self.assertIn("[sage-trainer] phase training", result.stdout)

    def test_full_fine_tuning_has_no_merging_phase(self):
        write_job(self.task, method="full", merge=True)
        self.assertEqual(run_trainer(self.task, "--spec", "job.json", env=trainer_env()).returncode, 0)
        self.assertNotIn("merging", self.phases())

    def test_bad_spec_exits_2_with_the_field_named(self):
        write_job(self.task, method="dpo", hyperparameters={"batch_size": 0})
        result = run_trainer(self.task, "--spec", "job.json", env=trainer_env())
        self.assertEqual(result.returncode, 2)
        error = self.last_error()
        self.assertEqual(error["code"], "bad_spec")
        self.assertIn("method", error["message"])
        self.assertIn("hyperparameters.batch_size", error["message"])
        self.assertEqual(self.phases(), [])

    def test_missing_spec_file_is_bad_spec(self):
        result = run_trainer(self.task, "--spec", "nope.json", env=trainer_env())
        self.assertEqual(result.returncode, 2)
        self.assertEqual(self.last_error()["code"], "bad_spec")

    def test_missing_dataset_is_dataset_empty(self):
        write_job(self.task, dataset_path="missing.jsonl")
        result = run_trainer(self.task, "--spec", "job.json", env=trainer_env())
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.last_error()["code"], "dataset_empty")
        self.assertEqual(self.phases(), ["loading_model", "preparing_data"])

    def test_missing_torch_is_reported_through_the_protocol(self):
        shadow = self.task / "shadow"
        (shadow / "torch").mkdir(parents=True)
        (shadow / "torch" / "__init__.py").write_text("raise ImportError('No module named torch')\n")
        write_job(self.task)
        result = run_trainer(self.task, "--spec", "job.json", env=trainer_env(None, extra_path=[str(shadow)]))
        self.assertEqual(result.returncode, 1)
        error = self.last_error()
        self.assertEqual(error["code"], "missing_dependency")
        self.assertIn("torch", error["message"])
        self.assertIn("pip install -r", error["message"])
        self.assertIn("requirements.txt", error["message"])
        self.assertNotIn("Traceback", result.stderr)

    def test_qlora_without_bitsandbytes_names_it(self):
        shadow = self.task / "shadow"
        for name in ("torch", "bitsandbytes"):
            (shadow / name).mkdir(parents=True)
            (shadow / name / "__init__.py").write_text(f"raise ImportError('No module named {name}')\n")
        write_job(self.task, method="qlora")
        result = run_trainer(self.task, "--spec", "job.json", env=trainer_env(None, extra_path=[str(shadow)]))
        self.assertEqual(result.returncode, 1)
        self.assertIn("bitsandbytes", self.last_error()["message"])

    def test_cuda_oom_comes_with_concrete_advice(self):
        write_job(self.task, hyperparameters={"batch_size": 2, "max_length": 2048})
        result = run_trainer(self.task, "--spec", "job.json", env=trainer_env(FAKE_BACKEND_FAIL="oom"))
        self.assertEqual(result.returncode, 1)
        error = self.last_error()
        self.assertEqual(error["code"], "cuda_oom")
        for advice in (
            "batch_size to 1",
            "gradient_accumulation_steps to 2",
            "max_length",
            "gradient_checkpointing",
            "qlora",
        ):
            self.assertIn(advice, error["message"])

    def test_unexpected_exception_is_internal_with_traceback_in_the_log(self):
        write_job(self.task)
        result = run_trainer(self.task, "--spec", "job.json", env=trainer_env(FAKE_BACKEND_FAIL="crash"))
        self.assertEqual(result.returncode, 1)
        error = self.last_error()
        self.assertEqual((error["code"], error["message"]), ("internal", "RuntimeError: simulated crash"))
        self.assertIn("Traceback", result.stderr)

    def start(self, **env):
        return subprocess.Popen(
            trainer_command("--spec", "job.json"),
            cwd=self.task,
            env=trainer_env(**env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def test_sigterm_during_training_checkpoints_and_exits_143(self):
        write_job(self.task, hyperparameters={"max_steps": 10_000})
        process = self.start(FAKE_BACKEND_STEP_SECONDS="0.05")
        try:
            wait_for(
                lambda: (self.task / "progress.jsonl").exists()
                and any(r["type"] == "metrics" for r in records(self.task))
            )
            sent = time.monotonic()
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=10), 143)
            self.assertLess(time.monotonic() - sent, 5)
        finally:
            process.kill()
            process.communicate()
        error = self.last_error()
        self.assertEqual(error["code"], "cancelled")
        self.assertIn("SIGTERM", error["message"])
        checkpoints = [r["path"] for r in records(self.task) if r["type"] == "artifact" and r["kind"] == "checkpoint"]
        self.assertEqual(len(checkpoints), 1)
        self.assertTrue((self.task / checkpoints[0] / "trainer_state.json").is_file())
        self.assertIn(checkpoints[0], error["message"])

    def test_sigterm_while_loading_cancels_at_once(self):
        write_job(self.task)
        process = self.start(FAKE_BACKEND_LOAD_SECONDS="30")
        try:
            wait_for(lambda: (self.task / "progress.jsonl").exists() and "loading_model" in self.phases())
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=10), 143)
        finally:
            process.kill()
            process.communicate()
        self.assertEqual(self.last_error()["code"], "cancelled")
        self.assertFalse((self.task / "checkpoints").exists())

    def test_merge_command(self):
        write_job(self.task)
        result = run_trainer(self.task, "merge", "--task-dir", str(self.task), env=trainer_env())
        self.assertEqual(result.returncode, 2)
        self.assertIn("adapter_config.json", self.last_error()["message"])

        (self.task / "lora").mkdir()
        (self.task / "lora" / "adapter_config.json").write_text('{"base_model_name_or_path": "base"}')
        result = run_trainer(self.task, "merge", "--task-dir", str(self.task), env=trainer_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.phases()[-2:], ["merging", "done"])
        artifact = [r for r in records(self.task) if r["type"] == "artifact"][-1]
        self.assertEqual((artifact["kind"], artifact["path"]), ("merged_model", "merged_model"))
        self.assertIn("Qwen/Qwen2.5-0.5B-Instruct", (self.task / "merged_model" / "config.json").read_text())

    def test_wrapper_script_honours_sage_trainer_python(self):
        write_job(self.task)
        wrapper = TRAINER_ROOT / "bin" / "sage-trainer"
        self.assertTrue(os.access(wrapper, os.X_OK))
        env = trainer_env(SAGE_TRAINER_PYTHON=sys.executable)
        env.pop("PYTHONPATH")
        result = subprocess.run(
            [str(wrapper), "--spec", "job.json"], cwd=self.task, env=env, capture_output=True, text=True, timeout=60
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.phases()[-1], "done")
        env["SAGE_TRAINER_PYTHON"] = "/nonexistent/python"
        result = subprocess.run(
            [str(wrapper), "--spec", "job.json"], cwd=self.task, env=env, capture_output=True, text=True, timeout=60
        )
        self.assertNotEqual(result.returncode, 0)


if __name__ == "__main__":
    unittest.main()
