"""Where the ML work is plugged in: the orchestration in ``cli`` drives a backend module.

A backend module exposes::

    create_backend(spec, writer, cancel) -> object with
        load_model(), prepare_data(), train(), save() -> [(kind, path)], merge() -> path,
        best_checkpoint() -> (path, step, eval_loss) or None   (called only for a job with validation_path;
                                                                save() wrote the model artifacts from it)
    merge_adapter(base_model, lora_dir, output_dir, cancel) -> path

The product always uses :mod:`sage_trainer.torch_backend`. ``SAGE_TRAINER_TEST_BACKEND`` names another
module instead; it exists for this package's own tests (their fake backend lives under ``tests/``,
which is not installed), so the CLI can be exercised on machines without torch.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from .deps import require_ml_stack
from .protocol import log

TEST_BACKEND_ENV = "SAGE_TRAINER_TEST_BACKEND"


def load_backend(quantized: bool) -> ModuleType:
    override = os.environ.get(TEST_BACKEND_ENV)
    if override:
        log(f"WARNING: {TEST_BACKEND_ENV}={override}: using a test backend, no real training happens")
        return importlib.import_module(override)
    require_ml_stack(quantized)
    return importlib.import_module("sage_trainer.torch_backend")
