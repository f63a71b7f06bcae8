"""``bianjian risk ...``: spike detection and entity-risk scoring from CSV files.

Only click is imported at module level so ``bianjian --help`` stays fast; the models are
imported inside the commands.
"""

from __future__ import annotations

import click

__all__ = ["risk"]


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group(name="risk")
def risk() -> None:
    """Risk models: complaint-volume spikes and enterprise risk scores."""


@risk.command()
@click.option("--input", "input_csv", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns timestamp,value (regular frequency)")
@click.option("--output", "output_csv", required=True, type=click.Path(dir_okay=False, writable=True),
              help="CSV to write: timestamp,value,score,alarm")
def spikes(input_csv: str, output_csv: str) -> None:
    """Detect upward spikes in one series with the production SpikeDetector."""
    import pandas as pd

    from .spikes import detect_spikes_csv

    try:
        out = detect_spikes_csv(input_csv, output_csv)
    except (ValueError, KeyError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _fail(exc) from exc
    click.echo(f"{len(out)} rows scored, {int(out['alarm'].sum())} alarms -> {output_csv}")


@risk.command()
@click.option("--input", "input_csv", required=True, type=click.Path(exists=True, dir_okay=False),
              help="training CSV: label, id and feature columns")
@click.option("--label", "label_column", required=True, help="label column (e.g. 0/1 violation found)")
@click.option("--id", "id_column", required=True, help="entity id column (not a feature)")
@click.option("--model", "model_path", required=True, type=click.Path(dir_okay=False),
              help="where to save the fitted model (joblib)")
def fit(input_csv: str, label_column: str, id_column: str, model_path: str) -> None:
    """Fit an EntityRiskModel; every column other than label and id is a feature."""
    import pandas as pd

    from .entity_risk import fit_csv

    try:
        model = fit_csv(input_csv, label_column, id_column, model_path)
    except (ValueError, KeyError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _fail(exc) from exc
    click.echo(f"fitted on {model.n_features_in_} feature columns -> {model_path}")


@risk.command()
@click.option("--model", "model_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="model file written by 'risk fit'")
@click.option("--input", "input_csv", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with the id column and the model's feature columns")
@click.option("--output", "output_csv", required=True, type=click.Path(dir_okay=False, writable=True),
              help="CSV to write: <id>,score")
def score(model_path: str, input_csv: str, output_csv: str) -> None:
    """Score entities with a fitted model (score = calibrated probability of the positive label)."""
    import pandas as pd

    from .entity_risk import score_csv

    try:
        out = score_csv(model_path, input_csv, output_csv)
    except (ValueError, KeyError, TypeError, EOFError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _fail(exc) from exc
    click.echo(f"{len(out)} rows scored -> {output_csv}")
