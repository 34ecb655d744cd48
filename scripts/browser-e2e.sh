#!/usr/bin/env bash
# Browser end-to-end tests against a freshly started studio: its own studio home and ports, the stand-in
# trainer (slowed down so the UI can watch it train) and the stand-in model server. The studio is stopped
# afterwards, pass or fail; screenshots stay in studio-ui/e2e/screenshots/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

base="${E2E_BASE_PORT:-28080}"
export STUDIO_HOME="${E2E_STUDIO_HOME:-$(mktemp -d -t sage-e2e-XXXXXX)}"
export STUDIO_GATEWAY_PORT=$base STUDIO_FINETUNE_PORT=$((base + 1)) STUDIO_CHAT_PORT=$((base + 2)) \
       STUDIO_GPU_PORT=$((base + 3)) STUDIO_KAFKA_PORT=$((base + 10))
export STUDIO_CHAT_LOCAL_PORTS="$((base + 20))-$((base + 29))"
# The gateway's stable local OpenAI port: this run's own, never the default 8001 of the user's studio.
export SAGE_STUDIO_LLM_PORT=$((base + 30))
export FAKE_TRAINER_STEP_DELAY="${FAKE_TRAINER_STEP_DELAY:-1.0}"
export STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND="python3 $ROOT/testing/fake-trainer/fake_trainer.py"
export STUDIO_CHAT_LOCAL_COMMAND="python3 $ROOT/testing/fake-vllm/fake_vllm.py serve {model} --host 127.0.0.1 --port {port} --served-model-name {name}"
unset KAFKA_BOOTSTRAP_SERVERS

cleanup() {
  local rc=$?
  ./sage studio stop || true
  if [ $rc -ne 0 ]; then
    for log in "$STUDIO_HOME"/studio/logs/*.log; do
      echo "---- last lines of $log"; tail -n 40 "$log" || true
    done
  fi
  exit $rc
}
trap cleanup EXIT

./sage studio start
studio-ui/e2e/run-e2e.sh "http://localhost:$base"
