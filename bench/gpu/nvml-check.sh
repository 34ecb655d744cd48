#!/usr/bin/env bash
# Reads this machine's GPUs through the gpu-probe-service's NVML binding and prints them with the time an open
# and a read take; compare with `nvidia-smi`. Needs a JDK and a built module (mvn install -f gpu-probe-service).
#   bench/gpu/nvml-check.sh [libnvidia-ml.so.1 | /path/to/libnvidia-ml.so]
set -euo pipefail
cd "$(dirname "$0")/../.."
cp=$(mvn -B -o -q -f gpu-probe-service/pom.xml dependency:build-classpath -Dmdep.outputFile=/dev/stdout \
  -Dmdep.includeArtifactIds=jna,jboss-logging)
java -cp "gpu-probe-service/target/classes:$cp" bench/gpu/NvmlProbeCheck.java "$@"
