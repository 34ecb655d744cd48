#!/usr/bin/env bash
# Dataset ingest through the gateway (issue 22, target 1), beside the physical reference, and (BENCH_SSE=1) the
# progress line -> SSE latency and the 1,000-task list of the finetune-service. See README.md next to this script.
#
#   bench/finetune/run.sh                       # 1,000 MB dataset (BENCH_DATASET_MB overrides), cached
#
# Starts its own standalone KRaft broker, finetune-service and gateway (packaged jars, java -jar) on free ports
# with a throw-away studio home - never the user's studio or its default ports - and stops them at the end. The
# services run with the launcher's JVM options (STUDIO_JAVA_OPTS, same default as `sage studio start`).
# Targets: >= 100 MB/s end to end, finetune-service RSS growth <= 64 MiB during the upload.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$repo/bench/finetune"
dataset_mb="${BENCH_DATASET_MB:-1000}"
cache="${BENCH_CACHE:-${TMPDIR:-/tmp}/sage-bench-cache}"
# The JDK of the services (the launcher's STUDIO_JAVA_HOME; default: the java on PATH).
java_bin="${STUDIO_JAVA_HOME:+$STUDIO_JAVA_HOME/bin/}java"
multipart="${BENCH_MULTIPART:-1}"
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
java_opts="$BENCH_SERVICE_JAVA_OPTS"

finetune_jar="$repo/finetune-service/target/quarkus-app/quarkus-run.jar"
gateway_jar="$repo/gateway-adapter/target/quarkus-app/quarkus-run.jar"
if [[ ! -f "$finetune_jar" ]]; then
  echo "building finetune-service (mvn package)..." >&2
  mvn -B -q -o package -DskipTests -f "$repo/finetune-service/pom.xml"
fi
if [[ ! -f "$gateway_jar" ]]; then
  echo "building gateway-adapter (mvn package, UI build skipped)..." >&2
  mvn -B -q -o package -DskipTests -Dquarkus.quinoa=false -f "$repo/gateway-adapter/pom.xml"
fi

# -- the dataset: canonical chat JSONL, generated once and cached ------------------------------------------------
mkdir -p "$cache"
data="$cache/chat-${dataset_mb}MB.jsonl"
if [[ ! -f "$data" ]]; then
  echo "generating $data (${dataset_mb} MB, cached for later runs)..." >&2
  python3 - "$data.part" "$((dataset_mb * 1000000))" <<'PY'
import sys
target, size = sys.argv[1], int(sys.argv[2])
written = 0
with open(target, "w", encoding="utf-8", buffering=1 << 20) as out:
    i = 0
    while written < size:
        line = ('{"messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"Question '
                f'number {i}: how do I fine-tune a model on my own data and switch my chat endpoint to it? '
                f'{"Details follow. " * (i % 7)}"}},{{"role":"assistant","content":"Upload a JSONL dataset, create a '
                'task, watch the loss fall, then switch the chat backend to the result with one click.\\n\\nAnswer '
                f'{i}, with a tab\\tand a quote \\" and unicode: f\\u00e9 \u6f22."}}]}}\n')
        out.write(line)
        written += len(line.encode())
        i += 1
PY
  mv "$data.part" "$data"
fi
size=$(stat -c %s "$data")
mb() { python3 -c "print(f'{$1 / 1e6:.0f}')"; }
rate() { python3 -c "print(f'{$1 / 1e6 / max($2, 1e-9):.1f}')"; } # bytes seconds -> MB/s
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(now) - $1:.3f}')"; }

# -- the studio: broker, finetune-service, gateway on free ports, own home ---------------------------------------
kafka_port="$(free_port)"; controller_port="$(free_port)"; finetune_port="$(free_port)"; gateway_port="$(free_port)"
start_broker "$work/kafka" "$kafka_port" "$controller_port"
pids+=("$BROKER_PID")
home="$work/home"
mkdir -p "$home"
limit=$(((dataset_mb + 100) * 1000000))
# shellcheck disable=SC2086 # the JVM options are words
STUDIO_HOME="$home" \
KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
QUARKUS_HTTP_PORT="$finetune_port" \
STUDIO_SERVICES_GPU_URL="http://127.0.0.1:9" \
STUDIO_FINETUNE_DATASET_MAX_BYTES="$limit" \
QUARKUS_HTTP_LIMITS_MAX_BODY_SIZE="$((limit + 2000000))" \
STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND="python3 $repo/testing/fake-trainer/fake_trainer.py" \
FAKE_TRAINER_STEP_DELAY=3600 \
FAKE_TRAINER_STEPS=1 \
  "$java_bin" $java_opts -jar "$finetune_jar" >"$work/finetune.log" 2>&1 &
finetune_pid=$!
pids=("$finetune_pid" "${pids[@]}")
# shellcheck disable=SC2086
STUDIO_HOME="$home" \
KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
QUARKUS_HTTP_PORT="$gateway_port" \
STUDIO_SERVICES_FINETUNE_URL="http://127.0.0.1:$finetune_port" \
STUDIO_SERVICES_CHAT_URL="http://127.0.0.1:9" \
STUDIO_SERVICES_GPU_URL="http://127.0.0.1:9" \
STUDIO_GATEWAY_MAX_UPLOAD_SIZE="$((limit + 2000000))" \
QUARKUS_HTTP_LIMITS_MAX_BODY_SIZE="$((limit + 2000000))" \
  "$java_bin" $java_opts -jar "$gateway_jar" >"$work/gateway.log" 2>&1 &
gateway_pid=$!
pids=("$gateway_pid" "${pids[@]}")
wait_http "http://127.0.0.1:$finetune_port/q/health/live"
wait_http "http://127.0.0.1:$gateway_port/q/health/live"

echo "dataset ingest bench: $(mb "$size") MB canonical chat JSONL ($data)"
echo "$(nproc) CPUs, $("$java_bin" -version 2>&1 | head -n1), JVM options: $java_opts, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# -- the physical reference: reading the file, and curl to an upload sink ------------------------------------------
t=$(now); cat "$data" >/dev/null; cat_s=$(elapsed "$t")
sink_port="$(free_port)"
if command -v nginx >/dev/null; then
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  server { listen 127.0.0.1:$sink_port; client_max_body_size 0; location / { return 200 "ok\n"; } }
}
NGINX
  nginx -c "$work/nginx/nginx.conf" & pids+=($!)
  sink="nginx"
else
  echo "nginx missing: the upload sink is bench/finetune/upload_sink.py (python3, reads and drops the body)"
  python3 "$here/upload_sink.py" "$sink_port" & pids+=($!)
  sink="upload_sink.py"
fi
wait_http "http://127.0.0.1:$sink_port/" 501 2>/dev/null || wait_http "http://127.0.0.1:$sink_port/" 200 || true
t=$(now)
curl -sS -o /dev/null -X POST -T "$data" -H 'Content-Type: application/x-ndjson' "http://127.0.0.1:$sink_port/upload"
sink_s=$(elapsed "$t")

# -- uploads through the gateway, sampling the finetune-service's RSS ---------------------------------------------
rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system, in clock ticks
tick=$(getconf CLK_TCK)
# upload NAME CURL-ARGS...: runs the upload with a 20 Hz RSS sampler; sets UP_S, UP_CODE, UP_BODY, GROWTH_MIB and
# FT_CPU_S / GW_CPU_S (CPU seconds each service spent on it: unlike MB/s, hardly moved by other load)
upload() {
  local name=$1; shift
  local before peak t ft0 gw0
  before=$(rss_kb "$finetune_pid" VmRSS)
  ft0=$(cpu_ticks "$finetune_pid"); gw0=$(cpu_ticks "$gateway_pid")
  ( peak=0; while :; do r=$(rss_kb "$finetune_pid" VmRSS); ((r > peak)) && { peak=$r; echo "$peak" >"$work/peak"; }; sleep 0.05; done ) &
  local sampler=$!
  t=$(now)
  UP_CODE=$(curl -sS -o "$work/answer-$name.json" -w '%{http_code}' "$@")
  UP_S=$(elapsed "$t")
  FT_CPU_S=$(python3 -c "print(($(cpu_ticks "$finetune_pid") - $ft0) / $tick)")
  GW_CPU_S=$(python3 -c "print(($(cpu_ticks "$gateway_pid") - $gw0) / $tick)")
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  peak=$(cat "$work/peak")
  UP_BODY=$(cat "$work/answer-$name.json")
  GROWTH_MIB=$(((peak - before) / 1024))
  RSS_BEFORE_MIB=$((before / 1024))
}
valid() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("valid_records", d))' <<<"$1"; }

upload raw -X POST -T "$data" -H 'Content-Type: application/x-ndjson' \
  "http://127.0.0.1:$gateway_port/api/finetune/upload-dataset?filename=bench.jsonl"
[[ "$UP_CODE" == 200 ]] || { echo "raw upload answered $UP_CODE: $UP_BODY" >&2; exit 1; }
raw_s=$UP_S raw_growth=$GROWTH_MIB raw_before=$RSS_BEFORE_MIB raw_valid=$(valid "$UP_BODY")
raw_ft_cpu=$FT_CPU_S raw_gw_cpu=$GW_CPU_S
server_line=$(grep -o 'bytes validated in .*' "$work/finetune.log" | tail -n1)
rm -rf "$home/studio/datasets"/ds-*  # the next upload must not pay for the first one's files

if [[ "$multipart" == 1 ]]; then
  upload multipart -F "file=@$data;filename=bench.jsonl" "http://127.0.0.1:$gateway_port/api/finetune/upload-dataset"
  [[ "$UP_CODE" == 200 ]] || { echo "multipart upload answered $UP_CODE: $UP_BODY" >&2; exit 1; }
  mp_s=$UP_S mp_growth=$GROWTH_MIB
fi

raw_rate=$(rate "$size" "$raw_s")
met() { python3 -c "print('met' if $1 else 'NOT met')"; }
echo
printf '%-64s %s\n' "cat file > /dev/null (page cache)" "$(rate "$size" "$cat_s") MB/s"
printf '%-64s %s\n' "curl -T file to $sink" "$(rate "$size" "$sink_s") MB/s"
printf '%-64s %s\n' "upload via gateway, raw body (CLI), $raw_valid records" \
  "$raw_rate MB/s   target >= 100 MB/s: $(met "$raw_rate >= 100")"
printf '%-64s %s\n' "  finetune-service RSS growth during it (from $raw_before MiB)" \
  "$raw_growth MiB   target <= 64 MiB: $(met "$raw_growth <= 64")"
printf '%-64s %s\n' "  server side" "$server_line"
printf '%-64s %s\n' "  CPU per MB: finetune-service / gateway" "$(python3 -c "m = $size / 1e6
print(f'{1000 * $raw_ft_cpu / m:.1f} / {1000 * $raw_gw_cpu / m:.1f} ms/MB: all $(nproc) cores theirs: at most '
      f'{$(nproc) * m / ($raw_ft_cpu + $raw_gw_cpu):.0f} MB/s, one core for the validator '
      f'{m / $raw_ft_cpu:.0f} MB/s')")"
if [[ "$multipart" == 1 ]]; then
  printf '%-64s %s\n' "upload via gateway, multipart form (UI)" "$(rate "$size" "$mp_s") MB/s, RSS growth $mp_growth MiB"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (on a shared machine the rates mostly measure CPU contention)"

if [[ "${BENCH_SSE:-0}" == 1 ]]; then  # progress line -> SSE latency, GET /api/finetune/tasks with 1,000 tasks
  java "$here/FinetuneBench.java" "http://127.0.0.1:$finetune_port" "$home"
fi
