#!/usr/bin/env bash
# Runs every test of the studio: Java unit and Quarkus tests (real in-JVM Kafka), the trainer's and the
# stand-ins' Python tests, the web UI's component tests, the end-to-end tests against the packaged services
# as real processes (launcher, CLI flow), and the browser tests in Chromium.
#
#   scripts/test.sh            everything
#   SKIP_BROWSER=1 scripts/test.sh   everything but the browser tests (no Chromium needed)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)

step "Java build and tests (unit, @QuarkusTest on a real in-JVM Kafka broker, chart rendering, enforcer and
ArchUnit rules, spotless:check); modules build side by side (MVN_THREADS, default one per core)"
# Most test time is spent waiting on real processes (brokers, stand-in engines and trainers), so two modules' tests
# share two cores well. Every test picks its own ports and home; the pact consumers wait for finetune-service (see
# contracts/README.md).
mvn -B -ntp -T "${MVN_THREADS:-1C}" install

# The consumers rewrite their contracts (contracts/pacts/) as they test, after finetune-service verified the
# committed ones: a contract that changed without being committed was never checked against the provider.
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 \
    && ! git -C "$ROOT" diff --quiet -- contracts/pacts; then
  git -C "$ROOT" diff --stat -- contracts/pacts
  echo "contracts/pacts/ changed during the build: commit the regenerated files (see contracts/README.md)" >&2
  exit 1
fi

# The Python and web UI formatter checks (black, prettier) go with the Java one; see README "Checks".
# FORMAT_CHECK=0 skips them (e.g. while iterating on a change you will format later).
FORMAT_CHECK=${FORMAT_CHECK:-1}
if [ "$FORMAT_CHECK" = 1 ]; then
  step "Formatting: black (trainer, testing) and prettier (studio-ui)"
  black --check --quiet --line-length 120 trainer testing
  (cd studio-ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npx --no-install prettier --check .)
fi

step "Trainer unit tests (plain python3; torch-dependent tests skip without torch)"
trainer/run_tests.sh

if [ -x testing/run_tests.sh ]; then
  step "Stand-in trainer and model server tests"
  testing/run_tests.sh
fi

if [ -f studio-ui/package.json ]; then
  step "Web UI component tests (Vitest)"
  (cd studio-ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm test)
fi

# NATIVE_CHECK=0 skips it (a minute or two of Quarkus build steps per service).
if [ "${NATIVE_CHECK:-1}" = 1 ]; then
  step "Native build steps of the four services, up to native-image (quarkus.native.sources-only)"
  scripts/native-check.sh
fi

step "End-to-end tests: packaged services as real processes, launcher and CLI"
mvn -B -ntp verify -Pit -pl studio-it

if [ -z "${SKIP_BROWSER:-}" ]; then
  step "Browser end-to-end tests (Chromium)"
  scripts/browser-e2e.sh
fi

printf '\n\033[1;32mAll tests passed in %d s.\033[0m\n' "$(( $(date +%s) - started ))"
