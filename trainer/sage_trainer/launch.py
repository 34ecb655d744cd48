"""The launcher process of a distributed run (job.json with a ``distributed`` block): start this node's workers through
torch's launcher, pass a stop request on to them, and report the run's outcome (see :mod:`sage_trainer.distributed`).

torch's launcher (``torch.distributed.run.main``, what ``torchrun`` runs) is called in a thread of this process, so
that it does not take over SIGTERM/SIGINT (it only does in the main thread): its own handling would SIGTERM the
workers and SIGKILL them 30 s later, and a second SIGTERM (the executor signals the whole process group) would end a
worker before its checkpoint. Here a stop is passed on as SIGUSR1, repeated each second until the workers have gone
(a worker that has not installed its handler yet ignores it: this process ignores SIGUSR1 and workers inherit
that); workers never treat a repeated request as "now". A second signal to this process kills the workers at once.
Workers die with this process (``PR_SET_PDEATHSIG``, set by each worker): torch starts them in their own sessions,
out of reach of a SIGKILL to this process group.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from .backend import TEST_BACKEND_ENV
from .deps import require_ml_stack
from .distributed import (
    FORWARDED_STOP,
    LOGS_DIR,
    WORKER_ENV,
    Distributed,
    clear_outcomes,
    launcher_argv,
    read_outcome,
    run_outcome,
    with_environment,
)
from .errors import EXIT_CANCELLED, TrainerError
from .protocol import ProgressWriter, log
from .spec import JobSpec

TEST_LAUNCHER_ENV = "SAGE_TRAINER_TEST_LAUNCHER"
LAUNCHER_PID_ENV = "SAGE_TRAINER_LAUNCHER_PID"
STOP_REPEAT_SECONDS = 1.0

Launcher = Callable[[list[str]], dict[int, int]]


def torch_launcher(argv: list[str]) -> dict[int, int]:
    """``torch.distributed.run.main(argv)``; the exit codes of the workers it saw fail, by global rank (empty: all
    succeeded). A failure of the launcher itself (e.g. a rendezvous that never completes) raises."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main

    try:
        main(argv)
    except ChildFailedError as failed:
        return {int(rank): int(failure.exitcode) for rank, failure in failed.failures.items()}
    return {}


def load_launcher(quantized: bool) -> Launcher:
    """torch's launcher; ``SAGE_TRAINER_TEST_LAUNCHER`` names a module whose ``launch(argv)`` stands in for it (this
    package's tests, on machines without torch)."""
    override = os.environ.get(TEST_LAUNCHER_ENV)
    if override:
        log(f"WARNING: {TEST_LAUNCHER_ENV}={override}: using a test launcher")
        return importlib.import_module(override).launch
    if os.environ.get(TEST_BACKEND_ENV):
        importlib.import_module("torch")  # a test backend needs torch's launcher only; it checks the rest itself
    else:
        require_ml_stack(quantized)
    return torch_launcher


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc; the workers torch's launcher started in this process)."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[0] != "Z" and fields[1] == str(pid):
            found.append(int(name))
    return found


class _StopRequests:
    """SIGTERM/SIGINT/SIGHUP while the workers run: remembered here, passed on by the wait loop."""

    def __init__(self):
        self.signal_name: str | None = None
        self.count = 0

    def handle(self, signum: int, _frame) -> None:
        self.count += 1
        self.signal_name = self.signal_name or signal.Signals(signum).name

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self.handle)


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def run_distributed(
    spec: JobSpec, spec_arg: str, writer: ProgressWriter, cancel, launcher: Launcher | None = None
) -> int:
    """Launch this node's workers, wait, report; the exit code of the run (0, or the reported error's)."""
    dist: Distributed = with_environment(spec.distributed, os.environ)
    log(f"distributed: {dist.describe()}")
    hp = spec.hyperparameters
    launch = launcher or load_launcher(quantized=spec.method == "qlora" or hp.load_in_8bit)
    task_dir = spec.task_dir
    (task_dir / LOGS_DIR).mkdir(parents=True, exist_ok=True)
    ranks = dist.local_ranks()
    clear_outcomes(task_dir, ranks)
    argv = launcher_argv(dist, spec_arg, log_dir=str(task_dir / LOGS_DIR / "torchelastic"))

    os.environ[WORKER_ENV] = "1"
    os.environ[LAUNCHER_PID_ENV] = str(os.getpid())
    signal.signal(FORWARDED_STOP, signal.SIG_IGN)
    cancel.raise_if_requested()
    stop = _StopRequests()
    stop.install()  # from here on a signal is passed on to the workers, not raised here
    result: dict = {}

    def target() -> None:
        try:
            result["failures"] = launch(argv)
        except BaseException as exc:  # noqa: BLE001 - reported below, like any failure of the run
            result["error"] = f"{type(exc).__name__}: {exc}"

    log(f"starting {dist.nproc_per_node} worker(s): torch.distributed.run {' '.join(argv)}")
    thread = threading.Thread(target=target, name="sage-launcher", daemon=True)
    thread.start()
    forwarded_at = 0.0
    killed = False
    while thread.is_alive():
        thread.join(0.2)
        if not stop.count:
            continue
        now = time.monotonic()
        if stop.count > 1 and not killed:
            log(f"second {stop.signal_name}: stopping the workers at once")
            _signal(children(os.getpid()), signal.SIGKILL)
            killed = True
        elif not killed and now - forwarded_at >= STOP_REPEAT_SECONDS:
            if not forwarded_at:
                log(f"{stop.signal_name}: asking the workers to checkpoint and stop")
            _signal(children(os.getpid()), FORWARDED_STOP)
            forwarded_at = now
    cancel.finish()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)

    failures = result.get("failures") or {}
    outcomes = {rank: read_outcome(task_dir, rank) for rank in ranks}
    error = run_outcome(ranks, outcomes, failures, stop.signal_name, result.get("error"))
    if error is None:
        log("all workers finished")
        return 0
    _report(error, dist, writer)
    return error.exit_code


def _report(error: TrainerError, dist: Distributed, writer: ProgressWriter) -> None:
    """Node 0 writes the run's error record; other nodes only log it (rank 0 alone writes progress.jsonl)."""
    if dist.node_rank == 0:
        writer.error(error.code, error.message)
    else:
        log(f"error {error.code}: {error.message}")


def worker_setup(task_dir: Path, rank: int) -> None:
    """First thing in a worker: die with the launcher process, and (ranks other than 0) log to logs/rank-N.txt."""
    _die_with_parent()
    if rank == 0:
        return
    from .distributed import rank_log

    path = rank_log(task_dir, rank)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: a worker may outlive a killed launcher process
    expected = os.environ.get(LAUNCHER_PID_ENV)
    if expected and expected.isdigit() and os.getppid() != int(expected):
        os._exit(EXIT_CANCELLED)  # the launcher process died before prctl took effect
