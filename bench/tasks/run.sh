#!/usr/bin/env bash
# The task list at 1,000 and 10,000 tasks (issue 22, target 4): p99 of the UI's first page, a filtered page and a
# deep page of GET /api/finetune/tasks. See README.md next to this script.
#
#   bench/tasks/run.sh                 # 1,000 then 10,000 tasks (BENCH_TASK_SIZES="1000 10000")
#
# Starts its own standalone KRaft broker and finetune-service (packaged jar, built when missing) on free ports with
# a throw-away studio home - never the user's studio or its default ports. For each size the finished task folders
# are written into the home first (as a studio that ran them leaves them) and the service is started on it, so it
# lists them at once. The service runs with the launcher's JVM options (STUDIO_JAVA_OPTS).
# Targets: p99 <= 10 ms at 1,000 tasks, <= 30 ms at 10,000.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$repo/bench/tasks"
sizes="${BENCH_TASK_SIZES:-1000 10000}"
java_bin="${STUDIO_JAVA_HOME:+$STUDIO_JAVA_HOME/bin/}java"
work="$(mktemp -d /tmp/tasks-bench.XXXXXX)"
pids=()
finetune_pid=""
cleanup() {
  [[ -n "$finetune_pid" ]] && kill "$finetune_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -n "$finetune_pid" ]] && wait "$finetune_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../lib.sh
source "$repo/bench/lib.sh"
java_opts="$BENCH_SERVICE_JAVA_OPTS"

finetune_jar="${BENCH_FINETUNE_JAR:-$repo/finetune-service/target/quarkus-app/quarkus-run.jar}"
if [[ ! -f "$finetune_jar" ]]; then
  echo "building finetune-service (mvn package)..." >&2
  mvn -B -q -o package -DskipTests -f "$repo/finetune-service/pom.xml"
fi

kafka_port="$(free_port)"; controller_port="$(free_port)"; finetune_port="$(free_port)"
start_broker "$work/kafka" "$kafka_port" "$controller_port"
pids+=("$BROKER_PID")
home="$work/home"
mkdir -p "$home"

start_finetune() {
  # shellcheck disable=SC2086 # the JVM options are words
  STUDIO_HOME="$home" \
  KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
  QUARKUS_HTTP_PORT="$finetune_port" \
  STUDIO_SERVICES_GPU_URL="http://127.0.0.1:9" \
    "$java_bin" $java_opts -jar "$finetune_jar" >>"$work/finetune.log" 2>&1 &
  finetune_pid=$!
  wait_http "http://127.0.0.1:$finetune_port/q/health/live"
}
stop_finetune() {
  kill "$finetune_pid"
  wait "$finetune_pid" 2>/dev/null || true
  finetune_pid=""
}

echo "task list bench: $(nproc) CPUs, $("$java_bin" -version 2>&1 | head -n1), JVM options: $java_opts"
for size in $sizes; do
  java "$here/TaskListBench.java" write "$home" "$size"
  start_finetune
  echo "load average before $size: $(cut -d' ' -f1-3 /proc/loadavg)"
  java "$here/TaskListBench.java" measure "http://127.0.0.1:$finetune_port" "$size"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (on a shared machine the times mostly measure CPU contention)"
  stop_finetune
done
