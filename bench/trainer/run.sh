#!/usr/bin/env bash
# Trainer throughput (issue 22, target 6): sage-trainer vs a plain transformers Trainer + PEFT run with the same model,
# data, sequence length, batch and LoRA settings, one after the other on the same GPU (details: trainer_bench.py).
# Prints tokens/s, step time, peak GPU memory, both loss curves and target vs measured (>= 1.3x tokens/s at <= peak
# memory); writes the raw output to bench/results/trainer-<gpu>-<date>.txt.
#
#   bench/trainer/run.sh                                   # random-weight Qwen2.5-0.5B shape, 2000 synthetic chats
#   bench/trainer/run.sh --model /models/Qwen2.5-0.5B-Instruct [--dataset chats.jsonl]
#   bench/trainer/run.sh --smoke                           # CPU, tiny model, a few steps: checks the script only
#   bench/trainer/run.sh --ours packing=off --ours attn_implementation=eager   # ablations
#
# Environment: SAGE_TRAINER_PYTHON = the interpreter with torch, transformers, peft, accelerate (default python3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false
python="${SAGE_TRAINER_PYTHON:-python3}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
exec "${python}" "${here}/trainer_bench.py" "$@"
