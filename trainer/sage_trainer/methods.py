"""Loading the base model and tokenizer and preparing the model for LoRA, QLoRA or full training.

torch/transformers/peft are imported inside the functions that need them; the pure helpers at the
top (target modules, model source resolution) are unit-tested without them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from .deps import version_tuple
from .errors import BAD_SPEC, MODEL_NOT_FOUND, UNSUPPORTED, TrainerError, access_denied, hub_refusal
from .protocol import log
from .spec import Hyperparameters

_DECODER_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

# LoRA on every linear layer of attention and MLP: what works best for chat fine-tuning.
LORA_TARGET_MODULES: dict[str, tuple[str, ...]] = {
    "qwen2": _DECODER_PROJECTIONS,
    "qwen3": _DECODER_PROJECTIONS,
    "llama": _DECODER_PROJECTIONS,
    "mistral": _DECODER_PROJECTIONS,
    "gemma": _DECODER_PROJECTIONS,
    "gemma2": _DECODER_PROJECTIONS,
    "gemma3_text": _DECODER_PROJECTIONS,
    "phi": ("q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"),
    "phi3": ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
}

PRECISION_DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def target_modules_for(model_type: str, given: tuple[str, ...] | None) -> list[str] | str:
    """The job's ``lora_target_modules`` when given, else the table above, else PEFT's
    ``all-linear`` (every linear layer but the output head) for architectures not listed."""
    modules = given or LORA_TARGET_MODULES.get(model_type)
    if modules is None or tuple(modules) == ("all-linear",):
        return "all-linear"
    return list(modules)


def resolve_model_source(base_model: str, task_dir: Path) -> str:
    """A local model directory (absolute, or relative to the task directory) or a Hub id.

    Hub ids resolve through the Hugging Face cache (``HF_HOME``); offline machines use a local path
    or a pre-filled cache with ``HF_HUB_OFFLINE=1``.
    """
    candidate = Path(base_model).expanduser()
    if not candidate.is_absolute():
        candidate = task_dir / candidate
    if candidate.is_dir():
        if not (candidate / "config.json").is_file():
            raise TrainerError(MODEL_NOT_FOUND, f"base_model directory {candidate} has no config.json")
        return str(candidate.resolve())
    if base_model.startswith(("/", "./", "../", "~")):
        raise TrainerError(MODEL_NOT_FOUND, f"base_model directory {base_model} does not exist")
    return base_model


def _hub_hint() -> str:
    home = os.environ.get("HF_HOME", "~/.cache/huggingface")
    return (
        f"A Hugging Face id must be in the local cache (HF_HOME={home}) or downloadable; "
        "on an offline machine give a local model directory instead"
    )


def dtype_kwargs(dtype: Any) -> dict[str, Any]:
    """``from_pretrained`` takes ``dtype`` since transformers 4.56 (``torch_dtype`` before, removed
    later)."""
    import transformers

    name = "dtype" if version_tuple(transformers.__version__) >= (4, 56) else "torch_dtype"
    return {name: dtype}


def config_dtype(config: Any):
    """The dtype the checkpoint was saved in (``config.dtype``, ``torch_dtype`` on older versions)."""
    import torch

    value = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)
    if isinstance(value, str):
        value = getattr(torch, value, None)
    return value if isinstance(value, torch.dtype) else torch.float32


def load_config(source: str):
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(source)
    except Exception as exc:  # noqa: BLE001 - hub/OS/JSON errors all mean "no usable model here"
        reason = hub_refusal(exc)
        if reason:
            raise access_denied(source, reason) from exc
        raise TrainerError(
            MODEL_NOT_FOUND, f"cannot load base model {source}: {type(exc).__name__}: {exc}. " f"{_hub_hint()}"
        ) from exc


def load_tokenizer(source: str):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
    except Exception as exc:  # noqa: BLE001
        reason = hub_refusal(exc)
        if reason:
            raise access_denied(source, reason) from exc
        raise TrainerError(
            MODEL_NOT_FOUND, f"cannot load the tokenizer of {source}: {type(exc).__name__}: " f"{exc}"
        ) from exc
    if not getattr(tokenizer, "chat_template", None):
        raise TrainerError(
            UNSUPPORTED,
            f"the tokenizer of {source} has no chat template; use a chat/instruct "
            "model or add chat_template to its tokenizer_config.json",
        )
    return tokenizer


def pad_token_id(tokenizer: Any) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if candidate is not None:
            return int(candidate)
    return 0


def _enable_gradient_checkpointing(model: Any) -> None:
    if not getattr(model, "supports_gradient_checkpointing", False):
        raise TrainerError(
            UNSUPPORTED,
            f"{type(model).__name__} does not support gradient checkpointing; " "set gradient_checkpointing to false",
        )
    try:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    except TypeError:
        model.gradient_checkpointing_enable()


def _quantization_config(method: str, hp: Hyperparameters, compute_dtype: Any):
    if method != "qlora" and not hp.load_in_8bit:
        return None
    from transformers import BitsAndBytesConfig

    if method == "qlora":
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute_dtype,
        )
    return BitsAndBytesConfig(load_in_8bit=True)


def load_training_model(
    source: str,
    model_type: str,
    method: str,
    hp: Hyperparameters,
    precision: str,
    device: Any,
    resume_model_dir: Path | None,
    attention: str | None = None,
    liger: bool = False,
    checkpointing: Callable[[Any], bool] | None = None,
):
    """The model ready to train: PEFT-wrapped for lora/qlora, all parameters trainable for full.

    Base weights are loaded in the compute dtype for LoRA (frozen, so no master copy is needed)
    and in fp32 for full fine-tuning (fp32 master weights, bf16/fp16 autocast in the loop).
    ``attention`` is the ``attn_implementation`` (:mod:`.speed`), ``liger`` patches Liger's kernels in, and
    ``checkpointing`` decides ``gradient_checkpointing: auto`` from the loaded model (default: off).
    """
    import torch
    from transformers import AutoModelForCausalLM

    compute_dtype = getattr(torch, PRECISION_DTYPES[precision])
    quantization = _quantization_config(method, hp, compute_dtype)
    kwargs: dict[str, Any] = dtype_kwargs(torch.float32 if method == "full" else compute_dtype)
    if attention is not None:
        kwargs["attn_implementation"] = attention
    if quantization is not None:
        kwargs["quantization_config"] = quantization
        kwargs["device_map"] = {"": device.index or 0}
    load_from = str(resume_model_dir) if (method == "full" and resume_model_dir) else source
    try:
        model = AutoModelForCausalLM.from_pretrained(load_from, **kwargs)
    except ValueError as exc:
        raise TrainerError(UNSUPPORTED, f"cannot load {load_from} as a causal language model: {exc}") from exc
    except OSError as exc:
        reason = hub_refusal(exc)
        if reason:
            raise access_denied(load_from, reason) from exc
        raise TrainerError(MODEL_NOT_FOUND, f"cannot load the weights of {load_from}: {exc}") from exc
    if quantization is None:
        model.to(device)
    model.config.use_cache = False
    if liger:
        from .speed import apply_liger

        apply_liger(model)

    gradient_checkpointing = hp.gradient_checkpointing
    if gradient_checkpointing == "auto":
        gradient_checkpointing = bool(checkpointing(model)) if checkpointing is not None else False
    if quantization is not None:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    elif gradient_checkpointing:
        _enable_gradient_checkpointing(model)

    if method == "full":
        model.requires_grad_(True)
        return model

    from peft import LoraConfig, PeftModel, get_peft_model

    if gradient_checkpointing and hasattr(model, "enable_input_require_grads"):
        model.enable_input_require_grads()  # frozen embeddings: let checkpointed blocks see a grad-requiring input
    if resume_model_dir is not None:
        model = PeftModel.from_pretrained(model, str(resume_model_dir), is_trainable=True)
        saved = model.peft_config["default"]
        if saved.r != hp.lora_r or float(saved.lora_alpha) != float(hp.lora_alpha):
            raise TrainerError(
                BAD_SPEC,
                f"resume_from holds an adapter with lora_r={saved.r}, "
                f"lora_alpha={saved.lora_alpha}; the job asks for lora_r={hp.lora_r}, "
                f"lora_alpha={hp.lora_alpha}",
            )
        return model
    targets = target_modules_for(model_type, hp.lora_target_modules)
    log(f"LoRA r={hp.lora_r} alpha={hp.lora_alpha} dropout={hp.lora_dropout} on {targets}")
    config = LoraConfig(
        r=hp.lora_r,
        lora_alpha=hp.lora_alpha,
        lora_dropout=hp.lora_dropout,
        target_modules=targets,
        bias="none",
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, config)
    except ValueError as exc:
        raise TrainerError(BAD_SPEC, f"hyperparameters.lora_target_modules do not fit {model_type}: {exc}") from exc


def parameter_counts(model: Any) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total
