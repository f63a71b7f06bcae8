"""``risk`` click group through CliRunner."""

from __future__ import annotations

import numpy as np
import pandas as pd
from click.testing import CliRunner

from risk_models.cli import risk


def test_spikes_command(tmp_path):
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=150, freq="D")
    values = rng.poisson(5, 150)
    values[120] = 50
    src = tmp_path / "in.csv"
    pd.DataFrame({"timestamp": days.strftime("%Y-%m-%d"), "value": values}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(risk, ["spikes", "--input", str(src), "--output", str(out)])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out)
    assert list(df.columns) == ["timestamp", "value", "score", "alarm"] and df["alarm"].iloc[120] == 1
    assert "alarms" in result.output


def test_spikes_bad_input_is_a_click_error(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text("when,value\n2024-01-01,1\n")
    result = CliRunner().invoke(risk, ["spikes", "--input", str(src), "--output", str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "Error: input CSV lacks column(s): timestamp" in result.output
    src.write_text("timestamp,value\n2024-01-01,abc\n2024-01-02,1\n")
    result = CliRunner().invoke(risk, ["spikes", "--input", str(src), "--output", str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(risk, ["spikes", "--input", str(tmp_path / "missing.csv"), "--output", "o"])
    assert result.exit_code == 2


def test_fit_and_score_commands(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    df = pd.DataFrame({
        "uscc": [f"9141020{i:011d}" for i in range(n)],
        "past_violations": rng.integers(0, 4, n),
        "industry": rng.choice(["餐饮", "药品", "零售"], n),
        "complaints_90d": rng.poisson(2, n).astype(float),
    })
    df.loc[::17, "complaints_90d"] = np.nan
    df["violation"] = (rng.random(n) < 0.1 + 0.15 * df["past_violations"]).astype(int)
    train, new = tmp_path / "train.csv", tmp_path / "new.csv"
    df.to_csv(train, index=False)
    df.drop(columns="violation").to_csv(new, index=False)
    model = tmp_path / "model.joblib"
    runner = CliRunner()
    r = runner.invoke(risk, ["fit", "--input", str(train), "--label", "violation", "--id", "uscc", "--model", str(model)])
    assert r.exit_code == 0, r.output
    out = tmp_path / "scores.csv"
    r = runner.invoke(risk, ["score", "--model", str(model), "--input", str(new), "--output", str(out)])
    assert r.exit_code == 0, r.output
    scores = pd.read_csv(out, dtype={"uscc": str})
    assert list(scores.columns) == ["uscc", "score"] and len(scores) == n
    assert scores["score"].between(0, 1).all()
    # errors: unknown label column, missing feature column, not a model file
    r = runner.invoke(risk, ["fit", "--input", str(train), "--label", "nope", "--id", "uscc", "--model", str(model)])
    assert r.exit_code == 1 and "label column 'nope'" in r.output
    df.drop(columns=["violation", "industry"]).to_csv(new, index=False)
    r = runner.invoke(risk, ["score", "--model", str(model), "--input", str(new), "--output", str(out)])
    assert r.exit_code == 1 and "industry" in r.output
    r = runner.invoke(risk, ["score", "--model", str(train), "--input", str(new), "--output", str(out)])
    assert r.exit_code == 1 and "not a readable entity-risk model" in r.output


def test_help_lists_commands():
    r = CliRunner().invoke(risk, ["--help"])
    assert r.exit_code == 0 and all(c in r.output for c in ("spikes", "fit", "score"))
