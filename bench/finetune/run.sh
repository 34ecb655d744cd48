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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() {
  for _ in $(seq 1 240); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.5; done
  echo "timed out waiting for $1" >&2; return 1
}

jar="$repo/finetune-service/target/quarkus-app/quarkus-run.jar"
if [[ ! -f "$jar" ]]; then
  echo "building finetune-service (mvn package)..." >&2
  mvn -B -q -o package -DskipTests -f "$repo/finetune-service/pom.xml"
fi
kit_jar="$(ls "$repo"/studio-kafka-kit/target/studio-kafka-kit-*.jar 2>/dev/null | head -n1 || true)"
if [[ -z "$kit_jar" ]]; then
  mvn -B -q -o install -DskipTests -f "$repo/studio-kafka-kit/pom.xml"
  kit_jar="$(ls "$repo"/studio-kafka-kit/target/studio-kafka-kit-*.jar | head -n1)"
fi
mvn -B -q -o dependency:build-classpath -f "$repo/studio-kafka-kit/pom.xml" -Dmdep.includeScope=runtime \
  -Dmdep.outputFile="$work/kit.classpath" >/dev/null

kafka_port="$(free_port)"; controller_port="$(free_port)"; http_port="$(free_port)"
java -Xmx512m -XX:+UseSerialGC -cp "$kit_jar:$(cat "$work/kit.classpath")" io.sage.studio.kafka.StandaloneBroker \
  "$work/kafka" "$kafka_port" "$controller_port" >"$work/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do grep -q "broker ready" "$work/broker.log" && break; sleep 0.5; done
grep -q "broker ready" "$work/broker.log" || { cat "$work/broker.log" >&2; exit 1; }

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
