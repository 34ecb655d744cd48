#!/usr/bin/env bash
# Hot-switch benchmark: constant chat load (default 20 req/s, one in four streamed) through the gateway-adapter
# while the chat-switch-service switches between two stand-in vLLM servers that take 5 s to start, per strategy
# (blue-green, lora-hot-load, recreate) and against plain stop-then-start. Prints failed requests, the time from
# "new backend ready" to "gateway routes to it" (p50/p99), recreate's downtime and the outage clients saw.
# Starts a standalone KRaft broker and both packaged services on free ports with a throw-away studio home;
# stops everything at the end.
# Usage: bench/switch/run.sh [switches-per-scenario (default 4)] [requests-per-second (default 20)]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
switches="${1:-4}"
rate="${2:-20}"
work="$(mktemp -d /tmp/switch-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../lib.sh
source "$repo/bench/lib.sh"
free_range() {
  local start
  start="$(free_port_block 10)"
  echo "$start-$((start + 9))"
}

chat_jar="$repo/chat-switch-service/target/quarkus-app/quarkus-run.jar"
gateway_jar="$repo/gateway-adapter/target/quarkus-app/quarkus-run.jar"
[[ -f "$chat_jar" ]] || mvn -B -q -o package -DskipTests -f "$repo/chat-switch-service/pom.xml"
[[ -f "$gateway_jar" ]] || mvn -B -q -o package -DskipTests -f "$repo/gateway-adapter/pom.xml"
kafka_port="$(free_port)"; controller_port="$(free_port)"; chat_port="$(free_port)"; gateway_port="$(free_port)"
start_broker "$work/kafka" "$kafka_port" "$controller_port"
pids+=("$BROKER_PID")

# Two "models" whose engines take 5 s to become ready, and LoRA adapters of the first one.
home="$work/home"
for m in model-a model-b; do
  mkdir -p "$home/models/$m"
  echo '{"architectures": ["Qwen2ForCausalLM"]}' >"$home/models/$m/config.json"
  echo '{"startup_delay": 5}' >"$home/models/$m/fake_vllm.json"
done
adapters=()
for i in 1 2; do
  dir="$home/studio_finetune/bench-lora-$i/lora"
  mkdir -p "$dir"
  echo "{\"peft_type\": \"LORA\", \"r\": 8, \"base_model_name_or_path\": \"$home/models/model-a\"}" >"$dir/adapter_config.json"
  adapters+=("$dir")
done

STUDIO_HOME="$home" \
KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
QUARKUS_HTTP_PORT="$chat_port" \
STUDIO_SERVICES_FINETUNE_URL="http://127.0.0.1:9" \
STUDIO_CHAT_LOCAL_COMMAND="python3 $repo/testing/fake-vllm/fake_vllm.py serve {model} --host 127.0.0.1 --port {port} --served-model-name {name}" \
STUDIO_CHAT_LOCAL_PORTS="$(free_range)" \
STUDIO_CHAT_LOCAL_STOP_ON_SHUTDOWN=true \
STUDIO_CHAT_READY_TIMEOUT=2m \
STUDIO_CHAT_DRAIN_GRACE=10s \
STUDIO_CHAT_NODE=switch-bench \
  java -Xmx512m -jar "$chat_jar" >"$work/chat.log" 2>&1 &
pids=($! "${pids[@]}")
STUDIO_HOME="$home" \
KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
QUARKUS_HTTP_PORT="$gateway_port" \
STUDIO_SERVICES_CHAT_URL="http://127.0.0.1:$chat_port" \
  java -Xmx512m -jar "$gateway_jar" >"$work/gateway.log" 2>&1 &
pids=($! "${pids[@]}")
wait_http "http://127.0.0.1:$chat_port/q/health/ready" || { tail -n 40 "$work/chat.log" >&2; exit 1; }
wait_http "http://127.0.0.1:$gateway_port/q/health/live" || { tail -n 40 "$work/gateway.log" >&2; exit 1; }

echo "hot-switch bench: $rate req/s through the gateway, $switches switches per scenario, engines start in 5 s"
echo "($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -n1))"
python3 "$repo/bench/switch/switch_bench.py" --gateway "http://127.0.0.1:$gateway_port" --chat "http://127.0.0.1:$chat_port" \
  --model-a "$home/models/model-a" --model-b "$home/models/model-b" --adapters "$(IFS=,; echo "${adapters[*]}")" \
  --rate "$rate" --switches "$switches" ${SWITCH_BENCH_JSON:+--json "$SWITCH_BENCH_JSON"}
