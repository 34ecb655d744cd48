"""Checkpoints: ``checkpoints/step-<N>/`` with the model (adapter or full weights), the optimizer,
scheduler, grad-scaler and RNG state, and ``trainer_state.json``. Written atomically; the oldest are
pruned when ``save_total_limit`` is set, except the best one (lowest eval loss, ``protect``), which the model
artifacts are written from at the end. In a distributed run every rank calls ``save`` (``save_model`` gathers the
model, a collective under FSDP; it gets ``None`` for a folder on ranks other than 0); rank 0 alone writes, then all
wait for it (``barrier``), so no rank runs ahead of a checkpoint or exits before it is complete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

from .errors import BAD_SPEC, TrainerError
from .fsutil import staged_dir
from .protocol import ProgressWriter, log, utc_now
from .spec import relative_to_task

MODEL_DIR = "model"
STATE_FILE = "trainer_state.json"
TRAINING_STATE_FILE = "training_state.pt"


def list_checkpoints(root: Path) -> list[Path]:
    """Complete checkpoints under ``root``, oldest step first."""
    found = []
    for path in Path(root).glob("step-*"):
        suffix = path.name[len("step-") :]
        if path.is_dir() and suffix.isdigit() and (path / STATE_FILE).is_file():
            found.append((int(suffix), path))
    return [path for _, path in sorted(found)]


def latest_complete(root: Path) -> Path | None:
    """The newest checkpoint under ``root`` that :func:`read_state` accepts, or ``None`` (what ``resume_from: "latest"``
    names: a Job that Kubernetes restarts with the same job.json, e.g. after a Kueue preemption suspended it, continues
    from its last checkpoint instead of starting over). A checkpoint cut short while it was written is skipped."""
    for path in reversed(list_checkpoints(root)):
        try:
            read_state(path)
        except TrainerError:
            continue
        return path
    return None


def read_state(checkpoint: Path) -> dict[str, Any]:
    """``trainer_state.json`` of a checkpoint; ``bad_spec`` when ``resume_from`` is not one."""
    path = Path(checkpoint) / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TrainerError(
            BAD_SPEC,
            f"resume_from {checkpoint} is not a checkpoint of this trainer " f"({STATE_FILE} unreadable: {exc})",
        ) from exc
    if not isinstance(state.get("step"), int) or not (Path(checkpoint) / MODEL_DIR).is_dir():
        raise TrainerError(BAD_SPEC, f"resume_from {checkpoint} is an incomplete checkpoint")
    return state


def load_training_state(checkpoint: Path) -> dict[str, Any]:
    import torch

    path = Path(checkpoint) / TRAINING_STATE_FILE
    try:  # mapped, not read: every rank of a distributed run loads the same whole optimizer state
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except TypeError:  # a torch without mmap
        return torch.load(path, map_location="cpu", weights_only=True)


class CheckpointSaver:
    """Saves checkpoints for the training loop and reports each one as a protocol artifact."""

    def __init__(
        self,
        root: Path,
        save_model: Callable[[Path], None],
        metadata: dict[str, Any],
        keep: int | None,
        writer: ProgressWriter,
        task_dir: Path,
        main: bool = True,
        barrier: Callable[[], None] | None = None,
    ):
        self.root = Path(root)
        self._main = main
        self._barrier = barrier or (lambda: None)
        self._save_model = save_model
        self._metadata = metadata
        self._keep = keep
        self._writer = writer
        self.task_dir = task_dir
        self.protected: Path | None = None

    def path(self, step: int) -> Path:
        return self.root / f"step-{step}"

    def protect(self, checkpoint: Path | None) -> None:
        """Never prune ``checkpoint`` (the best one so far; ``None``: none)."""
        self.protected = Path(checkpoint) if checkpoint is not None else None

    def save(
        self, step: int, epoch: float, training_state: dict[str, Any], extra: dict[str, Any] | None = None
    ) -> Path:
        """Write ``checkpoints/step-<step>/``; ``extra`` goes into its ``trainer_state.json`` (validation state)."""
        import torch

        final = self.path(step)
        if not self._main:
            self._save_model(None)
            self._barrier()
            return final
        with staged_dir(final) as staging:
            self._save_model(staging / MODEL_DIR)
            torch.save(training_state, staging / TRAINING_STATE_FILE)
            state = {**self._metadata, **(extra or {}), "step": step, "epoch": round(epoch, 4), "time": utc_now()}
            (staging / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
        self._writer.artifact("checkpoint", relative_to_task(final, self.task_dir))
        self._prune()
        self._barrier()
        return final

    def _prune(self) -> None:
        if self._keep is None:
            return
        existing = [path for path in list_checkpoints(self.root) if path != self.protected]
        for stale in existing[: max(0, len(existing) - self._keep)]:
            log(f"removing old checkpoint {stale.name} (save_total_limit={self._keep})")
            shutil.rmtree(stale, ignore_errors=True)
