"""Throughput (issue 22): what the field uses to train faster, each a job setting with an ``auto`` default.

- ``attn_implementation``: flash-attention 2 where ``flash_attn`` is installed (CUDA, 16-bit), else PyTorch's SDPA.
- ``packing``: whole samples put into rows of ``max_length`` tokens, position ids restarting at every sample, and no
  sample attending to another: flash-attention 2 reads the boundaries from the position ids (varlen kernels; the
  micro-batch is flattened into one row, the only layout transformers treats as packed), SDPA and eager get a
  block-diagonal causal mask built from them (:func:`block_causal_mask`). ``auto`` packs when it pays: the samples
  average at most half of ``max_length`` or padding would take over 20 % of the micro-batches, and, without
  flash-attention, only up to 4096 tokens a row (a dense mask makes every row's attention quadratic in the row, not
  in its samples). Per token nothing changes: the same labels, the same loss (``tests/test_speed``); a step holds
  more samples, so an epoch takes fewer steps.
- ``liger_kernels``: Liger's Triton kernels (RMSNorm, RoPE, SwiGLU) patched into the model family when
  ``liger_kernel`` is importable on CUDA (``on`` without it is ``missing_dependency``).
- ``fused_optimizer``: ``torch.optim.AdamW(fused=True)`` on CUDA: one kernel for all parameters instead of a loop.
- ``gradient_checkpointing``: ``auto`` recomputes activations only when the memory estimate (the gpu-probe
  estimator's activation terms, gpu-probe-service/DESIGN.md) says the step would not fit in the GPU's free memory
  without it; always non-reentrant (``use_reentrant=False``).
- The loss: logits only for the positions whose next token is an answer token (:class:`AnswerLoss`). The loss was
  only ever on the answer tokens; now the output head (a 151,936-row matrix for Qwen2.5) and the fp32 upcast of the
  logits run on those positions alone instead of on every prompt and padding position as well.

The decisions are plain functions (tested without torch); the torch helpers import torch when called.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any, Sequence

from .errors import MISSING_DEPENDENCY, UNSUPPORTED, TrainerError
from .formatting import IGNORE_INDEX

FLASH = "flash_attention_2"
SDPA = "sdpa"
EAGER = "eager"
# Without varlen kernels a packed row attends densely over its whole length: packed rows stay this short.
DENSE_PACKING_LIMIT = 4096
PACK_WHEN_MEAN_AT_MOST = 0.5  # of max_length
PACK_WHEN_PADDING_OVER = 0.2  # share of the unpacked micro-batches' tokens
# Model families Liger patches (liger_kernel.transformers.monkey_patch.MODEL_TYPE_TO_APPLY_LIGER_FN, 0.5+).
LIGER_FAMILIES = ("llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3")


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@dataclass(frozen=True)
class Speed:
    """The settings a run uses, resolved from the job's; ``notes`` say why, for the log."""

    attention: str
    liger: bool
    fused_optimizer: bool
    notes: tuple[str, ...] = ()

    @property
    def flatten(self) -> bool:
        """Micro-batches as one row without padding (what flash-attention's varlen path reads)."""
        return self.attention == FLASH


def resolve_attention(requested: str, cuda: bool, precision: str, flash_installed: bool) -> str:
    """``auto``: flash-attention 2 where it runs (``flash_attn`` installed, a CUDA GPU, bf16/fp16), else SDPA."""
    if requested == "auto":
        return FLASH if (flash_installed and cuda and precision in ("bf16", "fp16")) else SDPA
    if requested == FLASH:
        if not flash_installed:
            raise TrainerError(
                MISSING_DEPENDENCY, "attn_implementation flash_attention_2 needs flash_attn (pip install flash-attn)"
            )
        if not cuda or precision not in ("bf16", "fp16"):
            raise TrainerError(
                UNSUPPORTED, "attn_implementation flash_attention_2 needs a CUDA GPU and bf16 or fp16 precision"
            )
    return requested


def resolve_switch(name: str, requested: str, usable: bool, why_not: str) -> bool:
    """``auto`` → whether it is usable; ``on`` where it is not is refused (naming why), never silently dropped."""
    if requested == "off":
        return False
    if requested == "on" and not usable:
        code = MISSING_DEPENDENCY if "install" in why_not else UNSUPPORTED
        raise TrainerError(code, f"hyperparameters.{name} is on but {why_not}")
    return usable


def resolve_speed(hp: Any, cuda: bool, precision: str, model_type: str) -> Speed:
    attention = resolve_attention(hp.attn_implementation, cuda, precision, installed("flash_attn"))
    liger_installed = installed("liger_kernel")
    if not liger_installed:
        liger_why = "liger_kernel is not installed (pip install liger-kernel)"
    elif not cuda:
        liger_why = "Liger's Triton kernels need a CUDA GPU"
    else:
        liger_why = f"Liger has no kernels for the model family {model_type}"
    liger = resolve_switch(
        "liger_kernels", hp.liger_kernels, liger_installed and cuda and model_type in LIGER_FAMILIES, liger_why
    )
    fused = resolve_switch("fused_optimizer", hp.fused_optimizer, cuda, "the fused AdamW runs on CUDA GPUs only")
    notes = (
        f"attention {attention}",
        f"Liger kernels {'on' if liger else 'off'}",
        f"AdamW {'fused' if fused else 'per-parameter loop'}",
    )
    return Speed(attention, liger, fused, notes)


def decide_packing(
    requested: str, attention: str, max_length: int, lengths: Sequence[int], batch_size: int, seed: int
) -> tuple[bool, str]:
    """Whether to pack, and why (for the log). ``lengths``: the encoded examples' token counts."""
    from .data import padding_ratio

    if requested != "auto":
        return requested == "on", f"packing {requested} (job)"
    if attention != FLASH and max_length > DENSE_PACKING_LIMIT:
        return False, (
            f"packing off: {attention} attention over packed rows of {max_length} tokens would be dense "
            f"(auto packs up to {DENSE_PACKING_LIMIT} tokens a row without flash-attention)"
        )
    mean = sum(lengths) / max(1, len(lengths))
    padding = padding_ratio(lengths, batch_size, seed)
    if mean <= PACK_WHEN_MEAN_AT_MOST * max_length or padding > PACK_WHEN_PADDING_OVER:
        return True, f"packing on: samples average {mean:.0f} of {max_length} tokens, {padding:.0%} would be padding"
    return False, f"packing off: samples average {mean:.0f} of {max_length} tokens, only {padding:.0%} padding"


# --- gradient checkpointing: the memory estimate ------------------------------------------------------------------


def activation_bytes_per_token(config: Any, method: str, precision: str, checkpointing: bool) -> float:
    """Bytes autograd keeps per token of a micro-batch (gpu-probe-service/DESIGN.md, "Activations"): per layer
    26h + 8kv + 8I + 4·heads (full) or 13h + 8kv + 6I + 3·(6h + I) + 4·heads (LoRA), 16-bit, doubled in fp32; with
    checkpointing only each layer's input (2h) plus one layer being recomputed; plus the loss's 12.4 × V."""
    h = config.hidden_size
    layers = config.num_hidden_layers
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or h // heads
    kv = (getattr(config, "num_key_value_heads", None) or heads) * head_dim
    inter = getattr(config, "intermediate_size", None) or 4 * h
    if method == "full":
        layer = 26 * h + 8 * kv + 8 * inter + 4 * heads
    else:
        layer = 13 * h + 8 * kv + 6 * inter + 3 * (6 * h + inter) + 4 * heads
    if precision == "fp32":
        layer *= 2
    kept = (2 * h * layers + layer) if checkpointing else layer * layers
    return kept + 12.4 * config.vocab_size


def needs_checkpointing(
    config: Any, method: str, precision: str, tokens: int, trainable: int, full_weights: bool, free_bytes: int
) -> tuple[bool, str]:
    """Whether a step of ``tokens`` tokens would outgrow ``free_bytes`` (free GPU memory with the model loaded)
    without gradient checkpointing: gradients and AdamW's moments (fp32: 12 bytes a trainable parameter; full
    fine-tuning frees activations while it fills gradients, the estimator's rule) plus activations, with the
    caching allocator's 12 % and 10 % of the free memory kept aside."""
    activations = tokens * activation_bytes_per_token(config, method, precision, False) * 1.12
    state = trainable * 12
    need = max(activations, trainable * 4) + trainable * 8 if full_weights else activations + state
    budget = free_bytes * 0.9
    gib = 1024**3
    verdict = need > budget
    return verdict, (
        f"gradient checkpointing {'on' if verdict else 'off'} (auto): a step of {tokens} tokens needs about "
        f"{need / gib:.1f} GiB without it, {free_bytes / gib:.1f} GiB are free"
    )


# --- torch helpers -------------------------------------------------------------------------------------------------


def block_causal_mask(position_ids: Any, attention: str) -> Any:
    """The mask that keeps packed samples apart for SDPA (boolean, True = may attend) or eager (additive fp32):
    token i sees token j when j <= i and no position id restarts (a new sample) between them. (B, 1, L, L)."""
    import torch

    starts = torch.ones_like(position_ids, dtype=torch.bool)
    starts[:, 1:] = position_ids[:, 1:] != position_ids[:, :-1] + 1
    segment = starts.cumsum(-1)
    length = position_ids.shape[-1]
    causal = torch.ones(length, length, dtype=torch.bool, device=position_ids.device).tril()
    allowed = (segment[:, :, None] == segment[:, None, :]) & causal
    allowed = allowed[:, None, :, :]
    if attention == EAGER:
        return torch.zeros(allowed.shape, dtype=torch.float32, device=allowed.device).masked_fill(
            ~allowed, torch.finfo(torch.float32).min
        )
    return allowed


def _output_head(model: Any) -> Any:
    """The output embedding (``lm_head``) of the transformers model inside ``model`` (PEFT, DDP, FSDP wrappers), or
    None for models that are not transformers models (the tests' tiny model)."""
    for module in model.modules():
        getter = getattr(module, "get_output_embeddings", None)
        if callable(getter) and hasattr(module, "config"):
            try:
                head = getter()
            except (AttributeError, NotImplementedError):
                continue
            if head is not None:
                return head
    return None


class AnswerLoss:
    """Mean cross-entropy over the answer tokens, with logits computed for those positions only.

    A forward pre-hook on the output head hands it the hidden states of the positions whose next token is a target
    (``labels[:, 1:] != -100``), so the head and the fp32 upcast of the logits cover only them; the loss is
    transformers' causal-LM loss (shift by one, ignore -100, mean over the targets), same value, less work. Models
    without an output head (the tests' tiny model) compute their own ``loss`` from ``labels`` as before."""

    def __init__(self, model: Any):
        self.head = _output_head(model)
        self._keep = None
        if self.head is not None:
            self.head.register_forward_pre_hook(self._select)

    def _select(self, _module: Any, args: tuple) -> tuple | None:
        keep = self._keep
        if keep is None or not args or tuple(args[0].shape[:2]) != tuple(keep.shape):
            return None
        return (args[0][keep],) + tuple(args[1:])

    def __call__(self, model: Any, tensors: dict) -> Any:
        import torch

        if self.head is None:
            return model(**tensors, use_cache=False).loss.float()
        labels = tensors["labels"]
        targets = labels[:, 1:]
        keep = torch.zeros_like(labels, dtype=torch.bool)
        keep[:, :-1] = targets != IGNORE_INDEX
        inputs = {name: value for name, value in tensors.items() if name != "labels"}
        self._keep = keep
        try:
            logits = model(**inputs, use_cache=False).logits
        finally:
            self._keep = None
        if logits.shape[0] == 0:
            return logits.float().sum()  # no target in this micro-batch: zero, with a graph for the backward pass
        return torch.nn.functional.cross_entropy(logits.float(), targets[targets != IGNORE_INDEX])


def apply_liger(model: Any) -> bool:
    """Liger's RMSNorm, RoPE and SwiGLU kernels into ``model`` (before PEFT wraps it); whether they went in. The
    loss stays :class:`AnswerLoss` (Liger's fused linear cross-entropy would compute every position again)."""
    from liger_kernel.transformers import _apply_liger_kernel_to_instance

    _apply_liger_kernel_to_instance(
        model=model, rope=True, rms_norm=True, swiglu=True, cross_entropy=False, fused_linear_cross_entropy=False
    )
    return True
