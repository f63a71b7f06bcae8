#!/usr/bin/env bash
# Create ./.venv and install Bianjian (with test extras when given --test). Quiet when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"
stamp="var/.installed${extras:+-test}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  # uv (a PyPI wheel) downloads and installs the ~100 packages in parallel and prints each step:
  # 139 s against pip's 339 s for a fresh .venv on 2026-12-07 (docs/benchmarks.md § Set-up)
  .venv/bin/python -m pip install -q uv
  .venv/bin/uv pip install --python .venv/bin/python -e ".${extras}" --config-setting editable_mode=compat
  .venv/bin/python -c "import bianjian_cli, dash, sklearn"
  touch "$stamp"
fi
