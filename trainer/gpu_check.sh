#!/usr/bin/env bash
# GPU check of the default trainer on a machine with torch, transformers, peft and accelerate but no
# internet (details: gpu_check.py). From the repository root:
#
#   trainer/gpu_check.sh                  # the full check (incl. a validation run: eval loss falls, best step kept); about 3 minutes on an H100
#   trainer/gpu_check.sh calibrate        # only the calibration runs below
#   trainer/gpu_check.sh distributed      # only the distributed checks (issue 21: torchrun, DDP, FSDP; about 2 minutes)
#
# Environment:
#   SAGE_TRAINER_PYTHON    interpreter with the ML stack (default python3)
#   GPU_CHECK_WORKDIR      keep all task directories here (default: a temporary directory, removed)
#   GPU_CHECK_HIDDEN / GPU_CHECK_LAYERS / GPU_CHECK_MODEL_VOCAB   tiny model size (default 256 / 4 / tokenizer size)
#   GPU_CHECK_CALIBRATE    space-separated runs method:batch_size:max_length[:lora_r][:gc], e.g.
#                          "lora:8:512 lora:4:2048:16:gc full:2:1024"; each prints a CALIBRATION {...} line
#   GPU_CHECK_NPROC        workers per node of the distributed checks (default: visible GPUs, at most 2)
#   GPU_CHECK_ALLOW_CPU=1  run without a GPU (slow; for debugging the script; the distributed checks use gloo)
set -euo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${SAGE_TRAINER_PYTHON:-python3}"
export SAGE_TRAINER_PYTHON="${python}"
mode="${1:-check}"
size=(--hidden "${GPU_CHECK_HIDDEN:-256}" --layers "${GPU_CHECK_LAYERS:-4}")
[[ -n "${GPU_CHECK_MODEL_VOCAB:-}" ]] && size+=(--model-vocab "${GPU_CHECK_MODEL_VOCAB}")
workdir=()
[[ -n "${GPU_CHECK_WORKDIR:-}" ]] && workdir=(--workdir "${GPU_CHECK_WORKDIR}")

started=$(date +%s)
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
status=0
if [[ "${mode}" == "check" || "${mode}" == "distributed" ]]; then
  "${python}" "${here}/gpu_check.py" "${mode}" "${size[@]}" "${workdir[@]}" || status=1
fi
for run in ${GPU_CHECK_CALIBRATE:-}; do
  IFS=: read -r method batch length rank gc <<<"${run}"
  extra=()
  [[ "${gc:-}" == "gc" || "${rank:-}" == "gc" ]] && extra+=(--gradient-checkpointing)
  [[ -n "${rank:-}" && "${rank}" != "gc" ]] && extra+=(--lora-r "${rank}")
  "${python}" "${here}/gpu_check.py" calibrate --method "${method}" --batch-size "${batch}" --max-length "${length}" \
    "${size[@]}" "${workdir[@]}" "${extra[@]}" || status=1
done
echo "gpu_check.sh: $([[ ${status} == 0 ]] && echo PASS || echo FAIL) in $(( $(date +%s) - started ))s"
exit "${status}"
