"""``bianjian report``: the monthly bulletin, the weekly check, the scheduled run and the indicator list.

Only click is imported at module level (``bianjian --help`` stays fast); each command imports the
library inside, calls one function and reports.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

FORMAT = click.Choice(["pdf", "xlsx", "docx"])


def _write(build, fmt: str, out: Path) -> None:  # noqa: ANN001
    from data_access import db
    from evaluation import render

    try:
        with db.session_scope() as session:
            doc = build(session)
            path = render.write(doc, fmt, out)
    except (ValueError, PermissionError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(path))


@click.group("report")
def report() -> None:
    """Evaluation reports: monthly bulletin (月通报) and weekly check (周检查)."""


@report.command()
@click.option("--month", required=True, help="Month of the bulletin, YYYY-MM.")
@click.option("--format", "fmt", type=FORMAT, default="pdf", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output file.")
@click.option("--unit", default=None, help="A county code or department code: add that unit's own page.")
def monthly(month: str, fmt: str, out: Path, unit: str | None) -> None:
    """Write the monthly bulletin: rankings, rank changes, indicator tables, charts, overdue leads.

    Example: bianjian report monthly --month 2026-05 --format pdf --out var/reports/2026-05.pdf
    """
    from evaluation import reports

    _write(lambda s: reports.monthly_bulletin(s, month, unit=unit), fmt, out)


@report.command()
@click.option("--week", required=True, help="ISO week, YYYY-Www (e.g. 2026-W22).")
@click.option("--format", "fmt", type=FORMAT, default="pdf", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output file.")
def weekly(week: str, fmt: str, out: Path) -> None:
    """Write the weekly check: overdue leads and the week's worst performers.

    Example: bianjian report weekly --week 2026-W22 --out var/reports/2026-W22.pdf
    """
    from evaluation import reports

    _write(lambda s: reports.weekly_check(s, week), fmt, out)


@report.command()
@click.option("--date", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run the schedule as of this day (default: today).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
def scheduled(as_of: dt.datetime | None, out_dir: Path) -> None:
    """Write every report due today (monthly on the 1st, weekly on Mondays); for cron.

    Example (crontab): 30 6 * * * bianjian report scheduled --out-dir /srv/bianjian/reports
    """
    from evaluation import reports

    day = as_of.date() if as_of else dt.date.today()
    try:
        paths = reports.write_due_reports(day, out_dir)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in paths:
        click.echo(str(path))


@report.command()
def indicators() -> None:
    """Print the indicator library as the Markdown table of docs/evaluation.md."""
    from evaluation.indicators import markdown_table

    click.echo(markdown_table(), nl=False)
