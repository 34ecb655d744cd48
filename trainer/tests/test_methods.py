import tempfile
import unittest
from pathlib import Path

from sage_trainer.deps import version_tuple
from sage_trainer.errors import MODEL_NOT_FOUND, TrainerError, classify
from sage_trainer.methods import LORA_TARGET_MODULES, resolve_model_source, target_modules_for
from sage_trainer.spec import Hyperparameters


class TargetModulesTest(unittest.TestCase):
    def test_known_architectures(self):
        self.assertEqual(
            target_modules_for("qwen2", None),
            ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        )
        self.assertEqual(target_modules_for("phi3", None), ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"])
        self.assertEqual(target_modules_for("phi", None), ["q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"])
        for name in ("llama", "mistral", "gemma", "gemma2"):
            self.assertIn(name, LORA_TARGET_MODULES)

    def test_given_modules_win_and_unknown_architectures_use_all_linear(self):
        self.assertEqual(target_modules_for("qwen2", ("q_proj", "v_proj")), ["q_proj", "v_proj"])
        self.assertEqual(target_modules_for("qwen2", ("all-linear",)), "all-linear")
        self.assertEqual(target_modules_for("olmo2", None), "all-linear")


class ModelSourceTest(unittest.TestCase):
    def test_local_directories_and_hub_ids(self):
        with tempfile.TemporaryDirectory() as tmp:
            task = Path(tmp)
            (task / "models" / "tiny").mkdir(parents=True)
            with self.assertRaises(TrainerError) as no_config:
                resolve_model_source("models/tiny", task)
            self.assertEqual(no_config.exception.code, MODEL_NOT_FOUND)
            (task / "models" / "tiny" / "config.json").write_text("{}")
            self.assertEqual(resolve_model_source("models/tiny", task), str((task / "models/tiny").resolve()))
            self.assertEqual(
                resolve_model_source(str(task / "models/tiny"), Path("/")), str((task / "models/tiny").resolve())
            )
            self.assertEqual(resolve_model_source("Qwen/Qwen2.5-0.5B-Instruct", task), "Qwen/Qwen2.5-0.5B-Instruct")
            for missing in ("/no/such/model", "./nope", "~/nope-model-dir"):
                with self.assertRaises(TrainerError) as caught:
                    resolve_model_source(missing, task)
                self.assertEqual(caught.exception.code, MODEL_NOT_FOUND)


class ErrorsTest(unittest.TestCase):
    def test_oom_advice_leaves_out_what_the_job_already_does(self):
        class OutOfMemoryError(RuntimeError):
            pass

        hp = Hyperparameters(batch_size=1, max_length=256, gradient_checkpointing=True)
        error = classify(OutOfMemoryError("CUDA out of memory. Tried to allocate 1 GiB"), "qlora", hp)
        self.assertEqual(error.code, "cuda_oom")
        self.assertIn("pick a smaller base model", error.message)
        self.assertNotIn("batch_size", error.message)

    def test_runtime_error_with_cuda_oom_text_and_keyboard_interrupt(self):
        self.assertEqual(classify(RuntimeError("CUDA error: out of memory"), "lora", None).code, "cuda_oom")
        cancelled = classify(KeyboardInterrupt(), None, None)
        self.assertEqual((cancelled.code, cancelled.exit_code), ("cancelled", 143))
        self.assertEqual(classify(ValueError("x"), None, None).message, "ValueError: x")


class VersionTest(unittest.TestCase):
    def test_versions_compare_numerically(self):
        self.assertEqual(version_tuple("2.11.0+cu128"), (2, 11, 0))
        self.assertEqual(version_tuple("5.0.0rc1"), (5, 0, 0))
        self.assertEqual(version_tuple("1.13.0a0"), (1, 13, 0))
        self.assertGreater(version_tuple("4.57.1"), version_tuple("4.45"))


if __name__ == "__main__":
    unittest.main()
