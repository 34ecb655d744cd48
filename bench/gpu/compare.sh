#!/usr/bin/env bash
# Prints the gpu-probe-service estimator's numbers beside measured peaks: the committed H200 measurements (the
# 20 runs the constants were fitted to, then 10 held-out runs), or a file of CALIBRATION lines from
# bench/gpu/calibrate.py (or from the trainer's GPU check) given as $1.
#   bench/gpu/compare.sh [calibration.jsonl]
set -euo pipefail
cd "$(dirname "$0")/../.."
args=(-Dtest=CalibrationTest -Dcalibration.report=true -Dsurefire.failIfNoSpecifiedTests=false)
if [[ $# -gt 0 ]]; then
  args=(-Dtest='CalibrationTest#everyMeasuredPeak*' -Dcalibration.report=true -Dsurefire.failIfNoSpecifiedTests=false
        "-Dcalibration.file=$(realpath "$1")")
fi
mvn -B -o -q -Dstyle.color=never test -f gpu-probe-service/pom.xml "${args[@]}" 2>&1 \
  | sed -E 's/\x1b\[[0-9;]*m//g' | grep -E '^(Qwen|meta-llama|tiny|trainer-check|[0-9]+ runs|\[ERROR\] +[a-zA-Z]+Test)' || true
