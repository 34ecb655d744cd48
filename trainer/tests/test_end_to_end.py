"""The real backend end to end on CPU with a tiny random Qwen2 model (skipped without the ML stack)."""

import importlib.util
import json
import sys
import tempfile
import unittest
from pathlib import Path

from sage_trainer.protocol import PHASES, read_records

from tests.support import TRAINER_ROOT

STACK = all(importlib.util.find_spec(name) for name in ("torch", "transformers", "peft", "tokenizers", "accelerate"))


@unittest.skipUnless(STACK, "needs torch, transformers, peft, tokenizers and accelerate")
class EndToEndTest(unittest.TestCase):
    def test_lora_train_and_merge_on_a_tiny_model(self):
        sys.path.insert(0, str(TRAINER_ROOT))
        import gpu_check

        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            gpu_check.build_base(work / "base", hidden=64, layers=2, vocab=512)
            task = gpu_check.write_task(
                work / "task",
                work / "base",
                gpu_check.make_conversations(24),
                merge=True,
                batch_size=4,
                max_steps=4,
                logging_steps=1,
                save_steps=2,
                precision="fp32",
            )
            code, _ = gpu_check.run_trainer(task, "--spec", "job.json", timeout=600)
            self.assertEqual(code, 0, gpu_check.log_tail(task))
            records = read_records(task / "progress.jsonl")
            self.assertEqual([r["phase"] for r in records if r["type"] == "phase"], list(PHASES))
            self.assertEqual([r["step"] for r in records if r["type"] == "metrics"], [1, 2, 3, 4])
            self.assertTrue((task / "lora" / "adapter_model.safetensors").is_file())
            self.assertTrue((task / "merged_model" / "config.json").is_file())
            self.assertEqual(
                json.loads((task / "checkpoints" / "step-2" / "trainer_state.json").read_text())["step"], 2
            )


if __name__ == "__main__":
    unittest.main()
