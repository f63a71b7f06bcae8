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
  echo "  installing Python packages into .venv (first run: 2-4 minutes)" >&2
  # uv (a PyPI wheel) downloads and installs the ~100 packages in parallel and prints each step:
  # 139 s against pip's 339 s for a fresh .venv on 2026-12-07 (docs/benchmarks.md § Set-up)
  .venv/bin/python -m pip install -q uv
  # setuptools warns on every editable build ("Editable installation … be careful with folders"): advice for
  # package authors, not a problem, so UserWarnings are silenced for this one command.
  PYTHONWARNINGS=ignore::UserWarning .venv/bin/uv pip install --python .venv/bin/python -e ".${extras}"
  # An editable install maps only the packages that existed when it ran; the checkout on the path (a .pth
  # file) lets packages added later import without reinstalling, as setuptools' deprecated compat mode did.
  site="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  pwd > "$site/bianjian-checkout.pth"
  .venv/bin/python -c "import bianjian_cli, dash, sklearn"
  touch "$stamp"
fi
