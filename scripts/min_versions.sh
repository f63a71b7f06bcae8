#!/usr/bin/env bash
# The lower bounds of pyproject.toml install and pass: every direct dependency at the lowest version its bound
# allows (uv's --resolution lowest-direct, from PyPI), in a venv of its own (var/minvenv), then a fast subset of
# the tests that reaches every layer. CI runs it after ./test.sh (.ci/run); extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/uv ] || ./scripts/bootstrap.sh --test   # uv comes with the project's venv
VENV=var/minvenv
rm -rf "$VENV"
.venv/bin/uv venv -q --python .venv/bin/python "$VENV"
# Only the dependencies: the tests import the checkout (PYTHONPATH below), as the main venv's .pth does.
.venv/bin/uv pip install -q --python "$VENV/bin/python" --resolution lowest-direct -r pyproject.toml --extra test
echo "minimum versions: $(.venv/bin/uv pip freeze --python "$VENV/bin/python" | tr '\n' ' ')"
# The subset: every module imports and every import is declared; the estimators' scikit-learn common checks;
# the bulk writer and ingest on pyarrow/pgpq; the scale-0.01 demo with the pipeline's lead steps; optimistic
# locking; analyst pages per role.
PYTHONPATH="$PWD" exec "$VENV/bin/python" -m pytest -p no:cacheprovider -q \
  tests/test_imports.py tests/test_dependencies.py \
  tests/test_risk_entity.py::test_sklearn_contract tests/test_text_classifier.py::test_sklearn_compatible_estimator \
  tests/test_risk_trends.py \
  tests/test_bulk.py tests/test_ingest_fast_csv.py \
  tests/test_leads_generation.py \
  tests/test_dispatch_concurrency.py \
  tests/test_pages_analytics.py::test_every_layout_builds_for_every_role \
  tests/test_pages_analytics.py::test_complaints_are_masked_for_roles_without_pii_rights \
  tests/test_pages_analytics.py::test_department_head_sees_only_own_department \
  tests/test_pages_analytics.py::test_home_counts_match_the_warehouse \
  "$@"
