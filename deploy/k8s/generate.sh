#!/usr/bin/env bash
# Regenerates deploy/k8s/base from the Helm chart (its default values). Run it after every chart change;
# studio-deploy-tests fails while the base is out of date.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
deploy="$(dirname "$here")"
mvn -B -q -f "$deploy/pom.xml" compile exec:java \
  -Dexec.mainClass=io.sage.studio.deploy.KustomizeBase \
  -Dexec.args="$deploy/helm/sage-studio $here/base"
