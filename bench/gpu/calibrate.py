#!/usr/bin/env python3
"""Measures the peak GPU memory of short fine-tuning runs, to calibrate the gpu-probe-service's estimator.

Builds models with random weights from their architecture numbers (no download: the same shapes as the
real checkpoints), runs three optimizer steps the way Hugging Face's Trainer does (autocast, AdamW fused,
gradient clipping, zero_grad(set_to_none)), and prints one line per setting:

    CALIBRATION {"name", "method", "precision", "batch_size", "max_length", "lora_r", "gradient_checkpointing",
                 "architecture": {...}, "params", "trainable_params", "weights_bytes", "peak_allocated_bytes",
                 "peak_reserved_bytes", "cuda_context_bytes", "peak_memory_bytes", "seconds"}

peak_memory_bytes = peak reserved by PyTorch's allocator + the CUDA context (what nvidia-smi shows for the
process at its peak), the quantity the estimator's expected_bytes predicts. Needs torch, transformers, peft
and a CUDA GPU; nvidia-ml-py (pynvml) for the context size.

    python3 bench/gpu/calibrate.py [--only NAME_SUBSTRING] > calibration.jsonl
"""

import argparse
import gc
import json
import os
import sys
import time
import traceback

import torch

ARCHS = {
    # The numbers of the real checkpoints' config.json.
    "Qwen/Qwen2.5-0.5B-Instruct": dict(model_type="qwen2", hidden_size=896, num_hidden_layers=24,
                                       num_attention_heads=14, num_key_value_heads=2, intermediate_size=4864,
                                       vocab_size=151936, tie_word_embeddings=True),
    "Qwen/Qwen2.5-1.5B-Instruct": dict(model_type="qwen2", hidden_size=1536, num_hidden_layers=28,
                                       num_attention_heads=12, num_key_value_heads=2, intermediate_size=8960,
                                       vocab_size=151936, tie_word_embeddings=True),
    "Qwen/Qwen2.5-7B-Instruct": dict(model_type="qwen2", hidden_size=3584, num_hidden_layers=28,
                                     num_attention_heads=28, num_key_value_heads=4, intermediate_size=18944,
                                     vocab_size=152064, tie_word_embeddings=False),
    "meta-llama/Llama-3.2-1B-Instruct": dict(model_type="llama", hidden_size=2048, num_hidden_layers=16,
                                             num_attention_heads=32, num_key_value_heads=8, intermediate_size=8192,
                                             vocab_size=128256, tie_word_embeddings=True),
    "Qwen/Qwen2.5-3B-Instruct": dict(model_type="qwen2", hidden_size=2048, num_hidden_layers=36,
                                     num_attention_heads=16, num_key_value_heads=2, intermediate_size=11008,
                                     vocab_size=151936, tie_word_embeddings=True),
    "meta-llama/Llama-3.1-8B-Instruct": dict(model_type="llama", hidden_size=4096, num_hidden_layers=32,
                                             num_attention_heads=32, num_key_value_heads=8, intermediate_size=14336,
                                             vocab_size=128256, tie_word_embeddings=False),
    "tiny-qwen2": dict(model_type="qwen2", hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, intermediate_size=128, vocab_size=1024, tie_word_embeddings=True),
}

# (model, method, precision, batch, length, lora_r, gradient checkpointing)
SETTINGS = [
    ("tiny-qwen2", "lora", "bf16", 2, 128, 8, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "lora", "bf16", 1, 512, 16, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "lora", "bf16", 4, 1024, 16, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "lora", "bf16", 8, 2048, 16, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "lora", "bf16", 4, 1024, 64, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "lora", "bf16", 4, 1024, 16, True),
    ("Qwen/Qwen2.5-0.5B-Instruct", "lora", "bf16", 16, 2048, 16, True),
    ("Qwen/Qwen2.5-0.5B-Instruct", "full", "bf16", 4, 1024, 16, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "full", "bf16", 8, 2048, 16, True),
    ("Qwen/Qwen2.5-0.5B-Instruct", "full", "fp16", 4, 1024, 16, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "full", "fp32", 2, 512, 16, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "lora", "fp32", 2, 512, 16, False),
    ("Qwen/Qwen2.5-1.5B-Instruct", "lora", "bf16", 4, 1024, 16, False),
    ("Qwen/Qwen2.5-1.5B-Instruct", "lora", "bf16", 8, 2048, 16, True),
    ("Qwen/Qwen2.5-1.5B-Instruct", "full", "bf16", 4, 1024, 16, False),
    ("meta-llama/Llama-3.2-1B-Instruct", "lora", "bf16", 4, 1024, 16, False),
    ("meta-llama/Llama-3.2-1B-Instruct", "full", "bf16", 2, 1024, 16, True),
    ("Qwen/Qwen2.5-7B-Instruct", "lora", "bf16", 4, 512, 16, False),
    ("Qwen/Qwen2.5-7B-Instruct", "lora", "bf16", 2, 1024, 16, True),
    ("Qwen/Qwen2.5-7B-Instruct", "lora", "bf16", 1, 512, 16, True),
]

# Settings never used to fit the constants: a check of the fitted estimator on other shapes and lengths.
HOLDOUT = [
    ("Qwen/Qwen2.5-3B-Instruct", "lora", "bf16", 4, 1024, 16, False),
    ("Qwen/Qwen2.5-3B-Instruct", "lora", "bf16", 2, 4096, 16, True),
    ("Qwen/Qwen2.5-3B-Instruct", "full", "bf16", 2, 1024, 16, True),
    ("Qwen/Qwen2.5-1.5B-Instruct", "lora", "bf16", 2, 4096, 32, False),
    ("Qwen/Qwen2.5-1.5B-Instruct", "full", "fp16", 2, 1024, 16, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", "lora", "fp16", 8, 1024, 16, False),
    ("meta-llama/Llama-3.2-1B-Instruct", "lora", "bf16", 8, 2048, 16, True),
    ("meta-llama/Llama-3.1-8B-Instruct", "lora", "bf16", 2, 1024, 16, True),
    ("meta-llama/Llama-3.1-8B-Instruct", "lora", "bf16", 4, 512, 8, False),
    ("Qwen/Qwen2.5-7B-Instruct", "lora", "fp16", 2, 512, 16, True),
]

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def nvml_used_by_me():
    try:
        import pynvml
        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())
        used = None
        for p in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
            if p.pid == os.getpid() and p.usedGpuMemory is not None:
                used = p.usedGpuMemory
        if used is None:  # PID namespaces can hide our pid: fall back to the whole device
            used = pynvml.nvmlDeviceGetMemoryInfo(handle).used
        return used
    except Exception:  # noqa: BLE001 - the context size is optional
        return None


def build(name, precision, method):
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config
    arch = dict(ARCHS[name])
    model_type = arch.pop("model_type")
    config = {"qwen2": Qwen2Config, "llama": LlamaConfig}[model_type](**arch)
    # Full fine-tuning in fp16 keeps fp32 master weights (AMP); LoRA freezes the base in the training dtype.
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float32 if method == "full" else torch.float16,
             "fp32": torch.float32}[precision]
    with torch.device("cuda"):
        try:
            model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="sdpa")
        except TypeError:
            model = AutoModelForCausalLM.from_config(config, torch_dtype=dtype, attn_implementation="sdpa")
    return model, dict(ARCHS[name])


def run(setting, steps=3):
    name, method, precision, batch, length, rank, checkpointing = setting
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    start = time.time()
    model, arch = build(name, precision, method)
    params = sum(p.numel() for p in model.parameters())
    if method == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05,
                                                 target_modules=TARGETS, task_type="CAUSAL_LM"))
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if method == "lora":
            model.enable_input_require_grads()
    model.config.use_cache = False
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    weights_bytes = torch.cuda.memory_allocated()
    optimizer = torch.optim.AdamW(trainable, lr=1e-5, fused=True)
    autocast = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None
    vocab = arch["vocab_size"]
    for _ in range(steps):
        ids = torch.randint(0, vocab, (batch, length), device="cuda")
        with torch.autocast("cuda", dtype=autocast or torch.float32, enabled=autocast is not None):
            loss = model(input_ids=ids, labels=ids).loss
        if scaler:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        del loss, ids
    torch.cuda.synchronize()
    peak_allocated = torch.cuda.max_memory_allocated()
    peak_reserved = torch.cuda.max_memory_reserved()
    used = nvml_used_by_me()
    context = used - torch.cuda.memory_reserved() if used is not None else None
    result = dict(name=name, method=method, precision=precision, batch_size=batch, max_length=length, lora_r=rank,
                  gradient_checkpointing=checkpointing, architecture=arch, params=params,
                  trainable_params=sum(p.numel() for p in trainable), weights_bytes=weights_bytes,
                  peak_allocated_bytes=peak_allocated, peak_reserved_bytes=peak_reserved,
                  cuda_context_bytes=context,
                  peak_memory_bytes=peak_reserved + (context or 0),
                  gpu=torch.cuda.get_device_name(), torch=torch.__version__, seconds=round(time.time() - start, 1))
    del model, optimizer, trainable
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the settings whose model name contains this")
    parser.add_argument("--holdout", action="store_true", help="run the held-out settings instead")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("CALIBRATION_ERROR {\"error\": \"no CUDA GPU\"}", flush=True)
        return 2
    import transformers
    import peft
    print(f"# torch {torch.__version__} transformers {transformers.__version__} peft {peft.__version__} "
          f"on {torch.cuda.get_device_name()}", flush=True)
    for setting in HOLDOUT if args.holdout else SETTINGS:
        if args.only not in setting[0]:
            continue
        try:
            print("CALIBRATION " + json.dumps(run(setting)), flush=True)
        except Exception as e:  # noqa: BLE001 - report and go on with the next setting
            traceback.print_exc(file=sys.stderr)
            print("CALIBRATION_ERROR " + json.dumps(dict(setting=list(setting), error=repr(e))), flush=True)
        gc.collect()
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
