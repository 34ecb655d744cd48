"""Checks that the ML stack is importable before any work starts, and says what to install."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from .errors import MISSING_DEPENDENCY, TrainerError

# (import name, pip name, minimum version)
_REQUIRED = (
    ("torch", "torch", "2.1"),
    ("transformers", "transformers", "4.45"),
    ("peft", "peft", "0.13"),
    ("accelerate", "accelerate", "0.34"),
    ("safetensors", "safetensors", "0.4"),
)
_BITSANDBYTES = ("bitsandbytes", "bitsandbytes", "0.43")


def version_tuple(text: str) -> tuple[int, ...]:
    """``"2.11.0+cu128"`` → (2, 11, 0); a pre-release suffix ends the tuple (``"5.0.0rc1"`` → (5, 0, 0))."""
    parts = []
    for piece in text.split("+")[0].split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.end() < len(piece):
            break
    return tuple(parts)


def _requirements_hint() -> str:
    requirements = Path(__file__).resolve().parent.parent / "requirements.txt"
    target = requirements if requirements.is_file() else "trainer/requirements.txt"
    return f"pip install -r {target}"


def require_ml_stack(quantized: bool) -> None:
    """Raise ``missing_dependency`` naming every missing or too old package.

    ``quantized`` (QLoRA or 8-bit LoRA) also needs bitsandbytes.
    """
    needed = list(_REQUIRED) + ([_BITSANDBYTES] if quantized else [])
    problems = []
    for module_name, pip_name, minimum in needed:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            problems.append(f"{pip_name} (not importable: {exc})")
            continue
        version = getattr(module, "__version__", "0")
        if version_tuple(version) < version_tuple(minimum):
            problems.append(f"{pip_name}>={minimum} (found {version})")
    if problems:
        install = _requirements_hint()
        if quantized and any(p.startswith("bitsandbytes") for p in problems):
            install += " && pip install 'bitsandbytes>=0.43' (QLoRA / 8-bit; needs a CUDA GPU)"
        raise TrainerError(
            MISSING_DEPENDENCY, "the trainer needs " + "; ".join(problems) + f". Install with: {install}"
        )
