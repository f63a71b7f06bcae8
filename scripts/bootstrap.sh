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
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras}" --config-settings editable_mode=compat
  .venv/bin/python -c "import bianjian_cli, dash, sklearn"
  touch "$stamp"
fi
