#!/usr/bin/env bash
# Start-up and footprint of the whole local studio (issue 22, target 2): `./sage studio start` to all-ready, warm
# (the second and later starts of a build: the JVM class cache of bench's studio exists), each component's own start
# time from its log, and each service's resident memory after it has idled. A studio of its own (home and ports
# under a temp folder; the user's studio is never touched), the packaged services as they are (STUDIO_BUILD=never).
#
# Usage: bench/startup/run.sh [warm rounds (default 5)]
#   STUDIO_JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 bench/startup/run.sh   the same on another JDK
#   STUDIO_STARTUP_CACHE=off bench/startup/run.sh                              without the class cache
#   BENCH_IDLE_SECONDS=20                                                      idle time before reading memory
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
repo="$BENCH_REPO"
rounds="${1:-5}"
idle="${BENCH_IDLE_SECONDS:-20}"
target_start_s=8
target_rss_mib=150

for module in gateway-adapter finetune-service chat-switch-service gpu-probe-service; do
  [ -f "$repo/$module/target/quarkus-app/quarkus-run.jar" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
done

work="$(mktemp -d /tmp/sage-bench-startup.XXXXXX)"
export STUDIO_HOME="$work/home" STUDIO_BUILD=never
export STUDIO_GATEWAY_PORT="$(free_port)" STUDIO_FINETUNE_PORT="$(free_port)" STUDIO_CHAT_PORT="$(free_port)" \
  STUDIO_GPU_PORT="$(free_port)" SAGE_STUDIO_LLM_PORT="$(free_port)"
kafka_port="$(free_port)"
export STUDIO_KAFKA_PORT="$kafka_port"
p="$(free_port)"
export STUDIO_CHAT_LOCAL_PORTS="$p-$((p + 3))"
sage() { "$repo/sage" "$@"; }
cleanup() { sage studio stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
# The last "started in" of each service's log and the broker's ready time.
component_times() {
  for svc in gpu-probe-service finetune-service chat-switch-service gateway-adapter; do
    t=$(grep -o 'started in [0-9.]*s' "$STUDIO_HOME/studio/logs/$svc.log" | tail -1 | grep -o '[0-9.]*' || echo '?')
    printf '%s %ss  ' "$svc" "$t"
  done
  echo
}
rss() {
  for svc in gpu-probe-service finetune-service chat-switch-service gateway-adapter; do
    pid=$(sed -n 's/^pid=//p' "$STUDIO_HOME/studio/run/$svc.pid")
    kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    # Of which: anonymous (heap, metaspace, code, malloc) and file-backed (the mapped class cache, jars, libjvm).
    split=$(awk '/^RssAnon/ {a = $2} /^RssFile/ {f = $2} END {printf "%d+%d", a / 1024, f / 1024}' "/proc/$pid/status")
    # CPU seconds the process has used (user + system): what a start costs on a machine whose cores it shares.
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$pid/stat")
    printf '%s %s %s %s\n' "$svc" "$((kb / 1024))" "$cpu" "$split"
  done
}

echo "studio home $STUDIO_HOME; JDK: ${STUDIO_JAVA_HOME:-chosen by the launcher}; class cache: ${STUDIO_STARTUP_CACHE:-auto}"
t0=$(now); sage studio start >"$work/start-0.txt"; t1=$(now)
echo "first start (records the class cache): $(secs "$t0" "$t1") s"
t0=$(now); sage studio stop >/dev/null; t1=$(now)
echo "first stop (writes the class cache): $(secs "$t0" "$t1") s"
ls -1sh "$STUDIO_HOME/studio/jvm-cache" 2>/dev/null | sed 's/^/  cache /' || true

# CPU seconds the start took: the launcher's own (bash's `time` of the command) plus each component's up to the moment
# the command returned. On a 2-core machine the start is CPU-bound, so this moves less with the machine's noise than
# the wall time does.
start_cpu() {
  local total
  total=$(awk '{print $1 + $2}' "$1")
  for c in kafka gpu-probe-service finetune-service chat-switch-service gateway-adapter; do
    pid=$(sed -n 's/^pid=//p' "$STUDIO_HOME/studio/run/$c.pid")
    total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{printf "%.2f", t + ($14 + $15) / hz}' "/proc/$pid/stat")
  done
  echo "$total"
}
median() { python3 -c "import statistics, sys; print(f'{statistics.median(float(a) for a in sys.argv[1:]):.2f}')" "$@"; }

best=""
walls=()
cpus=()
for i in $(seq 1 "$rounds"); do
  t0=$(now)
  { TIMEFORMAT="%U %S"; time sage studio start >"$work/start-$i.txt" 2>&1; } 2>"$work/cli-$i.txt"
  t1=$(now)
  took=$(secs "$t0" "$t1")
  cpu=$(start_cpu "$work/cli-$i.txt")
  walls+=("$took")
  cpus+=("$cpu")
  echo "warm start $i: $took s, $cpu CPU-s   $(component_times)"
  best=$(python3 -c "import sys; a=sys.argv[1]; print(sys.argv[2] if not a else min(float(a), float(sys.argv[2])))" "$best" "$took")
  if [ "$i" = "$rounds" ]; then
    sleep "$idle"
    echo "idle resident memory after $idle s (anonymous + file-backed), and CPU seconds used since the start:"
    worst=0
    while read -r svc mib cpu split; do
      printf '  %-22s %4s MiB (%s)  %5s s CPU\n' "$svc" "$mib" "$split" "$cpu"
      [ "$mib" -gt "$worst" ] && worst=$mib
    done < <(rss)
  fi
  sage studio stop >/dev/null
done

echo
printf '%-34s %-10s %s\n' "target" "goal" "measured"
printf '%-34s %-10s %s\n' "warm ./sage studio start, all ready" "<= ${target_start_s} s" \
  "best $best s, median $(median "${walls[@]}") s of $rounds"
printf '%-34s %-10s %s\n' "CPU seconds of a warm start" "" "median $(median "${cpus[@]}") CPU-s (all components and the launcher)"
printf '%-34s %-10s %s\n' "idle RSS per service" "<= ${target_rss_mib} MiB" "worst $worst MiB"
