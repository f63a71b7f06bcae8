"""`text` click group: train / classify, and clear errors."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from text_mining.cli import text

TRAIN = pd.DataFrame(
    {
        "title": ["饭店卫生差", "超市卖过期食品", "餐馆食物中毒", "公司拖欠工资", "工地欠薪", "社保断缴"],
        "body": ["后厨脏", "", "上吐下泻", "三个月没发", "", "单位不交社保"],
        "label": ["商贸旅游"] * 3 + ["劳动和社会保障"] * 3,
    }
)
TRAIN = pd.concat([TRAIN] * 3, ignore_index=True)  # the default min_df=2 needs repeated terms


def test_train_then_classify(tmp_path):
    runner = CliRunner()
    train_csv, model = tmp_path / "train.csv", tmp_path / "model.joblib"
    TRAIN.to_csv(train_csv, index=False)
    result = runner.invoke(text, ["train", "--input", str(train_csv), "--model", str(model)])
    assert result.exit_code == 0, result.output
    assert "trained on 2 labels" in result.output and model.is_file()

    new_csv, out_csv = tmp_path / "new.csv", tmp_path / "out.csv"
    pd.DataFrame({"id": [7, 8], "title": ["老板欠薪", "饭店食物中毒"], "body": ["", ""]}).to_csv(
        new_csv, index=False
    )
    result = runner.invoke(
        text, ["classify", "--model", str(model), "--input", str(new_csv), "--output", str(out_csv)]
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(out_csv)
    assert list(out.columns) == ["id", "label", "confidence", "needs_review", "review_reason"]
    assert list(out["label"]) == ["劳动和社会保障", "商贸旅游"]


def test_clear_errors(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"title": ["a"]}).to_csv(bad, index=False)
    result = runner.invoke(text, ["train", "--input", str(bad), "--model", str(tmp_path / "m.joblib")])
    assert result.exit_code == 1 and "missing column(s) label" in result.output
    assert "Traceback" not in result.output

    result = runner.invoke(
        text, ["train", "--input", str(tmp_path / "none.csv"), "--model", str(tmp_path / "m.joblib")]
    )
    assert result.exit_code == 1 and "input file not found" in result.output

    result = runner.invoke(
        text,
        [
            "classify",
            "--model",
            str(tmp_path / "none.joblib"),
            "--input",
            str(bad),
            "--output",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 1 and "model file not found" in result.output

    result = runner.invoke(text, ["classify", "--model", "m"])
    assert result.exit_code == 2 and "Missing option" in result.output


def test_hot_issues_command(tmp_path):
    rows = [(i, f"u{i}", "康平家园小区停车位捆绑销售", f"2024-03-0{i + 1} 10:00:00", "开发商强制捆绑销售车位", 3)
            for i in range(5)]
    rows += [(10 + i, "v1", "马道街饭店油烟扰民", f"2024-04-1{i} 09:00:00", "饭店油烟直排", 0) for i in range(2)]
    src, out = tmp_path / "messages.csv", tmp_path / "issues.csv"
    pd.DataFrame(rows, columns=["id", "user", "title", "time", "body", "likes"]).to_csv(src, index=False)
    result = CliRunner().invoke(text, ["hot-issues", "--input", str(src), "--output", str(out), "--top", "1"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype={"ids": str})
    assert list(table.columns) == ["rank", "heat", "messages", "reporters", "place", "subject", "first", "last", "ids"]
    assert len(table) == 1 and table.loc[0, "messages"] == 5 and table.loc[0, "reporters"] == 5
    assert table.loc[0, "ids"] == "0 1 2 3 4"


def test_hot_issues_command_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"id": [1], "title": ["x"]}).to_csv(bad, index=False)
    result = CliRunner().invoke(text, ["hot-issues", "--input", str(bad), "--output", str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "missing column(s) time" in result.output
    result = CliRunner().invoke(text, ["hot-issues", "--input", str(tmp_path / "none.csv"), "--output", "o.csv"])
    assert result.exit_code == 1 and "not found" in result.output
