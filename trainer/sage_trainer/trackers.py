"""Experiment trackers: TensorBoard event files always, MLflow and Weights & Biases when ``report_to`` names them.

The trackers follow the run through the progress writer (``ProgressWriter.listen``): every ``metrics`` record becomes
``train/loss``, ``train/learning_rate``, ``train/tokens_per_second``, ``train/grad_norm``, ``train/epoch`` and every
``eval`` record ``eval/loss`` at its step, so they show exactly what ``progress.jsonl`` says and the training loop
does not know they exist. Each tracker writes one ``tracker`` protocol record when the run starts, telling the studio
where to look: ``{"name": "tensorboard", "log_dir": "tensorboard"}``, ``{"name": "mlflow"|"wandb", "run_id", "url"}``,
or ``"state": "unavailable"`` with a ``message`` (named but not installed, or not configured) - then a warning in the
log, never a failed run. A tracker that breaks in the middle of a run (its server went away) is dropped with a
warning; training goes on.

TensorBoard: the library's ``SummaryWriter`` (``torch.utils.tensorboard``, else ``tensorboardX``) where importable,
else :class:`EventFileWriter`, which writes the event file format itself: TFRecord framing (length, masked CRC-32C of
the length, data, masked CRC-32C of the data) around a hand-encoded ``Event`` protobuf. The trainer's tests and CI run
on a plain ``python3`` without tensorboard, protobuf or torch, and the files must exist there too.

Secrets (``WANDB_API_KEY``, ``MLFLOW_TRACKING_TOKEN``, ``MLFLOW_TRACKING_PASSWORD``, credentials in
``MLFLOW_TRACKING_URI``) are never written to a record or a log line: messages pass through :func:`_redact`.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import struct
import time
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

from .protocol import ProgressWriter, log

TRACKERS = ("tensorboard", "mlflow", "wandb")
TENSORBOARD_DIR = "tensorboard"
# metrics record field -> scalar tag
TRAIN_SCALARS = {
    "loss": "train/loss",
    "learning_rate": "train/learning_rate",
    "tokens_per_second": "train/tokens_per_second",
    "grad_norm": "train/grad_norm",
    "epoch": "train/epoch",
}
EVAL_LOSS_TAG = "eval/loss"
SECRET_VARIABLES = ("WANDB_API_KEY", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD")
STATE_FILE = ".trackers.json"

# --- the event file format, by hand --------------------------------------------------------------------------------


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum of TFRecord framing."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(value: int) -> bytes:
    value &= 0xFFFFFFFFFFFFFFFF  # int64: negative numbers as their two's complement
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, wire: int, payload: bytes) -> bytes:
    key = _varint(number << 3 | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


def encode_event(
    wall_time: float, step: int = 0, file_version: str | None = None, scalars: dict | None = None
) -> bytes:
    """An ``Event`` (tensorflow/core/util/event.proto): wall_time = 1 (double), step = 2 (int64), file_version = 3
    (string), summary = 5 (``Summary``: value = 1, repeated ``Value``: tag = 1, simple_value = 2 (float))."""
    data = _field(1, 1, struct.pack("<d", wall_time))
    if step:
        data += _field(2, 0, _varint(step))
    if file_version is not None:
        data += _field(3, 2, file_version.encode("utf-8"))
    if scalars:
        values = b"".join(
            _field(1, 2, _field(1, 2, tag.encode("utf-8")) + _field(2, 5, struct.pack("<f", value)))
            for tag, value in scalars.items()
        )
        data += _field(5, 2, values)
    return data


def frame(data: bytes) -> bytes:
    """One TFRecord: length (uint64 LE), masked CRC of the length, data, masked CRC of the data."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


class EventFileWriter:
    """Scalars into a TensorBoard event file (``events.out.tfevents.<time>.<host>.<pid>``), flushed per step."""

    def __init__(self, log_dir: str | os.PathLike):
        os.makedirs(log_dir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.sage"
        self.path = os.path.join(os.fspath(log_dir), name)
        self._file = open(self.path, "ab")
        self._write(encode_event(time.time(), file_version="brain.Event:2"))

    def _write(self, event: bytes) -> None:
        self._file.write(frame(event))
        self._file.flush()

    def add_scalars(self, scalars: dict[str, float], step: int) -> None:
        self._write(encode_event(time.time(), step=step, scalars=scalars))

    def close(self) -> None:
        self._file.close()


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes) -> Iterator[tuple[int, int, Any]]:
    at = 0
    while at < len(data):
        key, at = _read_varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _read_varint(data, at)
        elif wire == 1:
            value, at = data[at : at + 8], at + 8
        elif wire == 5:
            value, at = data[at : at + 4], at + 4
        elif wire == 2:
            size, at = _read_varint(data, at)
            value, at = data[at : at + size], at + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def read_event_file(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Decode an event file (checking both CRCs of every record): ``[{wall_time, step, file_version?, scalars}]``.
    For tests and tools; covers what :class:`EventFileWriter` and the libraries write for scalars."""
    events = []
    data = Path(path).read_bytes()
    at = 0
    while at < len(data):
        header = data[at : at + 8]
        (length,) = struct.unpack("<Q", header)
        if struct.unpack("<I", data[at + 8 : at + 12])[0] != masked_crc32c(header):
            raise ValueError(f"bad length checksum at byte {at}")
        body = data[at + 12 : at + 12 + length]
        if struct.unpack("<I", data[at + 12 + length : at + 16 + length])[0] != masked_crc32c(body):
            raise ValueError(f"bad data checksum at byte {at}")
        at += 16 + length
        event: dict[str, Any] = {"step": 0, "scalars": {}}
        for number, _, value in _fields(body):
            if number == 1:
                event["wall_time"] = struct.unpack("<d", value)[0]
            elif number == 2:
                event["step"] = value
            elif number == 3:
                event["file_version"] = value.decode("utf-8")
            elif number == 5:
                for _, _, summary_value in ((n, w, v) for n, w, v in _fields(value) if n == 1):
                    parts = {n: v for n, _, v in _fields(summary_value)}
                    if 1 in parts and 2 in parts:
                        event["scalars"][parts[1].decode("utf-8")] = struct.unpack("<f", parts[2])[0]
        events.append(event)
    return events


# --- the trackers ---------------------------------------------------------------------------------------------------


class Unavailable(Exception):
    """A tracker named in ``report_to`` that cannot run here (not installed, not configured)."""


def _redact(text: str) -> str:
    for name in SECRET_VARIABLES:
        secret = os.environ.get(name)
        if secret:
            text = text.replace(secret, "***")
    uri = os.environ.get("MLFLOW_TRACKING_URI") or ""
    userinfo = urlsplit(uri).netloc.rpartition("@")[0] if "://" in uri else ""
    return text.replace(userinfo, "***") if userinfo else text


def _public_uri(uri: str) -> str | None:
    """An http(s) tracking URI without credentials or query, for links; ``None`` for anything else."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


class _TensorBoard:
    name = "tensorboard"

    def __init__(self, task_dir: Path):
        self.log_dir = task_dir / TENSORBOARD_DIR
        self._library = None
        self._writer: Any = None
        for module in ("torch.utils.tensorboard", "tensorboardX"):
            try:
                summary_writer = __import__(module, fromlist=["SummaryWriter"]).SummaryWriter
            except Exception:  # not installed, or torch without tensorboard (ImportError from torch)
                continue
            self._writer, self._library = summary_writer(log_dir=str(self.log_dir)), module
            break
        if self._writer is None:
            self._writer = EventFileWriter(self.log_dir)

    def record(self) -> dict[str, Any]:
        return {"log_dir": TENSORBOARD_DIR}

    def log(self, scalars: dict[str, float], step: int) -> None:
        if self._library is None:
            self._writer.add_scalars(scalars, step)
            return
        for tag, value in scalars.items():
            self._writer.add_scalar(tag, value, step)
        self._writer.flush()

    def finish(self, status: str) -> None:
        self._writer.close()


def _import(module: str, package: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:
        raise Unavailable(f"{package} is not installed in the trainer's Python (pip install {package})") from exc


class _Mlflow:
    name = "mlflow"

    def __init__(self, task_id: str, params: dict[str, Any], resume_id: str | None):
        mlflow = _import("mlflow", "mlflow")
        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:
            raise Unavailable("MLFLOW_TRACKING_URI is not set in the trainer's environment")
        self._mlflow = mlflow
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or "sage-studio")
        if resume_id:
            run = mlflow.start_run(run_id=resume_id)
        else:
            run = mlflow.start_run(run_name=task_id, tags={"sage.task_id": task_id})
            mlflow.log_params(params)
        self.run_id = run.info.run_id
        base = _public_uri(uri)
        self.url = f"{base}/#/experiments/{run.info.experiment_id}/runs/{self.run_id}" if base else None

    def record(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "url": self.url}

    def log(self, scalars: dict[str, float], step: int) -> None:
        self._mlflow.log_metrics(scalars, step=step)

    def finish(self, status: str) -> None:
        self._mlflow.end_run(status=status)


class _Wandb:
    name = "wandb"

    def __init__(self, task_id: str, params: dict[str, Any], resume_id: str | None, task_dir: Path):
        wandb = _import("wandb", "wandb")
        mode = os.environ.get("WANDB_MODE", "")
        if not os.environ.get("WANDB_API_KEY") and mode not in ("offline", "dryrun", "disabled"):
            raise Unavailable("neither WANDB_API_KEY nor WANDB_MODE=offline is set in the trainer's environment")
        options: dict[str, Any] = {
            "project": os.environ.get("WANDB_PROJECT") or "sage-studio",
            "name": task_id,
            "config": params,
            "dir": str(task_dir),
        }
        if resume_id:
            options.update(id=resume_id, resume="allow")
        try:
            options["settings"] = wandb.Settings(console="off")  # the trainer's stdout is the task's log
        except Exception:
            pass
        self._run = wandb.init(**options)
        self.run_id = self._run.id
        try:
            self.url = self._run.url or None  # offline: none
        except Exception:
            self.url = None

    def record(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "url": self.url}

    def log(self, scalars: dict[str, float], step: int) -> None:
        self._run.log(scalars, step=step)

    def finish(self, status: str) -> None:
        self._run.finish(exit_code=0 if status == "FINISHED" else 1)


class Trackers:
    """The trackers of one run (rank 0 only); a context manager that ends their runs with the run's outcome:
    ``FINISHED``, ``KILLED`` (cancelled) or ``FAILED``."""

    def __init__(self, writer: ProgressWriter, active: list[Any]):
        self._writer = writer
        self._active = active
        writer.listen(self.observe)

    @classmethod
    def start(
        cls,
        writer: ProgressWriter,
        task_dir: Path,
        task_id: str,
        report_to: tuple[str, ...],
        params: dict[str, Any],
        resume: bool = False,
    ) -> "Trackers":
        """Starts TensorBoard and whatever ``report_to`` names; one ``tracker`` record each (also when unavailable).
        ``resume`` (the job continues from a checkpoint): continue the MLflow / W&B runs of the attempt before."""
        state_path = task_dir / STATE_FILE
        resumed = _read_state(state_path) if resume else {}
        factories: dict[str, Callable[[], Any]] = {
            "tensorboard": lambda: _TensorBoard(task_dir),
            "mlflow": lambda: _Mlflow(task_id, params, resumed.get("mlflow")),
            "wandb": lambda: _Wandb(task_id, params, resumed.get("wandb"), task_dir),
        }
        active = []
        for name in ("tensorboard", *[n for n in TRACKERS if n in report_to and n != "tensorboard"]):
            try:
                tracker = factories[name]()
            except Exception as exc:  # an optional integration must never fail the run
                reason = str(exc) if isinstance(exc, Unavailable) else f"could not start: {type(exc).__name__}: {exc}"
                message = _redact(f"{name} is named in report_to but unavailable: {reason}")
                log(f"WARNING: {message}")
                writer.emit("tracker", name=name, state="unavailable", message=message)
                continue
            active.append(tracker)
            writer.emit("tracker", name=name, state="active", **tracker.record())
        _write_state(state_path, {t.name: t.run_id for t in active if getattr(t, "run_id", None)})
        return cls(writer, active)

    def observe(self, record: dict[str, Any]) -> None:
        """A progress record: its figures to every tracker."""
        kind = record.get("type")
        if kind == "metrics":
            scalars = {tag: record.get(field) for field, tag in TRAIN_SCALARS.items()}
        elif kind == "eval":
            scalars = {EVAL_LOSS_TAG: record.get("eval_loss")}
        else:
            return
        scalars = {tag: float(v) for tag, v in scalars.items() if isinstance(v, (int, float)) and v == v}
        step = record.get("step")
        if not scalars or not isinstance(step, int):
            return
        for tracker in list(self._active):
            try:
                tracker.log(scalars, step)
            except Exception as exc:
                self._drop(tracker, exc)

    def _drop(self, tracker: Any, exc: Exception) -> None:
        log(_redact(f"WARNING: {tracker.name} stopped working ({type(exc).__name__}: {exc}); training goes on"))
        self._active.remove(tracker)

    def close(self, status: str = "FINISHED") -> None:
        self._writer.unlisten(self.observe)
        for tracker in self._active:
            try:
                tracker.finish(status)
            except Exception as exc:
                log(_redact(f"WARNING: {tracker.name} could not end its run ({type(exc).__name__}: {exc})"))
        self._active = []

    def __enter__(self) -> "Trackers":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        from .errors import CANCELLED, TrainerError

        if exc is None:
            self.close("FINISHED")
        elif isinstance(exc, KeyboardInterrupt) or (isinstance(exc, TrainerError) and exc.code == CANCELLED):
            self.close("KILLED")
        else:
            self.close("FAILED")


def params_of(spec: Any) -> dict[str, Any]:
    """What a tracker logs as the run's parameters: the job's model, method and hyperparameters."""
    params = {"task_id": spec.task_id, "base_model": spec.base_model, "method": spec.method}
    for name, value in dataclasses.asdict(spec.hyperparameters).items():
        params[name] = ",".join(value) if isinstance(value, (tuple, list)) else value
    return params


def _read_state(path: Path) -> dict[str, str]:
    """Run ids of an earlier attempt of this task: a resumed attempt continues the same MLflow / W&B runs."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}
    )


def _write_state(path: Path, run_ids: dict[str, str]) -> None:
    import json

    if not run_ids:
        return
    try:
        path.write_text(json.dumps(run_ids), encoding="utf-8")
    except OSError as exc:
        log(f"WARNING: cannot remember the tracker runs in {path.name}: {exc.strerror or exc}")
