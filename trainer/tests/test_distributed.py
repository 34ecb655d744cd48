"""Distributed runs without torch (issue 21): job.json's distributed block and the per-node environment overrides,
torchrun's command line, the outcome a node reports, and - through the stand-in launcher and the fake backend, as real
processes - rank 0 alone writing progress records, the stop passed on to the workers and the exit code of the run."""

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from sage_trainer.cancel import CancelToken
from sage_trainer.data import micro_batches, optimizer_groups, shard_group
from sage_trainer.distributed import Distributed, launcher_argv, run_outcome, with_environment
from sage_trainer.errors import BAD_SPEC, CANCELLED, INTERNAL, Cancelled, TrainerError
from sage_trainer.launch import children
from sage_trainer.plan import make_plan
from sage_trainer.spec import Hyperparameters, parse_spec

from tests.support import job, records, run_trainer, trainer_command, trainer_env, write_dataset, write_job

BLOCK = {"nnodes": 1, "nproc_per_node": 2, "parallelism": "ddp", "master_addr": "127.0.0.1", "master_port": 29500}


def block(**changes):
    return {**BLOCK, "node_rank": 0, **changes}


class DistributedSpecTest(unittest.TestCase):
    task = Path("/tmp/task")

    def problems(self, raw, **overrides):
        with self.assertRaises(TrainerError) as caught:
            parse_spec(job(distributed=raw, **overrides), self.task)
        self.assertEqual(caught.exception.code, BAD_SPEC)
        return caught.exception.message

    def test_a_valid_block_and_its_absence(self):
        spec = parse_spec(job(distributed=block(nnodes=2, node_rank=1, parallelism="fsdp")), self.task)
        self.assertEqual(spec.distributed, Distributed(2, 2, "fsdp", "127.0.0.1", 29500, 1))
        self.assertEqual(spec.distributed.world_size, 4)
        self.assertEqual(list(spec.distributed.local_ranks()), [2, 3])
        self.assertIsNone(parse_spec(job(), self.task).distributed)
        self.assertIsNone(parse_spec(job(distributed=None), self.task).distributed)

    def test_each_malformed_field_is_named(self):
        cases = {
            "nnodes": (0, "distributed.nnodes must be an integer between 1 and 64 (got 0)"),
            "nproc_per_node": ("2", 'distributed.nproc_per_node must be an integer between 1 and 64 (got "2")'),
            "parallelism": ("tp", 'distributed.parallelism must be one of ddp, fsdp (got "tp")'),
            "master_addr": (" ", 'distributed.master_addr must be a non-empty string (got " ")'),
            "master_port": (70000, "distributed.master_port must be an integer between 1 and 65535 (got 70000)"),
            "node_rank": (1, "distributed.node_rank must be an integer between 0 and 0 (nnodes - 1) (got 1)"),
        }
        for name, (value, expected) in cases.items():
            with self.subTest(name):
                self.assertIn(expected, self.problems(block(**{name: value})))

    def test_missing_unknown_and_non_object(self):
        raw = block(gpus=2)
        del raw["master_port"]
        message = self.problems(raw)
        self.assertIn("distributed.gpus is not a known field", message)
        self.assertIn("distributed.master_port is required", message)
        self.assertIn("distributed must be a JSON object or absent", self.problems([1]))
        self.assertIn("distributed.nnodes must be an integer", self.problems(block(nnodes=True)))

    def test_fsdp_refuses_quantized_weights(self):
        message = self.problems(block(parallelism="fsdp"), method="qlora")
        self.assertIn("distributed.parallelism fsdp cannot shard quantized", message)
        parse_spec(job(distributed=block(), method="qlora"), self.task)  # ddp: each GPU holds its own 4-bit copy

    def test_environment_overrides_win_and_bad_values_name_the_variable(self):
        dist = Distributed(2, 4, "ddp", "127.0.0.1", 29500, 0)
        env = {"SAGE_NODE_RANK": "1", "SAGE_MASTER_ADDR": "trainer-0.svc", "SAGE_MASTER_PORT": "23456"}
        self.assertEqual(with_environment(dist, env), Distributed(2, 4, "ddp", "trainer-0.svc", 23456, 1))
        self.assertEqual(with_environment(dist, {"SAGE_NODE_RANK": ""}), dist)
        for name, value in (("SAGE_NODE_RANK", "2"), ("SAGE_NODE_RANK", "-1"), ("SAGE_MASTER_PORT", "0x10")):
            with self.subTest(f"{name}={value}"):
                with self.assertRaises(TrainerError) as caught:
                    with_environment(dist, {name: value})
                self.assertEqual(caught.exception.code, BAD_SPEC)
                self.assertIn(name, caught.exception.message)

    def test_launcher_arguments(self):
        dist = Distributed(2, 4, "fsdp", "10.0.0.5", 29400, 1)
        self.assertEqual(
            launcher_argv(dist, "job.json", log_dir="logs/torchelastic"),
            [
                "--nnodes",
                "2",
                "--nproc_per_node",
                "4",
                "--node_rank",
                "1",
                "--master_addr",
                "10.0.0.5",
                "--master_port",
                "29400",
                "--max_restarts",
                "0",
                "--monitor_interval",
                "1",
                "--log_dir",
                "logs/torchelastic",
                "--module",
                "sage_trainer",
                "--spec",
                "job.json",
            ],
        )


class ShardingTest(unittest.TestCase):
    def test_a_step_is_dealt_out_evenly_and_short_shares_are_padded(self):
        group = [[0, 1], [2, 3], [4, 5]]
        self.assertEqual(shard_group(group, 0, 2), [[0, 1], [4, 5]])
        self.assertEqual(shard_group(group, 1, 2), [[2, 3], None])  # a pass of weight zero keeps collectives paired
        self.assertEqual(shard_group(group, 3, 4), [None])
        self.assertEqual(shard_group(group, 0, 1), group)

    def test_every_row_of_an_epoch_is_trained_once_over_all_ranks(self):
        hp = Hyperparameters(batch_size=3, gradient_accumulation_steps=2)
        plan = make_plan(50, hp, world_size=4)
        self.assertEqual(plan.steps_per_epoch, 3)  # 17 micro-batches, 8 per step
        groups = optimizer_groups(micro_batches(50, 3, seed=1, epoch=0), 2 * 4)
        self.assertEqual(len(groups), plan.steps_per_epoch)
        rows = [i for g in groups for r in range(4) for b in shard_group(g, r, 4) if b is not None for i in b]
        self.assertEqual(sorted(rows), list(range(50)))
        self.assertEqual(make_plan(50, hp).steps_per_epoch, 9)  # one process: the plan it always had


def outcome(rank, code, message, at, exit_code=1):
    return {"rank": rank, "code": code, "message": message, "time": at, "exit_code": exit_code}


class RunOutcomeTest(unittest.TestCase):
    ranks = range(0, 2)

    def test_all_succeeded(self):
        done = {0: outcome(0, None, None, 1.0, 0), 1: outcome(1, None, None, 1.0, 0)}
        self.assertIsNone(run_outcome(self.ranks, done, {}, None))

    def test_a_stop_is_a_cancel_with_rank_0s_checkpoint(self):
        stopped = {0: outcome(0, CANCELLED, "cancelled by SIGTERM at step 4; checkpoint saved to x", 2.0, 143)}
        error = run_outcome(self.ranks, {**stopped, 1: None}, {1: -9}, "SIGTERM")
        self.assertEqual((error.code, error.exit_code), (CANCELLED, 143))
        self.assertIn("checkpoint saved to x", error.message)
        self.assertEqual(run_outcome(self.ranks, {}, {}, "SIGINT").message, "cancelled by SIGINT")

    def test_the_earliest_real_error_is_the_cause_not_the_ranks_stopped_after_it(self):
        outcomes = {
            0: outcome(0, INTERNAL, "RuntimeError: Connection closed by peer", 5.0),
            1: outcome(1, "cuda_oom", "CUDA out of memory. Try: ...", 4.0),
        }
        error = run_outcome(self.ranks, outcomes, {0: 1, 1: 1}, None)
        self.assertEqual((error.code, error.message), ("cuda_oom", "rank 1: CUDA out of memory. Try: ..."))
        outcomes[1] = outcome(1, CANCELLED, "cancelled by SIGTERM at step 2", 3.0, 143)
        self.assertEqual(run_outcome(self.ranks, outcomes, {0: 1}, None).message, outcomes[0]["message"])

    def test_the_ranks_torch_saw_fail_first_are_the_cause(self):
        outcomes = {
            0: outcome(0, INTERNAL, "RuntimeError: Connection closed by peer", 5.0),
            1: outcome(1, "cuda_oom", "CUDA out of memory", 6.0),
        }
        self.assertEqual(run_outcome(self.ranks, outcomes, {1: 1}, None).message, "rank 1: CUDA out of memory")

    def test_a_crashed_rank_is_the_cause_not_its_peers_lost_connection(self):
        outcomes = {0: None, 1: outcome(1, INTERNAL, "RuntimeError: Connection closed by peer", 5.0)}
        error = run_outcome(self.ranks, outcomes, {0: -11, 1: 1}, None)
        self.assertEqual(error.message, "rank 0 was killed by SIGSEGV without reporting an error; see logs.txt")

    def test_a_rank_that_died_without_a_word_is_named_with_its_log(self):
        outcomes = {0: outcome(0, CANCELLED, "cancelled by SIGTERM at step 2", 3.0, 143), 1: None}
        error = run_outcome(self.ranks, outcomes, {1: -9}, None)
        self.assertEqual(error.code, INTERNAL)
        self.assertIn("rank 1 was killed by SIGKILL (the host may have run out of memory)", error.message)
        self.assertIn("logs/rank-1.txt", error.message)
        self.assertIn("exited with code 3", run_outcome(self.ranks, {}, {0: 3}, None).message)

    def test_a_launcher_failure(self):
        error = run_outcome(self.ranks, {}, {}, None, "RendezvousTimeoutError: timed out")
        self.assertEqual(error.code, INTERNAL)
        self.assertIn("the distributed launcher failed: RendezvousTimeoutError", error.message)


class WorkerCancelTokenTest(unittest.TestCase):
    def test_a_worker_never_takes_a_repeated_signal_as_now(self):
        token = CancelToken()
        token._escalate = False  # what install(worker=True) sets, without touching this process's handlers
        with token.deferred():
            token.request("SIGTERM")
            token.request("SIGTERM")  # the launcher process repeats its request: still only a flag
            self.assertTrue(token.requested)
        token.stop_watchdog()
        token.request("SIGTERM")  # outside deferred too: already on its way out
        with self.assertRaises(Cancelled):
            token.raise_if_requested()


def distributed_job(task: Path, **overrides) -> None:
    hp = overrides.pop("hyperparameters", {})
    write_job(task, distributed=overrides.pop("distributed", block()), hyperparameters=hp, **overrides)


def launcher_env(**variables):
    return trainer_env(SAGE_TRAINER_TEST_LAUNCHER="tests.fake_launcher", **variables)


class DistributedRunTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.task = Path(self._tmp.name)
        write_dataset(self.task / "dataset.jsonl", 8)

    def tearDown(self):
        self._tmp.cleanup()

    def test_rank_0_alone_writes_progress_records_and_artifacts(self):
        record = self.task / "argv.json"
        distributed_job(self.task, merge=True, hyperparameters={"max_steps": 4, "save_steps": 2})
        env = launcher_env(FAKE_LAUNCHER_RECORD=str(record), SAGE_MASTER_PORT="23456")
        result = run_trainer(self.task, "--spec", "job.json", env=env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        lines = records(self.task)
        self.assertEqual([r["step"] for r in lines if r["type"] == "metrics"], [1, 2, 3, 4])
        phases = [r["phase"] for r in lines if r["type"] == "phase"]
        self.assertEqual(phases, ["loading_model", "preparing_data", "training", "saving", "merging", "done"])
        self.assertEqual(
            [(r["kind"], r["path"]) for r in lines if r["type"] == "artifact"],
            [("lora", "lora"), ("merged_model", "merged_model")],
        )
        self.assertFalse([r for r in lines if r["type"] == "error"])
        rank_1 = (self.task / "logs" / "rank-1.txt").read_text()
        self.assertIn("rank 1/2: task task-1", rank_1)
        self.assertIn("step 4/4", rank_1)  # its records are lines of its own log only
        self.assertIn("rank 0/2: task task-1", result.stdout)
        argv = json.loads(record.read_text())
        self.assertEqual(argv[argv.index("--master_port") + 1], "23456")  # the environment wins over job.json
        self.assertEqual(argv[-4:], ["--module", "sage_trainer", "--spec", "job.json"])
        for rank in (0, 1):
            self.assertEqual(json.loads((self.task / f"logs/rank-{rank}.outcome.json").read_text())["exit_code"], 0)

    def test_ranks_of_another_node_write_no_progress_record(self):
        distributed_job(self.task, distributed=block(nnodes=2), hyperparameters={"max_steps": 3})
        result = run_trainer(self.task, "--spec", "job.json", env=launcher_env(SAGE_NODE_RANK="1"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(records(self.task), [])
        for rank in (2, 3):
            self.assertIn(f"rank {rank}/4", (self.task / "logs" / f"rank-{rank}.txt").read_text())
        self.assertFalse((self.task / "lora").exists())

    def test_a_malformed_block_or_environment_is_bad_spec_before_any_worker_starts(self):
        for env, overrides, expected in (
            ({}, {"distributed": block(nproc_per_node=0)}, "distributed.nproc_per_node must be"),
            ({"SAGE_NODE_RANK": "x"}, {}, "SAGE_NODE_RANK must be an integer between 0 and 0"),
        ):
            with self.subTest(expected):
                (self.task / "progress.jsonl").unlink(missing_ok=True)
                distributed_job(self.task, **overrides)
                result = run_trainer(self.task, "--spec", "job.json", env=launcher_env(**env))
                self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
                errors = [r for r in records(self.task) if r["type"] == "error"]
                self.assertEqual([e["code"] for e in errors], [BAD_SPEC])
                self.assertIn(expected, errors[0]["message"])
                self.assertFalse((self.task / "logs" / "rank-1.txt").exists())

    def test_the_first_failing_rank_is_reported_not_the_ranks_stopped_after_it(self):
        distributed_job(self.task, hyperparameters={"max_steps": 50})
        env = launcher_env(FAKE_BACKEND_FAIL="crash", FAKE_BACKEND_FAIL_RANK="1", FAKE_BACKEND_STEP_SECONDS="0.1")
        result = run_trainer(self.task, "--spec", "job.json", env=env)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        errors = [r for r in records(self.task) if r["type"] == "error"]
        self.assertEqual(
            [(e["code"], e["message"]) for e in errors], [(INTERNAL, "rank 1: RuntimeError: simulated crash")]
        )
        self.assertIn("simulated crash", (self.task / "logs" / "rank-1.txt").read_text())  # its traceback

    def test_a_rank_killed_without_a_word_is_named(self):
        distributed_job(self.task, hyperparameters={"max_steps": 50})
        env = launcher_env(FAKE_BACKEND_FAIL="kill", FAKE_BACKEND_FAIL_RANK="1", FAKE_BACKEND_STEP_SECONDS="0.1")
        result = run_trainer(self.task, "--spec", "job.json", env=env)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        errors = [r for r in records(self.task) if r["type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertIn("rank 1 was killed by SIGKILL", errors[0]["message"])

    def start(self, env, **popen):
        return subprocess.Popen(
            trainer_command("--spec", "job.json"),
            cwd=self.task,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **popen,
        )

    def wait_for_step(self, process, step=2):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            progress = self.task / "progress.jsonl"
            if progress.exists() and any(r["type"] == "metrics" and r["step"] >= step for r in records(self.task)):
                return
            self.assertIsNone(process.poll(), "the run ended before it trained")
            time.sleep(0.05)
        self.fail("no metrics within 30 s")

    def assert_cancelled_with_one_checkpoint(self, process):
        output, _ = process.communicate(timeout=30)
        self.assertEqual(process.returncode, 143, output)
        lines = records(self.task)
        errors = [r for r in lines if r["type"] == "error"]
        self.assertEqual([e["code"] for e in errors], [CANCELLED], output)
        self.assertRegex(errors[0]["message"], r"^cancelled by SIGTERM; checkpoint saved to checkpoints/step-\d+$")
        checkpoints = [r["path"] for r in lines if r["type"] == "artifact" and r["kind"] == "checkpoint"]
        self.assertEqual(len(checkpoints), 1, lines)
        self.assertTrue((self.task / checkpoints[0] / "trainer_state.json").is_file())
        rank_1 = json.loads((self.task / "logs" / "rank-1.outcome.json").read_text())
        self.assertEqual(rank_1["code"], CANCELLED)  # it checkpointed nothing itself: rank 0 alone writes

    def test_sigterm_to_the_launcher_process_stops_the_workers_after_a_checkpoint(self):
        distributed_job(self.task, hyperparameters={"max_steps": 10_000, "save_steps": 0})
        process = self.start(launcher_env(FAKE_BACKEND_STEP_SECONDS="0.05"))
        self.wait_for_step(process)
        workers = children(process.pid)
        self.assertEqual(len(workers), 2)
        process.send_signal(signal.SIGTERM)  # what Kubernetes does: the container's first process alone
        self.assert_cancelled_with_one_checkpoint(process)
        self.assertFalse([pid for pid in workers if os.path.exists(f"/proc/{pid}") and _alive(pid)])

    def test_sigterm_to_the_whole_process_group_still_checkpoints(self):
        # The local executor signals the trainer's process group; with workers in that group (older torch) each gets
        # the executor's SIGTERM and its launcher process's request: one stop, one checkpoint.
        distributed_job(self.task, hyperparameters={"max_steps": 10_000, "save_steps": 0})
        process = self.start(
            launcher_env(FAKE_BACKEND_STEP_SECONDS="0.05", FAKE_LAUNCHER_SAME_SESSION="1"), start_new_session=True
        )
        self.wait_for_step(process)
        os.killpg(process.pid, signal.SIGTERM)
        self.assert_cancelled_with_one_checkpoint(process)

    def test_workers_die_with_a_killed_launcher_process(self):
        distributed_job(self.task, hyperparameters={"max_steps": 10_000})
        process = self.start(launcher_env(FAKE_BACKEND_STEP_SECONDS="0.05"))
        self.wait_for_step(process)
        workers = children(process.pid)
        self.assertEqual(len(workers), 2)
        process.kill()
        process.communicate(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.05)
        self.assertFalse([pid for pid in workers if _alive(pid)])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


if __name__ == "__main__":
    unittest.main()
