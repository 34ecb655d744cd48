#!/usr/bin/env bash
# Fault-injection suite alone: the packaged services as real processes (studio-it's Fault*IT), then its
# "FAULT <scenario>: …" lines, also kept in bench/faults/results/<date>.txt. Build the jars first (mvn -B install
# -DskipTests); the suite starts them as built (STUDIO_BUILD=never) and never builds a module.
# Usage: bench/faults/run.sh [extra Maven arguments, e.g. -Dit.test=FaultCrashIT]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
lines=studio-it/target/fault-lines.txt
rm -f "$lines"
status=0
mvn -B -ntp verify -Pit -pl studio-it -Dit.flows.skip=true "$@" || status=$?
if [ -f "$lines" ]; then
  mkdir -p bench/faults/results
  out="bench/faults/results/$(date -u +%Y-%m-%d).txt"
  { echo "# bench/faults/run.sh $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; exit $status"; cat "$lines"; } > "$out"
  echo; cat "$lines"; echo "(kept in $out)"
fi
exit "$status"
