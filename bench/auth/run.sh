#!/usr/bin/env bash
# What the authentication filter of every service costs a request: the access-policy look-up and a bearer-token
# check against token files of 10, 100 and 1,000 entries, in ns/op (in-process, after a warm-up round).
# Usage: bench/auth/run.sh [rounds (default 2000000)]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mvn -B -q -o -f "$repo/studio-common/pom.xml" test-compile \
  org.codehaus.mojo:exec-maven-plugin:3.5.1:java \
  -Dexec.classpathScope=test \
  -Dexec.mainClass=io.sage.studio.common.auth.AuthBench \
  -Dexec.args="${1:-2000000}"
