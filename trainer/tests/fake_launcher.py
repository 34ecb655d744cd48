"""Stands in for ``torch.distributed.run`` where torch is absent (``SAGE_TRAINER_TEST_LAUNCHER=tests.fake_launcher``).

It parses the arguments ``sage_trainer.distributed.launcher_argv`` builds, starts ``nproc_per_node`` workers with
torchrun's environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``GROUP_RANK``,
``MASTER_ADDR``, ``MASTER_PORT``), each in its own session like torch's launcher, and when one fails SIGTERMs the
others and SIGKILLs them 30 s later, like torch's launcher. Knobs: ``FAKE_LAUNCHER_RECORD`` (a file that gets the
argv as JSON), ``FAKE_LAUNCHER_SAME_SESSION=1`` (workers in the launcher's process group, as older torch did).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

VALUED = (
    "--nnodes",
    "--nproc_per_node",
    "--node_rank",
    "--master_addr",
    "--master_port",
    "--max_restarts",
    "--monitor_interval",
    "--log_dir",
)


def launch(argv: list[str]) -> dict[int, int]:
    record = os.environ.get("FAKE_LAUNCHER_RECORD")
    if record:
        with open(record, "w", encoding="utf-8") as handle:
            json.dump(argv, handle)
    parser = argparse.ArgumentParser(prog="fake_launcher")
    for name in VALUED:
        parser.add_argument(name, required=name not in ("--log_dir",))
    parser.add_argument("--module", action="store_true")
    parser.add_argument("training_script")
    parser.add_argument("training_script_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    nproc, nnodes, node_rank = int(args.nproc_per_node), int(args.nnodes), int(args.node_rank)
    command = [sys.executable, "-u"] + (["-m"] if args.module else []) + [args.training_script]
    command += args.training_script_args
    same_session = os.environ.get("FAKE_LAUNCHER_SAME_SESSION") == "1"
    workers: dict[int, subprocess.Popen] = {}
    for local_rank in range(nproc):
        rank = node_rank * nproc + local_rank
        env = dict(
            os.environ,
            RANK=str(rank),
            LOCAL_RANK=str(local_rank),
            WORLD_SIZE=str(nnodes * nproc),
            LOCAL_WORLD_SIZE=str(nproc),
            GROUP_RANK=str(node_rank),
            MASTER_ADDR=args.master_addr,
            MASTER_PORT=args.master_port,
        )
        workers[rank] = subprocess.Popen(command, env=env, start_new_session=not same_session)
    failures: dict[int, int] = {}
    while True:
        codes = {rank: process.poll() for rank, process in workers.items()}
        failed = {rank: code for rank, code in codes.items() if code not in (None, 0)}
        if failed:
            failures.update(failed)
            _stop_others(workers, same_session)
            return failures
        if all(code == 0 for code in codes.values()):
            return failures
        time.sleep(0.05)


def _stop_others(workers: dict[int, subprocess.Popen], same_session: bool) -> None:
    for process in workers.values():
        if process.poll() is None:
            try:
                if same_session:
                    process.send_signal(signal.SIGTERM)
                else:
                    os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 30
    for process in workers.values():
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
