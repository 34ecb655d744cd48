import json
import tempfile
import unittest
from dataclasses import fields
from pathlib import Path

from sage_trainer.errors import BAD_SPEC, TrainerError
from sage_trainer.spec import HYPERPARAMETER_CHECKS, Hyperparameters, load_spec, parse_spec, relative_to_task

from tests.support import job

TASK = Path("/studio/task-1")


class SpecTest(unittest.TestCase):
    def invalid(self, spec) -> str:
        with self.assertRaises(TrainerError) as caught:
            parse_spec(spec, TASK)
        self.assertEqual(caught.exception.code, BAD_SPEC)
        self.assertEqual(caught.exception.exit_code, 2)
        return caught.exception.message

    def test_valid_job_keeps_every_setting_as_given(self):
        spec = parse_spec(
            job(
                method="qlora",
                merge=True,
                resume_from="checkpoints/step-10",
                hyperparameters={
                    "lora_r": 64,
                    "lora_alpha": 128,
                    "precision": "fp16",
                    "lora_target_modules": ["q_proj", "v_proj"],
                    "max_steps": 50,
                },
            ),
            TASK,
        )
        self.assertEqual(spec.method, "qlora")
        self.assertTrue(spec.merge)
        self.assertEqual(spec.dataset_path, TASK / "dataset.jsonl")
        self.assertEqual(spec.resume_from, TASK / "checkpoints/step-10")
        self.assertEqual(spec.lora_dir, TASK / "lora")
        hp = spec.hyperparameters
        self.assertEqual((hp.lora_r, hp.lora_alpha, hp.precision, hp.max_steps), (64, 128, "fp16", 50))
        self.assertEqual(hp.lora_target_modules, ("q_proj", "v_proj"))
        self.assertEqual(hp.batch_size, 2)

    def test_missing_hyperparameters_take_documented_defaults(self):
        spec = parse_spec(job(hyperparameters={}), TASK)
        self.assertEqual(spec.hyperparameters.seed, Hyperparameters().seed)

    def test_absolute_paths_stay_absolute(self):
        spec = parse_spec(job(dataset_path="/data/d.jsonl", output_dir="/out"), TASK)
        self.assertEqual(spec.dataset_path, Path("/data/d.jsonl"))
        self.assertEqual(spec.merged_dir, Path("/out/merged_model"))

    def test_unknown_method_names_the_field(self):
        self.assertIn("method must be one of lora, qlora, full", self.invalid(job(method="dpo")))

    def test_wrong_types_name_their_fields(self):
        message = self.invalid(
            job(hyperparameters={"batch_size": "8", "packing": 1, "learning_rate": True, "epochs": 2.5})
        )
        for field in ("batch_size", "packing", "learning_rate", "epochs"):
            self.assertIn(f"hyperparameters.{field}", message)

    def test_out_of_range_values_are_rejected(self):
        cases = {
            "batch_size": 0,
            "learning_rate": 0,
            "lora_dropout": 1.0,
            "warmup_ratio": 1.5,
            "max_length": 8,
            "max_steps": 0,
            "logging_steps": 0,
            "gradient_accumulation_steps": -1,
            "precision": "int8",
            "lora_target_modules": [],
            "save_total_limit": 0,
        }
        for name, value in cases.items():
            with self.subTest(name=name):
                self.assertIn(f"hyperparameters.{name}", self.invalid(job(hyperparameters={name: value})))

    def test_max_steps_minus_one_means_off(self):
        self.assertEqual(parse_spec(job(hyperparameters={"max_steps": -1}), TASK).hyperparameters.max_steps, -1)

    def test_unknown_hyperparameter_is_not_silently_ignored(self):
        self.assertIn(
            "hyperparameters.num_epochs is not a known hyperparameter",
            self.invalid(job(hyperparameters={"num_epochs": 3})),
        )

    def test_required_fields(self):
        spec = job()
        del spec["base_model"], spec["task_id"]
        message = self.invalid(spec)
        self.assertIn("base_model is required", message)
        self.assertIn("task_id is required", message)

    def test_contradictory_quantisation(self):
        self.assertIn("load_in_8bit", self.invalid(job(method="qlora", hyperparameters={"load_in_8bit": True})))
        self.assertIn("load_in_8bit", self.invalid(job(method="full", hyperparameters={"load_in_8bit": True})))

    def test_not_an_object(self):
        self.invalid([1, 2])
        self.assertIn("hyperparameters must be a JSON object", self.invalid(job() | {"hyperparameters": [1]}))

    def test_load_spec_reports_unreadable_and_invalid_json(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "job.json"
            with self.assertRaises(TrainerError) as missing:
                load_spec(path, Path(tmp))
            self.assertEqual(missing.exception.code, BAD_SPEC)
            path.write_text("{nope")
            with self.assertRaises(TrainerError) as broken:
                load_spec(path, Path(tmp))
            self.assertIn("not valid JSON", broken.exception.message)
            path.write_text(json.dumps(job()))
            self.assertEqual(load_spec(path, Path(tmp)).task_id, "task-1")

    def test_every_hyperparameter_has_a_check(self):
        self.assertEqual(set(HYPERPARAMETER_CHECKS), {f.name for f in fields(Hyperparameters)})

    def test_relative_to_task(self):
        self.assertEqual(relative_to_task(TASK / "lora", TASK), "lora")
        self.assertEqual(relative_to_task(Path("/elsewhere/x"), TASK), "/elsewhere/x")


if __name__ == "__main__":
    unittest.main()
