"""Throughput settings (issue 22): the auto decisions without torch, and with torch + transformers that packing and
the answer-only loss change nothing per token: packed rows (position ids restarting, block-diagonal mask) give the
loss and gradients of the same samples padded one per row, as transformers computes them."""

import unittest
from types import SimpleNamespace

from sage_trainer.data import Sample, collate, pack, padding_ratio
from sage_trainer.errors import MISSING_DEPENDENCY, UNSUPPORTED, TrainerError
from sage_trainer.formatting import IGNORE_INDEX, EncodedExample
from sage_trainer.spec import Hyperparameters
from sage_trainer.speed import (
    FLASH,
    SDPA,
    activation_bytes_per_token,
    decide_packing,
    needs_checkpointing,
    resolve_attention,
    resolve_speed,
    resolve_switch,
)

try:
    import torch
    import transformers
except ImportError:
    torch = transformers = None

QWEN_05B = SimpleNamespace(
    hidden_size=896,
    num_hidden_layers=24,
    num_attention_heads=14,
    num_key_value_heads=2,
    head_dim=64,
    intermediate_size=4864,
    vocab_size=151936,
)
GIB = 1024**3


class DecisionsTest(unittest.TestCase):
    def test_attention_auto_takes_flash_only_where_it_runs(self):
        self.assertEqual(resolve_attention("auto", True, "bf16", True), FLASH)
        self.assertEqual(resolve_attention("auto", True, "bf16", False), SDPA)
        self.assertEqual(resolve_attention("auto", False, "fp32", True), SDPA)
        self.assertEqual(resolve_attention("auto", True, "fp32", True), SDPA)
        self.assertEqual(resolve_attention("eager", False, "fp32", False), "eager")
        with self.assertRaises(TrainerError) as caught:
            resolve_attention(FLASH, True, "bf16", False)
        self.assertEqual(caught.exception.code, MISSING_DEPENDENCY)
        with self.assertRaises(TrainerError) as caught:
            resolve_attention(FLASH, False, "fp32", True)
        self.assertEqual(caught.exception.code, UNSUPPORTED)

    def test_switches_refuse_on_where_unusable(self):
        self.assertTrue(resolve_switch("fused_optimizer", "auto", True, ""))
        self.assertFalse(resolve_switch("fused_optimizer", "auto", False, "needs CUDA"))
        self.assertFalse(resolve_switch("fused_optimizer", "off", True, ""))
        with self.assertRaises(TrainerError) as caught:
            resolve_switch("liger_kernels", "on", False, "liger_kernel is not installed (pip install liger-kernel)")
        self.assertEqual(caught.exception.code, MISSING_DEPENDENCY)
        self.assertIn("hyperparameters.liger_kernels", caught.exception.message)

    def test_cpu_run_uses_sdpa_and_the_plain_optimizer(self):
        speed = resolve_speed(Hyperparameters(), cuda=False, precision="fp32", model_type="qwen2")
        self.assertEqual(
            (speed.attention, speed.liger, speed.fused_optimizer, speed.flatten), (SDPA, False, False, False)
        )

    def test_packing_auto_packs_short_samples_and_padded_batches_only(self):
        short = [100 + (i * 37) % 300 for i in range(64)]
        self.assertTrue(decide_packing("auto", SDPA, 1024, short, 4, 1)[0])
        full = [1000 + i % 24 for i in range(64)]
        packed, why = decide_packing("auto", SDPA, 1024, full, 4, 1)
        self.assertFalse(packed, why)
        skewed = [450 + (i % 2) * 574 for i in range(64)]  # mean 737: more than half, but much padding
        self.assertGreater(padding_ratio(skewed, 4, 1), 0.2)
        self.assertTrue(decide_packing("auto", SDPA, 1024, skewed, 4, 1)[0])
        # dense attention over long packed rows: auto leaves it to flash-attention's varlen kernels
        self.assertFalse(decide_packing("auto", SDPA, 8192, short, 4, 1)[0])
        self.assertTrue(decide_packing("auto", FLASH, 8192, short, 4, 1)[0])
        self.assertTrue(decide_packing("on", SDPA, 8192, full, 4, 1)[0])
        self.assertFalse(decide_packing("off", FLASH, 1024, short, 4, 1)[0])

    def test_checkpointing_auto_follows_the_memory_estimate(self):
        per_token = activation_bytes_per_token(QWEN_05B, "lora", "bf16", False)
        self.assertLess(activation_bytes_per_token(QWEN_05B, "lora", "bf16", True), per_token)
        # Qwen2.5-0.5B LoRA at 4 x 1024 tokens: a few GiB, fits an 80 GB GPU, not a 4 GB one
        self.assertFalse(needs_checkpointing(QWEN_05B, "lora", "bf16", 4096, 8_800_000, False, 70 * GIB)[0])
        on, why = needs_checkpointing(QWEN_05B, "lora", "bf16", 4096, 8_800_000, False, 4 * GIB)
        self.assertTrue(on)
        self.assertIn("gradient checkpointing on (auto)", why)
        self.assertTrue(needs_checkpointing(QWEN_05B, "full", "bf16", 16 * 4096, 494_000_000, True, 70 * GIB)[0])

    def test_best_fit_packing_fills_rows(self):
        import random

        rng = random.Random(4)
        sizes = [rng.randint(50, 900) for _ in range(300)]
        rows = pack([EncodedExample([1] * n, [1] * n, False) for n in sizes], 1024, seed=3)
        self.assertTrue(all(len(r.input_ids) <= 1024 for r in rows))
        self.assertEqual(sum(len(r.input_ids) for r in rows), sum(sizes))
        # rows over 95 % full (closing a row at the first sample that does not fit left 178 rows, 74 %)
        self.assertLessEqual(len(rows), 139)

    def test_flattened_micro_batch_is_one_row_without_padding(self):
        batch = collate([Sample([5, 6, 7], [IGNORE_INDEX, 6, 7]), Sample([8, 9], [8, 9])], pad_id=0, flatten=True)
        self.assertEqual(batch["input_ids"], [[5, 6, 7, 8, 9]])
        self.assertEqual(batch["position_ids"], [[0, 1, 2, 0, 1]])
        self.assertEqual(batch["labels"], [[IGNORE_INDEX, 6, 7, IGNORE_INDEX, 9]])
        self.assertNotIn("attention_mask", batch)


def tiny_qwen(attention):
    torch.manual_seed(0)
    config = transformers.Qwen2Config(
        vocab_size=96,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
    )
    config._attn_implementation = attention
    model = transformers.Qwen2ForCausalLM(config)
    model.config.use_cache = False
    return model


def encoded(count=7, seed=5):
    import random

    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        length = rng.randint(6, 40)
        prompt = rng.randint(2, length - 2)
        ids = [rng.randint(1, 95) for _ in range(length)]
        examples.append(EncodedExample(ids, [IGNORE_INDEX] * prompt + ids[prompt:], False))
    return examples


@unittest.skipUnless(torch is not None and transformers is not None, "needs torch and transformers")
class PackedLossTest(unittest.TestCase):
    """The same samples, padded one per row (transformers' own loss) and packed (the trainer's path)."""

    def reference(self, model, examples):
        batch = {k: torch.tensor(v) for k, v in collate([Sample(e.input_ids, e.labels) for e in examples], 0).items()}
        model.zero_grad()
        loss = model(**batch, use_cache=False).loss
        loss.backward()
        return loss.item(), [p.grad.clone() for p in model.parameters()]

    def trainer_loss(self, model, attention, rows, flatten=False):
        from sage_trainer.train import Trainer

        holder = SimpleNamespace(pad_id=0, flatten=flatten, attention=attention, torch=torch)
        holder.device = torch.device("cpu")
        tensors = Trainer._tensors(holder, rows)
        from sage_trainer.speed import AnswerLoss

        model.zero_grad()
        loss = AnswerLoss(model)(model, tensors)
        loss.backward()
        return loss.item(), [p.grad.clone() for p in model.parameters()]

    def assert_same(self, expected, got):
        self.assertAlmostEqual(expected[0], got[0], delta=1e-4)
        for a, b in zip(expected[1], got[1]):
            self.assertLess((a - b).abs().max().item(), 1e-4)

    def test_packed_rows_train_like_padded_samples(self):
        examples = encoded()
        for attention in ("sdpa", "eager"):
            with self.subTest(attention=attention):
                model = tiny_qwen(attention)
                expected = self.reference(model, examples)
                rows = pack(examples, 64, seed=1)
                self.assertLess(len(rows), len(examples))
                self.assert_same(expected, self.trainer_loss(model, attention, rows))
                # unpacked rows through the answer-only loss: the same as well
                self.assert_same(
                    expected, self.trainer_loss(model, attention, [Sample(e.input_ids, e.labels) for e in examples])
                )

    def test_flattened_micro_batch_trains_like_padded_samples(self):
        # flash-attention's layout (one row, position ids, no mask); on the CPU transformers' SDPA path reads the same
        # position ids into its own block mask (transformers >= 4.54), so the layout itself is checked here
        if not hasattr(__import__("transformers.masking_utils").masking_utils, "find_packed_sequence_indices"):
            self.skipTest("transformers without packed-sequence detection")
        examples = encoded()
        model = tiny_qwen("sdpa")
        expected = self.reference(model, examples)
        samples = [Sample(e.input_ids, e.labels) for e in examples]
        self.assert_same(expected, self.trainer_loss(model, "sdpa", samples, flatten=True))
        self.assert_same(expected, self.trainer_loss(model, "sdpa", pack(examples, 64, seed=1), flatten=True))

    def test_without_the_position_reset_samples_would_see_each_other(self):
        examples = encoded()
        model = tiny_qwen("sdpa")
        expected = self.reference(model, examples)
        rows = [Sample(r.input_ids, r.labels, list(range(len(r.input_ids)))) for r in pack(examples, 64, seed=1)]
        self.assertGreater(abs(expected[0] - self.trainer_loss(model, "sdpa", rows)[0]), 1e-3)


if __name__ == "__main__":
    unittest.main()
