"""A 2-process distributed run on the CPU (gloo) through the real entry point and torch's own launcher, on the tiny
model of test_torch_train (tests.tiny_torch_backend): DDP and FSDP give the weights one process gets from the same
global batch, rank 0 alone writes, a SIGTERM checkpoints and the checkpoint resumes in one process. Skipped where
torch >= 2.1 (FSDP on the CPU: >= 2.4) or its gloo backend is missing."""

import json
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from sage_trainer.deps import version_tuple
from sage_trainer.protocol import read_records

from tests.support import trainer_command, trainer_env, write_dataset, write_job

try:
    import torch
    import torch.distributed as dist
except ImportError:
    torch = dist = None

TORCH_OK = torch is not None and version_tuple(torch.__version__) >= (2, 1) and dist.is_available()
GLOO_OK = TORCH_OK and dist.is_gloo_available()
FSDP_CPU_OK = GLOO_OK and version_tuple(torch.__version__) >= (2, 4)

HP = {"batch_size": 2, "learning_rate": 0.05, "max_steps": 6, "logging_steps": 1, "save_steps": 3, "warmup_ratio": 0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@unittest.skipUnless(GLOO_OK, "needs torch>=2.1 with gloo")
class GlooRunTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def task(self, name, hyperparameters, parallelism=None, nproc=2, **overrides):
        task = self.root / name
        task.mkdir()
        write_dataset(task / "dataset.jsonl", 4)  # the tiny backend trains on its own counting sequences
        if parallelism:
            overrides["distributed"] = {
                "nnodes": 1,
                "nproc_per_node": nproc,
                "parallelism": parallelism,
                "master_addr": "127.0.0.1",
                "master_port": free_port(),
                "node_rank": 0,
            }
        write_job(task, hyperparameters=hyperparameters, **overrides)
        return task

    def env(self):
        return trainer_env(backend="tests.tiny_torch_backend", OMP_NUM_THREADS="1")

    def run_task(self, task):
        result = subprocess.run(
            trainer_command("--spec", "job.json"), cwd=task, env=self.env(), capture_output=True, text=True, timeout=240
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr + _logs(task))
        return read_records(task / "progress.jsonl")

    def weights(self, task):
        return torch.load(task / "lora" / "model.pt", weights_only=True)

    def assert_same_weights(self, distributed, single):
        mine, theirs = self.weights(distributed), self.weights(single)
        self.assertEqual(set(mine), set(theirs))
        for name in mine:
            torch.testing.assert_close(mine[name], theirs[name], rtol=1e-4, atol=1e-5, msg=name)

    def assert_rank_0_wrote_once(self, task, records):
        self.assertEqual([r["step"] for r in records if r["type"] == "metrics"], list(range(1, 7)))
        artifacts = [(r["kind"], r["path"]) for r in records if r["type"] == "artifact"]
        self.assertEqual(artifacts, [("checkpoint", "checkpoints/step-3"), ("lora", "lora")])
        self.assertEqual([r["phase"] for r in records if r["type"] == "phase"][-1], "done")
        self.assertIn("rank 1/2", (task / "logs" / "rank-1.txt").read_text())

    def test_ddp_trains_what_one_process_trains_on_the_same_global_batch(self):
        single = self.task("single", {**HP, "batch_size": 4})
        self.run_task(single)
        ddp = self.task("ddp", HP, "ddp")
        records = self.run_task(ddp)
        self.assert_rank_0_wrote_once(ddp, records)
        self.assert_same_weights(ddp, single)
        losses = [r["loss"] for r in records if r["type"] == "metrics"]
        self.assertLess(losses[-1], losses[0])

    @unittest.skipUnless(FSDP_CPU_OK, "FSDP on the CPU needs torch>=2.4")
    def test_fsdp_trains_what_one_process_trains_on_the_same_global_batch(self):
        single = self.task("single", {**HP, "batch_size": 4})
        self.run_task(single)
        fsdp = self.task("fsdp", HP, "fsdp")
        records = self.run_task(fsdp)
        self.assert_rank_0_wrote_once(fsdp, records)
        self.assert_same_weights(fsdp, single)
        state = torch.load(fsdp / "checkpoints" / "step-3" / "training_state.pt", weights_only=True)
        self.assertEqual(state["optimizer_format"], "names")  # whole, by parameter name: loads at any world size

    def test_sigterm_checkpoints_on_every_rank_and_the_checkpoint_resumes_in_one_process(self):
        run = self.task("ddp", {**HP, "max_steps": 100_000, "save_steps": 0}, "ddp")
        process = subprocess.Popen(
            trainer_command("--spec", "job.json"),
            cwd=run,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not _metrics(run):
                self.assertIsNone(process.poll(), "the run ended before it trained")
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
        self.assertEqual(process.returncode, 143, output + _logs(run))
        records = read_records(run / "progress.jsonl")
        errors = [r for r in records if r["type"] == "error"]
        self.assertEqual([e["code"] for e in errors], ["cancelled"], output)
        checkpoints = [r["path"] for r in records if r["type"] == "artifact" and r["kind"] == "checkpoint"]
        self.assertEqual(len(checkpoints), 1)
        self.assertIn(f"checkpoint saved to {checkpoints[0]}", errors[0]["message"])
        step = json.loads((run / checkpoints[0] / "trainer_state.json").read_text())["step"]
        for rank in (0, 1):
            self.assertEqual(json.loads((run / f"logs/rank-{rank}.outcome.json").read_text())["code"], "cancelled")

        resumed = self.task("resumed", {**HP, "max_steps": step + 3}, resume_from=str(run / checkpoints[0]))
        records = self.run_task(resumed)
        self.assertEqual([r["step"] for r in records if r["type"] == "metrics"], [step + 1, step + 2, step + 3])


def _metrics(task: Path) -> bool:
    progress = task / "progress.jsonl"
    try:
        return progress.exists() and any(r["type"] == "metrics" for r in read_records(progress))
    except ValueError:
        return False


def _logs(task: Path) -> str:
    return "".join(f"\n--- {p.name}\n{p.read_text(errors='replace')}" for p in sorted((task / "logs").glob("*.txt")))


if __name__ == "__main__":
    unittest.main()
