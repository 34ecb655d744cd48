"""Shared helpers: job specs, datasets and running the trainer as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TRAINER_ROOT = Path(__file__).resolve().parent.parent


def conversation(index: int) -> dict:
    return {
        "messages": [
            {"role": "system", "content": "You answer briefly."},
            {"role": "user", "content": f"What is {index} plus {index}?"},
            {"role": "assistant", "content": f"{index} plus {index} is {2 * index}."},
        ]
    }


def write_dataset(path: Path, count: int = 8) -> Path:
    path.write_text("".join(json.dumps(conversation(i)) + "\n" for i in range(count)), encoding="utf-8")
    return path


def job(**overrides) -> dict:
    spec = {
        "task_id": "task-1",
        "base_model": "Qwen/Qwen2.5-0.5B-Instruct",
        "dataset_path": "dataset.jsonl",
        "output_dir": ".",
        "method": "lora",
        "hyperparameters": {"epochs": 1, "batch_size": 2, "learning_rate": 2e-4, "max_length": 256, "logging_steps": 1},
        "merge": False,
        "resume_from": None,
    }
    hyperparameters = overrides.pop("hyperparameters", {})
    spec.update(overrides)
    spec["hyperparameters"] = {**spec["hyperparameters"], **hyperparameters}
    return spec


def write_job(task_dir: Path, **overrides) -> Path:
    path = task_dir / "job.json"
    path.write_text(json.dumps(job(**overrides)), encoding="utf-8")
    return path


def trainer_env(
    backend: str | None = "tests.fake_backend", extra_path: list[str] | None = None, **variables: str
) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "SAGE_TRAINER_TEST_BACKEND" and not key.startswith("FAKE_BACKEND_")
    }
    env["PYTHONPATH"] = os.pathsep.join([*(extra_path or []), str(TRAINER_ROOT)])
    if backend:
        env["SAGE_TRAINER_TEST_BACKEND"] = backend
    env.update(variables)
    return env


def trainer_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sage_trainer", *args]


def run_trainer(task_dir: Path, *args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        trainer_command(*args), cwd=task_dir, env=env, capture_output=True, text=True, timeout=timeout
    )


def records(task_dir: Path) -> list[dict]:
    from sage_trainer.protocol import read_records

    return read_records(task_dir / "progress.jsonl")
