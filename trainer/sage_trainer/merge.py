"""LoRA → merged model: base weights in their saved dtype plus the adapter, as plain safetensors
that vLLM and transformers load as is (config, generation config and tokenizer included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .cancel import CancelToken
from .fsutil import staged_dir
from .methods import dtype_kwargs, load_config, resolve_model_source
from .protocol import log


def write_generation_config(model: Any, source: str, directory: Path) -> None:
    """Keep the base model's generation_config.json (its eos ids, sampling defaults); derive one from
    the model config when the base has none, so servers know where a reply ends."""
    if (directory / "generation_config.json").is_file():
        return
    from transformers import GenerationConfig

    try:
        generation = GenerationConfig.from_pretrained(source)
    except (OSError, ValueError):
        config = model.config
        generation = GenerationConfig(
            **{
                key: getattr(config, key)
                for key in ("bos_token_id", "eos_token_id", "pad_token_id")
                if getattr(config, key, None) is not None
            }
        )
    generation.save_pretrained(directory)


def save_tokenizer(preferred: Path, source: str, directory: Path) -> None:
    from transformers import AutoTokenizer

    origin = str(preferred) if (preferred / "tokenizer_config.json").is_file() else source
    AutoTokenizer.from_pretrained(origin).save_pretrained(directory)


def merge_adapter(
    base_model: str, task_dir: Path, lora_dir: Path, output_dir: Path, cancel: CancelToken | None = None
) -> Path:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    source = resolve_model_source(base_model, task_dir)
    load_config(source)  # a clear model_not_found before anything heavy
    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    log(f"merging {lora_dir} into {source} on {device}")
    base = AutoModelForCausalLM.from_pretrained(source, **dtype_kwargs("auto"))
    base.to(device)
    merged = PeftModel.from_pretrained(base, str(lora_dir)).merge_and_unload()
    if cancel is not None:
        cancel.raise_if_requested()
    with staged_dir(output_dir) as staging:
        merged.save_pretrained(staging)
        save_tokenizer(lora_dir, source, staging)
        write_generation_config(merged, source, staging)
    del merged, base
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return output_dir
