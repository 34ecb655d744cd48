#!/usr/bin/env bash
# SAGE Studio command line: ./sage --help
# Builds the CLI on first use (or when its sources changed), then runs it with this repository as home base.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
JAR="$ROOT/studio-cli/target/sage-cli.jar"

if ! command -v java >/dev/null 2>&1; then
  echo "sage: Java 17+ is required (e.g. apt-get install -y openjdk-17-jdk-headless)" >&2
  exit 1
fi

stale() {
  [ ! -f "$JAR" ] && return 0
  # Main sources only: a changed test leaves the jar's content, and so (Maven does not rewrite an unchanged jar)
  # its time, as they were, and would make every call rebuild.
  [ -n "$(find "$ROOT/studio-cli/src/main" "$ROOT/studio-cli/pom.xml" "$ROOT/studio-events/src/main" \
            "$ROOT/studio-kafka-kit/src/main" "$ROOT/studio-process/src/main" -newer "$JAR" -type f -print -quit 2>/dev/null)" ]
}

if stale; then
  if ! command -v mvn >/dev/null 2>&1; then
    echo "sage: Maven 3.8+ is required to build the CLI (e.g. apt-get install -y maven)" >&2
    exit 1
  fi
  echo "sage: building the CLI …" >&2
  if ! (cd "$ROOT" && mvn -B -q -DskipTests install -pl studio-cli -am) >"${TMPDIR:-/tmp}/sage-cli-build.log" 2>&1; then
    echo "sage: building the CLI failed; see ${TMPDIR:-/tmp}/sage-cli-build.log" >&2
    tail -n 30 "${TMPDIR:-/tmp}/sage-cli-build.log" >&2
    exit 1
  fi
  touch "$JAR" # built from what is there now, even where Maven kept the jar as it was
fi

# shellcheck disable=SC2086
exec java ${SAGE_CLI_JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto} -Dsage.repo="$ROOT" -jar "$JAR" "$@"
