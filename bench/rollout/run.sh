#!/usr/bin/env bash
# Rollout benchmark: a private studio (own home, own ports, the stand-in trainer and vLLM) fine-tunes two LoRA
# adapters of one base, serves the first as the default and the second by name, then sends constant chat traffic
# (default 20 req/s, "model": "sage-chat", a random `user` per request, one in four streamed) through the gateway while
#   (a) a healthy rollout 10 -> 50 -> 100 promotes the second: failed requests, observed candidate share per step;
#   (b) a rollout of the first whose engine fails 50 % of its generations (fake-vllm's /_fake/faults): time from the
#       breach (first failed candidate request) to the rollback, requests lost to the candidate before it.
# Prints a table and one JSON line; with --write (or ROLLOUT_BENCH_WRITE=1) also writes them into README.md here.
# The studio is started with ./sage studio start (STUDIO_BUILD=never: the jars as built, e.g.
# `./mvnw -B -ntp -q install -DskipTests` first) and stopped at the end; nothing of the user's studio is touched.
# Usage: bench/rollout/run.sh [--rate 20] [--step-seconds 30] [--min-requests 20] [--write] [rollout_bench.py options]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/rollout-bench.XXXXXX)"
home="$work/home"

# shellcheck source=../lib.sh
source "$repo/bench/lib.sh"

# Consecutive free ports: gateway, finetune, chat, gpu, kafka (+ controller), four engines, the LLM port.
block="$(free_port_block 11)"
gateway_port=$block; finetune_port=$((block + 1)); chat_port=$((block + 2)); gpu_port=$((block + 3))
kafka_port=$((block + 4)); llm_port=$((block + 10))

# Only these reach ./sage: no STUDIO_*/SAGE_*/QUARKUS_*/KAFKA_*/FAKE_*/VLLM_* of the caller's shell (it might point
# at the user's own studio).
unset_args=()
while read -r name; do unset_args+=(-u "$name"); done < <(compgen -e | grep -E '^(STUDIO_|SAGE_|QUARKUS_|KAFKA_|FAKE_|VLLM_)' || true)
studio_env=(
  STUDIO_HOME="$home"
  STUDIO_BUILD="${ROLLOUT_BENCH_BUILD:-never}"
  STUDIO_GATEWAY_PORT="$gateway_port" STUDIO_FINETUNE_PORT="$finetune_port" STUDIO_CHAT_PORT="$chat_port"
  STUDIO_GPU_PORT="$gpu_port" STUDIO_KAFKA_PORT="$kafka_port"
  STUDIO_CHAT_LOCAL_PORTS="$((block + 6))-$((block + 9))" SAGE_STUDIO_LLM_PORT="$llm_port"
  STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND="python3 $repo/testing/fake-trainer/fake_trainer.py"
  STUDIO_CHAT_LOCAL_COMMAND="python3 $repo/testing/fake-vllm/fake_vllm.py serve {model} --host 127.0.0.1 --port {port} --served-model-name {name}"
  STUDIO_CHAT_INITIAL_MODEL="Qwen/Qwen2.5-0.5B-Instruct"
  FAKE_TRAINER_STEP_DELAY=0.02
  SAGE_STUDIO_URL="http://127.0.0.1:$gateway_port"
)
sage() { env "${unset_args[@]}" "${studio_env[@]}" "$repo/sage" "$@"; }

cleanup() {
  sage studio stop >/dev/null 2>&1 || true
  if [[ -n "${ROLLOUT_BENCH_KEEP:-}" ]]; then echo "studio home kept: $home" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

mkdir -p "$home"
if ! sage studio start >"$work/start.log" 2>&1; then
  cat "$work/start.log" >&2
  for log in "$home"/studio/logs/*.log; do echo "== $log" >&2; tail -n 20 "$log" >&2; done
  exit 1
fi
wait_http "http://127.0.0.1:$chat_port/q/health/ready"

echo "rollout bench: studio at $home, gateway :$gateway_port ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -n1))"
python3 "$repo/bench/rollout/rollout_bench.py" --gateway "http://127.0.0.1:$gateway_port" \
  --chat "http://127.0.0.1:$chat_port" --finetune "http://127.0.0.1:$finetune_port" --home "$home" \
  --readme "$repo/bench/rollout/README.md" ${ROLLOUT_BENCH_WRITE:+--write} "$@"
