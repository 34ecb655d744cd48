#!/usr/bin/env bash
# Benchmark of the gateway-adapter's /v1 edge against nginx (see README.md next to this script).
#
#   bench/gateway/run.sh            # defaults: DURATION=10s ROUNDS=5 CONNECTIONS="32 64" EVENT_LOOPS=2
#   GATEWAY_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bench/gateway/run.sh   # the gateway on another JDK
#   GATEWAY_JAVA_OPTS='-XX:StartFlightRecording=filename=/tmp/gw.jfr,settings=profile' ROUNDS=1 bench/gateway/run.sh
#   GATEWAY_B_OPTS='-Dquarkus.vertx.prefer-native-transport=false' bench/gateway/run.sh   # A/B: a second gateway
#       with these options as target "gateway-b", measured in the same rounds (the machine drifts between runs)
#
# Backend: nginx answering a fixed OpenAI-shaped chat completion. Targets: (a) the backend directly, (b) nginx as
# reverse proxy (keep-alive upstream pool), (c) the gateway (packaged jar, route published on a standalone broker).
# Prints throughput and latency under saturation (wrk, at each of CONNECTIONS), the gateway's allocation per request
# and GC time (jstat), latency at one connection (p50/p99, and what each proxy adds
# to the direct path), then time to first chunk of a streamed answer (sse_backend.py) through each path. With
# FLOOR=1 (the default) two more targets: "vertx", a bare Vert.x proxy (BareVertxProxy.java: Vert.x' server and
# client without Quarkus and without the gateway's work), and "netty", the same on Netty alone (BareNettyProxy.java:
# the floor of a wholly hand-written edge; the gateway has its client half, on Vert.x' server under Quarkus).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/gateway"
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
CONNECTIONS=${CONNECTIONS:-32 64}
THREADS=${THREADS:-2}
EVENT_LOOPS=${EVENT_LOOPS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-2}
TTFC_RUNS=${TTFC_RUNS:-200}
FLOOR=${FLOOR:-1}
JAR="$ROOT/gateway-adapter/target/quarkus-app/quarkus-run.jar"

log() { printf '[bench] %s\n' "$*" >&2; }

# -- tools -------------------------------------------------------------------------------------------------------
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    log "installing nginx and wrk (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi
if [ ! -f "$JAR" ]; then
    log "packaging the gateway (UI build skipped)"
    mvn -B -q -o package -f "$ROOT/gateway-adapter/pom.xml" -DskipTests -Dquarkus.quinoa=false
fi

WORK=$(mktemp -d /tmp/sage-bench-gateway.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"

BACKEND_PORT=$(free_port); PROXY_PORT=$(free_port); SSE_PROXY_PORT=$(free_port); SSE_PORT=$(free_port)
GATEWAY_PORT=$(free_port); KAFKA_PORT=$(free_port); CONTROLLER_PORT=$(free_port); FLOOR_PORT=$(free_port)
NETTY_PORT=$(free_port); GATEWAY_B_PORT=$(free_port)

# -- backend and reverse proxy: nginx ----------------------------------------------------------------------------
RESPONSE='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}'
nginx_conf() { # name workers body
    mkdir -p "$WORK/$1"
    cat > "$WORK/$1/nginx.conf" <<EOF
worker_processes $2;
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    client_body_temp_path $WORK/$1/body;
    proxy_temp_path $WORK/$1/proxy;
    $3
}
EOF
}
nginx_conf backend 1 "server { listen 127.0.0.1:$BACKEND_PORT; location / { default_type application/json; return 200 '$RESPONSE'; } }"
nginx_conf proxy "$NGINX_WORKERS" "
    upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 256; }
    upstream sse { server 127.0.0.1:$SSE_PORT; keepalive 32; }
    server { listen 127.0.0.1:$PROXY_PORT; location / {
        proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }
    server { listen 127.0.0.1:$SSE_PROXY_PORT; location / {
        proxy_pass http://sse; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering off; } }"
nginx -p "$WORK/backend" -c "$WORK/backend/nginx.conf" & PIDS+=($!); BACKEND_MASTER=$!
nginx -p "$WORK/proxy" -c "$WORK/proxy/nginx.conf" & PIDS+=($!); PROXY_MASTER=$!

# -- streamed backend: a role chunk at once, then TOKENS chunks TOKEN_DELAY s apart ---------------------------------
TOKENS=${TOKENS:-16}; TOKEN_DELAY=${TOKEN_DELAY:-0.005}
python3 "$HERE/sse_backend.py" "$SSE_PORT" bench-sse "$TOKENS" "$TOKEN_DELAY" >"$WORK/sse.log" 2>&1 & PIDS+=($!)

# -- broker and gateway ------------------------------------------------------------------------------------------
# Each gateway gets a studio home under $WORK: the user's own (~/.sage: settings, credentials) is never read or made.
log "starting a standalone Kafka broker"
start_broker "$WORK/kafka" "$KAFKA_PORT" "$CONTROLLER_PORT"
PIDS+=("$BROKER_PID")
CP="$(cat "$WORK/kafka/kit.classpath")"

publish() { # revision id base-url served-model
    java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "$CP" "$HERE/PublishRoute.java" \
        "127.0.0.1:$KAFKA_PORT" "$@"
}
# Published before the gateway starts: it must read the route from the beginning and be ready with it.
publish 1 nginx-backend "http://127.0.0.1:$BACKEND_PORT" bench-model

# shellcheck disable=SC2086 # GATEWAY_JAVA_OPTS: more JVM options, e.g. a flight recording to profile it
"${GATEWAY_JAVA:-java}" -Xms512m -Xmx512m -XX:+UseParallelGC ${GATEWAY_JAVA_OPTS:-} \
    -Dquarkus.http.port="$GATEWAY_PORT" -Dkafka.bootstrap.servers="127.0.0.1:$KAFKA_PORT" -Dstudio.home="$WORK/home" \
    -Dquarkus.vertx.event-loops-pool-size="$EVENT_LOOPS" -Dquarkus.log.level=WARN \
    -jar "$JAR" >"$WORK/gateway.log" 2>&1 & PIDS+=($!); GATEWAY_PID=$!
if [ -n "${GATEWAY_B_OPTS:-}" ]; then
    # shellcheck disable=SC2086 # GATEWAY_B_OPTS: the options that make the B side differ
    "${GATEWAY_JAVA:-java}" -Xms512m -Xmx512m -XX:+UseParallelGC ${GATEWAY_JAVA_OPTS:-} ${GATEWAY_B_OPTS} \
        -Dquarkus.http.port="$GATEWAY_B_PORT" -Dkafka.bootstrap.servers="127.0.0.1:$KAFKA_PORT" -Dstudio.home="$WORK/home-b" \
        -Dquarkus.vertx.event-loops-pool-size="$EVENT_LOOPS" -Dquarkus.log.level=WARN \
        -jar "$JAR" >"$WORK/gateway-b.log" 2>&1 & PIDS+=($!); GATEWAY_B_PID=$!
fi
if [ "$FLOOR" = 1 ]; then
    GATEWAY_LIBS=$(find "$ROOT/gateway-adapter/target/quarkus-app/lib/main" -name '*.jar' | sort | tr '\n' ':')
    java -Xms512m -Xmx512m -XX:+UseParallelGC -cp "$GATEWAY_LIBS" "$HERE/BareVertxProxy.java" \
        "$FLOOR_PORT" "$BACKEND_PORT" bench-model "$EVENT_LOOPS" >"$WORK/floor.log" 2>&1 & PIDS+=($!); FLOOR_PID=$!
    java -Xms512m -Xmx512m -XX:+UseParallelGC -cp "$GATEWAY_LIBS" "$HERE/BareNettyProxy.java" \
        "$NETTY_PORT" "$BACKEND_PORT" bench-model "$EVENT_LOOPS" >"$WORK/netty.log" 2>&1 & PIDS+=($!); NETTY_PID=$!
fi
wait_http "http://127.0.0.1:$GATEWAY_PORT/q/health/ready"
[ -n "${GATEWAY_B_OPTS:-}" ] && wait_http "http://127.0.0.1:$GATEWAY_B_PORT/q/health/ready"
wait_http "http://127.0.0.1:$BACKEND_PORT/"
for _ in $(seq 1 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $SSE_PORT), 1)" 2>/dev/null && break; sleep 0.1; done
MODEL_HEADER=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d '{"model":"sage-chat","messages":[]}' \
    "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-studio-model"{print $2}')
[ "$MODEL_HEADER" = "bench-model" ] || { log "the gateway does not route to nginx (X-Studio-Model: '$MODEL_HEADER')"; exit 1; }

# -- load --------------------------------------------------------------------------------------------------------
cat > "$WORK/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"sage-chat","messages":[{"role":"user","content":"Hello, who are you?"}],"max_tokens":32}'
EOF
declare -A URL=(
    [direct]="http://127.0.0.1:$BACKEND_PORT/v1/chat/completions"
    [nginx]="http://127.0.0.1:$PROXY_PORT/v1/chat/completions"
    [gateway]="http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions")
TARGETS=(direct nginx gateway)
if [ -n "${GATEWAY_B_OPTS:-}" ]; then
    URL[gateway-b]="http://127.0.0.1:$GATEWAY_B_PORT/v1/chat/completions"
    TARGETS+=(gateway-b)
fi
if [ "$FLOOR" = 1 ]; then
    answers() { # port
        [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"model":"sage-chat"}' \
            "http://127.0.0.1:$1/v1/chat/completions")" = 200 ]
    }
    for floor in "vertx $FLOOR_PORT floor.log" "netty $NETTY_PORT netty.log"; do
        read -r name port logfile <<<"$floor"
        for _ in $(seq 1 150); do answers "$port" && break; sleep 0.2; done
        answers "$port" || { log "the bare $name proxy did not answer (FLOOR=0 skips it):"; cat "$WORK/$logfile" >&2; exit 1; }
        URL[$name]="http://127.0.0.1:$port/v1/chat/completions"
        TARGETS+=("$name")
    done
fi
# Whose CPU time a target's requests cost on top of the backend's: the backend's workers for "direct", the proxy.
declare -A CPU_PIDS=(
    [direct]="$(pgrep -P "$BACKEND_MASTER" | tr '\n' ' ')"
    [nginx]="$(pgrep -P "$PROXY_MASTER" | tr '\n' ' ')"
    [gateway]="$GATEWAY_PID" [gateway-b]="${GATEWAY_B_PID:-}" [vertx]="${FLOOR_PID:-}" [netty]="${NETTY_PID:-}")
TICK=$(getconf CLK_TCK)
cpu_ticks() { local total=0 pid; for pid in $1; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$total"; }

to_ms() { # wrk latency value (us/ms/s) → ms
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) ; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
# The gateway's heap as jstat sees it: "eden-capacity-KB eden-used-KB young-GCs total-GC-seconds".
JSTAT="$(dirname "$(readlink -f "$(command -v "${GATEWAY_JAVA:-java}")")")/jstat"
heap() { "$JSTAT" -gc "$GATEWAY_PID" | awk 'NR == 2 { print $5, $6, $13, $NF }'; }
GC_LINE="-"
run_wrk() { # target connections threads duration → "rps p50 p99 cpu-us-per-request"; the gateway's sets GC_LINE
    local out before after h0 h1 n
    before=$(cpu_ticks "${CPU_PIDS[$1]}")
    [ "$1" = gateway ] && h0=$(heap)
    out=$(wrk -t"$3" -c"$2" -d"$4" --latency -s "$WORK/post.lua" "${URL[$1]}")
    [ "$1" = gateway ] && h1=$(heap)
    after=$(cpu_ticks "${CPU_PIDS[$1]}")
    if grep -q "Non-2xx" <<<"$out"; then log "$1: non-2xx answers"; echo "$out" >&2; exit 1; fi
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    if [ "$1" = gateway ]; then # allocated ≈ eden filled per young GC + the change in eden's use; pause total
        GC_LINE=$(awk -v a="$h0" -v b="$h1" -v n="$n" -v d="${4%s}" 'BEGIN { split(a, x, " "); split(b, y, " ")
            kb = (y[3] - x[3]) * y[1] + y[2] - x[2]; gcs = y[3] - x[3]
            printf "%.1f %.0f %.2f", kb * 1024 / n / 1024, gcs, (gcs > 0 ? (y[4] - x[4]) * 1000 / gcs : 0) }')
        echo "$GC_LINE" >"$WORK/gc.$2"
    fi
    printf '%s %s %s %s\n' "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" \
        "$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")" "$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")" \
        "$(awk -v t=$((after - before)) -v k="$TICK" -v n="$n" 'BEGIN { printf "%.1f", t / k * 1e6 / n }')"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

read -r -a CONNS <<<"$CONNECTIONS"
log "warm-up: 30 s of load on the gateway and 20 s on each bare proxy (JIT), 5 s on the others"
run_wrk gateway "${CONNS[-1]}" "$THREADS" 20s >/dev/null
run_wrk gateway 1 1 10s >/dev/null
if [ -n "${GATEWAY_B_OPTS:-}" ]; then run_wrk gateway-b "${CONNS[-1]}" "$THREADS" 20s >/dev/null; run_wrk gateway-b 1 1 10s >/dev/null; fi
for target in direct nginx; do run_wrk "$target" "${CONNS[-1]}" "$THREADS" 5s >/dev/null; done
if [ "$FLOOR" = 1 ]; then
    for target in vertx netty; do run_wrk "$target" "${CONNS[-1]}" "$THREADS" 20s >/dev/null; done
fi

# Keys "target@connections" for the saturated runs, "target" for the one-connection latency.
declare -A RPS P50 P99 CPU LP50 LP99 RATIO P99RATIO GC
for round in $(seq 1 "$ROUNDS"); do
    log "round $round/$ROUNDS"
    for c in "${CONNS[@]}"; do
        for target in "${TARGETS[@]}"; do
            read -r rps p50 p99 cpu < <(run_wrk "$target" "$c" "$THREADS" "$DURATION")
            RPS[$target@$c]+="$rps "; P50[$target@$c]+="$p50 "; P99[$target@$c]+="$p99 "; CPU[$target@$c]+="$cpu "
            [ "$target" = gateway ] && GC[$c]+="$(cat "$WORK/gc.$c")|"
        done
        # The machine's speed drifts between rounds (2 shared cores): compare targets within a round.
        for target in "${TARGETS[@]}"; do
            RATIO[$target@$c]+="$(awk -v a="$(awk '{print $NF}' <<<"${RPS[$target@$c]}")" \
                -v b="$(awk '{print $NF}' <<<"${RPS[nginx@$c]}")" 'BEGIN { printf "%.1f", 100 * a / b }') "
            P99RATIO[$target@$c]+="$(awk -v a="$(awk '{print $NF}' <<<"${P99[$target@$c]}")" \
                -v b="$(awk '{print $NF}' <<<"${P99[nginx@$c]}")" 'BEGIN { printf "%.2f", a / b }') "
        done
        log "round $round, $c connections: gateway/nginx req/s $(awk '{print $NF}' <<<"${RATIO[gateway@$c]}")%," \
            "p99 $(awk '{print $NF}' <<<"${P99RATIO[gateway@$c]}")x"
    done
    for target in "${TARGETS[@]}"; do
        read -r _ lp50 lp99 _ < <(run_wrk "$target" 1 1 "$DURATION")
        LP50[$target]+="$lp50 "; LP99[$target]+="$lp99 "
    done
done
m() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }

# -- time to first chunk -----------------------------------------------------------------------------------------
publish 2 sse-backend "http://127.0.0.1:$SSE_PORT" bench-sse
for _ in $(seq 1 100); do
    curl -s "http://127.0.0.1:$GATEWAY_PORT/api/gateway/status" | grep -q '"revision":2' && break; sleep 0.1
done
declare -A TTFC=(
    [direct]=$(python3 "$HERE/ttfc.py" "http://127.0.0.1:$SSE_PORT/v1/chat/completions" bench-sse "$TTFC_RUNS")
    [nginx]=$(python3 "$HERE/ttfc.py" "http://127.0.0.1:$SSE_PROXY_PORT/v1/chat/completions" bench-sse "$TTFC_RUNS")
    [gateway]=$(python3 "$HERE/ttfc.py" "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" sage-chat "$TTFC_RUNS"))

# -- report ------------------------------------------------------------------------------------------------------
D50=$(m "${LP50[direct]}"); D99=$(m "${LP99[direct]}")
echo
echo "SAGE Studio gateway benchmark — $(date -u +%FT%TZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk: $CONNECTIONS connections / $THREADS threads (saturation), 1 connection (latency); $DURATION per run,"
echo "median of $ROUNDS rounds (\"vs nginx\": median of the per-round ratios). nginx backend: 1 worker; nginx proxy:"
echo "$NGINX_WORKERS workers; gateway: $EVENT_LOOPS event loops, $("${GATEWAY_JAVA:-java}" -version 2>&1 | head -1)."
echo "CPU us/req: user+system CPU time per request of the backend (direct) or of the proxy alone."
[ -n "${GATEWAY_B_OPTS:-}" ] && echo "gateway-b: the gateway with $GATEWAY_B_OPTS."
for c in "${CONNS[@]}"; do
    echo
    printf '%-9s | %10s | %9s | %10s | %11s %11s | %13s\n' "@${c}c" "req/s" "vs nginx" "CPU us/req" "p50 (ms)" \
        "p99 (ms)" "p99 vs nginx"
    printf -- '----------+------------+-----------+------------+-------------------------+--------------\n'
    for target in "${TARGETS[@]}"; do
        printf '%-9s | %10.0f | %8.0f%% | %10s | %11.3f %11.3f | %12.2fx\n' "$target" "$(m "${RPS[$target@$c]}")" \
            "$(m "${RATIO[$target@$c]}")" "$(m "${CPU[$target@$c]}")" "$(m "${P50[$target@$c]}")" \
            "$(m "${P99[$target@$c]}")" "$(m "${P99RATIO[$target@$c]}")"
    done
    echo "gateway heap per round (allocated KB/req, young GCs, mean pause ms): $(tr '|' ';' <<<"${GC[$c]}")"
done
echo
printf '%-9s | %12s %12s | %13s %13s\n' "@1c" "p50 (ms)" "p99 (ms)" "added p50" "added p99"
for target in "${TARGETS[@]}"; do
    l50=$(m "${LP50[$target]}"); l99=$(m "${LP99[$target]}")
    printf '%-9s | %12.3f %12.3f | %13.3f %13.3f\n' "$target" "$l50" "$l99" \
        "$(awk -v a="$l50" -v b="$D50" 'BEGIN { print a - b }')" "$(awk -v a="$l99" -v b="$D99" 'BEGIN { print a - b }')"
done
echo
echo "Streamed chat completion ($TOKENS tokens, $TOKEN_DELAY s apart; the role chunk at once), $TTFC_RUNS requests, ms:"
printf '%-9s | %15s %15s | %16s %16s | %10s\n' "target" "1st chunk p50" "1st chunk p99" "1st token p50" "1st token p99" "total p50"
for target in direct nginx gateway; do
    read -r a b c d e <<<"${TTFC[$target]}"
    printf '%-9s | %15s %15s | %16s %16s | %10s\n' "$target" "$a" "$b" "$c" "$d" "$e"
done
echo
for c in "${CONNS[@]}"; do
    echo "gateway/nginx per round @${c}c: req/s (%) ${RATIO[gateway@$c]}; p99 (x) ${P99RATIO[gateway@$c]}"
    [ -n "${GATEWAY_B_OPTS:-}" ] && echo "gateway-b/nginx per round @${c}c: req/s (%) ${RATIO[gateway-b@$c]};" \
        "p99 (x) ${P99RATIO[gateway-b@$c]}; CPU us/req gateway ${CPU[gateway@$c]}/ gateway-b ${CPU[gateway-b@$c]}"
    awk -v c="$c" -v r="$(m "${RATIO[gateway@$c]}")" -v p="$(m "${P99RATIO[gateway@$c]}")" 'BEGIN {
        printf "targets @%sc: throughput >= 0.95x nginx: %s (%.2fx); p99 <= 1.3x nginx: %s (%.2fx)\n",
            c, (r >= 95 ? "met" : "NOT met"), r / 100, (p <= 1.3 ? "met" : "NOT met"), p }'
done
