"""docs/evaluation.md carries the indicator table generated from the library, and documents every public
report entry point and weight key; README has the evaluation section."""

from __future__ import annotations

import re

from evaluation import indicators, scoring
from tests.conftest import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")


def test_indicator_table_matches_the_library():
    block = re.search(r"<!-- indicators:start -->\n(.*)<!-- indicators:end -->", DOC, re.S)
    assert block, "indicator markers missing in docs/evaluation.md"
    assert block.group(1) == indicators.markdown_table(), "regenerate with `bianjian report indicators`"


def test_public_entry_points_are_documented():
    for name in ("monthly_bulletin", "weekly_check", "scheduled_reports", "run_job", "rank_units", "city_reference",
                 "pool_months", "parse_config", "save_config", "bianjian report monthly", "bianjian report weekly",
                 "bianjian report scheduled", "--step indicators", "evaluation_weights"):
        assert name in DOC, name
    assert "cap" in scoring.DEFAULT_WEIGHTS_PATH.read_text(encoding="utf-8") and "cap" in DOC
    for name in ("ranking_values", "EVIDENCE_MONTHS", "MIN_CASES", "MARGIN", "RED_SHORTFALLS", "MIN_INDICATOR_SHARE",
                 "参评不足"):
        assert name in DOC, name


def test_readme_has_the_evaluation_section():
    assert "## 分析评价 / Evaluation" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
