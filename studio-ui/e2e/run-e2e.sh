#!/usr/bin/env bash
# Browser end-to-end tests of the web UI against a running studio, in Debian's Chromium.
#   studio-ui/e2e/run-e2e.sh [STUDIO_URL]        (default: $STUDIO_URL or http://localhost:8080)
# The studio must run with the stand-ins and a trainer slow enough to watch, e.g.
#   FAKE_TRAINER_STEP_DELAY=1.0 \
#   STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND="python3 $PWD/testing/fake-trainer/fake_trainer.py" \
#   STUDIO_CHAT_LOCAL_COMMAND="python3 $PWD/testing/fake-vllm/fake_vllm.py serve {model} --host 127.0.0.1 --port {port} --served-model-name {name}" \
#   ./sage studio start
# Screenshots of each step: studio-ui/e2e/screenshots/. Exit status: non-zero when a test failed.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

export STUDIO_URL="${1:-${STUDIO_URL:-http://localhost:8080}}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "run-e2e: no Chromium at $CHROMIUM_PATH (apt-get install -y chromium)" >&2
  exit 1
fi
if ! curl -fsS -o /dev/null --max-time 10 "$STUDIO_URL/"; then
  echo "run-e2e: the studio does not answer at $STUDIO_URL (./sage studio start)" >&2
  exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi

rm -rf e2e/screenshots
exec node --test --test-concurrency=1 --test-reporter=spec e2e/studio.e2e.mjs
