#!/usr/bin/env bash
# The whole test suite (what CI runs): environment, install, pytest.  Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh --test
exec .venv/bin/python -m pytest "$@"
