"""The trainer protocol writer: one JSON object per line in ``<task_dir>/progress.jsonl``.

Every line is written with a single ``write`` on an ``O_APPEND`` descriptor and fsynced, so readers
never see a partial line and lines from several threads or processes never interleave.
Standard library only: the finetune-service's tests and this package's tests use it without torch.
"""

from __future__ import annotations

import json
import math
import os
import sys
from datetime import datetime, timezone
from typing import Any, Callable, TextIO

PHASES = ("loading_model", "preparing_data", "training", "saving", "merging", "done")
ARTIFACT_KINDS = ("lora", "merged_model", "checkpoint", "best_checkpoint")
PROGRESS_FILE = "progress.jsonl"


def utc_now() -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2025-01-31T12:00:00.123Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: non-finite floats become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def encode_line(record: dict[str, Any]) -> bytes:
    clean = {key: _finite(value) for key, value in record.items()}
    text = json.dumps(clean, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode("utf-8")


class ProgressWriter:
    """Appends protocol records to a progress file; optionally echoes a human line to ``echo``."""

    def __init__(self, path: str | os.PathLike, echo: TextIO | None = None):
        self.path = os.fspath(path)
        self._echo = echo
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._listeners: list = []
        self._terminate_partial_line()

    def _terminate_partial_line(self) -> None:
        # A writer killed by someone else mid-line must not glue our first record to its garbage.
        size = os.fstat(self._fd).st_size
        if size == 0:
            return
        with open(self.path, "rb") as existing:
            existing.seek(size - 1)
            if existing.read(1) != b"\n":
                self._write(b"\n")

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)

    def emit(self, record_type: str, **fields: Any) -> dict[str, Any]:
        record = {"type": record_type, **fields, "time": utc_now()}
        self._write(encode_line(record))
        if self._echo is not None:
            print(f"[sage-trainer] {describe(record)}", file=self._echo, flush=True)
        for listener in list(self._listeners):
            listener(record)
        return record

    def listen(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Also hand every record written to ``listener`` (the experiment trackers, :mod:`.trackers`)."""
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[dict[str, Any]], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def phase(self, phase: str) -> None:
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        self.emit("phase", phase=phase)

    def metrics(self, **fields: Any) -> None:
        self.emit("metrics", **fields)

    def artifact(self, kind: str, path: str, **fields: Any) -> None:
        if kind not in ARTIFACT_KINDS:
            raise ValueError(f"unknown artifact kind {kind!r}")
        self.emit("artifact", kind=kind, path=path, **fields)

    def eval(self, step: int, epoch: float, eval_loss: float) -> None:
        """One evaluation on the validation rows."""
        self.emit("eval", step=step, epoch=epoch, eval_loss=eval_loss)

    def best_checkpoint(self, path: str, step: int, eval_loss: float) -> None:
        """The checkpoint the model artifacts were written from (lowest eval loss)."""
        self.artifact("best_checkpoint", path, step=step, eval_loss=eval_loss)

    def early_stopping(self, step: int, patience: int, best_step: int, best_eval_loss: float) -> None:
        self.emit("early_stopping", step=step, patience=patience, best_step=best_step, best_eval_loss=best_eval_loss)

    def error(self, code: str, message: str) -> None:
        self.emit("error", code=code, message=message)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "ProgressWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class EchoOnlyWriter(ProgressWriter):
    """A rank other than 0 of a distributed run: the same calls as rank 0's writer, each only a line in its own log
    (rank 0 alone writes progress.jsonl)."""

    def __init__(self, echo: TextIO | None = None):
        self.path = None
        self._echo = echo
        self._fd = -1
        self._listeners = []

    def _write(self, data: bytes) -> None:
        pass


def describe(record: dict[str, Any]) -> str:
    """A one-line human rendering of a protocol record, for logs.txt."""
    kind = record.get("type")
    if kind == "phase":
        return f"phase {record['phase']}"
    if kind == "metrics":
        parts = [f"step {record.get('step')}/{record.get('total_steps')}"]
        for key, fmt in (
            ("epoch", "{:.2f}"),
            ("loss", "{:.4f}"),
            ("learning_rate", "{:.3g}"),
            ("grad_norm", "{:.3f}"),
            ("tokens_per_second", "{:.0f}"),
            ("eta_seconds", "{}"),
        ):
            value = record.get(key)
            if value is not None:
                parts.append(f"{key}={fmt.format(value)}")
        return " ".join(parts)
    if kind == "eval":
        return f"eval step {record.get('step')}: eval_loss={record.get('eval_loss')}"
    if kind == "early_stopping":
        return f"early stopping at step {record.get('step')} (best step {record.get('best_step')})"
    if kind == "artifact" and record["kind"] == "best_checkpoint":
        return f"artifact best_checkpoint: {record['path']} (step {record.get('step')}, eval_loss {record.get('eval_loss')})"
    if kind == "artifact":
        return f"artifact {record['kind']}: {record['path']}"
    if kind == "error":
        return f"error {record['code']}: {record['message']}"
    if kind == "tracker":
        where = record.get("log_dir") or record.get("url") or record.get("run_id") or record.get("message") or ""
        return f"tracker {record.get('name')} {record.get('state')}: {where}"
    return json.dumps(record)


def read_records(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Parse a progress file (used by tests and the GPU check); raises ValueError on a bad line."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                raise ValueError(f"line {number} is not newline-terminated")
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict) or "type" not in record:
                raise ValueError(f"line {number} is not a protocol record: {line!r}")
            records.append(record)
    return records


def log(message: str) -> None:
    """A human log line; the executor sends stdout and stderr to the task's logs.txt."""
    print(f"[sage-trainer] {message}", file=sys.stdout, flush=True)
