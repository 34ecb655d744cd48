"""``job.json``: parsing and strict validation (docs/trainer-protocol.md, schema docs/trainer-protocol/job.schema.json).

Every problem is reported at once, each naming its field, as one ``bad_spec`` error. Hyperparameters
the trainer does not know are rejected rather than ignored: a setting that would silently have no
effect is a bug in whoever wrote the job.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .distributed import Distributed, parse_distributed
from .errors import BAD_SPEC, TrainerError

METHODS = ("lora", "qlora", "full")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
SWITCHES = ("auto", "on", "off")
ATTENTION = ("auto", "flash_attention_2", "sdpa", "eager")


@dataclass(frozen=True)
class Hyperparameters:
    epochs: int = 3
    batch_size: int = 4
    learning_rate: float = 2e-4
    gradient_accumulation_steps: int = 1
    max_length: int = 1024
    lora_r: int = 16
    lora_alpha: float = 32
    lora_dropout: float = 0.05
    lora_target_modules: tuple[str, ...] | None = None
    seed: int = 42
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    logging_steps: int = 10
    save_steps: int = 500
    save_total_limit: int | None = None
    packing: str = "auto"
    gradient_checkpointing: bool | str = "auto"
    load_in_8bit: bool = False
    precision: str = "auto"
    max_steps: int = -1
    max_grad_norm: float = 1.0
    eval_steps: int | None = None
    early_stopping_patience: int | None = None
    attn_implementation: str = "auto"
    liger_kernels: str = "auto"
    fused_optimizer: str = "auto"


@dataclass(frozen=True)
class JobSpec:
    task_id: str
    base_model: str
    dataset_path: Path
    output_dir: Path
    method: str
    hyperparameters: Hyperparameters
    merge: bool
    resume_from: Path | None
    task_dir: Path
    validation_path: Path | None = None
    distributed: Distributed | None = None
    report_to: tuple[str, ...] = ()

    @property
    def lora_dir(self) -> Path:
        return self.output_dir / "lora"

    @property
    def merged_dir(self) -> Path:
        return self.output_dir / "merged_model"

    @property
    def checkpoints_dir(self) -> Path:
        return self.output_dir / "checkpoints"


# --- value checks: each returns the normalised value or raises _Invalid -------------------------


class _Invalid(Exception):
    pass


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(low: int, high: int | None = None, also: tuple[int, ...] = ()) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        in_range = _is_int(value) and (value in also or (value >= low and (high is None or value <= high)))
        if not in_range:
            bound = f">= {low}" if high is None else f"between {low} and {high}"
            extra = "".join(f" or {v}" for v in also)
            raise _Invalid(f"must be an integer {bound}{extra}")
        return value

    return check


def _number(low: float, high: float, low_open: bool = False, high_open: bool = False) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        ok = (_is_int(value) or isinstance(value, float)) and math.isfinite(value)
        ok = ok and (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
        if not ok:
            left, right = ("(" if low_open else "["), (")" if high_open else "]")
            raise _Invalid(f"must be a number in {left}{low:g}, {high:g}{right}")
        return value

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("must be true or false")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise _Invalid(f"must be one of {', '.join(options)}")
        return value

    return check


def _switch(value: Any) -> str:
    """``auto``, ``on`` or ``off``; ``true``/``false`` (what ``packing`` took before) mean ``on``/``off``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value not in SWITCHES:
        raise _Invalid("must be auto, on or off (or true/false)")
    return value


def _bool_or_auto(value: Any) -> bool | str:
    if not isinstance(value, bool) and value != "auto":
        raise _Invalid('must be true, false or "auto"')
    return value


def _module_names(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if value == "all-linear":
        return ("all-linear",)
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
        raise _Invalid('must be null, "all-linear" or a non-empty list of module names')
    return tuple(item.strip() for item in value)


def _report_to(value: Any) -> tuple[str, ...]:
    from .trackers import TRACKERS

    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Invalid(f"must be a list of tracker names ({', '.join(TRACKERS)})")
    unknown = sorted(set(value) - set(TRACKERS))
    if unknown:
        raise _Invalid(f"names unknown trackers {', '.join(unknown)} (known: {', '.join(TRACKERS)})")
    return tuple(dict.fromkeys(value))


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


# One check per Hyperparameters field (a unit test keeps the two in step).
HYPERPARAMETER_CHECKS: dict[str, Callable[[Any], Any]] = {
    "epochs": _int(1, 1000),
    "batch_size": _int(1, 4096),
    "learning_rate": _number(0, 1, low_open=True),
    "gradient_accumulation_steps": _int(1, 4096),
    "max_length": _int(16, 1_048_576),
    "lora_r": _int(1, 4096),
    "lora_alpha": _number(0, 65536, low_open=True),
    "lora_dropout": _number(0, 1, high_open=True),
    "lora_target_modules": _module_names,
    "seed": _int(0, 2**32 - 1),
    "warmup_ratio": _number(0, 1),
    "weight_decay": _number(0, 1),
    "logging_steps": _int(1),
    "save_steps": _int(0),
    "save_total_limit": _optional(_int(1)),
    "packing": _switch,
    "gradient_checkpointing": _bool_or_auto,
    "load_in_8bit": _bool,
    "precision": _choice(PRECISIONS),
    "max_steps": _int(1, also=(-1,)),
    "max_grad_norm": _number(0, 1e6),
    "eval_steps": _optional(_int(1)),
    "early_stopping_patience": _optional(_int(1)),
    "attn_implementation": _choice(ATTENTION),
    "liger_kernels": _switch,
    "fused_optimizer": _switch,
}


def _non_empty_string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("must be a non-empty string")
    return value.strip()


def _resolve(task_dir: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (task_dir / path)


LATEST = "latest"


def _resume_from(task_dir: Path, output_dir: Path, value: str | None) -> Path | None:
    """``resume_from``: a checkpoint folder, or ``latest``: the newest complete checkpoint under ``output_dir``'s
    ``checkpoints/`` (``None``, a fresh start, when there is none yet)."""
    if not value:
        return None
    if value != LATEST:
        return _resolve(task_dir, value)
    from .checkpoint import latest_complete  # checkpoint imports this module
    from .protocol import log

    found = latest_complete(output_dir / "checkpoints")
    log(f"resume_from latest: {found.name if found else 'no complete checkpoint yet, starting fresh'}")
    return found


def parse_spec(data: Any, task_dir: Path) -> JobSpec:
    """Validate a decoded job.json; relative paths are resolved against ``task_dir``."""
    if not isinstance(data, dict):
        raise TrainerError(BAD_SPEC, "job.json must contain a JSON object")
    problems: list[str] = []

    def take(container: dict, prefix: str, name: str, check: Callable[[Any], Any], default: Any, required: bool) -> Any:
        if name not in container:
            if required:
                problems.append(f"{prefix}{name} is required")
            return default
        try:
            return check(container[name])
        except _Invalid as invalid:
            problems.append(f"{prefix}{name} {invalid} (got {json.dumps(container[name])})")
            return default

    task_id = take(data, "", "task_id", _non_empty_string, "", True)
    base_model = take(data, "", "base_model", _non_empty_string, "", True)
    dataset_path = take(data, "", "dataset_path", _non_empty_string, "", True)
    validation_path = take(data, "", "validation_path", _optional(_non_empty_string), None, False)
    output_dir = take(data, "", "output_dir", _non_empty_string, ".", True)
    method = take(data, "", "method", _choice(METHODS), "lora", True)
    merge = take(data, "", "merge", _bool, False, False)
    resume_from = take(data, "", "resume_from", _optional(_non_empty_string), None, False)
    distributed = parse_distributed(data.get("distributed"), problems)
    report_to = take(data, "", "report_to", _optional(_report_to), (), False) or ()

    raw_hp = data.get("hyperparameters", {})
    values: dict[str, Any] = {}
    if not isinstance(raw_hp, dict):
        problems.append("hyperparameters must be a JSON object")
        raw_hp = {}
    for name in sorted(set(raw_hp) - set(HYPERPARAMETER_CHECKS)):
        problems.append(
            f"hyperparameters.{name} is not a known hyperparameter "
            f"(known: {', '.join(sorted(HYPERPARAMETER_CHECKS))})"
        )
    defaults = Hyperparameters()
    for name, check in HYPERPARAMETER_CHECKS.items():
        values[name] = take(raw_hp, "hyperparameters.", name, check, getattr(defaults, name), False)
    hp = Hyperparameters(**values)

    if hp.load_in_8bit and method == "qlora":
        problems.append(
            "hyperparameters.load_in_8bit cannot be combined with method qlora (4-bit); "
            "use method lora with load_in_8bit, or qlora alone"
        )
    if hp.load_in_8bit and method == "full":
        problems.append(
            "hyperparameters.load_in_8bit cannot be used with method full "
            "(8-bit weights are not trainable); use method lora"
        )

    if distributed is not None and distributed.parallelism == "fsdp" and (method == "qlora" or hp.load_in_8bit):
        problems.append(
            "distributed.parallelism fsdp cannot shard quantized (qlora, load_in_8bit) weights; "
            "use parallelism ddp, or method lora/full"
        )

    if validation_path is None:
        for name in ("eval_steps", "early_stopping_patience"):
            if getattr(hp, name) is not None:
                problems.append(f"hyperparameters.{name} needs validation_path (there is nothing to evaluate on)")

    if problems:
        raise TrainerError(BAD_SPEC, "invalid job.json: " + "; ".join(problems))

    return JobSpec(
        task_id=task_id,
        base_model=base_model,
        dataset_path=_resolve(task_dir, dataset_path),
        output_dir=_resolve(task_dir, output_dir),
        method=method,
        hyperparameters=hp,
        merge=merge,
        resume_from=_resume_from(task_dir, _resolve(task_dir, output_dir), resume_from),
        task_dir=task_dir,
        validation_path=_resolve(task_dir, validation_path) if validation_path else None,
        distributed=distributed,
        report_to=report_to,
    )


def load_spec(path: str | Path, task_dir: Path) -> JobSpec:
    """Read and validate job.json; any problem is a ``bad_spec`` TrainerError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TrainerError(BAD_SPEC, f"cannot read job spec {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TrainerError(BAD_SPEC, f"job spec {path} is not valid JSON: {exc}") from exc
    return parse_spec(data, task_dir)


def relative_to_task(path: Path, task_dir: Path) -> str:
    """How artifact lines name a path: relative to the task directory when inside it."""
    try:
        return Path(path).resolve().relative_to(task_dir.resolve()).as_posix()
    except ValueError:
        return str(Path(path).resolve())
