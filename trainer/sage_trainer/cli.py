"""Command line: ``--spec job.json`` trains; ``merge --task-dir DIR`` merges an existing adapter.

Whatever happens, the outcome is a protocol line in ``progress.jsonl`` and an exit code:
0 success, 2 ``bad_spec``, 143 ``cancelled``, 1 any other error.

A job with a ``distributed`` block makes this process the launcher of its node's workers (:mod:`.launch`); each
worker runs this same command as one rank (:mod:`.distributed`): rank 0 writes progress records, no rank writes the
final error record (its outcome file goes to the launcher process, which reports the run's error).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from pathlib import Path

from . import __version__, tracing
from .backend import load_backend
from .cancel import CancelToken
from .distributed import Rank, current_rank, is_worker, write_outcome
from .errors import BAD_SPEC, CANCELLED, EXIT_BAD_SPEC, INTERNAL, TrainerError, classify
from .protocol import PROGRESS_FILE, EchoOnlyWriter, ProgressWriter, log
from .spec import JobSpec, load_spec, relative_to_task
from .trackers import Trackers, params_of


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "merge":
        return merge_command(args[1:])
    if args and args[0] == "train":
        args = args[1:]
    return train_command(args)


def _report(
    exc: BaseException, writer: ProgressWriter, cancel: CancelToken, spec: JobSpec | None, rank: Rank | None = None
) -> int:
    cancel.finish()
    error = classify(exc, spec.method if spec else None, spec.hyperparameters if spec else None)
    if error.code == INTERNAL:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    if rank is not None:  # a worker: its launcher process reports the run's error
        log(f"rank {rank.rank}: error {error.code}: {error.message}")
        write_outcome(Path.cwd(), rank.rank, error)
    else:
        writer.error(error.code, error.message)
    return error.exit_code


def _open_writer(task_dir: Path, rank: Rank | None = None) -> ProgressWriter:
    if rank is not None and not rank.is_main:
        return EchoOnlyWriter(echo=sys.stdout)
    return ProgressWriter(task_dir / PROGRESS_FILE, echo=sys.stdout)


def _cancel_token(writer: ProgressWriter, rank: Rank | None = None) -> CancelToken:
    if rank is None:
        token = CancelToken(on_timeout=lambda message: writer.error(CANCELLED, message))
    else:
        token = CancelToken(
            on_timeout=lambda message: write_outcome(Path.cwd(), rank.rank, TrainerError(CANCELLED, message))
        )
    token.install(worker=rank is not None)
    return token


def _trackers(spec: JobSpec, writer: ProgressWriter) -> Trackers:
    """TensorBoard and the trackers ``report_to`` names (the process that writes progress.jsonl only)."""
    return Trackers.start(
        writer, spec.task_dir, spec.task_id, spec.report_to, params_of(spec), resume=spec.resume_from is not None
    )


def run_training(spec: JobSpec, backend, writer: ProgressWriter, main: bool = True) -> None:
    """The phase sequence of a training job; the backend does the work of each phase. Of a distributed run's ranks
    all load, prepare, train and save (saving gathers a sharded model); rank 0 (``main``) alone goes on from there."""
    writer.phase("loading_model")
    with tracing.span("load_model", model=spec.base_model):
        backend.load_model()
    writer.phase("preparing_data")
    with tracing.span("prepare_data"):
        backend.prepare_data()
    writer.phase("training")
    with tracing.span("train", method=spec.method):
        backend.train()
    writer.phase("saving")
    with tracing.span("save"):
        saved = list(backend.save())
    for kind, path in saved:
        writer.artifact(kind, relative_to_task(path, spec.task_dir))
    if not main:
        return
    best = backend.best_checkpoint() if spec.validation_path is not None else None
    if best is not None:
        path, step, eval_loss = best
        writer.best_checkpoint(relative_to_task(path, spec.task_dir), step, eval_loss)
    if spec.merge and spec.method != "full":
        writer.phase("merging")
        with tracing.span("merge"):
            merged = backend.merge()
        writer.artifact("merged_model", relative_to_task(merged, spec.task_dir))
    writer.phase("done")


def train_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="sage_trainer",
        description="Fine-tune a causal LM as described by job.json (run with the task directory as cwd). "
        "Subcommand: 'merge --task-dir DIR' merges an existing LoRA adapter.",
    )
    parser.add_argument("--spec", required=True, help="path to job.json")
    parser.add_argument("--version", action="version", version=f"sage-trainer {__version__}")
    args = parser.parse_args(argv)

    task_dir = Path.cwd()
    rank = current_rank() if is_worker() else None
    if rank is not None:
        from .launch import worker_setup

        worker_setup(task_dir, rank.rank)
    with tracing.run("sage_trainer.run", task_id=os.environ.get("SAGE_TASK_ID"), rank=rank.rank if rank else None):
        return _train(args, task_dir, rank)


def _train(args: argparse.Namespace, task_dir: Path, rank: Rank | None) -> int:
    with _open_writer(task_dir, rank) as writer:
        cancel = _cancel_token(writer, rank)
        spec = None
        try:
            spec = load_spec(args.spec, task_dir)
            hp = spec.hyperparameters
            if rank is None and spec.distributed is not None:
                from .launch import run_distributed

                log(f"task {spec.task_id}: {spec.method} on {spec.base_model}, launching its workers")
                return run_distributed(spec, args.spec, writer, cancel)
            if rank is not None and spec.distributed is None:
                raise TrainerError(BAD_SPEC, "a distributed worker needs the job's distributed block")
            log(
                (f"rank {rank.rank}/{rank.world_size}: " if rank is not None else "")
                + f"task {spec.task_id}: {spec.method} on {spec.base_model}, dataset {spec.dataset_path}"
                + (f", validation {spec.validation_path}" if spec.validation_path else "")
            )
            backend = load_backend(quantized=spec.method == "qlora" or hp.load_in_8bit)
            main = rank is None or rank.is_main
            with _trackers(spec, writer) if main else contextlib.nullcontext():
                run_training(spec, backend.create_backend(spec, writer, cancel), writer, main)
        except (Exception, KeyboardInterrupt) as exc:  # every failure becomes a protocol error line
            return _report(exc, writer, cancel, spec, rank)
        cancel.finish()
        if rank is not None:
            write_outcome(task_dir, rank.rank, None)
        return 0


def _read_job(task_dir: Path) -> dict:
    path = task_dir / "job.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TrainerError(BAD_SPEC, f"cannot read {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def merge_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="sage_trainer merge",
        description="Merge a task's LoRA adapter (lora/) into its base model, writing merged_model/.",
    )
    parser.add_argument("--task-dir", default=".", help="the task directory (default: cwd)")
    parser.add_argument(
        "--base-model",
        help="base model id or path (default: job.json's base_model, " "else the adapter's base_model_name_or_path)",
    )
    args = parser.parse_args(argv)

    task_dir = Path(args.task_dir).resolve()
    if not task_dir.is_dir():
        print(f"sage_trainer merge: {task_dir} is not a directory", file=sys.stderr)
        return EXIT_BAD_SPEC
    with tracing.run("sage_trainer.merge", task_id=os.environ.get("SAGE_TASK_ID")), _open_writer(task_dir) as writer:
        cancel = _cancel_token(writer)
        try:
            job = _read_job(task_dir)
            output_dir = task_dir / str(job.get("output_dir") or ".")
            lora_dir = output_dir / "lora"
            adapter_config = lora_dir / "adapter_config.json"
            if not adapter_config.is_file():
                raise TrainerError(
                    BAD_SPEC,
                    f"{relative_to_task(lora_dir, task_dir)} holds no LoRA adapter " "(adapter_config.json is missing)",
                )
            base_model = (
                args.base_model
                or job.get("base_model")
                or json.loads(adapter_config.read_text(encoding="utf-8")).get("base_model_name_or_path")
            )
            if not base_model:
                raise TrainerError(BAD_SPEC, "no base model: pass --base-model")
            log(f"merging {lora_dir} into {base_model}")
            backend = load_backend(quantized=False)
            writer.phase("merging")
            with tracing.span("merge"):
                merged = backend.merge_adapter(str(base_model), task_dir, lora_dir, output_dir / "merged_model", cancel)
            writer.artifact("merged_model", relative_to_task(merged, task_dir))
            writer.phase("done")
        except (Exception, KeyboardInterrupt) as exc:
            return _report(exc, writer, cancel, None)
        cancel.finish()
        return 0
