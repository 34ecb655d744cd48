#!/usr/bin/env bash
# The Quarkus native build of the four services up to the point where GraalVM would take over
# (quarkus.native.sources-only): every build step of a native build runs - build-time initialisation, the
# reflection, resource and proxy registrations, the extensions' native checks - and writes target/native-sources/
# (the runner jar, its lib/ and native-image.args) instead of calling native-image. A build step that refuses
# native fails here. The JVM jars (target/quarkus-app) are built as usual beside them.
#
#   scripts/native-check.sh            after `mvn install` (uses the installed modules; offline)
#
# What it cannot see: native-image's own analysis (unreachable-code errors, a class reached only by reflection
# that nobody registered). README "Native images" says how to finish the build with Mandrel in a container.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

services=finetune-service,chat-switch-service,gpu-probe-service,gateway-adapter
mvn -B -ntp -o -T "${MVN_THREADS:-1C}" package -pl "$services" -Dnative -Dquarkus.native.sources-only=true \
  -Dquarkus.package.jar.enabled=true -DskipTests -Dspotless.check.skip=true

for service in ${services//,/ }; do
  args="$service/target/native-sources/native-image.args"
  [ -s "$args" ] || { echo "$service: no native-image.args: the native build steps did not finish" >&2; exit 1; }
  # /q/openapi reads the committed document from the class path (studio-common CommittedOpenApi).
  python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(
      "META-INF/native-image/resource-config.json").decode())' "$service"/target/native-sources/*-runner.jar \
    | grep -q 'META-INF/openapi' \
    || { echo "$service: the native image would not keep META-INF/openapi/*.json" >&2; exit 1; }
  printf '%-22s native sources ready: %s (%s jars)\n' "$service" "$args" "$(find "$service/target/native-sources/lib" -name '*.jar' | wc -l)"
done
