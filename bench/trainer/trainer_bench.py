#!/usr/bin/env python3
"""Trainer throughput (issue 22, target 6): sage-trainer against a plain transformers ``Trainer`` + PEFT run with the
same model, data, sequence length, batch, LoRA settings and optimizer schedule, one after the other on the same GPU,
each in its own process (clean peak-memory counters).

Both runs train on the very same token ids and labels (sage_trainer's ChatEncoder: the chat template, loss on the
assistant turns only, truncation to max_length); the baseline pads each micro-batch to its longest row
(``DataCollatorForSeq2Seq``) and uses transformers' defaults otherwise (SDPA attention, fused AdamW since torch 2.8,
no gradient checkpointing). sage-trainer runs with its defaults (``auto`` packing, attention, Liger kernels, fused
AdamW, gradient checkpointing).

Measured, per run: tokens/s (the dataset's tokens x epochs, padding not counted, over the training time from the
first step to the last), median step time, tokens per step, peak GPU memory (``torch.cuda.max_memory_allocated``),
and the loss curve (per-step losses averaged in bins of the epoch, since packing takes fewer, fuller steps).
Target: >= 1.3x the baseline's tokens/s at <= its peak memory, loss curves alike. ``--smoke`` runs both on the CPU
with a tiny random model for a few steps (checks the script, no numbers worth keeping).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TRAINER = REPO / "trainer"
sys.path.insert(0, str(TRAINER))

TARGET_SPEEDUP = 1.3
# Qwen2.5-0.5B's shape (config.json of Qwen/Qwen2.5-0.5B-Instruct), built with random weights when no --model is given.
QWEN25_05B = {"hidden": 896, "layers": 24, "heads": 14, "kv_heads": 2, "intermediate": 4864, "model_vocab": 151936}
TINY = {"hidden": 64, "layers": 2, "heads": 4, "kv_heads": 2, "intermediate": 128, "model_vocab": None}


# --- inputs ----------------------------------------------------------------------------------------------------------


def make_dataset(count: int, seed: int, mean_pairs: float) -> list[dict]:
    """Learnable chats (invented capitals, sums, echoes) of very different lengths: each turn bundles a lognormal
    number of question/answer pairs, so lengths spread from a few dozen tokens to past max_length, like real chat
    data (and unlike rows of one length, which would hide what padding costs)."""
    import gpu_check

    rng = random.Random(seed)
    pairs = [(c["messages"][-2]["content"], c["messages"][-1]["content"]) for c in gpu_check.make_conversations(600)]
    rows = []
    for _ in range(count):
        messages = [{"role": "system", "content": "You are a concise assistant."}] if rng.random() < 0.5 else []
        for _turn in range(rng.choice((1, 1, 1, 2, 3))):
            bundle = [rng.choice(pairs) for _ in range(max(1, round(rng.lognormvariate(math.log(mean_pairs), 0.8))))]
            messages.append({"role": "user", "content": " ".join(q for q, _ in bundle)})
            messages.append({"role": "assistant", "content": " ".join(a for _, a in bundle)})
        rows.append({"messages": messages})
    return rows


def prepare_model(args: argparse.Namespace, work: Path) -> tuple[str, str]:
    """A model directory and how to name it: --model as given, else a random model of Qwen2.5-0.5B's shape (or a
    tiny one for --smoke) with gpu_check's byte-level BPE tokenizer and ChatML template."""
    if args.model:
        return args.model, args.model
    import gpu_check

    shape = TINY if args.smoke else QWEN25_05B
    directory = work / "base"
    if not (directory / "base_info.json").is_file():
        gpu_check.build_base(
            directory,
            hidden=shape["hidden"],
            layers=shape["layers"],
            heads=shape["heads"],
            kv_heads=shape["kv_heads"],
            intermediate=shape["intermediate"],
            model_vocab=shape["model_vocab"],
            vocab=1024,
            dtype="float32" if args.smoke else "bfloat16",
        )
    name = "tiny random Qwen2" if args.smoke else "random-weight Qwen2.5-0.5B shape (896h, 24 layers, 151,936 vocab)"
    return str(directory), name


# --- sage-trainer -----------------------------------------------------------------------------------------------------


def run_ours(args: argparse.Namespace, work: Path, model: str, dataset: Path) -> dict:
    task = work / "ours"
    shutil.rmtree(task, ignore_errors=True)
    task.mkdir(parents=True)
    hp = {
        "epochs": args.epochs,
        "max_steps": args.max_steps,
        "batch_size": args.batch_size,
        "gradient_accumulation_steps": args.grad_accum,
        "learning_rate": args.learning_rate,
        "max_length": args.max_length,
        "lora_r": args.lora_r,
        "lora_alpha": args.lora_alpha,
        "lora_dropout": args.lora_dropout,
        "warmup_ratio": args.warmup_ratio,
        "seed": args.seed,
        "logging_steps": 1,
        "save_steps": 0,
        "precision": "fp32" if args.smoke else "auto",
    }
    for setting in args.ours:
        key, _, value = setting.partition("=")
        try:
            hp[key] = json.loads(value)  # numbers, true/false, null, lists
        except ValueError:
            hp[key] = value  # a bare word: auto, on, off, sdpa, flash_attention_2 ...
    job = {
        "task_id": "bench",
        "base_model": model,
        "dataset_path": str(dataset),
        "output_dir": str(task),
        "method": "lora",
        "merge": False,
        "resume_from": None,
        "hyperparameters": hp,
    }
    (task / "job.json").write_text(json.dumps(job, indent=2))
    env = dict(os.environ, SAGE_TRAINER_PYTHON=sys.executable)
    env.pop("SAGE_TRAINER_TEST_BACKEND", None)
    started = time.monotonic()
    with (task / "logs.txt").open("wb") as log:
        code = subprocess.run(
            [str(TRAINER / "bin" / "sage-trainer"), "--spec", "job.json"],
            cwd=task,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=args.timeout,
        ).returncode
    wall = time.monotonic() - started
    text = (task / "logs.txt").read_text(errors="replace")
    if code != 0:
        raise SystemExit(f"sage-trainer exited {code}:\n" + "\n".join(text.splitlines()[-30:]))
    from sage_trainer.protocol import read_records

    records = read_records(task / "progress.jsonl")
    metrics = [r for r in records if r["type"] == "metrics"]
    start = next(r for r in records if r["type"] == "phase" and r["phase"] == "training")
    times = [_when(start["time"])] + [_when(m["time"]) for m in metrics]
    match = re.search(r"-> \d+ training examples, (\d+) tokens", text)
    tokens_per_epoch = int(match.group(1)) if match else 0
    epochs_done = metrics[-1]["epoch"] if metrics else 0
    return {
        "name": "sage-trainer",
        "wall_s": wall,
        "train_s": times[-1] - times[0],
        "step_times": [b - a for a, b in zip(times, times[1:])],
        "tokens": round(tokens_per_epoch * epochs_done),
        "steps": [{"step": m["step"], "epoch": m["epoch"], "loss": m["loss"]} for m in metrics],
        "peak_memory_bytes": max((m.get("peak_memory_bytes") or 0) for m in metrics) if metrics else 0,
        "settings": [line.split("] ", 1)[-1] for line in text.splitlines() if _is_setting_line(line)],
    }


def _is_setting_line(line: str) -> bool:
    return any(word in line for word in ("speed:", "packing", "gradient checkpointing", "rows", "device "))


def _when(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


# --- the baseline: transformers Trainer + PEFT -------------------------------------------------------------------------


def run_baseline(args: argparse.Namespace, work: Path, model: str, dataset: Path) -> dict:
    out = work / "baseline"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    config = {**vars(args), "model_dir": model, "dataset": str(dataset), "out": str(out)}
    (out / "config.json").write_text(json.dumps(config))
    started = time.monotonic()
    with (out / "logs.txt").open("wb") as log:
        code = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "baseline-worker", str(out / "config.json")],
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=args.timeout,
        ).returncode
    text = (out / "logs.txt").read_text(errors="replace")
    if code != 0:
        raise SystemExit(f"baseline exited {code}:\n" + "\n".join(text.splitlines()[-30:]))
    result = json.loads((out / "result.json").read_text())
    result["wall_s"] = time.monotonic() - started
    return result


def baseline_worker(config_path: str) -> None:
    """Runs in its own process: plain transformers Trainer + PEFT, defaults except what must match sage-trainer."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        Trainer,
        TrainerCallback,
        TrainingArguments,
        set_seed,
    )

    from sage_trainer.data import encode_conversations, load_conversations
    from sage_trainer.formatting import ChatEncoder
    from sage_trainer.methods import dtype_kwargs, target_modules_for

    cfg = json.loads(Path(config_path).read_text())
    out = Path(cfg["out"])
    set_seed(cfg["seed"])
    cuda = torch.cuda.is_available() and not cfg["smoke"]
    bf16 = cuda and torch.cuda.is_bf16_supported()
    dtype = torch.bfloat16 if bf16 else (torch.float16 if cuda else torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(cfg["model_dir"])
    examples, _ = encode_conversations(
        ChatEncoder(tokenizer, cfg["max_length"]), load_conversations(Path(cfg["dataset"]))
    )
    rows = [{"input_ids": e.input_ids, "attention_mask": [1] * len(e.input_ids), "labels": e.labels} for e in examples]
    model_type = AutoConfig.from_pretrained(cfg["model_dir"]).model_type
    model = AutoModelForCausalLM.from_pretrained(cfg["model_dir"], **dtype_kwargs(dtype))
    model.config.use_cache = False
    if cuda:
        model.to("cuda")
    model = get_peft_model(
        model,
        LoraConfig(
            r=cfg["lora_r"],
            lora_alpha=cfg["lora_alpha"],
            lora_dropout=cfg["lora_dropout"],
            target_modules=target_modules_for(model_type, None),
            bias="none",
            task_type="CAUSAL_LM",
        ),
    )
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    tokenizer.pad_token_id = pad
    collator = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)
    seen = {"tokens": 0}

    def collate(features):
        seen["tokens"] += sum(len(f["input_ids"]) for f in features)
        return collator(features)

    steps: list[dict] = []
    marks: list[tuple[float, int]] = []

    class Clock(TrainerCallback):
        def on_train_begin(self, *_args, **_kwargs):
            if cuda:
                torch.cuda.synchronize()
            marks.append((time.time(), 0))

        def on_step_end(self, *_args, **_kwargs):
            if cuda:
                torch.cuda.synchronize()
            marks.append((time.time(), seen["tokens"]))

        def on_log(self, _args, state, _control, logs=None, **_kwargs):
            if logs and "loss" in logs:
                steps.append({"step": state.global_step, "epoch": logs.get("epoch"), "loss": logs["loss"]})

    arguments = TrainingArguments(
        output_dir=str(out / "trainer"),
        per_device_train_batch_size=cfg["batch_size"],
        gradient_accumulation_steps=cfg["grad_accum"],
        learning_rate=cfg["learning_rate"],
        num_train_epochs=cfg["epochs"],
        max_steps=cfg["max_steps"],
        lr_scheduler_type="cosine",
        warmup_steps=cfg["warmup_ratio"],
        max_grad_norm=1.0,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        bf16=bf16,
        fp16=cuda and not bf16,
        use_cpu=not cuda,
        seed=cfg["seed"],
        data_seed=cfg["seed"],
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=arguments, train_dataset=rows, data_collator=collate, callbacks=[Clock()])
    trainer.train()
    times = [t for t, _ in marks]
    epochs_done = steps[-1]["epoch"] if steps else 0
    result = {
        "name": "transformers Trainer + PEFT",
        "train_s": times[-1] - times[0],
        "step_times": [b - a for a, b in zip(times, times[1:])],
        "tokens": marks[-1][1],
        "expected_tokens": round(sum(len(r["input_ids"]) for r in rows) * epochs_done),
        "steps": steps,
        "peak_memory_bytes": torch.cuda.max_memory_allocated() if cuda else 0,
        "settings": [
            f"optim {getattr(arguments.optim, 'value', arguments.optim)}, attention {model.config._attn_implementation}, gradient checkpointing "
            f"{arguments.gradient_checkpointing}, padding to the longest row of each micro-batch"
        ],
    }
    (out / "result.json").write_text(json.dumps(result))


# --- comparing ---------------------------------------------------------------------------------------------------------


def binned(steps: list[dict], bins: int, end: float) -> list[list[float]]:
    groups: list[list[float]] = [[] for _ in range(bins)]
    for step in steps:
        if step.get("loss") is None or step.get("epoch") is None:
            continue
        index = min(bins - 1, int(step["epoch"] / end * bins - 1e-9)) if end > 0 else 0
        groups[max(0, index)].append(step["loss"])
    return groups


def compare(ours: dict, base: dict, bins: int, smoke: bool) -> tuple[list[str], dict]:
    lines = []

    def rate(run):
        return run["tokens"] / run["train_s"] if run["train_s"] > 0 else 0.0

    speedup = rate(ours) / rate(base) if rate(base) else 0.0
    gib = 1024**3
    lines.append(f"{'':34}{'sage-trainer':>16}{'baseline':>16}")
    rows = [
        ("tokens/s (no padding counted)", f"{rate(ours):,.0f}", f"{rate(base):,.0f}"),
        (
            "median step time (s)",
            f"{statistics.median(ours['step_times']):.3f}",
            f"{statistics.median(base['step_times']):.3f}",
        ),
        ("steps", str(len(ours["step_times"])), str(len(base["step_times"]))),
        ("tokens trained", f"{ours['tokens']:,}", f"{base['tokens']:,}"),
        ("training time (s)", f"{ours['train_s']:.1f}", f"{base['train_s']:.1f}"),
        ("process wall time (s)", f"{ours['wall_s']:.1f}", f"{base['wall_s']:.1f}"),
    ]
    if not smoke:
        rows.append(
            (
                "peak GPU memory (GiB)",
                f"{ours['peak_memory_bytes'] / gib:.2f}",
                f"{base['peak_memory_bytes'] / gib:.2f}",
            )
        )
    lines += [f"{name:34}{a:>16}{b:>16}" for name, a, b in rows]
    end = max(s.get("epoch") or 0 for s in ours["steps"] + base["steps"])
    ours_bins, base_bins = binned(ours["steps"], bins, end), binned(base["steps"], bins, end)
    lines.append("")
    lines.append(f"loss curves (mean per-step loss in {bins} bins of the run's epochs; +- standard error)")
    lines.append(f"{'epochs':>14}{'sage-trainer':>22}{'baseline':>22}{'rel diff':>10}{'in noise':>10}")
    max_rel, all_in_noise = 0.0, True
    for index, (a, b) in enumerate(zip(ours_bins, base_bins)):
        if not a or not b:
            continue
        mean_a, mean_b = statistics.fmean(a), statistics.fmean(b)
        se = math.sqrt(_var(a) / len(a) + _var(b) / len(b))
        rel = abs(mean_a - mean_b) / max(abs(mean_b), 1e-9)
        in_noise = abs(mean_a - mean_b) <= max(3 * se, 0.02 * abs(mean_b))
        max_rel, all_in_noise = max(max_rel, rel), all_in_noise and in_noise
        span = f"{end * index / bins:.2f}-{end * (index + 1) / bins:.2f}"
        lines.append(
            f"{span:>14}{mean_a:>12.4f} +-{_sem(a):<7.4f}{mean_b:>12.4f} +-{_sem(b):<7.4f}{rel:>9.1%}"
            f"{'yes' if in_noise else 'NO':>10}"
        )
    memory_ok = ours["peak_memory_bytes"] <= base["peak_memory_bytes"]
    met = speedup >= TARGET_SPEEDUP and memory_ok
    lines.append("")
    lines.append(f"loss curves: max relative difference of the bins {max_rel:.1%}; within noise: {all_in_noise}")
    lines.append(
        f"TARGET tokens/s >= {TARGET_SPEEDUP}x the baseline's at <= its peak memory | MEASURED {speedup:.2f}x, "
        f"peak memory {ours['peak_memory_bytes'] / gib:.2f} vs {base['peak_memory_bytes'] / gib:.2f} GiB | "
        + ("smoke run on the CPU: no verdict" if smoke else ("MET" if met else "NOT MET"))
    )
    summary = {
        "speedup": speedup,
        "tokens_per_second": {"ours": rate(ours), "baseline": rate(base)},
        "peak_memory_bytes": {"ours": ours["peak_memory_bytes"], "baseline": base["peak_memory_bytes"]},
        "loss_max_relative_difference": max_rel,
        "loss_within_noise": all_in_noise,
        "target_met": met,
    }
    return lines, summary


def _var(values: list[float]) -> float:
    return statistics.variance(values) if len(values) > 1 else 0.0


def _sem(values: list[float]) -> float:
    return math.sqrt(_var(values) / len(values)) if values else 0.0


REQUIRED_MODULES = ("torch", "transformers", "peft", "accelerate")


def missing_modules() -> list[str]:
    """The Python packages both trainers need that this interpreter cannot import."""
    return [name for name in REQUIRED_MODULES if not _installed(name)]


def environment(smoke: bool) -> tuple[str, list[str]]:
    import peft
    import torch
    import transformers

    cuda = torch.cuda.is_available() and not smoke
    gpu = torch.cuda.get_device_name(0) if cuda else "cpu"
    lines = [
        f"device: {gpu}" + (f" ({torch.cuda.get_device_properties(0).total_memory / 1024**3:.0f} GiB)" if cuda else ""),
        f"python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}, "
        f"peft {peft.__version__}",
        "flash_attn: "
        + ("installed" if _installed("flash_attn") else "not installed")
        + ", liger_kernel: "
        + ("installed" if _installed("liger_kernel") else "not installed"),
    ]
    slug = re.sub(r"[^a-z0-9]+", "-", gpu.lower().replace("nvidia", "")).strip("-") or "gpu"
    return ("cpu-smoke" if smoke else slug), lines


def _installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "baseline-worker":
        baseline_worker(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="CPU, tiny random model, a few steps: checks the script")
    parser.add_argument(
        "--model", help="local model directory (with a chat template), e.g. a cached Qwen2.5-0.5B-Instruct"
    )
    parser.add_argument("--dataset", help='chat JSONL ({"messages": [...]} per line); default: synthetic chats')
    parser.add_argument("--samples", type=int, default=None, help="synthetic chats (default 2000; smoke 48)")
    parser.add_argument("--mean-pairs", type=float, default=6.0, help="synthetic: mean Q/A pairs per turn")
    parser.add_argument("--max-length", type=int, default=None, help="default 1024 (smoke 256)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--grad-accum", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--warmup-ratio", type=float, default=0.03)
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--lora-alpha", type=float, default=32)
    parser.add_argument("--lora-dropout", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--bins", type=int, default=10, help="loss-curve bins")
    parser.add_argument(
        "--ours", action="append", default=[], metavar="KEY=VALUE", help="extra sage-trainer hyperparameter"
    )
    parser.add_argument("--workdir", help="keep the runs here (default: a temporary directory, removed)")
    parser.add_argument("--output", help="result file (default bench/results/trainer-<gpu>-<date>.txt; smoke: workdir)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    args = parser.parse_args()
    if args.smoke:
        args.samples = args.samples or 48
        args.max_length = args.max_length or 256
        args.mean_pairs = min(args.mean_pairs, 3.0)
        args.learning_rate = 2e-3
        args.bins = min(args.bins, 4)
    args.samples = args.samples or 2000
    args.max_length = args.max_length or 1024
    missing = missing_modules()
    if missing:
        print(
            f"{sys.executable} cannot import {', '.join(missing)}: the benchmark needs torch, transformers, peft and "
            "accelerate (a CUDA build of torch for the GPU run). Set SAGE_TRAINER_PYTHON to an interpreter that has "
            "them (bench/trainer/README.md).",
            file=sys.stderr,
        )
        return 2

    started = time.monotonic()
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="sage-trainer-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        slug, env_lines = environment(args.smoke)
        model, model_name = prepare_model(args, work)
        if args.dataset:
            dataset = Path(args.dataset).resolve()
        else:
            dataset = work / "dataset.jsonl"
            rows = make_dataset(args.samples, args.seed, args.mean_pairs)
            dataset.write_text("".join(json.dumps(r) + "\n" for r in rows))
        if args.smoke:
            os.environ["CUDA_VISIBLE_DEVICES"] = ""  # both runs on the CPU
        ours = run_ours(args, work, model, dataset)
        base = run_baseline(args, work, model, dataset)
        table, summary = compare(ours, base, args.bins, args.smoke)
        header = env_lines + [
            f"model: {model_name}",
            f"data: {dataset.name if args.dataset else f'{args.samples} synthetic chats'}, max_length {args.max_length}, "
            f"batch {args.batch_size} x accumulation {args.grad_accum}, epochs {args.epochs}, max_steps {args.max_steps}, "
            f"LoRA r={args.lora_r} alpha={args.lora_alpha} dropout={args.lora_dropout}, lr {args.learning_rate}",
            "sage-trainer: " + "; ".join(ours["settings"]),
            "baseline: " + "; ".join(base["settings"]),
            "",
        ]
        if base.get("expected_tokens") and base["expected_tokens"] != base["tokens"]:
            header.append(
                f"note: the baseline collated {base['tokens']} tokens, the epochs hold {base['expected_tokens']}"
            )
        report = "\n".join(header + table) + f"\n\nbench wall time {time.monotonic() - started:.0f}s\n"
        print(report, flush=True)
        today = dt.date.today().isoformat()
        output = (
            Path(args.output)
            if args.output
            else (
                work / f"trainer-{slug}-{today}.txt"
                if args.smoke
                else REPO / "bench" / "results" / f"trainer-{slug}-{today}.txt"
            )
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        raw = {"summary": summary, "args": vars(args), "ours": ours, "baseline": base}
        output.write_text(report + "\nRAW " + json.dumps(raw) + "\n")
        print(f"raw output: {output}", flush=True)
        return 0
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
