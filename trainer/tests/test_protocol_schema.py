"""The trainer's side of docs/trainer-protocol.md: every record ``sage-trainer`` writes, on success, failure,
bad spec and cancel, validates against ``progress-record.schema.json``, and the jobs it accepts against
``job.schema.json``. Uses ``jsonschema`` (Debian: python3-jsonschema, installed by .ci/run)."""

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import jsonschema

from sage_trainer.spec import HYPERPARAMETER_CHECKS, parse_spec

from tests.support import TRAINER_ROOT, job, records, trainer_command, trainer_env, write_dataset, write_job

SCHEMAS = TRAINER_ROOT.parent / "docs" / "trainer-protocol"
DISTRIBUTED = {
    "nnodes": 1,
    "nproc_per_node": 2,
    "parallelism": "ddp",
    "master_addr": "127.0.0.1",
    "master_port": 29500,
    "node_rank": 0,
}


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


class ProtocolSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.record_schema = validator("progress-record.schema.json")
        cls.job_schema = validator("job.schema.json")

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.task = Path(self._tmp.name)
        write_dataset(self.task / "dataset.jsonl", 8)

    def tearDown(self):
        self._tmp.cleanup()

    def assert_records_valid(self, expected_types):
        lines = records(self.task)
        self.assertTrue(expected_types <= {r["type"] for r in lines}, lines)
        for record in lines:
            errors = [e.message for e in self.record_schema.iter_errors(record)]
            self.assertEqual(errors, [], record)

    def run_trainer(self, env):
        return subprocess.run(
            trainer_command("--spec", "job.json"), cwd=self.task, env=env, capture_output=True, text=True, timeout=60
        )

    def test_a_successful_run_writes_valid_phase_metrics_artifact_and_tracker_records(self):
        write_job(self.task, merge=True, report_to=["mlflow", "wandb"])  # not installed here, or not configured
        self.assertEqual(self.run_trainer(trainer_env()).returncode, 0)
        self.assert_records_valid({"phase", "metrics", "artifact", "tracker"})

    def test_a_run_with_validation_writes_valid_eval_early_stopping_and_best_checkpoint_records(self):
        write_dataset(self.task / "validation.jsonl", 2)
        write_job(
            self.task,
            validation_path="validation.jsonl",
            hyperparameters={"max_steps": 20, "eval_steps": 2, "early_stopping_patience": 2},
        )
        self.assertEqual(self.run_trainer(trainer_env()).returncode, 0)
        self.assert_records_valid({"eval", "early_stopping", "artifact"})
        self.assertIn("best_checkpoint", {r.get("kind") for r in records(self.task)})

    def test_failures_write_valid_error_records(self):
        for failure in ("oom", "crash"):
            with self.subTest(failure):
                (self.task / "progress.jsonl").unlink(missing_ok=True)
                write_job(self.task)
                self.assertEqual(self.run_trainer(trainer_env(FAKE_BACKEND_FAIL=failure)).returncode, 1)
                self.assert_records_valid({"error"})

    def test_a_bad_spec_writes_a_valid_error_record(self):
        write_job(self.task, hyperparameters={"epochs": 0})
        self.assertEqual(self.run_trainer(trainer_env()).returncode, 2)
        self.assert_records_valid({"error"})

    def test_a_cancel_writes_valid_checkpoint_and_error_records(self):
        write_job(self.task, hyperparameters={"epochs": 50})
        process = subprocess.Popen(
            trainer_command("--spec", "job.json"),
            cwd=self.task,
            env=trainer_env(FAKE_BACKEND_STEP_SECONDS="0.05"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(r["type"] == "metrics" for r in self._records_or_empty()):
                time.sleep(0.02)
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=30), 143)
        finally:
            if process.poll() is None:
                process.kill()
        self.assert_records_valid({"metrics", "error"})

    def _records_or_empty(self):
        try:
            return records(self.task)
        except (OSError, ValueError):
            return []

    def test_jobs_the_trainer_accepts_match_the_job_schema(self):
        every_hyperparameter = {
            "epochs": 2,
            "batch_size": 4,
            "learning_rate": 1e-4,
            "gradient_accumulation_steps": 2,
            "max_length": 512,
            "lora_r": 8,
            "lora_alpha": 16,
            "lora_dropout": 0.1,
            "lora_target_modules": ["q_proj", "v_proj"],
            "seed": 7,
            "warmup_ratio": 0.1,
            "weight_decay": 0.01,
            "logging_steps": 5,
            "save_steps": 100,
            "save_total_limit": 2,
            "packing": True,
            "gradient_checkpointing": True,
            "load_in_8bit": False,
            "precision": "bf16",
            "max_steps": 10,
            "max_grad_norm": 1.0,
            "eval_steps": 50,
            "early_stopping_patience": 3,
            "attn_implementation": "sdpa",
            "liger_kernels": "off",
            "fused_optimizer": "auto",
        }
        self.assertEqual(set(every_hyperparameter), set(HYPERPARAMETER_CHECKS))
        for spec in (
            job(),
            job(method="qlora", merge=True),
            job(hyperparameters=every_hyperparameter, validation_path="validation.jsonl"),
            job(validation_path=None),
            job(hyperparameters={"lora_target_modules": "all-linear", "max_steps": -1}),
            job(hyperparameters={"packing": "auto", "gradient_checkpointing": "auto", "attn_implementation": "auto"}),
            job(hyperparameters={"packing": "off", "liger_kernels": True, "fused_optimizer": "on"}),
            job(distributed=DISTRIBUTED),
            job(method="full", distributed={**DISTRIBUTED, "nnodes": 2, "node_rank": 1, "parallelism": "fsdp"}),
            job(report_to=["tensorboard", "mlflow", "wandb"]),
            job(report_to=None),
        ):
            parse_spec(spec, self.task)  # the trainer accepts it ...
            self.assertEqual(
                [e.message for e in self.job_schema.iter_errors(spec)], [], spec
            )  # ... and so does the schema

    def test_jobs_the_trainer_rejects_are_rejected_by_the_job_schema(self):
        for spec in (
            job(method="sft"),
            job(hyperparameters={"epochs": 0}),
            job(hyperparameters={"unknown": 1}),
            job(hyperparameters={"learning_rate": 0}),
            job(hyperparameters={"packing": "maybe"}),
            job(hyperparameters={"gradient_checkpointing": "on"}),
            job(hyperparameters={"attn_implementation": "flash_attention_3"}),
            job(validation_path="", hyperparameters={"eval_steps": 10}),
            job(validation_path="validation.jsonl", hyperparameters={"early_stopping_patience": 0}),
            {k: v for k, v in job().items() if k != "task_id"},
            job(distributed={**DISTRIBUTED, "nproc_per_node": 0}),
            job(distributed={**DISTRIBUTED, "parallelism": "tp"}),
            job(distributed={**DISTRIBUTED, "gpus": 2}),
            job(distributed={k: v for k, v in DISTRIBUTED.items() if k != "master_port"}),
            job(report_to=["comet"]),
            job(report_to="mlflow"),
        ):
            with self.subTest(spec=spec):
                with self.assertRaises(Exception):
                    parse_spec(spec, self.task)
                self.assertFalse(self.job_schema.is_valid(spec))


if __name__ == "__main__":
    unittest.main()
