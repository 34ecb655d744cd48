import io
import json
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path

from sage_trainer.protocol import ProgressWriter, read_records

from tests.support import TRAINER_ROOT


class ProgressWriterTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.path = Path(self._tmp.name) / "progress.jsonl"

    def tearDown(self):
        self._tmp.cleanup()

    def test_each_record_is_one_json_line_with_a_utc_time(self):
        echo = io.StringIO()
        with ProgressWriter(self.path, echo=echo) as writer:
            writer.phase("loading_model")
            writer.metrics(step=10, total_steps=120, epoch=0.25, loss=1.73, learning_rate=2e-4)
            writer.artifact("lora", "lora")
            writer.error("cuda_oom", "try a smaller batch")
        lines = self.path.read_text(encoding="utf-8").splitlines()
        self.assertEqual(len(lines), 4)
        first = json.loads(lines[0])
        self.assertEqual((first["type"], first["phase"]), ("phase", "loading_model"))
        self.assertRegex(first["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(json.loads(lines[1])["loss"], 1.73)
        self.assertEqual(json.loads(lines[2]), {**json.loads(lines[2]), "kind": "lora", "path": "lora"})
        self.assertEqual(json.loads(lines[3])["code"], "cuda_oom")
        self.assertIn("step 10/120", echo.getvalue())
        self.assertIn("error cuda_oom: try a smaller batch", echo.getvalue())

    def test_non_finite_numbers_become_null(self):
        with ProgressWriter(self.path) as writer:
            writer.metrics(step=1, loss=float("nan"), grad_norm=float("inf"))
        record = read_records(self.path)[0]
        self.assertIsNone(record["loss"])
        self.assertIsNone(record["grad_norm"])

    def test_unknown_phase_or_artifact_kind_is_a_programming_error(self):
        with ProgressWriter(self.path) as writer:
            with self.assertRaises(ValueError):
                writer.phase("warming_up")
            with self.assertRaises(ValueError):
                writer.artifact("weights", "x")
        self.assertEqual(self.path.read_text(), "")

    def test_appends_after_a_partial_line_left_by_someone_else(self):
        self.path.write_text('{"type":"phase","phase":"loading_model"}\n{"type":"met')
        with ProgressWriter(self.path) as writer:
            writer.phase("done")
        lines = self.path.read_text().splitlines()
        self.assertEqual(json.loads(lines[-1])["phase"], "done")
        self.assertEqual(lines[1], '{"type":"met')

    def test_unicode_is_kept(self):
        with ProgressWriter(self.path) as writer:
            writer.error("dataset_invalid", "línea 3: 数据无效")
        self.assertEqual(read_records(self.path)[0]["message"], "línea 3: 数据无效")

    def test_concurrent_threads_never_interleave_lines(self):
        with ProgressWriter(self.path) as writer:

            def spam(worker):
                for i in range(200):
                    writer.metrics(step=i, worker=worker, padding="x" * 500)

            threads = [threading.Thread(target=spam, args=(w,)) for w in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        records = read_records(self.path)
        self.assertEqual(len(records), 1600)
        self.assertEqual({r["worker"] for r in records}, set(range(8)))

    def test_concurrent_processes_never_interleave_lines(self):
        script = (
            "import sys; from sage_trainer.protocol import ProgressWriter\n"
            "w = ProgressWriter(sys.argv[1])\n"
            "[w.metrics(step=i, worker=int(sys.argv[2]), padding='y' * 3000) for i in range(100)]\n"
        )
        workers = [
            subprocess.Popen([sys.executable, "-c", script, str(self.path), str(n)], cwd=TRAINER_ROOT) for n in range(4)
        ]
        for worker in workers:
            self.assertEqual(worker.wait(timeout=60), 0)
        records = read_records(self.path)
        self.assertEqual(len(records), 400)
        for n in range(4):
            self.assertEqual([r["step"] for r in records if r["worker"] == n], list(range(100)))


if __name__ == "__main__":
    unittest.main()
