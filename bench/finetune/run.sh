#!/usr/bin/env bash
# Benchmarks of the finetune-service, printed as numbers:
#   progress line written -> visible on the SSE stream (p50/p99), GET /api/finetune/tasks with 1,000 tasks (p50/p99),
#   upload validation throughput (MB/s) of a generated JSONL file.
# Starts a standalone KRaft broker and the packaged service (java -jar .../quarkus-run.jar) on free ports with a
# throw-away studio home and the stand-in trainer (inheriting FAKE_TRAINER_*: one step that lasts an hour, so the
# bench's own progress lines are the only ones); stops both at the end.
# Usage: bench/finetune/run.sh [upload-megabytes (default 200)]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
upload_mb="${1:-200}"
work="$(mktemp -d /tmp/finetune-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../lib.sh
source "$repo/bench/lib.sh"

jar="$repo/finetune-service/target/quarkus-app/quarkus-run.jar"
if [[ ! -f "$jar" ]]; then
  echo "building finetune-service (mvn package)..." >&2
  mvn -B -q -o package -DskipTests -f "$repo/finetune-service/pom.xml"
fi
kafka_port="$(free_port)"; controller_port="$(free_port)"; http_port="$(free_port)"
start_broker "$work/kafka" "$kafka_port" "$controller_port"
pids+=("$BROKER_PID")

home="$work/home"
mkdir -p "$home"
STUDIO_HOME="$home" \
KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
QUARKUS_HTTP_PORT="$http_port" \
STUDIO_SERVICES_GPU_URL="http://127.0.0.1:9" \
STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND="python3 $repo/testing/fake-trainer/fake_trainer.py" \
FAKE_TRAINER_STEP_DELAY=3600 \
FAKE_TRAINER_STEPS=1 \
  java -Xmx1g -jar "$jar" >"$work/service.log" 2>&1 &
service_pid=$!
pids=("$service_pid" "${pids[@]}")
wait_http "http://127.0.0.1:$http_port/q/health/live"

echo "finetune-service bench ($(nproc) CPUs, $(java -version 2>&1 | head -n1), load average $(cut -d' ' -f1-3 /proc/loadavg))"
java "$repo/bench/finetune/FinetuneBench.java" "http://127.0.0.1:$http_port" "$home" "$service_pid" "$upload_mb"
echo "server side: $(grep -o 'bytes validated in .*' "$work/service.log" | tail -n1)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (p99 on a shared machine mostly measures CPU contention)"
