#!/usr/bin/env bash
# Unit tests of the stand-ins under testing/ (standard library only). Exit non-zero on failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
for standin in fake-trainer fake-vllm; do
  (cd "${here}/${standin}" && "${PYTHON:-python3}" -m unittest discover -s . -p 'test_*.py' "$@")
done
