#!/usr/bin/env python3
"""A stand-in trainer for Java / CLI / UI tests: speaks the trainer protocol (docs/trainer-protocol.md) exactly like
``trainer/`` (sage_trainer) does, in milliseconds, with the standard library only.

Usage (working directory = the task directory, like the real trainer):
    fake_trainer.py --spec job.json
    fake_trainer.py merge --task-dir DIR

It reads job.json, checks that ``dataset_path`` exists and has samples (``dataset_empty`` otherwise),
then writes to progress.jsonl: phases loading_model → preparing_data → training (one metrics line per
``logging_steps``; falling loss; warmup + cosine learning rate) → saving (lora/ with a real
adapter_config.json and a valid, tiny adapter_model.safetensors; full fine-tuning writes
merged_model/ instead) → merging (when ``merge`` is true: merged_model/ with config.json,
generation_config.json, model.safetensors) → done, plus ``artifact`` lines. Human log lines go to stdout.
``total_steps`` = epochs × ceil(samples / batch_size / gradient_accumulation_steps), or
``max_steps`` when > 0. ``resume_from`` (a checkpoint it wrote, relative to the task folder) continues at the
checkpoint's step + 1, like sage_trainer; a folder that is not a complete checkpoint is ``bad_spec`` (exit 2);
``latest`` is the newest complete checkpoint in ``checkpoints/``, or a fresh start when there is none.

Checkpoints are written like sage_trainer's: checkpoints/step-N/ with model/ and trainer_state.json (step, epoch,
total_steps), every ``save_steps`` steps (hyperparameter, default 500, 0 never; not at the last step) and on
SIGTERM/SIGINT (inside the training loop at the end of the step in progress, after its metrics line, like
sage_trainer's deferred cancel), each with an ``artifact`` line of kind ``checkpoint``; with ``save_total_limit`` only that many newest
checkpoints are kept. On SIGTERM/SIGINT it then writes
``{"type":"error","code":"cancelled",...}`` and exits 143 at once.

Experiment trackers, like sage_trainer's: a ``tracker`` record for TensorBoard (``log_dir`` ``tensorboard``, the
folder made, no event files) before training, and one of state ``unavailable`` for each other name in ``report_to`` -
except ``mlflow`` when ``MLFLOW_TRACKING_URI`` is an http(s) URL: then an ``active`` record with a run id derived from
the task id and sage_trainer's link form ``<uri>/#/experiments/0/runs/<run id>`` (no server is contacted), so a test
can follow the tracker settings from the service's configuration to the link on the task.

Validation, like sage_trainer's: with ``validation_path`` in job.json it "evaluates" every ``eval_steps`` steps
(hyperparameter; default about a tenth of the run) and at the last step, writing
``{"type":"eval","step":N,"epoch":E,"eval_loss":L}`` on a curve that falls, then rises (overfitting: lowest about
halfway through the run). An eval that improves on the best so far saves a checkpoint at that step (the best one; never
pruned by ``save_total_limit``); after ``early_stopping_patience`` evaluations in a row without improvement it stops
training early (a log line and ``{"type":"early_stopping",...}``). It then writes ``lora/`` (or ``merged_model/``) from
the best checkpoint and ``{"type":"artifact","kind":"best_checkpoint","path":…,"step":N,"eval_loss":L}``; a resumed run
keeps the best so far (from the checkpoint's trainer_state.json).

Environment:
    FAKE_TRAINER_STEP_DELAY  seconds per training step (default 0.05)
    FAKE_TRAINER_STEPS       total steps, overriding the computed number
    FAKE_TRAINER_MERGE_DELAY seconds a ``merge`` takes (default 0; 30 for a task marked ``merge-slowly``)
    FAKE_TRAINER_MODE        success (default)
                             crash          error line (code internal) and exit 1 halfway through training
                             crash_silent   exit 3 halfway through training, no error line
                             ignore_sigterm SIGTERM is ignored (the caller has to SIGKILL)
                             slow           loading takes 1 s and each step 20 × FAKE_TRAINER_STEP_DELAY
Per task (so one task of an end-to-end test can fail): when base_model, model_name or task_id in
job.json contains ``fail-me`` the task runs in ``crash`` mode, ``slow-me`` in ``slow`` mode; a base_model
``gated/…`` fails while loading with ``model_access_denied`` (a gated model the token cannot access); for ``merge``,
``merge-fails`` in base_model or task_id fails the merge and ``merge-slowly`` makes it slow.

Several GPUs (issue 21), like sage_trainer: a ``distributed`` block in job.json is checked field by field
(``bad_spec``, exit 2, naming ``distributed.<field>``); ``SAGE_NODE_RANK``, ``SAGE_MASTER_ADDR`` and ``SAGE_MASTER_PORT``
win over its values. It launches no workers: it logs one line ``fake trainer: devices {json}`` with what it was given
(``cuda_visible_devices``: the environment's ``CUDA_VISIBLE_DEVICES`` or null; ``distributed``: the block with the
environment applied, or null) so tests can check what a trainer sees, then trains as one process.

Exit codes: 0 success, 1 error (with an error line), 2 bad_spec, 3 crash_silent, 143 cancelled.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import signal
import struct
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

MODES = ("success", "crash", "crash_silent", "ignore_sigterm", "slow")
# What the real trainer saves beside a model: the base (instruct) tokenizer's settings, chat template included
# (sage_trainer refuses a base without one), so a merged model chats on vLLM, which answers 400 without a template.
TOKENIZER_CONFIG = json.dumps(
    {
        "eos_token": "<|im_end|>",
        "chat_template": "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
    }
)
TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class Failure(Exception):
    def __init__(self, code: str, message: str, exit_code: int = 1):
        super().__init__(message)
        self.code, self.message, self.exit_code = code, message, exit_code


class Cancelled(Exception):
    pass


class Progress:
    """Appends protocol lines: one os.write per line on an O_APPEND descriptor, then fsync."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(self, record_type: str, **fields) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record = {"type": record_type, **fields, "time": now}
        os.write(self.fd, (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8"))
        os.fsync(self.fd)
        summary = " ".join(f"{k}={v}" for k, v in fields.items())
        print(f"[fake-trainer] {record_type} {summary}", flush=True)


def safetensors_bytes(tensors: dict[str, tuple[list[int], list[float]]]) -> bytes:
    """A valid safetensors file of float32 tensors: u64 header size, JSON header, raw data."""
    header: dict = {"__metadata__": {"format": "pt"}}
    data = b""
    for name, (shape, values) in tensors.items():
        blob = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded)) + encoded + data


def lr_at(step: int, warmup: int, total: int, peak: float) -> float:
    if warmup and step <= warmup:
        return peak * step / warmup
    progress = min(1.0, (step - warmup - 1) / max(1, total - warmup))
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def loss_at(step: int, total: int) -> float:
    wobble = 0.03 * math.sin(step * 1.7)
    return round(0.35 + 2.1 * math.exp(-3.0 * step / total) + wobble * math.exp(-step / total), 4)


def eval_loss_at(step: int, total: int) -> float:
    """Validation loss: falls with training, then rises as the model overfits (lowest at about 47 % of the run)."""
    x = step / max(1, total)
    return round(0.55 + 1.9 * math.exp(-5.0 * x) + 0.9 * x * x, 4)


def count_samples(path: Path, what: str = "dataset") -> int:
    if not path.is_file():
        raise Failure("dataset_empty", f"{what} file {path} does not exist")
    with path.open(encoding="utf-8", errors="replace") as handle:
        count = sum(1 for line in handle if line.strip())
    if count == 0:
        raise Failure("dataset_empty", f"{what} file {path} has no samples")
    return count


def read_job(path: Path) -> dict:
    try:
        job = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise Failure("bad_spec", f"cannot read job spec {path}: {exc}", 2) from exc
    if not isinstance(job, dict):
        raise Failure("bad_spec", "job.json must contain a JSON object", 2)
    if job.get("method", "lora") not in ("lora", "qlora", "full"):
        raise Failure("bad_spec", f"method must be one of lora, qlora, full (got {job.get('method')!r})", 2)
    if not isinstance(job.get("dataset_path"), str) or not job["dataset_path"]:
        raise Failure("bad_spec", "dataset_path is required", 2)
    validation = job.get("validation_path")
    if validation is not None and (not isinstance(validation, str) or not validation.strip()):
        raise Failure("bad_spec", "validation_path must be null or a non-empty string", 2)
    check_distributed(job.get("distributed"))
    hp = job.get("hyperparameters") or {}
    for name in ("eval_steps", "early_stopping_patience"):
        value = hp.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise Failure("bad_spec", f"hyperparameters.{name} must be null or an integer >= 1 (got {value!r})", 2)
    return job


DISTRIBUTED_FIELDS = ("nnodes", "nproc_per_node", "parallelism", "master_addr", "master_port", "node_rank")


def _int_in(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_distributed(block) -> None:
    """The same checks as sage_trainer's ``distributed.parse_distributed``: every problem at once, one bad_spec."""
    if block is None:
        return
    if not isinstance(block, dict):
        raise Failure("bad_spec", "distributed must be a JSON object or absent", 2)
    problems = [f"distributed.{name} is not a known field" for name in sorted(set(block) - set(DISTRIBUTED_FIELDS))]
    problems += [f"distributed.{name} is required" for name in DISTRIBUTED_FIELDS if name not in block]
    nnodes = block.get("nnodes")
    checks = {
        "nnodes": _int_in(nnodes, 1, 64),
        "nproc_per_node": _int_in(block.get("nproc_per_node"), 1, 64),
        "parallelism": block.get("parallelism") in ("ddp", "fsdp"),
        "master_addr": isinstance(block.get("master_addr"), str) and bool(block.get("master_addr", "").strip()),
        "master_port": _int_in(block.get("master_port"), 1, 65535),
        "node_rank": _int_in(block.get("node_rank"), 0, (nnodes - 1) if _int_in(nnodes, 1, 64) else 63),
    }
    problems += [
        f"distributed.{name} is invalid (got {json.dumps(block[name])})"
        for name, ok in checks.items()
        if name in block and not ok
    ]
    if problems:
        raise Failure("bad_spec", "; ".join(problems), 2)


def effective_distributed(block):
    """The block with ``SAGE_NODE_RANK``/``SAGE_MASTER_ADDR``/``SAGE_MASTER_PORT`` applied (they win), or None."""
    if block is None:
        return None
    effective = dict(block)
    for env, name in (("SAGE_NODE_RANK", "node_rank"), ("SAGE_MASTER_PORT", "master_port")):
        value = os.environ.get(env, "").strip()
        if value:
            if not value.isdigit():
                raise Failure("bad_spec", f"{env} must be an integer (got {value!r})", 2)
            effective[name] = int(value)
    addr = os.environ.get("SAGE_MASTER_ADDR", "").strip()
    if addr:
        effective["master_addr"] = addr
    return effective


def choose_mode(job: dict) -> str:
    names = " ".join(str(job.get(key, "")) for key in ("base_model", "model_name", "task_id"))
    if "fail-me" in names:
        return "crash"
    if "slow-me" in names:
        return "slow"
    mode = os.environ.get("FAKE_TRAINER_MODE", "success")
    if mode not in MODES:
        raise Failure("internal", f"FAKE_TRAINER_MODE must be one of {', '.join(MODES)}")
    return mode


def write_files(directory: Path, files: dict[str, bytes | str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = directory / name
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)


def write_merged_model(directory: Path, base_model: str) -> None:
    config = {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "hidden_size": 2,
        "num_hidden_layers": 1,
        "vocab_size": 4,
        "dtype": "float32",
        "_name_or_path": base_model,
    }
    write_files(
        directory,
        {
            "config.json": json.dumps(config, indent=2),
            "generation_config.json": json.dumps({"eos_token_id": 2, "pad_token_id": 0}, indent=2),
            "model.safetensors": safetensors_bytes(
                {"model.embed_tokens.weight": ([4, 2], [0.1 * i for i in range(8)])}
            ),
            "tokenizer_config.json": TOKENIZER_CONFIG,
        },
    )


def relative(path: Path, task_dir: Path) -> str:
    try:
        return path.resolve().relative_to(task_dir.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def train(job: dict, task_dir: Path, progress: Progress, mode: str, state: dict) -> None:
    hp = job.get("hyperparameters") or {}
    delay = float(os.environ.get("FAKE_TRAINER_STEP_DELAY", "0.05")) * (20 if mode == "slow" else 1)
    output_dir = task_dir / str(job.get("output_dir") or ".")

    devices = {
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "distributed": effective_distributed(job.get("distributed")),
    }
    print("fake trainer: devices " + json.dumps(devices, sort_keys=True), flush=True)
    progress.emit("phase", phase="loading_model")
    print(f"loading {job.get('base_model')} (fake)", flush=True)
    if str(job.get("base_model", "")).startswith("gated/"):
        raise Failure(
            "model_access_denied",
            f"the Hugging Face Hub refused to download {job['base_model']}: the model is gated (fake). Accept its "
            "licence on the Hub, then give the studio a token of that account (HF_TOKEN)",
        )
    time.sleep(1.0 if mode == "slow" else min(delay, 0.2))
    progress.emit("phase", phase="preparing_data")
    samples = count_samples(task_dir / job["dataset_path"])
    print(f"{samples} samples", flush=True)

    batch, accumulation = int(hp.get("batch_size", 4)), int(hp.get("gradient_accumulation_steps", 1))
    total = int(hp.get("epochs", 3)) * math.ceil(samples / (batch * accumulation))
    if int(hp.get("max_steps", -1)) > 0:
        total = int(hp["max_steps"])
    total = int(os.environ.get("FAKE_TRAINER_STEPS", total))
    steps_per_epoch = max(1, math.ceil(samples / (batch * accumulation)))
    warmup = math.ceil(float(hp.get("warmup_ratio", 0.03)) * total)
    peak_lr = float(hp.get("learning_rate", 2e-4))
    logging_steps = max(1, int(hp.get("logging_steps", 1)))
    start = 0
    resume_from = resume_path(job, task_dir, output_dir)
    if resume_from is not None:
        start = read_checkpoint(resume_from)["step"]
        print(f"resumed from {resume_from} at step {start}", flush=True)
    save_steps = int(hp.get("save_steps", 500))
    evaluation = None
    if job.get("validation_path"):
        held_out = count_samples(task_dir / job["validation_path"], "validation")
        evaluation = Evaluation(hp, total, state)
        print(f"{held_out} validation samples; evaluating every {evaluation.every} steps", flush=True)
        if start:
            evaluation.resume(read_checkpoint(resume_from))

    # experiment trackers, like sage_trainer's: TensorBoard always (here its folder only, no event files); whatever
    # else report_to names is unavailable (the stand-in reports nowhere)
    (task_dir / "tensorboard").mkdir(exist_ok=True)
    progress.emit("tracker", name="tensorboard", state="active", log_dir="tensorboard")
    for name in [n for n in job.get("report_to") or [] if n != "tensorboard"]:
        mlflow_uri = os.environ.get("MLFLOW_TRACKING_URI", "")
        if name == "mlflow" and mlflow_uri.startswith(("http://", "https://")):
            run_id = hashlib.sha256(str(job.get("task_id")).encode("utf-8")).hexdigest()[:32]
            url = f"{mlflow_uri.rstrip('/')}/#/experiments/0/runs/{run_id}"
            progress.emit("tracker", name="mlflow", state="active", run_id=run_id, url=url)
            continue
        message = f"{name} is named in report_to but unavailable: the stand-in trainer reports to no tracker"
        print(f"WARNING: {message}", flush=True)
        progress.emit("tracker", name=name, state="unavailable", message=message)
    progress.emit("phase", phase="training")
    state["deferred"] = True  # like sage_trainer: a signal inside the loop ends it at the next step boundary
    for step in range(start + 1, total + 1):
        state["step"] = step - 1
        if state.get("stop"):
            raise Cancelled(state["stop"])
        if mode in ("crash", "crash_silent") and step > total // 2:
            if mode == "crash_silent":
                print("fake trainer: dying without a word", flush=True)
                os._exit(3)
            raise Failure("internal", "RuntimeError: simulated trainer crash (FAKE_TRAINER_MODE=crash)")
        step_ends = time.monotonic() + delay
        while not state.get("stop") and time.monotonic() < step_ends:  # a stop request cuts the step short
            time.sleep(min(0.05, max(0.0, step_ends - time.monotonic())))
        state["epoch"] = round(step / steps_per_epoch, 4)
        state["total_steps"] = total
        if step % logging_steps == 0 or step == total:
            progress.emit(
                "metrics",
                step=step,
                total_steps=total,
                epoch=round(step / steps_per_epoch, 4),
                loss=loss_at(step, total),
                learning_rate=lr_at(step, warmup, total, peak_lr),
                grad_norm=round(1.5 * math.exp(-step / total) + 0.2, 4),
                tokens_per_second=2048.0,
                eta_seconds=round((total - step) * delay),
                peak_memory_bytes=3 * 2**30,
            )
        state["step"] = step
        saved = False
        if evaluation is not None and (step % evaluation.every == 0 or step == total):
            eval_loss = eval_loss_at(step, total)
            progress.emit("eval", step=step, epoch=state["epoch"], eval_loss=eval_loss)
            if evaluation.record(step, eval_loss):
                save_checkpoint(job, task_dir, progress, state)
                saved = True
            elif evaluation.should_stop():
                print(
                    f"early stopping at step {step}: no improvement in {evaluation.patience} evaluations "
                    f"(best eval_loss {evaluation.best_loss} at step {evaluation.best_step})",
                    flush=True,
                )
                progress.emit(
                    "early_stopping",
                    step=step,
                    patience=evaluation.patience,
                    best_step=evaluation.best_step,
                    best_eval_loss=evaluation.best_loss,
                )
                break
        if save_steps and step % save_steps == 0 and step < total and not saved:
            save_checkpoint(job, task_dir, progress, state)
    state["deferred"] = False
    if state.get("stop"):
        raise Cancelled(state["stop"])

    state["step"] = None  # no checkpoint on cancel from here on: the work is done
    progress.emit("phase", phase="saving")
    best = None
    if evaluation is not None and evaluation.best_step is not None:
        best = task_dir / str(job.get("output_dir") or ".") / "checkpoints" / f"step-{evaluation.best_step}"
        print(f"writing the model of the best checkpoint {best.name} (eval_loss {evaluation.best_loss})", flush=True)
    method = job.get("method", "lora")
    if method == "full":
        write_merged_model(output_dir / "merged_model", job.get("base_model", ""))
        progress.emit("artifact", kind="merged_model", path=relative(output_dir / "merged_model", task_dir))
        best_artifact(progress, best, evaluation, task_dir)
    else:
        r = int(hp.get("lora_r", 16))
        adapter = {
            "peft_type": "LORA",
            "task_type": "CAUSAL_LM",
            "r": r,
            "lora_alpha": hp.get("lora_alpha", 32),
            "lora_dropout": hp.get("lora_dropout", 0.05),
            "bias": "none",
            "base_model_name_or_path": job.get("base_model", ""),
            "target_modules": hp.get("lora_target_modules") or TARGET_MODULES,
        }
        prefix = "base_model.model.model.layers.0.self_attn.q_proj"
        weights = safetensors_bytes(
            {
                f"{prefix}.lora_A.weight": ([r, 2], [0.01] * (2 * r)),
                f"{prefix}.lora_B.weight": ([2, r], [0.0] * (2 * r)),
            }
        )
        write_files(
            output_dir / "lora",
            {
                "adapter_config.json": json.dumps(adapter, indent=2),
                "adapter_model.safetensors": weights,
                "tokenizer_config.json": TOKENIZER_CONFIG,
            },
        )
        progress.emit("artifact", kind="lora", path=relative(output_dir / "lora", task_dir))
        best_artifact(progress, best, evaluation, task_dir)
        if job.get("merge"):
            progress.emit("phase", phase="merging")
            time.sleep(min(delay, 0.2))
            write_merged_model(output_dir / "merged_model", job.get("base_model", ""))
            progress.emit("artifact", kind="merged_model", path=relative(output_dir / "merged_model", task_dir))
    progress.emit("phase", phase="done")


class Evaluation:
    """The best eval loss so far, its step, and the evaluations since it improved (early stopping)."""

    def __init__(self, hp: dict, total: int, state: dict):
        self.every = hp.get("eval_steps") or max(1, round(total / 10))
        self.patience = hp.get("early_stopping_patience")
        self.best_step = None
        self.best_loss = None
        self.without_improvement = 0
        self.state = state

    def resume(self, trainer_state: dict) -> None:
        self.best_step = trainer_state.get("best_step")
        self.best_loss = trainer_state.get("best_eval_loss")
        self.without_improvement = int(trainer_state.get("evals_without_improvement") or 0)
        self._publish()

    def record(self, step: int, eval_loss: float) -> bool:
        """Whether ``eval_loss`` is a new best (the caller saves that step's checkpoint)."""
        if self.best_loss is None or eval_loss < self.best_loss:
            self.best_step, self.best_loss, self.without_improvement = step, eval_loss, 0
            self._publish()
            return True
        self.without_improvement += 1
        self._publish()
        return False

    def should_stop(self) -> bool:
        return self.patience is not None and self.without_improvement >= self.patience

    def _publish(self) -> None:
        self.state["best"] = {
            "best_step": self.best_step,
            "best_eval_loss": self.best_loss,
            "evals_without_improvement": self.without_improvement,
        }


def best_artifact(progress: Progress, best, evaluation, task_dir: Path) -> None:
    if best is not None:
        progress.emit(
            "artifact",
            kind="best_checkpoint",
            path=relative(best, task_dir),
            step=evaluation.best_step,
            eval_loss=evaluation.best_loss,
        )


def resume_path(job: dict, task_dir: Path, output_dir: Path) -> Path | None:
    """``resume_from`` as a folder, like sage_trainer's spec: ``latest`` is the newest complete checkpoint under
    ``output_dir/checkpoints`` (``None``, a fresh start, when there is none), anything else a path."""
    value = job.get("resume_from")
    if not value:
        return None
    if value != "latest":
        return task_dir / str(value)
    found = []
    for path in (output_dir / "checkpoints").glob("step-*"):
        suffix = path.name[len("step-") :]
        if suffix.isdigit() and path.is_dir():
            try:
                read_checkpoint(path)
            except Failure:
                continue
            found.append((int(suffix), path))
    latest = max(found)[1] if found else None
    print(f"resume_from latest: {latest.name if latest else 'no complete checkpoint yet, starting fresh'}", flush=True)
    return latest


def read_checkpoint(checkpoint: Path) -> dict:
    """Like sage_trainer's checkpoint.read_state: ``bad_spec`` (exit 2) when ``resume_from`` is not a complete
    checkpoint (a readable trainer_state.json with a whole ``step`` and a ``model/`` folder)."""
    try:
        state = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise Failure(
            "bad_spec",
            f"resume_from {checkpoint} is not a checkpoint of this trainer (trainer_state.json unreadable: {exc})",
            2,
        ) from exc
    if not isinstance(state, dict) or not isinstance(state.get("step"), int) or not (checkpoint / "model").is_dir():
        raise Failure("bad_spec", f"resume_from {checkpoint} is an incomplete checkpoint", 2)
    return state


def save_checkpoint(job: dict, task_dir: Path, progress: Progress, state: dict) -> Path:
    """``checkpoints/step-N/`` like sage_trainer's CheckpointSaver: ``model/`` (a tiny adapter) and
    ``trainer_state.json`` (step, epoch, total_steps, time), staged in a hidden folder and renamed into place."""
    step = state["step"]
    root = task_dir / str(job.get("output_dir") or ".") / "checkpoints"
    directory = root / f"step-{step}"
    staging = root / f".step-{step}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    write_files(staging / "model", {"adapter_config.json": json.dumps({"peft_type": "LORA", "r": 1})})
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    trainer_state = {
        "task_id": job.get("task_id"),
        "total_steps": state.get("total_steps"),
        "step": step,
        "epoch": state.get("epoch", 0.0),
        "time": now,
        **(state.get("best") or {}),
    }
    write_files(staging, {"trainer_state.json": json.dumps(trainer_state, indent=2)})
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(staging, directory)
    progress.emit("artifact", kind="checkpoint", path=relative(directory, task_dir))
    best_step = (state.get("best") or {}).get("best_step")
    prune_checkpoints(root, (job.get("hyperparameters") or {}).get("save_total_limit"), best_step)
    return directory


def prune_checkpoints(root: Path, keep, best_step=None) -> None:
    """Like sage_trainer's CheckpointSaver: with ``save_total_limit`` set, only the newest ``keep`` complete
    checkpoints stay (by step), and the best one (lowest eval loss) whatever its age."""
    if not isinstance(keep, int) or keep < 1:
        return
    steps = sorted(
        (int(p.name[len("step-") :]), p)
        for p in root.glob("step-*")
        if p.is_dir() and p.name[len("step-") :].isdigit() and int(p.name[len("step-") :]) != best_step
    )
    for _, stale in steps[: max(0, len(steps) - keep)]:
        print(f"removing old checkpoint {stale.name} (save_total_limit={keep})", flush=True)
        shutil.rmtree(stale, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "merge":
        return merge_main(args[1:])
    parser = argparse.ArgumentParser(prog="fake_trainer.py", description="Stand-in trainer (see module doc).")
    parser.add_argument("--spec", required=True)
    options = parser.parse_args(args)
    task_dir = Path.cwd()
    progress = Progress(task_dir / "progress.jsonl")
    state: dict = {"step": None}
    job: dict = {}

    def on_signal(signum, _frame):
        if state.get("deferred"):
            state["stop"] = signal.Signals(signum).name
            return
        raise Cancelled(signal.Signals(signum).name)

    try:
        job = read_job(Path(options.spec))
        mode = choose_mode(job)
        print(f"fake trainer: task {job.get('task_id')} mode {mode}", flush=True)
        signal.signal(signal.SIGTERM, signal.SIG_IGN if mode == "ignore_sigterm" else on_signal)
        signal.signal(signal.SIGINT, on_signal)
        train(job, task_dir, progress, mode, state)
        return 0
    except Cancelled as cancelled:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        message = f"cancelled by {cancelled}"
        if state["step"] is not None:
            saved = save_checkpoint(job, task_dir, progress, state)
            message += f" at step {state['step']}; checkpoint saved to {relative(saved, task_dir)}"
        progress.emit("error", code="cancelled", message=message)
        return 143
    except Failure as failure:
        progress.emit("error", code=failure.code, message=failure.message)
        return failure.exit_code


def merge_main(argv: list[str]) -> int:
    """``merge --task-dir DIR``: like sage_trainer's merge, writes merged_model/ staged (a hidden folder renamed into
    place, so readers never see it half-written). Per task (job.json's base_model or task_id): ``merge-fails`` fails
    it (error ``internal``, exit 1), ``merge-slowly`` makes it take FAKE_TRAINER_MERGE_DELAY seconds (default 30;
    otherwise the delay defaults to 0). SIGTERM: error ``cancelled``, exit 143, merged_model/ untouched."""
    parser = argparse.ArgumentParser(prog="fake_trainer.py merge")
    parser.add_argument("--task-dir", default=".")
    parser.add_argument("--base-model")
    options = parser.parse_args(argv)
    task_dir = Path(options.task_dir)
    progress = Progress(task_dir / "progress.jsonl")
    adapter = task_dir / "lora" / "adapter_config.json"
    if not adapter.is_file():
        progress.emit("error", code="bad_spec", message="lora/ holds no LoRA adapter (adapter_config.json is missing)")
        return 2
    job: dict = {}
    try:
        job = json.loads((task_dir / "job.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        job = {}
    names = " ".join(str(job.get(key, "")) for key in ("base_model", "task_id"))
    base = (
        options.base_model
        or job.get("base_model")
        or json.loads(adapter.read_text()).get("base_model_name_or_path", "")
    )

    def on_signal(signum, _frame):
        raise Cancelled(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    staging = task_dir / ".merged_model.partial"
    try:
        print(f"fake trainer: merging lora/ into {base}", flush=True)
        progress.emit("phase", phase="merging")
        delay = float(os.environ.get("FAKE_TRAINER_MERGE_DELAY", "30" if "merge-slowly" in names else "0"))
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        if "merge-fails" in names:
            raise Failure("internal", "merging failed (the stand-in was asked to fail: merge-fails)")
        shutil.rmtree(staging, ignore_errors=True)
        write_merged_model(staging, base)
        final = task_dir / "merged_model"
        if final.exists():
            old = task_dir / ".merged_model.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(staging, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, final)
        progress.emit("artifact", kind="merged_model", path="merged_model")
        progress.emit("phase", phase="done")
        return 0
    except Cancelled as cancelled:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        shutil.rmtree(staging, ignore_errors=True)
        progress.emit("error", code="cancelled", message=f"merge cancelled by {cancelled}")
        return 143
    except Failure as failure:
        shutil.rmtree(staging, ignore_errors=True)
        progress.emit("error", code=failure.code, message=failure.message)
        return failure.exit_code


if __name__ == "__main__":
    sys.exit(main())
