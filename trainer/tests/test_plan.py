import math
import unittest

from sage_trainer.errors import UNSUPPORTED, TrainerError
from sage_trainer.plan import eta_seconds, lr_factor, make_plan, resolve_precision
from sage_trainer.spec import Hyperparameters


class PlanTest(unittest.TestCase):
    def test_steps_follow_epochs_batch_and_accumulation(self):
        plan = make_plan(100, Hyperparameters(epochs=3, batch_size=8, gradient_accumulation_steps=4, warmup_ratio=0.1))
        self.assertEqual(plan.micro_batches_per_epoch, 13)
        self.assertEqual(plan.steps_per_epoch, 4)
        self.assertEqual(plan.total_steps, 12)
        self.assertEqual(plan.warmup_steps, 2)
        self.assertAlmostEqual(plan.epoch_at(6), 1.5)

    def test_max_steps_replaces_epochs(self):
        plan = make_plan(10, Hyperparameters(epochs=1, batch_size=2, max_steps=40))
        self.assertEqual((plan.steps_per_epoch, plan.total_steps), (5, 40))

    def test_warmup_then_cosine_without_zero_steps(self):
        total, warmup = 10, 2
        factors = [lr_factor(step, warmup, total) for step in range(1, total + 1)]
        self.assertEqual(factors[:3], [0.5, 1.0, 1.0])
        self.assertTrue(all(a > b for a, b in zip(factors[2:], factors[3:])))
        self.assertGreater(factors[-1], 0)
        self.assertAlmostEqual(lr_factor(6, 2, 10), 0.5 * (1 + math.cos(math.pi * 3 / 8)))

    def test_no_warmup_starts_at_full_rate(self):
        self.assertEqual(lr_factor(1, 0, 5), 1.0)

    def test_precision_auto(self):
        self.assertEqual(resolve_precision("auto", "cuda", True), "bf16")
        self.assertEqual(resolve_precision("auto", "cuda", False), "fp16")
        self.assertEqual(resolve_precision("auto", "cpu", False), "fp32")

    def test_explicit_precision_is_honoured_or_refused(self):
        self.assertEqual(resolve_precision("fp16", "cuda", True), "fp16")
        self.assertEqual(resolve_precision("fp32", "cuda", True), "fp32")
        for requested, device, bf16 in (("bf16", "cuda", False), ("fp16", "cpu", False)):
            with self.assertRaises(TrainerError) as caught:
                resolve_precision(requested, device, bf16)
            self.assertEqual(caught.exception.code, UNSUPPORTED)

    def test_eta(self):
        self.assertIsNone(eta_seconds(5.0, 0, 10))
        self.assertEqual(eta_seconds(10.0, 5, 15), 30)


if __name__ == "__main__":
    unittest.main()
