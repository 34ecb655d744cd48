#!/usr/bin/env bash
# Unit tests of the default trainer and of the stand-in trainer: plain python3, no ML stack needed
# (tests that need torch/transformers skip themselves where those are missing). Exit non-zero on failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${SAGE_TRAINER_PYTHON:-python3}"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
cd "${here}"
"${python}" -m unittest discover -s tests -t . "$@"
