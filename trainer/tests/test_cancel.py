import subprocess
import sys
import unittest

from sage_trainer.cancel import CancelToken
from sage_trainer.errors import Cancelled

from tests.support import TRAINER_ROOT


class CancelTokenTest(unittest.TestCase):
    def test_outside_deferred_a_signal_cancels_at_once(self):
        token = CancelToken()
        with self.assertRaises(Cancelled) as caught:
            token.request("SIGTERM")
        self.assertEqual(caught.exception.exit_code, 143)
        self.assertTrue(token.requested)

    def test_inside_deferred_it_only_flags_then_a_second_signal_cancels(self):
        token = CancelToken()
        with token.deferred():
            token.request("SIGTERM")
            self.assertTrue(token.requested)
            with self.assertRaises(Cancelled):
                token.request("SIGTERM")
        token.stop_watchdog()
        with self.assertRaises(Cancelled) as caught:
            token.raise_if_requested("checkpoint saved")
        self.assertEqual(caught.exception.message, "cancelled by SIGTERM; checkpoint saved")

    def test_watchdog_ends_a_checkpoint_that_takes_too_long(self):
        script = (
            "import time\n"
            "from sage_trainer.cancel import CancelToken\n"
            "token = CancelToken(on_timeout=lambda m: print('TIMEOUT', m, flush=True), grace_seconds=0.2)\n"
            "token.install()\n"
            "with token.deferred():\n"
            "    import os, signal; os.kill(os.getpid(), signal.SIGTERM)\n"
            "    time.sleep(30)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=TRAINER_ROOT, capture_output=True, text=True, timeout=20
        )
        self.assertEqual(result.returncode, 143)
        self.assertIn("TIMEOUT cancelled by SIGTERM; the checkpoint did not finish within 0.2s", result.stdout)


if __name__ == "__main__":
    unittest.main()
