"""``bianjian eval ...``: backtests of the risk-lead generators (planted truth, external benchmarks).

Only click is imported at module level so ``bianjian --help`` stays fast.
"""

from __future__ import annotations

import json

import click

from data_access.cli_engine import warehouse_engine

__all__ = ["eval_group"]


@click.group(name="eval")
def eval_group() -> None:
    """Backtest the risk-lead models; every run is stored for the model cards (模型卡)."""


@eval_group.command()
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option("--inspection-share", type=click.FloatRange(0, 1, min_open=True),
              help="Share of live entities in the risk-based inspection plan; a planted entity in it is detected "
                   "(default: risk_models.backtest.INSPECTION_SHARE).")
@click.option("--no-store", is_flag=True, help="Do not store the run in derived_model_backtest.")
@click.option("--demo-feedback", is_flag=True,
              help="Write the replayed past spike/unlicensed leads as closed leads with the verdict the planted truth "
                   "implies (属实 / 不属实), for the learning loop of a new demo (risk_models/demo_feedback.py).")
def planted(as_json: bool, inspection_share: float | None, no_store: bool, demo_feedback: bool) -> None:
    """Recall, precision and delay of the leads against the demo warehouse's planted events (one unit: leads
    matched to events), recall by planted strength, precision by level, and the rankings' warnings against
    the planted slow departments."""
    from risk_models.backtest import INSPECTION_SHARE, planted_backtest

    share = INSPECTION_SHARE if inspection_share is None else inspection_share
    try:
        result = planted_backtest(warehouse_engine(), inspection_share=share, store=not no_store,
                                  demo_feedback=demo_feedback)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    click.echo(f"recall={_ratio(result['recall'])} precision={_ratio(result['precision'])} "
               f"median_delay_days={_days(result['median_delay_days'])} plan_recall={_ratio(result['plan_recall'])}")
    for kind, k in result["kinds"].items():
        click.echo(f"  {kind}: recall={_ratio(k['recall'])} precision={_ratio(k['precision'])} "
                   f"delay={_days(k['median_delay_days'])}")
    for level, row in result["by_level"].items():
        click.echo(f"  level {level}: {row['matched']}/{row['leads']} correct")
    warnings = result["ranking_warnings"]
    if warnings:
        click.echo(f"  ranking warnings ({warnings['months']}): {warnings['planted_warned']}/{warnings['planted_units']} "
                   f"planted slow units warned ({_ratio(warnings['planted_warned_month_share'])} of their months); "
                   f"unplanted red {warnings['unplanted_red_per_month']:.2f} and yellow "
                   f"{warnings['unplanted_yellow_per_month']:.2f} a month")


def _days(value: float | None) -> str:
    """A delay in days with one decimal, or "–" where no event was detected."""
    return "–" if value is None else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    """A share as three decimals, or "–" where it is undefined (no events or no leads)."""
    return "–" if value is None else f"{value:.3f}"


@eval_group.command()
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option("--data", "data_dir", default=None, type=click.Path(file_okay=False),
              help="Benchmark data directory (default ../shared/data).")
@click.option("--no-store", is_flag=True, help="Do not store the run in derived_model_backtest.")
def external(as_json: bool, data_dir: str | None, no_store: bool) -> None:
    """NAB score of the SpikeDetector and Chicago evaluation of the entity model."""
    from pathlib import Path

    import settings
    from risk_models.backtest import external_backtest

    root = Path(data_dir) if data_dir else settings.ROOT.parent / "shared" / "data"
    if not (root / "nab").is_dir() or not (root / "chicago_food").is_dir():
        raise click.ClickException(f"benchmark data not found under {root} (needs nab/ and chicago_food/)")
    result = external_backtest(None if no_store else warehouse_engine(), root, store=not no_store)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    click.echo(f"NAB normalised score, mean of the Twitter files {result['nab']['twitter_mean']:.1f}; "
               f"Chicago AUC {result['chicago']['auc']:.3f}, days earlier {result['chicago']['days_earlier_mean']:.2f}")


@eval_group.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result (without the curve) as JSON.")
@click.option("--data", "data_dir", default=None, type=click.Path(file_okay=False),
              help="Benchmark data directory holding gov_messages/ (default ../shared/data).")
@click.option("--no-store", is_flag=True, help="Do not store the run in derived_model_backtest.")
@click.option("--folds", type=click.IntRange(1, 5), default=5, show_default=True,
              help="Measure the gate on this many grouped held-out folds (1: fold 0 only; each fold fits a model).")
def routing(as_json: bool, data_dir: str | None, no_store: bool, folds: int) -> None:
    """Selective routing of the complaint classifier on real messages (gov_messages): the share routed
    without 人工分拨 and its accuracy on held-out messages (per fold), the curve 模型卡 draws."""
    from pathlib import Path

    import settings
    from risk_models.backtest import store_rows
    from text_mining.routing_backtest import backtest_rows, routing_backtest

    root = Path(data_dir) if data_dir else settings.ROOT.parent / "shared" / "data"
    try:
        result = routing_backtest(root, folds)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    if not no_store:
        store_rows(warehouse_engine(), backtest_rows(result))
    if as_json:
        click.echo(json.dumps({k: v for k, v in result.items() if k != "curve"}, ensure_ascii=False, indent=1))
        return
    click.echo(f"threshold {result['threshold']:.2f}: {result['routed_share']:.1%} routed automatically at accuracy "
               f"{result['routed_accuracy'] or float('nan'):.3f} ({result['n_test']} held-out messages; all: accuracy "
               f"{result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}; fit {result['fit_seconds']} CPU s)")
    for fold in result["folds"]:
        click.echo(f"fold {fold['fold']}: threshold {fold['threshold']:.2f}, {fold['routed_share']:.1%} routed at "
                   f"accuracy {fold['routed_accuracy'] or float('nan'):.3f} ({fold['n_test']} held-out messages)")
