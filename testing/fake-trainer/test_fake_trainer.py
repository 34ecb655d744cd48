"""The stand-in trainer speaks the real protocol: phases, metrics, artifacts, errors, signals."""

import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "fake_trainer.py"
PHASES = ["loading_model", "preparing_data", "training", "saving", "merging", "done"]


def read_safetensors(path: Path) -> dict:
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    body = len(data) - 8 - size
    for name, entry in header.items():
        if name != "__metadata__":
            start, end = entry["data_offsets"]
            assert end <= body and end - start == 4 * math.prod(entry["shape"]), name
    return header


class FakeTrainerTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.task = Path(self._tmp.name)
        (self.task / "dataset.jsonl").write_text(
            "".join(
                json.dumps(
                    {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
                )
                + "\n"
                for i in range(10)
            )
        )

    def tearDown(self):
        self._tmp.cleanup()

    def write_job(self, **overrides):
        job = {
            "task_id": "t1",
            "base_model": "Qwen/Qwen2.5-0.5B-Instruct",
            "dataset_path": "dataset.jsonl",
            "output_dir": ".",
            "method": "lora",
            "merge": True,
            "resume_from": None,
            "hyperparameters": {
                "epochs": 2,
                "batch_size": 2,
                "gradient_accumulation_steps": 2,
                "learning_rate": 1e-4,
                "lora_r": 8,
                "lora_alpha": 16,
                "warmup_ratio": 0.1,
                "logging_steps": 1,
            },
        }
        job.update(overrides)
        (self.task / "job.json").write_text(json.dumps(job))

    def env(self, **variables):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_TRAINER_", "MLFLOW_", "WANDB_"))}
        env["FAKE_TRAINER_STEP_DELAY"] = "0.001"
        env.update(variables)
        return env

    def run_fake(self, *args, **variables):
        return subprocess.run(
            [sys.executable, str(SCRIPT), *(args or ("--spec", "job.json"))],
            cwd=self.task,
            env=self.env(**variables),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def records(self):
        lines = (self.task / "progress.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    def of_type(self, kind):
        return [r for r in self.records() if r["type"] == kind]

    def test_success_speaks_the_whole_protocol(self):
        self.write_job()
        result = self.run_fake()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([r["phase"] for r in self.of_type("phase")], PHASES)
        metrics = self.of_type("metrics")
        # 2 epochs x ceil(10 / 2 / 2) = 6 steps
        self.assertEqual([m["step"] for m in metrics], [1, 2, 3, 4, 5, 6])
        self.assertTrue(all(m["total_steps"] == 6 for m in metrics))
        losses = [m["loss"] for m in metrics]
        self.assertLess(losses[-1], losses[0])
        self.assertEqual(metrics[0]["learning_rate"], 1e-4)  # warmup of 1 step reaches the peak at step 1
        self.assertLess(metrics[-1]["learning_rate"], metrics[1]["learning_rate"])
        self.assertEqual(metrics[2]["epoch"], 1.0)
        for key in ("grad_norm", "tokens_per_second", "eta_seconds", "peak_memory_bytes", "time"):
            self.assertIn(key, metrics[0])
        artifacts = {r["kind"]: r["path"] for r in self.of_type("artifact")}
        self.assertEqual(artifacts, {"lora": "lora", "merged_model": "merged_model"})
        adapter = json.loads((self.task / "lora" / "adapter_config.json").read_text())
        self.assertEqual((adapter["peft_type"], adapter["r"], adapter["lora_alpha"]), ("LORA", 8, 16))
        self.assertEqual(adapter["base_model_name_or_path"], "Qwen/Qwen2.5-0.5B-Instruct")
        self.assertIn("q_proj", adapter["target_modules"])
        self.assertIn(
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
            read_safetensors(self.task / "lora" / "adapter_model.safetensors"),
        )
        read_safetensors(self.task / "merged_model" / "model.safetensors")
        for name in ("config.json", "generation_config.json"):
            json.loads((self.task / "merged_model" / name).read_text())
        # Like the real trainer's: the base tokenizer's chat template, without which vLLM refuses chat (400).
        tokenizer = json.loads((self.task / "merged_model" / "tokenizer_config.json").read_text())
        self.assertIn("<|im_start|>", tokenizer["chat_template"])
        self.assertIn("[fake-trainer]", result.stdout)

    def test_trackers_tensorboard_always_the_others_unavailable(self):
        self.write_job(report_to=["mlflow", "wandb"])
        result = self.run_fake()
        self.assertEqual(result.returncode, 0, result.stderr)
        trackers = {r["name"]: r for r in self.of_type("tracker")}
        self.assertEqual(
            (trackers["tensorboard"]["state"], trackers["tensorboard"]["log_dir"]), ("active", "tensorboard")
        )
        self.assertEqual([trackers[n]["state"] for n in ("mlflow", "wandb")], ["unavailable", "unavailable"])
        self.assertTrue((self.task / "tensorboard").is_dir())
        self.assertIn("WARNING: mlflow is named in report_to but unavailable", result.stdout)

    def test_mlflow_with_a_tracking_uri_is_an_active_run_with_its_link(self):
        self.write_job(report_to=["mlflow", "wandb"])
        result = self.run_fake(MLFLOW_TRACKING_URI="http://mlflow.test:5000/")
        self.assertEqual(result.returncode, 0, result.stderr)
        trackers = {r["name"]: r for r in self.of_type("tracker")}
        mlflow = trackers["mlflow"]
        self.assertEqual(mlflow["state"], "active")
        self.assertRegex(mlflow["run_id"], "^[0-9a-f]{32}$")
        self.assertEqual(mlflow["url"], f"http://mlflow.test:5000/#/experiments/0/runs/{mlflow['run_id']}")
        self.assertEqual(trackers["wandb"]["state"], "unavailable")

    def test_max_steps_logging_steps_and_step_override(self):
        self.write_job(hyperparameters={"max_steps": 9, "logging_steps": 4})
        self.run_fake()
        self.assertEqual([m["step"] for m in self.of_type("metrics")], [4, 8, 9])
        self.write_job()
        self.run_fake(FAKE_TRAINER_STEPS="3")
        self.assertEqual(self.of_type("metrics")[-1]["total_steps"], 3)

    def test_full_fine_tuning_writes_merged_model_without_merging_phase(self):
        self.write_job(method="full")
        self.assertEqual(self.run_fake().returncode, 0)
        self.assertNotIn("merging", [r["phase"] for r in self.of_type("phase")])
        self.assertEqual([r["kind"] for r in self.of_type("artifact")], ["merged_model"])

    def test_missing_or_empty_dataset(self):
        self.write_job(dataset_path="nope.jsonl")
        self.assertEqual(self.run_fake().returncode, 1)
        self.assertEqual(self.of_type("error")[-1]["code"], "dataset_empty")
        (self.task / "empty.jsonl").write_text("\n")
        self.write_job(dataset_path="empty.jsonl")
        self.run_fake()
        self.assertEqual(self.of_type("error")[-1]["code"], "dataset_empty")

    def test_bad_spec(self):
        self.write_job(method="dpo")
        self.assertEqual(self.run_fake().returncode, 2)
        self.assertEqual(self.of_type("error")[-1]["code"], "bad_spec")

    def test_crash_modes(self):
        self.write_job()
        self.assertEqual(self.run_fake(FAKE_TRAINER_MODE="crash").returncode, 1)
        self.assertEqual(self.of_type("error")[-1]["code"], "internal")
        self.assertEqual(len(self.of_type("metrics")), 3)
        (self.task / "progress.jsonl").unlink()
        self.assertEqual(self.run_fake(FAKE_TRAINER_MODE="crash_silent").returncode, 3)
        self.assertEqual(self.of_type("error"), [])

    def test_fail_me_marker_fails_just_that_task(self):
        self.write_job(base_model="org/model-fail-me")
        self.assertEqual(self.run_fake().returncode, 1)
        self.assertEqual(self.of_type("error")[-1]["code"], "internal")

    def test_a_gated_model_is_model_access_denied_before_any_step(self):
        self.write_job(base_model="gated/Llama-3.1-8B-Instruct")
        self.assertEqual(self.run_fake().returncode, 1)
        error = self.of_type("error")[-1]
        self.assertEqual(error["code"], "model_access_denied")
        self.assertIn("gated/Llama-3.1-8B-Instruct", error["message"])
        self.assertEqual(self.of_type("metrics"), [])

    def start(self, **variables):
        return subprocess.Popen(
            [sys.executable, str(SCRIPT), "--spec", "job.json"],
            cwd=self.task,
            env=self.env(**variables),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_for_metrics(self, process):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            if (self.task / "progress.jsonl").exists() and self.of_type("metrics"):
                return
            time.sleep(0.02)
        self.fail("no metrics line")

    def test_sigterm_checkpoints_and_exits_143(self):
        self.write_job()
        process = self.start(FAKE_TRAINER_STEP_DELAY="0.05", FAKE_TRAINER_STEPS="1000")
        try:
            self.wait_for_metrics(process)
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=5), 143)
        finally:
            process.kill()
            process.wait()
        error = self.of_type("error")[-1]
        self.assertEqual(error["code"], "cancelled")
        checkpoint = self.of_type("artifact")[-1]
        self.assertEqual(checkpoint["kind"], "checkpoint")
        state = json.loads((self.task / checkpoint["path"] / "trainer_state.json").read_text())
        self.assertGreaterEqual(state["step"], 1)

        self.write_job(resume_from=checkpoint["path"], hyperparameters={"max_steps": state["step"] + 2})
        (self.task / "progress.jsonl").unlink()
        self.assertEqual(self.run_fake().returncode, 0)
        self.assertEqual([m["step"] for m in self.of_type("metrics")], [state["step"] + 1, state["step"] + 2])

    def test_checkpoints_every_save_steps_and_resume_continues_at_the_next_step(self):
        hp = {"epochs": 1, "batch_size": 1, "gradient_accumulation_steps": 1, "logging_steps": 1, "save_steps": 4}
        self.write_job(hyperparameters=hp)
        self.assertEqual(self.run_fake().returncode, 0)
        # 10 steps, saved at 4 and 8 (never at the last step), each a complete checkpoint like sage_trainer's
        self.assertEqual(
            [r["path"] for r in self.of_type("artifact") if r["kind"] == "checkpoint"],
            ["checkpoints/step-4", "checkpoints/step-8"],
        )
        state = json.loads((self.task / "checkpoints/step-8/trainer_state.json").read_text())
        self.assertEqual((state["step"], state["total_steps"]), (8, 10))
        self.assertTrue((self.task / "checkpoints/step-8/model").is_dir())
        self.assertFalse(list((self.task / "checkpoints").glob(".*")))

        (self.task / "progress.jsonl").unlink()
        self.write_job(resume_from="checkpoints/step-4", hyperparameters={**hp, "save_steps": 0})
        result = self.run_fake()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("at step 4", result.stdout)
        self.assertEqual([m["step"] for m in self.of_type("metrics")], [5, 6, 7, 8, 9, 10])
        self.assertEqual(self.of_type("phase")[-1]["phase"], "done")

    def test_save_total_limit_keeps_only_the_newest_checkpoints(self):
        hp = {"epochs": 1, "batch_size": 1, "logging_steps": 1, "save_steps": 2, "save_total_limit": 2}
        self.write_job(hyperparameters=hp)
        self.assertEqual(self.run_fake().returncode, 0)
        # 10 steps, saved at 2, 4, 6 and 8; only the newest two stay, each complete
        self.assertEqual(
            [r["path"] for r in self.of_type("artifact") if r["kind"] == "checkpoint"],
            ["checkpoints/step-2", "checkpoints/step-4", "checkpoints/step-6", "checkpoints/step-8"],
        )
        self.assertEqual(sorted(p.name for p in (self.task / "checkpoints").iterdir()), ["step-6", "step-8"])
        self.assertTrue((self.task / "checkpoints/step-8/model").is_dir())

    def test_latest_restarts_the_same_job_from_its_newest_complete_checkpoint(self):
        # a Kubernetes Job suspended by a Kueue preemption: SIGTERM, then the same job.json runs again
        hp = {"epochs": 1, "batch_size": 1, "logging_steps": 1, "save_steps": 0}
        self.write_job(resume_from="latest", hyperparameters=hp)
        process = self.start(FAKE_TRAINER_STEP_DELAY="0.05", FAKE_TRAINER_STEPS="1000")
        try:
            self.wait_for_metrics(process)
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=5), 143)
        finally:
            process.kill()
            process.wait()
        saved = json.loads((self.task / self.of_type("artifact")[-1]["path"] / "trainer_state.json").read_text())
        (self.task / f"checkpoints/step-{saved['step'] + 5}").mkdir()  # cut short: no trainer_state.json, no model/
        (self.task / "progress.jsonl").unlink()
        result = self.run_fake(FAKE_TRAINER_STEPS=str(saved["step"] + 2))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"resume_from latest: step-{saved['step']}", result.stdout)
        self.assertEqual([m["step"] for m in self.of_type("metrics")], [saved["step"] + 1, saved["step"] + 2])

        shutil.rmtree(self.task / "checkpoints")
        (self.task / "progress.jsonl").unlink()
        result = self.run_fake(FAKE_TRAINER_STEPS="2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("no complete checkpoint yet, starting fresh", result.stdout)
        self.assertEqual([m["step"] for m in self.of_type("metrics")], [1, 2])

    def test_resume_from_an_incomplete_checkpoint_is_bad_spec(self):
        (self.task / "checkpoints/step-3").mkdir(parents=True)
        (self.task / "checkpoints/step-3/trainer_state.json").write_text('{"step": 3}')
        self.write_job(resume_from="checkpoints/step-3")
        self.assertEqual(self.run_fake().returncode, 2)  # no model/ folder, like sage_trainer's read_state
        self.assertEqual(self.of_type("error")[-1]["code"], "bad_spec")
        self.write_job(resume_from="checkpoints/missing")
        self.assertEqual(self.run_fake().returncode, 2)
        self.assertIn("not a checkpoint", self.of_type("error")[-1]["message"])
        self.assertFalse(self.of_type("metrics"))

    def validation_job(self, **hp):
        (self.task / "validation.jsonl").write_text((self.task / "dataset.jsonl").read_text().split("\n", 3)[0] + "\n")
        base = {"epochs": 1, "batch_size": 1, "logging_steps": 1, "max_steps": 20, "save_steps": 0}
        self.write_job(validation_path="validation.jsonl", hyperparameters={**base, **hp})

    def test_validation_evaluates_keeps_the_best_checkpoint_and_writes_the_model_from_it(self):
        self.validation_job(save_steps=3, save_total_limit=1)
        result = self.run_fake()
        self.assertEqual(result.returncode, 0, result.stderr)
        evals = self.of_type("eval")
        # every 2 steps by default (a tenth of 20), the last step included
        self.assertEqual([e["step"] for e in evals], list(range(2, 21, 2)))
        losses = [e["eval_loss"] for e in evals]
        lowest = losses.index(min(losses))
        self.assertTrue(0 < lowest < len(losses) - 1, losses)  # falls, then rises
        self.assertEqual(evals[0]["epoch"], 0.2)  # 10 samples a step each: 10 steps an epoch
        best = [r for r in self.of_type("artifact") if r["kind"] == "best_checkpoint"]
        self.assertEqual(len(best), 1)
        self.assertEqual((best[0]["step"], best[0]["eval_loss"]), (evals[lowest]["step"], min(losses)))
        self.assertEqual(best[0]["path"], f"checkpoints/step-{best[0]['step']}")
        # save_total_limit 1 keeps the newest periodic checkpoint and, besides it, the best one
        self.assertEqual(
            sorted(p.name for p in (self.task / "checkpoints").iterdir()), [f"step-{best[0]['step']}", "step-18"]
        )
        state = json.loads((self.task / best[0]["path"] / "trainer_state.json").read_text())
        self.assertEqual((state["best_step"], state["best_eval_loss"]), (best[0]["step"], best[0]["eval_loss"]))
        self.assertEqual(self.of_type("phase")[-1]["phase"], "done")
        self.assertIn("best checkpoint", result.stdout)

    def test_early_stopping_after_patience_evaluations_without_improvement(self):
        self.validation_job(eval_steps=2, early_stopping_patience=2)
        result = self.run_fake()
        self.assertEqual(result.returncode, 0, result.stderr)
        evals = self.of_type("eval")
        losses = [e["eval_loss"] for e in evals]
        best = losses.index(min(losses))
        self.assertEqual(len(evals), best + 3)  # the best, then two without improvement
        stop = self.of_type("early_stopping")
        self.assertEqual(len(stop), 1)
        self.assertEqual((stop[0]["step"], stop[0]["best_step"]), (evals[-1]["step"], evals[best]["step"]))
        self.assertEqual(self.of_type("metrics")[-1]["step"], evals[-1]["step"])
        self.assertIn("early stopping", result.stdout)
        kinds = [r["kind"] for r in self.of_type("artifact")]
        self.assertIn("best_checkpoint", kinds)
        self.assertIn("lora", kinds)

    def test_a_resumed_run_keeps_the_best_so_far(self):
        self.validation_job(eval_steps=2)
        process = self.start(FAKE_TRAINER_STEP_DELAY="0.05")
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not (self.has_progress() and len(self.of_type("eval")) >= 6):
                time.sleep(0.02)
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=5), 143)
        finally:
            process.kill()
            process.wait()
        before = {e["step"]: e["eval_loss"] for e in self.of_type("eval")}
        best_before = min(before, key=before.get)
        checkpoint = [r for r in self.of_type("artifact") if r["kind"] == "checkpoint"][-1]["path"]
        (self.task / "progress.jsonl").unlink()
        self.validation_job(eval_steps=2, early_stopping_patience=1)
        job = json.loads((self.task / "job.json").read_text())
        job["resume_from"] = checkpoint
        (self.task / "job.json").write_text(json.dumps(job))
        self.assertEqual(self.run_fake().returncode, 0)
        # the first evaluation after the resume is already worse than the best before it: patience 1 stops there
        self.assertEqual(len(self.of_type("eval")), 1)
        best = [r for r in self.of_type("artifact") if r["kind"] == "best_checkpoint"][0]
        self.assertEqual(best["step"], best_before)

    def has_progress(self):
        return (self.task / "progress.jsonl").exists()

    def test_bad_validation_settings_are_bad_spec(self):
        self.validation_job(eval_steps=0)
        self.assertEqual(self.run_fake().returncode, 2)
        self.assertIn("eval_steps", self.of_type("error")[-1]["message"])
        self.write_job(validation_path="missing.jsonl")
        self.assertEqual(self.run_fake().returncode, 1)
        self.assertIn("validation", self.of_type("error")[-1]["message"])

    DISTRIBUTED = {
        "nnodes": 1,
        "nproc_per_node": 2,
        "parallelism": "ddp",
        "master_addr": "127.0.0.1",
        "master_port": 29500,
        "node_rank": 0,
    }

    def devices_line(self, stdout):
        lines = [line for line in stdout.splitlines() if line.startswith("fake trainer: devices ")]
        self.assertEqual(len(lines), 1, stdout)
        return json.loads(lines[0][len("fake trainer: devices ") :])

    def test_it_logs_the_gpus_and_distributed_block_it_was_given_with_the_environment_winning(self):
        self.write_job(distributed=self.DISTRIBUTED)
        done = self.run_fake(CUDA_VISIBLE_DEVICES="2,3", SAGE_MASTER_PORT="41234", SAGE_MASTER_ADDR="10.0.0.7")
        self.assertEqual(done.returncode, 0, done.stdout)
        devices = self.devices_line(done.stdout)
        self.assertEqual(devices["cuda_visible_devices"], "2,3")
        self.assertEqual(devices["distributed"], dict(self.DISTRIBUTED, master_port=41234, master_addr="10.0.0.7"))
        self.write_job()
        env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
        one = subprocess.run(
            [sys.executable, str(SCRIPT), "--spec", "job.json"],
            cwd=self.task,
            env={**{k: v for k, v in env.items() if not k.startswith("FAKE_TRAINER_")}, "FAKE_TRAINER_STEP_DELAY": "0"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(one.returncode, 0, one.stdout)
        self.assertEqual(self.devices_line(one.stdout), {"cuda_visible_devices": None, "distributed": None})

    def test_a_malformed_distributed_block_is_bad_spec_naming_each_field(self):
        self.write_job(distributed=dict(self.DISTRIBUTED, parallelism="tp", master_port=0, extra=1))
        self.assertEqual(self.run_fake().returncode, 2)
        message = self.of_type("error")[-1]["message"]
        for field in ("distributed.parallelism", "distributed.master_port", "distributed.extra"):
            self.assertIn(field, message)
        bad = dict(self.DISTRIBUTED)
        del bad["node_rank"]
        self.write_job(distributed=bad)
        self.assertEqual(self.run_fake().returncode, 2)
        self.assertIn("distributed.node_rank is required", self.of_type("error")[-1]["message"])
        self.write_job(distributed=dict(self.DISTRIBUTED, node_rank=1))
        self.assertEqual(self.run_fake().returncode, 2)
        self.write_job(distributed=[1])
        self.assertEqual(self.run_fake().returncode, 2)

    def test_ignore_sigterm_needs_sigkill(self):
        self.write_job()
        process = self.start(
            FAKE_TRAINER_MODE="ignore_sigterm", FAKE_TRAINER_STEP_DELAY="0.05", FAKE_TRAINER_STEPS="1000"
        )
        try:
            self.wait_for_metrics(process)
            process.send_signal(signal.SIGTERM)
            with self.assertRaises(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)
            process.kill()
            self.assertEqual(process.wait(timeout=5), -signal.SIGKILL)
        finally:
            process.kill()
            process.wait()

    def test_merge_subcommand(self):
        result = self.run_fake("merge", "--task-dir", str(self.task))
        self.assertEqual(result.returncode, 2)
        self.write_job(merge=False)
        self.run_fake()
        self.assertEqual(self.run_fake("merge", "--task-dir", str(self.task)).returncode, 0)
        self.assertEqual([r["phase"] for r in self.of_type("phase")][-2:], ["merging", "done"])
        self.assertTrue((self.task / "merged_model" / "config.json").is_file())

    def test_merge_fails_or_stops_on_sigterm_leaving_no_half_written_merged_model(self):
        self.write_job(merge=False, task_id="t1-merge-fails")
        self.run_fake()
        failed = self.run_fake("merge", "--task-dir", str(self.task))
        self.assertEqual(failed.returncode, 1)
        self.assertEqual(self.of_type("error")[-1]["code"], "internal")
        self.assertFalse((self.task / "merged_model").exists())
        self.assertFalse((self.task / ".merged_model.partial").exists())

        self.write_job(merge=False)
        phases_before = len(self.of_type("phase"))
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "merge", "--task-dir", str(self.task)],
            cwd=self.task,
            env=self.env(FAKE_TRAINER_MERGE_DELAY="30"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(self.of_type("phase")) == phases_before:
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=10), 143)
        finally:
            process.kill()
            process.wait()
        self.assertEqual(self.of_type("error")[-1]["code"], "cancelled")
        self.assertFalse((self.task / "merged_model").exists())

        self.assertEqual(self.run_fake("merge", "--task-dir", str(self.task)).returncode, 0)
        self.assertEqual(sorted(p.name for p in self.task.iterdir() if p.name.startswith(".merged")), [])


if __name__ == "__main__":
    unittest.main()
