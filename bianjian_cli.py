"""The ``bianjian`` command line: a thin shell over library functions.

Each command parses its arguments, calls one function and reports; user errors become
``click.ClickException`` (exit code 1 with a plain message), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

import settings
from data_access.cli_engine import warehouse_engine
from data_access.clock import use_warehouse_time

use_warehouse_time()


@contextmanager
def _progress(label: str, stages: int):
    """A progress bar on stderr for a job of ``stages`` stages; yields the callback the job calls as each
    stage starts (the bar names that stage, and fills as stages finish)."""
    from tqdm import tqdm

    with tqdm(total=stages, desc=label, file=sys.stderr, dynamic_ncols=True,
              bar_format="{desc} {percentage:3.0f}%|{bar}| {n}/{total} [{elapsed}]") as bar:
        started = False

        def report(stage: str) -> None:
            nonlocal started
            bar.set_description_str(f"{label}: {stage}", refresh=not started)
            if started:
                bar.update(1)
            started = True

        yield report
        bar.set_description_str(f"{label}: done", refresh=False)
        bar.update(stages - bar.n)
        bar.refresh()


# Command groups that live in their areas, imported only when their command runs (or ``--help`` lists them):
# importing every area up front cost each command seconds (scikit-learn through text and metrics), which
# ``bianjian ingest`` paid for every file. name -> (module, attribute).
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "users": ("security.cli", "users"), "kiosk": ("security.cli", "kiosk"), "keys": ("security.cli", "keys"),
    "audit": ("security.cli", "audit"),
    "ingest": ("data_access.ingest.cli", "ingest"),
    "report": ("evaluation.cli", "report"),
    "leads": ("dispatch.cli", "leads"),
    "eval": ("risk_models.eval_cli", "eval_group"),
    "risk": ("risk_models.cli", "risk"),
    "text": ("text_mining.cli", "text"),
    "metrics": ("metrics.cli", "metrics_command"),
}


@contextmanager
def _collection_paused(freeze: bool) -> Iterator[None]:
    """The cyclic garbage collector paused while a command group imports its libraries (back on, if it was on,
    when the block ends); with ``freeze``, what exists then is moved out of the collector's reach for good.

    Importing pandas, pyarrow and SQLAlchemy allocates ~160,000 objects that all live as long as the process;
    the collector would run hundreds of times walking them and find no garbage (measured in docs/ingest.md §
    "Fewer garbage collections").
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()


class _LazyGroup(click.Group):
    # Set by ``main`` (a ``bianjian`` process): the objects alive when a group is imported — modules, the
    # parsed command line — live until the process exits, so they may be frozen. Tests invoke ``cli`` inside
    # their own process, whose objects must stay collectable.
    freeze_imports = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_GROUPS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMAND_GROUPS and name not in self.commands:
            import importlib

            module_name, attr = COMMAND_GROUPS[name]
            with _collection_paused(self.freeze_imports):
                self.add_command(getattr(importlib.import_module(module_name), attr), name)
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """Bianjian (汴监): Kaifeng's Internet+Regulation command center.

    The warehouse is SQLite under ./var by default; set BIANJIAN_DATABASE_URL for PostgreSQL.
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.command()
def init() -> None:
    """Create or upgrade the warehouse schema and seed reference dimensions.

    Regions (10 county-level units and their townships), departments, 12345 and 数字城管 code lists,
    credit measures and the working-day calendar. Safe to run again.
    """
    from data_access import warehouse

    counts = warehouse.init(warehouse_engine())
    for table, n in counts.items():
        click.echo(f"{table}: {n}")


@cli.command()
@click.option("--scale", type=click.FloatRange(min=0.001, max=20), default=None,
              help="1.0 = the whole city (~450k entities, ~150k 12345 orders/yr). Default: BIANJIAN_DEMO_SCALE.")
@click.option("--seed", type=int, default=20201, show_default=True, help="Random seed; same seed, same rows.")
@click.option("--end", "end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the three demo years (default: yesterday).")
@click.option("--replace", is_flag=True, help="Empty existing facts first (reference dimensions are kept).")
@click.option("--json", "as_json", is_flag=True, help="Print row counts as one JSON line.")
@click.option("--keep-existing", is_flag=True, help="If the warehouse already holds data, keep it and exit "
              "successfully (./run.sh) instead of refusing.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False), default=None,
              help="Instead of generating, write sample files of every source in every format to this directory.")
@click.option("--follow", is_flag=True, help="Instead of generating, keep adding new 12345 orders until Ctrl-C "
              "(a live demo for the video wall).")
@click.option("--rate", type=click.FloatRange(min=0.1), default=30, show_default=True,
              help="With --follow: new orders per real minute.")
@click.option("--speed", type=click.FloatRange(min=0.1), default=60, show_default=True,
              help="With --follow: simulated seconds per real second.")
def demo(scale: float | None, seed: int, end: dt.datetime | None, replace: bool, as_json: bool, keep_existing: bool,
         export_dir: str | None, follow: bool, rate: float, speed: float) -> None:
    """Fill the warehouse with deterministic synthetic Kaifeng data, including planted ground truth.

    Example: bianjian init && bianjian demo --scale 0.02; then bianjian demo --follow for a live wall.
    """
    from data_access import warehouse

    engine = warehouse_engine()
    if follow:
        from demo.follow import follow as follow_orders

        def report(orders) -> None:  # noqa: ANN001
            if len(orders):
                click.echo(f"+{len(orders)} 工单, 最新受理 {orders['accepted_at'].max():%Y-%m-%d %H:%M}", err=True)

        try:
            follow_orders(engine, rate=rate, speed=speed, report=report)
        except KeyboardInterrupt:
            click.echo("stopped", err=True)
        return
    if export_dir:
        from demo.export import export_samples

        for path in export_samples(engine, export_dir):
            click.echo(str(path))
        return
    warehouse.init(engine)
    scale = scale if scale is not None else float(settings.get("demo_scale"))
    from demo.generator import STAGES
    from demo.load import WarehouseNotEmpty, load_demo

    if keep_existing and not replace and warehouse.has_data(engine):
        click.echo("warehouse already filled: keeping it (bianjian demo --replace regenerates it; "
                   "logins: docs/security.md)", err=True)
        return
    try:
        with _progress("demo", len(STAGES)) as report:
            counts = load_demo(engine, scale=scale, seed=seed, end=end.date() if end else None, replace=replace,
                               progress=report)
    except WarehouseNotEmpty as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(counts, ensure_ascii=False))
    else:
        for table, n in counts.items():
            click.echo(f"{table}: {n}")
    from security.users import create_demo_users

    for username, role, password in create_demo_users(engine):  # stderr under --json keeps stdout one line
        click.echo(f"demo login: {username} / {password} ({role})", err=as_json)


@cli.command()
@click.option("--step", "step_names", multiple=True, help="Run only these steps (repeatable).")
@click.option("--list", "list_steps", is_flag=True, help="List the steps and exit.")
def pipeline(step_names: tuple[str, ...], list_steps: bool) -> None:
    """Run the analysis pipeline (text mining, risk models, indicators, marts) over the warehouse.

    One run at a time per warehouse; steps a killed run left 'running' are marked 'interrupted' first.
    """
    from ops.pipeline_lock import PipelineBusy
    from ops.pipeline_run import run_pipeline
    from pipeline.steps import STEP_BY_NAME, STEPS

    if list_steps:
        for step in STEPS:
            click.echo(f"{step.name}\t{step.help}")
        return
    unknown = [s for s in step_names if s not in STEP_BY_NAME]
    if unknown:
        raise click.UsageError(f"unknown step(s): {', '.join(unknown)}; see --list")
    steps = [STEP_BY_NAME[s] for s in step_names] if step_names else list(STEPS)
    engine = current_warehouse_engine()
    try:
        with _progress("pipeline", len(steps)) as report:
            results = run_pipeline(engine, steps, progress=report)
    except PipelineBusy as exc:
        raise click.ClickException(str(exc)) from exc
    for r in results:
        click.echo(f"{r.step}: {r.status} rows={r.rows_written} {r.seconds:.1f}s")
    if any(r.status != "ok" for r in results):
        failed = [r for r in results if r.status != "ok"]
        raise click.ClickException("failed: " + "; ".join(f"{r.step}: {r.message.splitlines()[0]}" for r in failed))


def current_warehouse_engine():  # noqa: ANN201 (sqlalchemy is imported on first use)
    """The warehouse's engine, refusing a schema older than this code: a server on it answered every login
    with HTTP 500 (a column the code writes did not accept it yet) instead of saying what to do."""
    from data_access.migrate import missing_revisions

    engine = warehouse_engine()
    if missing := missing_revisions(engine):
        raise click.ClickException(f"the warehouse schema is older than this code (missing migrations "
                                   f"{', '.join(missing)}); run `bianjian init` to upgrade it")
    return engine


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Dash debug mode (hot reload); never on a wall.")
@click.option("--prod", is_flag=True, help="Production: gunicorn with several worker processes (docs/production.md).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="With --prod: worker processes. Default: BIANJIAN_WEB_WORKERS.")
def serve(host: str, port: int, debug: bool, prod: bool, workers: int | None) -> None:
    """Serve the dashboard at http://HOST:PORT (development server, or gunicorn with --prod)."""
    current_warehouse_engine()
    if prod:
        import os

        workers = workers or int(settings.get("web_workers"))
        click.echo(f"Bianjian dashboard (gunicorn, {workers} workers): http://{host}:{port}/", err=True)
        os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--config", "python:ops.gunicorn_conf",
                                  "--bind", f"{host}:{port}", "--workers", str(workers), "ops.wsgi:application"])
    from app import create_app
    from ops.access_log import install_dev_server_filter

    install_dev_server_filter()
    app = create_app()
    if debug:
        click.echo(f"Bianjian dashboard (debug): http://{host}:{port}/", err=True)
        app.run(host=host, port=port, debug=True)
        return
    # werkzeug's threaded server, as app.run uses it, without its red "development server" banner: it
    # serves one office well; a production deployment runs --prod (gunicorn).
    from werkzeug.serving import make_server

    app.enable_dev_tools(debug=False)
    try:
        server = make_server(host, port, app.server, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    click.echo(f"Bianjian dashboard: http://{host}:{port}/ (built-in server for one office; production: "
               "bianjian serve --prod, docs/production.md). Ctrl-C stops it.", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@cli.command()
@click.option("--beat", is_flag=True, help="Also run the schedule: nightly full pipeline, hourly light steps.")
@click.option("--concurrency", type=click.IntRange(min=1), default=2, show_default=True)
def worker(beat: bool, concurrency: int) -> None:
    """Run a Celery worker (Redis broker): scheduled pipeline runs and the dashboard's background callbacks."""
    from ops.celery_app import broker_url, celery

    if not broker_url():
        raise click.ClickException("no broker: set BIANJIAN_BROKER_URL or BIANJIAN_CACHE_URL to redis://…")
    warehouse_engine()
    import ops.wsgi  # noqa: F401 — builds the Dash app, which registers its background callbacks as tasks

    argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency}"] + (["--beat"] if beat else [])
    celery.worker_main(argv)


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print docs/configuration.md (defaults, not current values).")
def show_settings(markdown: bool) -> None:
    """Print every setting with its environment variable, current value and help."""
    if markdown:
        click.echo(settings.markdown(), nl=False)
        return
    for s in settings.SETTINGS:
        click.echo(f"{s.env}={settings.get(s.name)!r}\n    {s.help}")


# Command groups owned by the feature packages: (module, click object name). Each module imports only
def main() -> None:
    cli.freeze_imports = True
    cli(prog_name="bianjian")


if __name__ == "__main__":
    sys.exit(main())
