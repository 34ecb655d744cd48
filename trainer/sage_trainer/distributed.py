"""Several processes per task (issue 21), the parts that need no torch: job.json's ``distributed`` block, the
per-node environment overrides, the launcher's command line, who this process is, and what the run's outcome was.

One command per node stays the executor's contract. That command (the *launcher process*) reads the block, starts
``nproc_per_node`` workers through torch's launcher (``torch.distributed.run``) and waits for them; each worker
re-enters ``sage_trainer`` as one rank (:data:`WORKER_ENV` tells it so, ``RANK``/``LOCAL_RANK``/``WORLD_SIZE``
come from torch's launcher). Rank 0 alone writes ``progress.jsonl`` records (other ranks log to
``logs/rank-N.txt``); no worker writes the final ``error`` record: each leaves an outcome file
(``logs/rank-N.outcome.json``) and the launcher process, once all have ended, writes the one error record that names
the root cause (a rank killed by torch's launcher after another rank failed would otherwise report a misleading
``cancelled``) and exits with its code.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import BAD_SPEC, CANCELLED, INTERNAL, TrainerError

PARALLELISMS = ("ddp", "fsdp")
FIELDS = ("nnodes", "nproc_per_node", "parallelism", "master_addr", "master_port", "node_rank")
MAX_NODES = 64
MAX_PROCS_PER_NODE = 64

NODE_RANK_ENV = "SAGE_NODE_RANK"
MASTER_ADDR_ENV = "SAGE_MASTER_ADDR"
MASTER_PORT_ENV = "SAGE_MASTER_PORT"
# Set by the launcher process for its workers: "this process is one rank of a distributed run".
WORKER_ENV = "SAGE_TRAINER_WORKER"
# The signal the launcher process sends its workers when it is asked to stop (see cancel.CancelToken.install).
FORWARDED_STOP = signal.SIGUSR1

LOGS_DIR = "logs"


@dataclass(frozen=True)
class Distributed:
    nnodes: int
    nproc_per_node: int
    parallelism: str
    master_addr: str
    master_port: int
    node_rank: int

    @property
    def world_size(self) -> int:
        return self.nnodes * self.nproc_per_node

    def local_ranks(self) -> range:
        """The global ranks of this node's workers."""
        first = self.node_rank * self.nproc_per_node
        return range(first, first + self.nproc_per_node)

    def describe(self) -> str:
        return (
            f"{self.parallelism} on {self.world_size} processes ({self.nnodes} node(s) x {self.nproc_per_node}), "
            f"this is node {self.node_rank}, rendezvous {self.master_addr}:{self.master_port}"
        )


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _node_rank_ok(value: Any, nnodes: Any) -> str | None:
    high = nnodes - 1 if _int_in(nnodes, 1, MAX_NODES) else MAX_NODES - 1
    return None if _int_in(value, 0, high) else f"must be an integer between 0 and {high} (nnodes - 1)"


def parse_distributed(raw: Any, problems: list[str]) -> Distributed | None:
    """job.json's ``distributed`` (absent or null: one process). Each problem is appended to ``problems`` naming
    ``distributed.<field>``, like the rest of the spec's checks; ``None`` when there is no block or it is invalid."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("distributed must be a JSON object or absent")
        return None
    before = len(problems)
    for name in sorted(set(raw) - set(FIELDS)):
        problems.append(f"distributed.{name} is not a known field (known: {', '.join(FIELDS)})")
    for name in FIELDS:
        if name not in raw:
            problems.append(f"distributed.{name} is required")
    checks: dict[str, Callable[[Any], str | None]] = {
        "nnodes": lambda v: None if _int_in(v, 1, MAX_NODES) else f"must be an integer between 1 and {MAX_NODES}",
        "nproc_per_node": lambda v: (
            None if _int_in(v, 1, MAX_PROCS_PER_NODE) else f"must be an integer between 1 and {MAX_PROCS_PER_NODE}"
        ),
        "parallelism": lambda v: None if v in PARALLELISMS else f"must be one of {', '.join(PARALLELISMS)}",
        "master_addr": lambda v: None if isinstance(v, str) and v.strip() else "must be a non-empty string",
        "master_port": lambda v: None if _int_in(v, 1, 65535) else "must be an integer between 1 and 65535",
        "node_rank": lambda v: _node_rank_ok(v, raw.get("nnodes")),
    }
    for name, check in checks.items():
        if name in raw:
            problem = check(raw[name])
            if problem:
                problems.append(f"distributed.{name} {problem} (got {json.dumps(raw[name])})")
    if len(problems) > before:
        return None
    return Distributed(
        nnodes=raw["nnodes"],
        nproc_per_node=raw["nproc_per_node"],
        parallelism=raw["parallelism"],
        master_addr=raw["master_addr"].strip(),
        master_port=raw["master_port"],
        node_rank=raw["node_rank"],
    )


def with_environment(dist: Distributed, environ: Mapping[str, str]) -> Distributed:
    """``SAGE_NODE_RANK``, ``SAGE_MASTER_ADDR`` and ``SAGE_MASTER_PORT`` win over the file (on Kubernetes one job.json
    serves every pod; the local executor picks a port free when the run starts). A malformed value is ``bad_spec``
    naming the variable."""
    problems = []
    changes: dict[str, Any] = {}
    rank = environ.get(NODE_RANK_ENV, "").strip()
    if rank:
        if rank.isdigit() and int(rank) < dist.nnodes:
            changes["node_rank"] = int(rank)
        else:
            problems.append(f"{NODE_RANK_ENV} must be an integer between 0 and {dist.nnodes - 1} (got {rank!r})")
    addr = environ.get(MASTER_ADDR_ENV, "").strip()
    if addr:
        if any(c.isspace() for c in addr):
            problems.append(f"{MASTER_ADDR_ENV} must be a host name or address (got {addr!r})")
        else:
            changes["master_addr"] = addr
    port = environ.get(MASTER_PORT_ENV, "").strip()
    if port:
        if port.isdigit() and 1 <= int(port) <= 65535:
            changes["master_port"] = int(port)
        else:
            problems.append(f"{MASTER_PORT_ENV} must be an integer between 1 and 65535 (got {port!r})")
    if problems:
        raise TrainerError(BAD_SPEC, "invalid distributed environment: " + "; ".join(problems))
    return replace(dist, **changes)


def launcher_argv(dist: Distributed, spec_arg: str, log_dir: str | None = None) -> list[str]:
    """The arguments of ``torch.distributed.run`` (torchrun) that start this node's workers: static rendezvous at
    ``master_addr:master_port`` (what torchrun does with these flags), no restarts (a failed rank fails the run; the
    studio's retry resumes from the last checkpoint), each worker ``python -m sage_trainer --spec <spec>``."""
    argv = [
        "--nnodes",
        str(dist.nnodes),
        "--nproc_per_node",
        str(dist.nproc_per_node),
        "--node_rank",
        str(dist.node_rank),
        "--master_addr",
        dist.master_addr,
        "--master_port",
        str(dist.master_port),
        "--max_restarts",
        "0",
        "--monitor_interval",
        "1",
    ]
    if log_dir is not None:
        argv += ["--log_dir", log_dir]
    return argv + ["--module", "sage_trainer", "--spec", spec_arg]


# --- inside a worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rank:
    """Who this process is: ``rank`` of ``world_size`` (``local_rank`` on its node); one process: 0 of 1."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1 or is_worker()


def is_worker(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get(WORKER_ENV) == "1"


def current_rank(environ: Mapping[str, str] | None = None) -> Rank:
    """A worker's rank from torch's launcher (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``); outside a worker rank 0 of 1."""
    env = os.environ if environ is None else environ
    if not is_worker(env):
        return Rank()
    return Rank(int(env.get("RANK", "0")), int(env.get("WORLD_SIZE", "1")), int(env.get("LOCAL_RANK", "0")))


def rank_log(task_dir: Path, rank: int) -> Path:
    return task_dir / LOGS_DIR / f"rank-{rank}.txt"


def outcome_path(task_dir: Path, rank: int) -> Path:
    return task_dir / LOGS_DIR / f"rank-{rank}.outcome.json"


def write_outcome(task_dir: Path, rank: int, error: TrainerError | None) -> None:
    """A worker's last word: its error (or none), for the launcher process to report (atomic: write, then rename)."""
    path = outcome_path(task_dir, rank)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "rank": rank,
        "code": error.code if error else None,
        "message": error.message if error else None,
        "exit_code": error.exit_code if error else 0,
        "time": time.time(),
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(record), encoding="utf-8")
    os.replace(partial, path)


def read_outcome(task_dir: Path, rank: int) -> dict | None:
    try:
        record = json.loads(outcome_path(task_dir, rank).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def clear_outcomes(task_dir: Path, ranks: range) -> None:
    """An earlier attempt's outcome files must not speak for this one."""
    for rank in ranks:
        outcome_path(task_dir, rank).unlink(missing_ok=True)


# --- the run's outcome, in the launcher process ---------------------------------------------------------------


def _where(rank: int) -> str:
    return "logs.txt" if rank == 0 else f"{LOGS_DIR}/rank-{rank}.txt"


def _exit_description(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (the host may have run out of memory)" if -code == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with code {code}"


_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL}


def _real(outcome: dict | None) -> bool:
    return bool(outcome) and outcome.get("code") not in (None, CANCELLED)


def _as_error(outcome: dict) -> TrainerError:
    rank = int(outcome.get("rank", 0))
    message = str(outcome.get("message") or outcome["code"])
    return TrainerError(str(outcome["code"]), message if rank == 0 else f"rank {rank}: {message}")


def _silent(rank: int, code: int) -> TrainerError:
    return TrainerError(
        INTERNAL, f"rank {rank} {_exit_description(code)} without reporting an error; see {_where(rank)}"
    )


def run_outcome(
    ranks: range,
    outcomes: Mapping[int, dict | None],
    failures: Mapping[int, int],
    stop_signal: str | None,
    launcher_error: str | None = None,
) -> TrainerError | None:
    """The one error this node's run reports, or ``None`` when every worker succeeded.

    ``outcomes``: each local rank's outcome file (``None``: it left none); ``failures``: the exit codes of the ranks
    torch's launcher saw fail first (it then stops the others: their errors are consequences, e.g. a lost peer);
    ``stop_signal``: the signal the launcher process got (the user or the executor asked to stop);
    ``launcher_error``: torch's launcher itself failed.

    Asked to stop, the run was cancelled (rank 0's message says where its checkpoint went). Otherwise the cause is
    among the first failures: a rank that crashed without a word (SIGSEGV, SIGABRT, ...), else the earliest real error,
    else a rank that died silently otherwise (e.g. SIGKILL: the OOM killer), named with its log file; then any rank's
    earliest real error.
    """
    errors = {rank: outcomes.get(rank) for rank in ranks}
    if stop_signal is not None:
        main = errors.get(ranks[0])
        if main and main.get("code") == CANCELLED and main.get("message"):
            return TrainerError(CANCELLED, str(main["message"]))
        return TrainerError(CANCELLED, f"cancelled by {stop_signal}")
    first = sorted(rank for rank in failures if failures[rank] != 0 and rank in errors)
    crashed = [
        r for r in first if errors[r] is None and failures[r] < 0 and signal.Signals(-failures[r]) in _CRASH_SIGNALS
    ]
    if crashed:
        return _silent(crashed[0], failures[crashed[0]])
    timed = lambda rank: isinstance(errors[rank].get("time"), (int, float))  # noqa: E731
    real_first = [r for r in first if _real(errors[r]) and timed(r)]
    if real_first:
        return _as_error(errors[min(real_first, key=lambda r: (errors[r]["time"], r))])
    silent = [r for r in first if errors[r] is None]
    if silent:
        return _silent(silent[0], failures[silent[0]])
    real = [r for r in ranks if _real(errors[r]) and timed(r)]
    if real:
        return _as_error(errors[min(real, key=lambda r: (errors[r]["time"], r))])
    if launcher_error is not None:
        return TrainerError(INTERNAL, f"the distributed launcher failed: {launcher_error}")
    cancelled = [outcome for outcome in errors.values() if outcome and outcome.get("code") == CANCELLED]
    if cancelled:
        return TrainerError(CANCELLED, str(cancelled[0].get("message") or "cancelled"))
    missing = [rank for rank in ranks if errors[rank] is None]
    if missing and failures:
        return TrainerError(INTERNAL, f"rank {missing[0]} ended without reporting an outcome; see {_where(missing[0])}")
    return None
