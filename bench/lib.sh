# Shared by the benchmark scripts (source it): free ports, waiting for HTTP, the Kafka kit's class path and a
# standalone KRaft broker.

BENCH_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The services' JVM options as `sage studio start` gives them (LauncherSettings.DEFAULT_JAVA_OPTS; a studio-cli test
# keeps the two equal), for benches that start a service themselves. STUDIO_JAVA_OPTS overrides it, as for the launcher.
BENCH_SERVICE_JAVA_OPTS="${STUDIO_JAVA_OPTS:--Xms16m -Xmx384m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=3}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# free_port_block N: the first of N consecutive free ports, outside the kernel's ephemeral range
# (net.ipv4.ip_local_port_range): an outgoing connection may take a port inside it before an engine binds it minutes
# later (the Java tests use testkit.FreePorts for the same reason).
free_port_block() {
  python3 - "$1" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
try:
    low, high = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
except (OSError, ValueError):
    low, high = 32768, 65535
windows = [(a, b) for a, b in ((10000, low - 1), (high + 1, 65535)) if b - a + 1 >= count] or [(10000, 65535)]
for _ in range(200):
    a, b = random.choice(windows)
    start = random.randint(a, b - count + 1)
    socks = []
    try:
        for p in range(start, start + count):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(start); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
else:
    sys.exit("no block of %d free ports outside the ephemeral range %d-%d" % (count, low, high))
PY
}

# wait_http URL [expected-status]: polls for up to two minutes.
wait_http() {
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = "${2:-200}" ] && return 0
    sleep 0.2
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# kit_classpath FILE: writes the runtime class path of studio-kafka-kit (its jar first) to FILE.
kit_classpath() {
  local jar="$HOME/.m2/repository/io/sage/studio/studio-kafka-kit/0.1.0-SNAPSHOT/studio-kafka-kit-0.1.0-SNAPSHOT.jar"
  [ -f "$jar" ] || mvn -B -q -o install -DskipTests -f "$BENCH_REPO/studio-kafka-kit/pom.xml" >&2
  mvn -B -q -o dependency:build-classpath -f "$BENCH_REPO/studio-kafka-kit/pom.xml" -Dmdep.includeScope=runtime \
    -Dmdep.outputFile="$1.deps" >/dev/null
  printf '%s:%s' "$jar" "$(cat "$1.deps")" >"$1"
}

# start_broker DIR PORT CONTROLLER_PORT: a standalone broker with its data and log under DIR; returns once it
# is ready, with its pid in BROKER_PID.
start_broker() {
  mkdir -p "$1"
  kit_classpath "$1/kit.classpath"
  java -Xmx512m -XX:+UseSerialGC -cp "$(cat "$1/kit.classpath")" io.sage.studio.kafka.StandaloneBroker \
    "$1/data" "$2" "$3" >"$1/broker.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 1 300); do grep -q "broker ready" "$1/broker.log" && return 0; sleep 0.2; done
  echo "the Kafka broker did not start:" >&2
  cat "$1/broker.log" >&2
  return 1
}
