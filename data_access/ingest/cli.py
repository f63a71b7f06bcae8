"""``bianjian ingest KIND PATH``: load one source file (only click is imported at module level)."""

from __future__ import annotations

import json

import click

from data_access.cli_engine import warehouse_engine
from data_access.codes import INGEST_KINDS  # a light module: plain tuples and dicts


@click.command("ingest")
@click.argument("kind", type=click.Choice(list(INGEST_KINDS)))
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--dry-run", is_flag=True, help="Validate and count, then roll everything back.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON line.")
def ingest(kind: str, path: str, dry_run: bool, as_json: bool) -> None:
    """Load a CSV (UTF-8 or GBK), XLSX or JSONL file of KIND into the warehouse.

    Bad rows go to quarantine with their reasons; good rows load; re-running the same file changes
    nothing. A file that cannot be read at all loads nothing and exits with status 1.

    Example: bianjian ingest hotline 12345_工单_2025-01.csv --json
    """
    from data_access.ingest import UnreadableFile, ingest_file

    try:
        result = ingest_file(warehouse_engine(), kind, path, dry_run=dry_run)
    except UnreadableFile as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    click.echo(f"{'[dry run] ' if dry_run else ''}{result.batch_id} ({result.source}, {result.format}): "
               f"received={result.received} inserted={result.inserted} updated={result.updated} "
               f"unchanged={result.unchanged} quarantined={result.quarantined} in {result.seconds:.1f}s")
    if result.ignored_columns:
        click.echo(f"ignored columns: {', '.join(result.ignored_columns)}", err=True)
