"""``text`` click command group (registered by the main CLI as ``bianjian text ...``)."""

from __future__ import annotations

import click

__all__ = ["text"]


@click.group()
def text():
    """Complaint text mining: train and apply the complaint classifier, find hot issues."""


@text.command()
@click.option(
    "--input",
    "input_csv",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV with title, body, label.",
)
@click.option(
    "--model", "model_path", required=True, type=click.Path(dir_okay=False), help="Where to save the model."
)
def train(input_csv, model_path):
    """Train the complaint classifier on a labelled CSV.

    Example:

        bianjian text train --input labelled.csv --model var/models/complaints.joblib
    """
    try:
        from text_mining.classifier import train_from_csv  # scikit-learn: only for this command

        model = train_from_csv(input_csv, model_path)
    except (FileNotFoundError, ValueError) as ex:
        raise click.ClickException(str(ex)) from ex
    click.echo(f"trained on {len(model.classes_)} labels, saved to {model_path}")


@text.command()
@click.option(
    "--model", "model_path", required=True, type=click.Path(dir_okay=False), help="Model from `text train`."
)
@click.option(
    "--input", "input_csv", required=True, type=click.Path(dir_okay=False), help="CSV with id, title, body."
)
@click.option(
    "--output",
    "output_csv",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV to write: id, label, confidence, needs_review, review_reason.",
)
def classify(model_path, input_csv, output_csv):
    """Classify messages; writes id, label, confidence, needs_review, review_reason.

    needs_review marks the messages a person should route (人工分拨): the model is unsure, or the message
    is unlike every training message (a subject outside the known categories).

    Example:

        bianjian text classify --model var/models/complaints.joblib --input new.csv --output labels.csv
    """
    try:
        from text_mining.classifier import classify_csv  # scikit-learn: only for this command

        out = classify_csv(model_path, input_csv, output_csv)
    except (FileNotFoundError, ValueError) as ex:
        raise click.ClickException(str(ex)) from ex
    click.echo(f"classified {len(out)} messages into {output_csv}; {int(out['needs_review'].sum())} need review")


@text.command("hot-issues")
@click.option("--input", "input_csv", required=True, type=click.Path(dir_okay=False),
              help="CSV with id, title, time and optionally body, user, likes, dislikes.")
@click.option("--output", "output_csv", required=True, type=click.Path(dir_okay=False),
              help="CSV to write: rank, heat, messages, reporters, place, subject, first, last, ids.")
@click.option("--top", type=click.IntRange(min=1), default=None, help="Keep only the N hottest issues.")
def hot_issues_command(input_csv, output_csv, top):
    """Group messages about the same issue and rank the issues by heat.

    Heat counts distinct reporters (user column, else messages), likes and dislikes where the file has
    them, how many weeks the issue has lasted, and keyword severity.

    Example:

        bianjian text hot-issues --input messages.csv --output hot_issues.csv --top 20
    """
    try:
        from text_mining.hot_issues import hot_issues_csv  # scikit-learn: only for this command

        table = hot_issues_csv(input_csv, output_csv, top=top)
    except (FileNotFoundError, ValueError) as ex:
        raise click.ClickException(str(ex)) from ex
    click.echo(f"{len(table)} hot issues written to {output_csv}")
