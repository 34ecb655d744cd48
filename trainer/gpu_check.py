#!/usr/bin/env python3
"""End-to-end check of sage_trainer on a GPU machine with no internet (run it via gpu_check.sh).

``check`` builds a tiny Qwen2-architecture model from a config and a byte-level BPE tokenizer
trained on the spot (no downloads), then drives the real entry point (``bin/sage-trainer``) in
task directories, exactly as the finetune-service does:

  1. LoRA (gradient accumulation + checkpointing, merge=true): the loss falls, progress.jsonl is
     well-formed with every phase in order, lora/ merged_model/ and checkpoints are there;
  2. merged_model/ reloads with transformers and generates, and gives the same logits as lora/
     loaded with PEFT on the base;
  3. the ``merge`` entry point rebuilds merged_model/;
  4. full fine-tuning with packing;
  5. SIGTERM mid-training: a checkpoint and exit 143 within 10 s; then ``resume_from`` continues;
  6. validation (issue 19): LoRA on 8 capital questions, evaluated on 16 others (countries it never saw): the
     eval loss falls while it learns the answer's form, then rises as it memorises the 8 capitals; the best
     checkpoint (lowest eval loss) survives save_total_limit=1, lora/ holds exactly its weights, and early
     stopping ends the run before max_steps.

  7. distributed (issue 21), ``distributed`` alone or at the end of ``check``: the trainer's distributed path under
     torchrun with ``nproc_per_node`` = the visible GPUs up to 2 (1 on a one-GPU machine; ``GPU_CHECK_NPROC``
     overrides): DDP + LoRA, FSDP + LoRA and FSDP + full each train (loss falls), write one set of protocol records
     from rank 0, checkpoints in their format (DDP by parameter position, FSDP by name), a lora/ that PEFT loads and
     a merged_model/ in the base's dtype that generates; SIGTERM to the launcher process under FSDP checkpoints
     (exit 143, one cancelled record), and the FSDP checkpoint resumes in a plain one-process run.

``calibrate`` runs one short training with the given settings on rows filled to max_length and
prints a ``CALIBRATION {...}`` line (peak GPU memory) for the memory estimator.

Every check prints ``PASS name`` or ``FAIL name: why``; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

TRAINER_ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(TRAINER_ROOT))

from sage_trainer.formatting import IGNORE_INDEX, ChatEncoder  # noqa: E402
from sage_trainer.protocol import PHASES, read_records  # noqa: E402

WRAPPER = TRAINER_ROOT / "bin" / "sage-trainer"
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Qwen2's ChatML layout, written for this check: default system prompt, <|im_start|>role\n...<|im_end|>\n
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if loop.first and message['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
WORDS = (
    "apple river stone cloud green quiet seven silver window garden music paper bright winter "
    "orange candle forest yellow market pencil rocket summer violet harbor"
).split()


# --- reporting ---------------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.failures: list[str] = []
        self.passed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"PASS {name}" + (f" ({detail})" if detail else ""), flush=True)
        else:
            self.failures.append(name)
            print(f"FAIL {name}: {detail or 'condition false'}", flush=True)
        return ok

    def guard(self, name: str, action):
        """Run ``action``; an exception is a FAIL of ``name`` (with traceback) and returns None."""
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - a check script reports, it does not crash
            traceback.print_exc()
            self.check(name, False, f"{type(exc).__name__}: {exc}")
            return None


# --- the tiny base model -----------------------------------------------------------------------


def _names(rng: random.Random, count: int, syllables: int) -> list[str]:
    parts = ["ka", "lo", "mi", "ra", "ten", "vo", "zu", "pel", "dor", "an", "is", "bre", "sol", "ur"]
    names: list[str] = []
    while len(names) < count:
        name = "".join(rng.choice(parts) for _ in range(syllables)).capitalize()
        if name not in names:
            names.append(name)
    return names


def make_conversations(count: int, seed: int = 0) -> list[dict]:
    """Short, learnable chats: invented capitals, additions, echoes; some multi-turn."""
    rng = random.Random(seed)
    countries = _names(rng, 24, 2)
    capitals = dict(zip(countries, _names(rng, 24, 3)))
    conversations = []
    for index in range(count):
        kind = index % 3
        if kind == 0:
            country = countries[(index // 3) % len(countries)]
            question, answer = f"What is the capital of {country}?", f"The capital of {country} is {capitals[country]}."
        elif kind == 1:
            a, b = rng.randint(1, 20), rng.randint(1, 20)
            question, answer = f"What is {a} plus {b}?", f"{a} plus {b} is {a + b}."
        else:
            words = rng.sample(WORDS, 3)
            question, answer = "Repeat after me: " + " ".join(words), " ".join(words).capitalize() + "."
        messages = [{"role": "system", "content": "You are a concise assistant."}] if index % 2 == 0 else []
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        if index % 5 == 0:
            messages += [{"role": "user", "content": "Thanks!"}, {"role": "assistant", "content": "You are welcome."}]
        conversations.append({"messages": messages})
    return conversations


def make_long_conversations(count: int, tokens: int, seed: int = 1) -> list[dict]:
    """Multi-turn chats of more than ``tokens`` tokens (calibration rows filled to max_length); each
    turn bundles several short questions and answers, so a chat has few turns."""
    pairs = [
        (c["messages"][-2]["content"], c["messages"][-1]["content"])
        for c in make_conversations(max(64, tokens // 8), seed)
    ]
    result = []
    for index in range(count):
        messages: list[dict] = []
        position = index
        while sum(len(m["content"]) for m in messages) < tokens * 5:  # > 5 characters per token: rows fill up
            bundle = [pairs[(position + k * 7) % len(pairs)] for k in range(8)]
            messages += [
                {"role": "user", "content": " ".join(q for q, _ in bundle)},
                {"role": "assistant", "content": " ".join(a for _, a in bundle)},
            ]
            position += 57
        result.append({"messages": messages})
    return result


def build_base(
    directory: Path,
    hidden: int = 256,
    layers: int = 4,
    heads: int | None = None,
    intermediate: int | None = None,
    vocab: int = 1024,
    model_vocab: int | None = None,
    dtype: str = "float32",
    kv_heads: int | None = None,
) -> dict:
    """Train a byte-level BPE tokenizer on the check's texts and save it with a random Qwen2 model."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    directory.mkdir(parents=True, exist_ok=True)
    texts = [m["content"] for c in make_conversations(600) for m in c["messages"]]
    texts += ["system", "user", "assistant", "You are a helpful assistant.", "\n"]
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    backend.train_from_iterator(
        texts,
        trainer=trainers.BpeTrainer(
            vocab_size=vocab,
            min_frequency=1,
            special_tokens=SPECIAL_TOKENS,
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>", model_max_length=32768
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(directory)

    heads = heads or max(1, hidden // 64)
    config = Qwen2Config(
        vocab_size=max(len(tokenizer), model_vocab or 0),
        hidden_size=hidden,
        intermediate_size=intermediate or 4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads or max(1, heads // 2),
        max_position_embeddings=32768,
        tie_word_embeddings=True,
    )
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config.eos_token_id, config.pad_token_id, config.bos_token_id = im_end, pad, None
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = Qwen2ForCausalLM(config)
    model.to(getattr(torch, dtype))
    model.generation_config.eos_token_id = im_end
    model.generation_config.pad_token_id = pad
    model.generation_config.bos_token_id = None
    model.save_pretrained(directory)
    info = {
        "params": sum(p.numel() for p in model.parameters()),
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "vocab": config.vocab_size,
        "tokenizer_vocab": len(tokenizer),
        "dtype": dtype,
    }
    (directory / "base_info.json").write_text(json.dumps(info))
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return info


# --- driving the real entry point --------------------------------------------------------------


def write_task(
    task_dir: Path,
    base_dir: Path,
    conversations: list[dict],
    method: str = "lora",
    merge: bool = False,
    resume_from: str | None = None,
    validation: list[dict] | None = None,
    distributed: dict | None = None,
    **hyperparameters,
) -> Path:
    task_dir.mkdir(parents=True, exist_ok=True)
    with (task_dir / "dataset.jsonl").open("w", encoding="utf-8") as handle:
        for conversation in conversations:
            handle.write(json.dumps(conversation) + "\n")
    if validation is not None:
        with (task_dir / "validation.jsonl").open("w", encoding="utf-8") as handle:
            for conversation in validation:
                handle.write(json.dumps(conversation) + "\n")
    hp = {
        "epochs": 1,
        "batch_size": 8,
        "learning_rate": 2e-3,
        "gradient_accumulation_steps": 1,
        "max_length": 256,
        "lora_r": 16,
        "lora_alpha": 32,
        "lora_dropout": 0.0,
        "seed": 7,
        "warmup_ratio": 0.05,
        "weight_decay": 0.0,
        "logging_steps": 2,
        "save_steps": 0,
        "packing": False,
        "gradient_checkpointing": False,
        "load_in_8bit": False,
        "precision": "auto",
        "max_steps": -1,
    }
    hp.update(hyperparameters)
    job = {
        "task_id": task_dir.name,
        "base_model": str(base_dir),
        "dataset_path": "dataset.jsonl",
        "output_dir": str(task_dir),
        "method": method,
        "hyperparameters": hp,
        "merge": merge,
        "resume_from": resume_from,
        "validation_path": "validation.jsonl" if validation is not None else None,
    }
    if distributed is not None:
        job["distributed"] = distributed
    (task_dir / "job.json").write_text(json.dumps(job, indent=2))
    return task_dir


def trainer_env() -> dict:
    env = dict(os.environ)
    env.setdefault("SAGE_TRAINER_PYTHON", sys.executable)
    env.pop("SAGE_TRAINER_TEST_BACKEND", None)
    return env


def run_trainer(task_dir: Path, *args: str, timeout: float = 300) -> tuple[int, float]:
    """Run bin/sage-trainer in ``task_dir`` with output to logs.txt, like the local executor."""
    started = time.monotonic()
    with (task_dir / "logs.txt").open("ab") as log:
        result = subprocess.run(
            [str(WRAPPER), *args],
            cwd=task_dir,
            env=trainer_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    return result.returncode, time.monotonic() - started


def log_tail(task_dir: Path, lines: int = 40) -> str:
    path = task_dir / "logs.txt"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def metrics_of(records: list[dict]) -> list[dict]:
    return [r for r in records if r["type"] == "metrics"]


def calibration_line(task_dir: Path, info: dict, method: str, hp: dict) -> dict:
    records = read_records(task_dir / "progress.jsonl")
    metrics = metrics_of(records)
    precision = re.search(r"precision (\w+)", log_tail(task_dir, 400))
    trainable = re.search(r"([\d,]+) trainable", log_tail(task_dir, 400))
    line = {
        "method": method,
        "params": info["params"],
        "trainable_params": int(trainable.group(1).replace(",", "")) if trainable else None,
        "hidden": info["hidden"],
        "layers": info["layers"],
        "vocab": info["vocab"],
        "batch_size": hp["batch_size"],
        "max_length": hp["max_length"],
        "lora_r": hp["lora_r"] if method != "full" else None,
        "gradient_checkpointing": hp["gradient_checkpointing"],
        "packing": hp["packing"],
        "precision": precision.group(1) if precision else None,
        "peak_memory_bytes": max((m.get("peak_memory_bytes") or 0) for m in metrics) if metrics else None,
        "peak_memory_reserved_bytes": max((m.get("peak_memory_reserved_bytes") or 0) for m in metrics)
        if metrics
        else None,
        "tokens_per_second": statistics.median(m["tokens_per_second"] for m in metrics[1:] or metrics)
        if metrics
        else None,
    }
    print("CALIBRATION " + json.dumps(line), flush=True)
    return line


def check_progress(report: Report, name: str, task_dir: Path, expect_phases: list[str]) -> list[dict]:
    """progress.jsonl parses line by line, phases come in order, metrics lines are complete."""
    try:
        records = read_records(task_dir / "progress.jsonl")
    except (OSError, ValueError) as exc:
        report.check(f"{name}: progress.jsonl well-formed", False, str(exc))
        return []
    report.check(f"{name}: progress.jsonl well-formed", all("time" in r for r in records), f"{len(records)} lines")
    phases = [r["phase"] for r in records if r["type"] == "phase"]
    report.check(f"{name}: phases in order", phases == expect_phases, f"got {phases}")
    errors = [r for r in records if r["type"] == "error"]
    report.check(f"{name}: no error line", not errors, json.dumps(errors))
    metrics = metrics_of(records)
    keys = {
        "step",
        "total_steps",
        "epoch",
        "loss",
        "learning_rate",
        "grad_norm",
        "tokens_per_second",
        "eta_seconds",
        "peak_memory_bytes",
    }
    steps = [m["step"] for m in metrics]
    report.check(
        f"{name}: metrics lines complete",
        bool(metrics)
        and all(keys <= m.keys() for m in metrics)
        and all(isinstance(m["loss"], float) for m in metrics)
        and steps == sorted(set(steps))
        and steps[-1] == metrics[-1]["total_steps"],
        f"{len(metrics)} lines, steps {steps[:3]}..{steps[-1:]}",
    )
    return records


def loss_falls(report: Report, name: str, metrics: list[dict], ratio: float) -> None:
    losses = [m["loss"] for m in metrics]
    if len(losses) < 10:
        report.check(f"{name}: loss falls", False, f"only {len(losses)} metrics lines")
        return
    first, last = statistics.mean(losses[:5]), statistics.mean(losses[-5:])
    report.check(
        f"{name}: loss falls",
        last < ratio * first,
        f"mean of first 5 {first:.3f} -> last 5 {last:.3f} (needs < {ratio} x)",
    )


# --- checks ------------------------------------------------------------------------------------


def check_masking(report: Report, base_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    conversation = make_conversations(6)[5]["messages"]  # multi-turn, no system message
    encoder = ChatEncoder(tokenizer, 512)
    example = encoder.encode(conversation)
    runs, current = [], []
    for token, label in zip(example.input_ids, example.labels):
        if label == IGNORE_INDEX and current:
            runs.append(tokenizer.decode(current, clean_up_tokenization_spaces=False))
            current = []
        elif label != IGNORE_INDEX:
            current.append(token)
    if current:
        runs.append(tokenizer.decode(current, clean_up_tokenization_spaces=False))
    expected = [m["content"] + "<|im_end|>" for m in conversation if m["role"] == "assistant"]
    report.check(
        "labels cover exactly the assistant turns (real tokenizer)",
        runs == expected,
        f"offsets={encoder.uses_offsets} runs={runs!r}",
    )


def generate(model, tokenizer, question: str, max_new_tokens: int = 16) -> str:
    import torch

    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
    )
    inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False).to(model.device)
    with torch.no_grad():
        output = model.generate(
            **inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
    return tokenizer.decode(output[0][inputs["input_ids"].shape[1] :], skip_special_tokens=False)


def check_reload(report: Report, base_dir: Path, task_dir: Path, question: str) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = "cuda" if torch.cuda.is_available() else "cpu"
    merged_dir = task_dir / "merged_model"
    tokenizer = AutoTokenizer.from_pretrained(str(merged_dir))
    merged = AutoModelForCausalLM.from_pretrained(str(merged_dir)).to(device).eval()
    answer = generate(merged, tokenizer, question)
    report.check("merged_model reloads with transformers and generates", len(answer) > 0, repr(answer))

    base = AutoModelForCausalLM.from_pretrained(str(base_dir)).to(device)
    adapted = PeftModel.from_pretrained(base, str(task_dir / "lora")).eval()
    lora_tokenizer = AutoTokenizer.from_pretrained(str(task_dir / "lora"))
    answer = generate(adapted, lora_tokenizer, question)
    report.check("lora/ loads with PEFT onto the base and generates", len(answer) > 0, repr(answer))

    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
    )
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"].to(device)
    with torch.no_grad():
        difference = (merged(input_ids=ids).logits.float() - adapted(input_ids=ids).logits.float()).abs().max().item()
    report.check("merged weights equal base + adapter", difference < 1e-2, f"max |logit diff| {difference:.2e}")


def check_files(report: Report, name: str, directory: Path, required: list[str]) -> None:
    missing = [f for f in required if not (directory / f).exists()]
    weights = list(directory.glob("*.safetensors"))
    report.check(
        f"{name}: files",
        not missing and bool(weights),
        f"missing {missing}" if missing else ", ".join(sorted(p.name for p in directory.iterdir())),
    )


def lora_run(report: Report, base_dir: Path, work: Path, info: dict) -> Path | None:
    task = write_task(
        work / "task-lora",
        base_dir,
        make_conversations(320),
        method="lora",
        merge=True,
        learning_rate=3e-3,
        batch_size=4,
        gradient_accumulation_steps=2,
        max_steps=80,
        save_steps=20,
        logging_steps=1,
        gradient_checkpointing=True,
    )
    code, wall = run_trainer(task, "--spec", "job.json")
    if not report.check("lora run exits 0", code == 0, f"exit {code} after {wall:.1f}s\n{log_tail(task)}"):
        return None
    records = check_progress(report, "lora run", task, list(PHASES))
    metrics = metrics_of(records)
    loss_falls(report, "lora run", metrics, 0.7)
    artifacts = {(r["kind"], r["path"]) for r in records if r["type"] == "artifact"}
    report.check(
        "lora run: artifact lines",
        {
            ("lora", "lora"),
            ("merged_model", "merged_model"),
            ("checkpoint", "checkpoints/step-20"),
            ("checkpoint", "checkpoints/step-40"),
        }
        <= artifacts,
        str(sorted(artifacts)),
    )
    check_files(
        report, "lora/", task / "lora", ["adapter_config.json", "adapter_model.safetensors", "tokenizer_config.json"]
    )
    check_files(
        report,
        "merged_model/",
        task / "merged_model",
        ["config.json", "generation_config.json", "tokenizer_config.json"],
    )
    adapter = json.loads((task / "lora" / "adapter_config.json").read_text())
    report.check(
        "adapter_config.json carries the job's settings",
        adapter.get("r") == 16
        and adapter.get("lora_alpha") == 32
        and adapter.get("base_model_name_or_path") == str(base_dir.resolve())
        and set(adapter.get("target_modules") or []) >= {"q_proj", "down_proj"},
        json.dumps({k: adapter.get(k) for k in ("r", "lora_alpha", "target_modules", "base_model_name_or_path")}),
    )
    report.check(
        "checkpoint holds adapter + optimizer state",
        all(
            (task / "checkpoints/step-20" / f).exists()
            for f in ("model/adapter_model.safetensors", "training_state.pt", "trainer_state.json")
        ),
    )
    calibration_line(task, info, "lora", json.loads((task / "job.json").read_text())["hyperparameters"])
    print(
        f"lora run: {wall:.1f}s wall, median {statistics.median(m['tokens_per_second'] for m in metrics):.0f} "
        f"tokens/s",
        flush=True,
    )
    return task


def merge_entry_point(report: Report, task: Path) -> None:
    shutil.rmtree(task / "merged_model")
    code, wall = run_trainer(task, "merge", "--task-dir", str(task))
    records = read_records(task / "progress.jsonl")
    tail = [r for r in records if r["type"] in ("phase", "artifact")][-3:]
    report.check(
        "merge entry point rebuilds merged_model/",
        code == 0
        and (task / "merged_model" / "config.json").is_file()
        and [r.get("phase") or r.get("kind") for r in tail] == ["merging", "merged_model", "done"],
        f"exit {code} in {wall:.1f}s, last lines {tail}\n{'' if code == 0 else log_tail(task)}",
    )


def full_run(report: Report, base_dir: Path, work: Path, info: dict) -> None:
    task = write_task(
        work / "task-full",
        base_dir,
        make_conversations(320),
        method="full",
        merge=True,
        learning_rate=1e-3,
        batch_size=4,
        max_steps=30,
        packing=True,
        logging_steps=1,
    )
    code, wall = run_trainer(task, "--spec", "job.json")
    if not report.check("full + packing run exits 0", code == 0, f"exit {code} after {wall:.1f}s\n{log_tail(task)}"):
        return
    import torch

    log = (task / "logs.txt").read_text(errors="replace")
    report.check(
        "full run: packed rows (SDPA block mask or flash varlen), fused AdamW on a GPU",
        "packing on (job)" in log and ("AdamW fused" in log) == torch.cuda.is_available(),
        "\n".join(line for line in log.splitlines() if "speed:" in line or "packing" in line),
    )
    records = check_progress(
        report, "full run", task, ["loading_model", "preparing_data", "training", "saving", "done"]
    )
    loss_falls(report, "full run", metrics_of(records), 0.8)
    check_files(
        report,
        "full run merged_model/",
        task / "merged_model",
        ["config.json", "generation_config.json", "tokenizer_config.json"],
    )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(task / "merged_model"))
    report.check("full run model reloads", model.config.use_cache is not False, f"dtype {model.dtype}")
    tokenizer = AutoTokenizer.from_pretrained(str(task / "merged_model"))
    report.check("full run model generates", len(generate(model, tokenizer, "What is 2 plus 3?")) > 0)
    calibration_line(task, info, "full", json.loads((task / "job.json").read_text())["hyperparameters"])


def sigterm_and_resume(report: Report, base_dir: Path, work: Path) -> None:
    task = write_task(
        work / "task-sigterm", base_dir, make_conversations(320), batch_size=4, max_steps=100_000, logging_steps=1
    )
    log = (task / "logs.txt").open("ab")
    process = subprocess.Popen(
        [str(WRAPPER), "--spec", "job.json"], cwd=task, env=trainer_env(), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            progress = task / "progress.jsonl"
            if progress.exists() and metrics_of(read_records(progress)):
                break
            time.sleep(0.2)
        if not report.check(
            "sigterm run reaches training",
            process.poll() is None and bool(metrics_of(read_records(task / "progress.jsonl"))),
            log_tail(task),
        ):
            return
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - sent
        report.check("SIGTERM exits 143 within 10 s", code == 143, f"exit {code} after {took:.1f}s")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    records = read_records(task / "progress.jsonl")
    errors = [r for r in records if r["type"] == "error"]
    checkpoints = [r["path"] for r in records if r["type"] == "artifact" and r["kind"] == "checkpoint"]
    report.check(
        "SIGTERM writes a cancelled line and a checkpoint",
        bool(errors)
        and errors[-1]["code"] == "cancelled"
        and len(checkpoints) == 1
        and (task / checkpoints[0] / "training_state.pt").is_file(),
        json.dumps(errors + checkpoints),
    )
    if not checkpoints:
        return
    step = json.loads((task / checkpoints[0] / "trainer_state.json").read_text())["step"]
    resumed = write_task(
        work / "task-resume",
        base_dir,
        make_conversations(320),
        batch_size=4,
        max_steps=step + 6,
        logging_steps=1,
        resume_from=str(task / checkpoints[0]),
    )
    code, wall = run_trainer(resumed, "--spec", "job.json")
    metrics = metrics_of(read_records(resumed / "progress.jsonl")) if code == 0 else []
    report.check(
        "resume_from continues after the checkpoint",
        code == 0 and [m["step"] for m in metrics] == list(range(step + 1, step + 7)),
        f"checkpoint step {step}, exit {code}, steps {[m['step'] for m in metrics]}\n"
        f"{'' if code == 0 else log_tail(resumed)}",
    )


def validation_run(report: Report, base_dir: Path, work: Path) -> None:
    capitals = [c for index, c in enumerate(make_conversations(72)) if index % 3 == 0]  # 24 countries, one each
    task = write_task(
        work / "task-validation",
        base_dir,
        capitals[:8],
        validation=capitals[8:],
        learning_rate=3e-3,
        batch_size=4,
        max_steps=160,
        logging_steps=5,
        save_steps=10,
        save_total_limit=1,
        eval_steps=5,
        early_stopping_patience=4,
    )
    code, wall = run_trainer(task, "--spec", "job.json")
    if not report.check("validation run exits 0", code == 0, f"exit {code} after {wall:.1f}s\n{log_tail(task)}"):
        return
    records = read_records(task / "progress.jsonl")
    evals = [r for r in records if r["type"] == "eval"]
    losses = [r["eval_loss"] for r in evals]
    steps = [r["step"] for r in evals]
    report.check(
        "validation run: eval records every eval_steps",
        bool(evals) and steps == list(range(5, 5 * len(steps) + 1, 5)) and all(isinstance(x, float) for x in losses),
        f"steps {steps}",
    )
    if not evals:
        return
    best = min(range(len(losses)), key=losses.__getitem__)
    report.check(
        "validation run: eval loss falls",
        losses[best] < 0.8 * losses[0],
        f"first {losses[0]:.3f}, lowest {losses[best]:.3f} at step {steps[best]}, last {losses[-1]:.3f}",
    )
    stops = [r for r in records if r["type"] == "early_stopping"]
    last_step = metrics_of(records)[-1]["step"] if metrics_of(records) else None
    report.check(
        "validation run: overfits, early stopping after 4 evaluations without improvement",
        len(stops) == 1
        and stops[0]["best_step"] == steps[best]
        and stops[0]["step"] == steps[-1] == last_step < 160
        and len(evals) == best + 5,
        f"best step {steps[best]}, evals after it {len(evals) - best - 1}, early_stopping {stops}, "
        f"last step {last_step}",
    )
    kept = [r for r in records if r["type"] == "artifact" and r["kind"] == "best_checkpoint"]
    report.check(
        "validation run: best_checkpoint artifact names the lowest eval loss",
        len(kept) == 1
        and kept[0]["step"] == steps[best]
        and kept[0]["eval_loss"] == losses[best]
        and kept[0]["path"] == f"checkpoints/step-{steps[best]}",
        json.dumps(kept),
    )
    on_disk = sorted(p.name for p in (task / "checkpoints").iterdir() if p.name.startswith("step-"))
    report.check(
        "validation run: best checkpoint survives save_total_limit=1",
        f"step-{steps[best]}" in on_disk and len(on_disk) <= 2,
        f"on disk {on_disk}",
    )
    from safetensors.torch import load_file

    written = load_file(str(task / "lora" / "adapter_model.safetensors"))
    kept_weights = load_file(str(task / "checkpoints" / f"step-{steps[best]}" / "model" / "adapter_model.safetensors"))
    report.check(
        "validation run: lora/ holds the best checkpoint's weights",
        written.keys() == kept_weights.keys() and all(written[k].equal(kept_weights[k]) for k in written),
        f"{len(written)} tensors",
    )
    print(f"validation run: {wall:.1f}s wall, eval losses {[round(x, 3) for x in losses]}", flush=True)


# --- distributed (issue 21) --------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def distributed_block(parallelism: str, nproc: int) -> dict:
    return {
        "nnodes": 1,
        "nproc_per_node": nproc,
        "parallelism": parallelism,
        "master_addr": "127.0.0.1",
        "master_port": free_port(),
        "node_rank": 0,
    }


def processes_for_check() -> int:
    import torch

    wanted = os.environ.get("GPU_CHECK_NPROC")
    if wanted:
        return int(wanted)
    return max(1, min(2, torch.cuda.device_count()))


def all_logs(task_dir: Path) -> str:
    parts = [log_tail(task_dir, 400)]
    parts += [p.read_text(errors="replace") for p in sorted((task_dir / "logs").glob("rank-*.txt"))]
    return "\n".join(parts)


def distributed_run(report: Report, base_dir: Path, work: Path, parallelism: str, method: str, nproc: int):
    import torch

    name = f"{parallelism} {method} x{nproc}"
    lora = method == "lora"
    task = write_task(
        work / f"task-{parallelism}-{method}",
        base_dir,
        make_conversations(320),
        method=method,
        merge=lora,
        learning_rate=3e-3 if lora else 1e-3,
        batch_size=4,
        max_steps=30,
        save_steps=10,
        logging_steps=1,
        gradient_checkpointing=parallelism == "fsdp",
        distributed=distributed_block(parallelism, nproc),
    )
    code, wall = run_trainer(task, "--spec", "job.json")
    if not report.check(f"{name}: exits 0", code == 0, f"exit {code} after {wall:.1f}s\n{log_tail(task, 80)}"):
        return None
    phases = list(PHASES) if lora else ["loading_model", "preparing_data", "training", "saving", "done"]
    records = check_progress(report, name, task, phases)
    metrics = metrics_of(records)
    loss_falls(report, name, metrics, 0.8)
    logs = all_logs(task)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    joined = [f"rank {r}/{nproc} joined ({backend}, {parallelism}" for r in range(nproc)]
    report.check(f"{name}: every rank ran under torchrun", all(j in logs for j in joined), f"looked for {joined}")
    report.check(
        f"{name}: rank 0 alone wrote progress records",
        [m["step"] for m in metrics] == list(range(1, 31)) and (nproc == 1 or (task / "logs/rank-1.txt").is_file()),
        f"{len(metrics)} metrics lines",
    )
    state = torch.load(task / "checkpoints/step-10/training_state.pt", map_location="cpu", weights_only=True)
    expected = "names" if parallelism == "fsdp" else "ids"
    report.check(
        f"{name}: checkpoint with the whole optimizer state",
        state.get("optimizer_format") == expected and bool(state["optimizer"].get("state")),
        f"format {state.get('optimizer_format')}, {len(state['optimizer'].get('state') or {})} parameter states",
    )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if lora:
        from peft import PeftModel

        check_files(report, f"{name}: lora/", task / "lora", ["adapter_config.json", "adapter_model.safetensors"])
        base = AutoModelForCausalLM.from_pretrained(str(base_dir))
        adapted = PeftModel.from_pretrained(base, str(task / "lora")).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(task / "lora"))
        report.check(f"{name}: lora/ loads with PEFT and generates", len(generate(adapted, tokenizer, "Hi")) > 0)
    model_dir = task / "merged_model"
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    base_dtype = json.loads((base_dir / "config.json").read_text()).get("torch_dtype") or json.loads(
        (base_dir / "config.json").read_text()
    ).get("dtype")
    report.check(
        f"{name}: merged_model/ in the base's dtype generates",
        str(model.dtype).replace("torch.", "") == base_dtype
        and len(generate(model, AutoTokenizer.from_pretrained(str(model_dir)), "What is 2 plus 3?")) > 0,
        f"dtype {model.dtype}, base {base_dtype}",
    )
    peak = max((m.get("peak_memory_bytes") or 0) for m in metrics)
    print(f"{name}: {wall:.1f}s wall, rank 0 peak GPU memory {peak / 2**20:.0f} MiB", flush=True)
    return task


def distributed_sigterm_and_resume(report: Report, base_dir: Path, work: Path, nproc: int) -> None:
    name = f"fsdp x{nproc} SIGTERM"
    task = write_task(
        work / "task-fsdp-sigterm",
        base_dir,
        make_conversations(320),
        batch_size=4,
        max_steps=100_000,
        logging_steps=1,
        distributed=distributed_block("fsdp", nproc),
    )
    log = (task / "logs.txt").open("ab")
    process = subprocess.Popen(
        [str(WRAPPER), "--spec", "job.json"], cwd=task, env=trainer_env(), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            progress = task / "progress.jsonl"
            if progress.exists() and metrics_of(read_records(progress)):
                break
            time.sleep(0.2)
        if not report.check(f"{name}: reaches training", process.poll() is None, all_logs(task)[-4000:]):
            return
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            code = None
        report.check(f"{name}: exits 143", code == 143, f"exit {code} after {time.monotonic() - sent:.1f}s")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    records = read_records(task / "progress.jsonl")
    errors = [r for r in records if r["type"] == "error"]
    checkpoints = [r["path"] for r in records if r["type"] == "artifact" and r["kind"] == "checkpoint"]
    report.check(
        f"{name}: one cancelled record naming the one checkpoint",
        [e["code"] for e in errors] == ["cancelled"]
        and len(checkpoints) == 1
        and checkpoints[0] in errors[0]["message"]
        and (task / checkpoints[0] / "training_state.pt").is_file(),
        json.dumps(errors + checkpoints) + "\n" + all_logs(task)[-3000:],
    )
    if len(checkpoints) != 1:
        return
    step = json.loads((task / checkpoints[0] / "trainer_state.json").read_text())["step"]
    resumed = write_task(
        work / "task-fsdp-resume",
        base_dir,
        make_conversations(320),
        batch_size=4,
        max_steps=step + 4,
        logging_steps=1,
        resume_from=str(task / checkpoints[0]),
    )
    code, _ = run_trainer(resumed, "--spec", "job.json")
    steps = [m["step"] for m in metrics_of(read_records(resumed / "progress.jsonl"))] if code == 0 else []
    report.check(
        f"{name}: the FSDP checkpoint resumes in one process",
        code == 0 and steps == list(range(step + 1, step + 5)),
        f"checkpoint step {step}, exit {code}, steps {steps}\n{'' if code == 0 else log_tail(resumed)}",
    )


def distributed_checks(report: Report, base_dir: Path, work: Path) -> None:
    nproc = processes_for_check()
    print(f"distributed checks with nproc_per_node={nproc}", flush=True)
    for parallelism, method in (("ddp", "lora"), ("fsdp", "lora"), ("fsdp", "full")):
        report.guard(
            f"{parallelism} {method} run", lambda: distributed_run(report, base_dir, work, parallelism, method, nproc)
        )
    report.guard("fsdp sigterm", lambda: distributed_sigterm_and_resume(report, base_dir, work, nproc))


def environment(report: Report) -> bool:
    try:
        import peft
        import torch
        import transformers
    except ImportError as exc:
        return report.check("ML stack importable", False, str(exc))
    cuda = torch.cuda.is_available()
    gpu = f"{torch.cuda.get_device_name(0)}, bf16={torch.cuda.is_bf16_supported()}" if cuda else "no CUDA"
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__}, transformers {transformers.__version__}, "
        f"peft {peft.__version__}; {gpu}",
        flush=True,
    )
    return report.check(
        "CUDA GPU visible",
        cuda or os.environ.get("GPU_CHECK_ALLOW_CPU") == "1",
        gpu + ("" if cuda else " (set GPU_CHECK_ALLOW_CPU=1 to run on CPU anyway)"),
    )


def command_check(args: argparse.Namespace, work: Path) -> Report:
    report = Report()
    if not environment(report):
        return report
    base_dir = work / "base"
    info = report.guard("build tiny Qwen2 base", lambda: build_base(base_dir, hidden=args.hidden, layers=args.layers))
    if info is None:
        return report
    report.check("build tiny Qwen2 base", True, f"{info['params']:,} parameters, vocab {info['vocab']}")
    report.guard("label masking", lambda: check_masking(report, base_dir))
    task = report.guard("lora run", lambda: lora_run(report, base_dir, work, info))
    if task is not None:
        report.guard("reload", lambda: check_reload(report, base_dir, task, "What is 3 plus 4?"))
        report.guard("merge entry point", lambda: merge_entry_point(report, task))
    report.guard("full run", lambda: full_run(report, base_dir, work, info))
    report.guard("sigterm", lambda: sigterm_and_resume(report, base_dir, work))
    report.guard("validation", lambda: validation_run(report, base_dir, work))
    report.guard("distributed", lambda: distributed_checks(report, base_dir, work))
    return report


def command_distributed(args: argparse.Namespace, work: Path) -> Report:
    report = Report()
    if not environment(report):
        return report
    base_dir = work / "base"
    info = report.guard("build tiny Qwen2 base", lambda: build_base(base_dir, hidden=args.hidden, layers=args.layers))
    if info is not None:
        distributed_checks(report, base_dir, work)
    return report


def command_calibrate(args: argparse.Namespace, work: Path) -> Report:
    report = Report()
    if not environment(report):
        return report
    key = f"base-h{args.hidden}-l{args.layers}-v{args.model_vocab or 0}"
    base_dir = work / key
    if (base_dir / "base_info.json").is_file():
        info = json.loads((base_dir / "base_info.json").read_text())
    else:
        info = build_base(
            base_dir, hidden=args.hidden, layers=args.layers, model_vocab=args.model_vocab, dtype="bfloat16"
        )
    steps = args.steps
    name = f"{key}-calibrate-{args.method}-b{args.batch_size}-l{args.max_length}-r{args.lora_r}"
    task = write_task(
        work / name,
        base_dir,
        make_long_conversations(args.batch_size * steps, args.max_length),
        method=args.method,
        batch_size=args.batch_size,
        max_length=args.max_length,
        lora_r=args.lora_r,
        lora_alpha=2 * args.lora_r,
        max_steps=steps,
        logging_steps=1,
        gradient_checkpointing=args.gradient_checkpointing,
        precision=args.precision,
    )
    code, wall = run_trainer(task, "--spec", "job.json")
    if report.check(
        f"{name} exits 0", code == 0, f"exit {code} after {wall:.1f}s\n{'' if code == 0 else log_tail(task)}"
    ):
        calibration_line(task, info, args.method, json.loads((task / "job.json").read_text())["hyperparameters"])
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("check", "calibrate", "distributed"), nargs="?", default="check")
    parser.add_argument("--workdir", help="keep everything here (default: a temporary directory, removed)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument(
        "--model-vocab",
        type=int,
        default=None,
        help="embedding rows (>= tokenizer size), e.g. 151936 to match Qwen2.5's logits memory",
    )
    parser.add_argument("--method", choices=("lora", "qlora", "full"), default="lora")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    args = parser.parse_args()

    started = time.monotonic()
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="sage-gpu-check-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        commands = {"check": command_check, "calibrate": command_calibrate, "distributed": command_distributed}
        report = commands[args.command](args, work)
        peaks = [
            m.get("peak_memory_bytes") or 0
            for progress in work.glob("*/progress.jsonl")
            for m in metrics_of(read_records(progress))
        ]
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - started
    peak = f"; peak GPU memory {max(peaks) / 2**20:.0f} MiB" if any(peaks) else ""
    print(
        f"gpu_check {args.command}: {report.passed} passed, {len(report.failures)} failed in {wall:.0f}s wall{peak}",
        flush=True,
    )
    if report.failures:
        print("FAILED: " + ", ".join(report.failures), flush=True)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
