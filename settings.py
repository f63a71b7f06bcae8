"""Every tunable of Bianjian, declared once with its default, environment variable and help text.

``bianjian settings`` prints them with their current values; docs/configuration.md is generated from them
(``bianjian settings --markdown``) and tests/test_settings_doc.py fails when the two differ.
"""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return "BIANJIAN_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("var_dir", str(ROOT / "var"), "Directory for the embedded warehouse, cache and models."),
    Setting("database_url", "", "SQLAlchemy URL of the warehouse; empty means SQLite at VAR_DIR/bianjian.db. "
            "Production: postgresql+psycopg://user@host:5432/db"),
    Setting("cache_url", "", "Cache backend: empty means diskcache under VAR_DIR/cache; redis://host:6379/0 in production."),
    Setting("secret_key", "", "Flask session secret; empty means a random key kept in VAR_DIR/secret_key."),
    Setting("wall_refresh_seconds", "60", "Video-wall auto-refresh interval."),
    Setting("wall_dwell_seconds", "45", "Seconds each wall screen is shown in the carousel."),
    Setting("wall_reload_minutes", "360", "Scheduled full reload of a wall page (keeps browser memory flat)."),
    Setting("demo_scale", "0.1", "Scale of the demo data the first run creates (1.0 = the whole city)."),
    Setting("lead_sign_days", "1", "Working days a department has to sign off a dispatched lead."),
    Setting("lead_handle_days", "RED=3,ORANGE=5,YELLOW=10,BLUE=15", "Working days to handle a lead, by level."),
    Setting("inspection_plan_share", "0.01", "Share of live market entities, highest entity-risk score first, in the "
            "risk-based inspection plan (风险分级检查名单 on 企业画像); set it from the departments' inspection "
            "capacity. The planted backtest counts a planted high-risk entity in the plan as detected."),
    Setting("ingest_chunk_rows", "10000", "Rows per chunk when ingesting a file (bounds memory; one transaction per file)."),
    Setting("ingest_api_max_records", "10000", "Most records one POST /api/v1/ingest/KIND request may carry."),
    Setting("silent_source_days", "3", "Days without a load after which a source counts as silent (data quality, risk leads)."),
    Setting("report_timely_days", "7", "Days from an inspection to its report (报送) that still count as timely (上报及时率)."),
    Setting("export_row_limit", "50000", "Most rows one CSV/XLSX export from an analyst page may contain (stated in the UI)."),
    Setting("wall_cache_seconds", "20", "Longest a wall panel is served from the shared cache before it is recomputed "
            "(it is recomputed at once when a pipeline step bumps the data version)."),
    Setting("broker_url", "", "Celery broker and result backend for `bianjian worker` and Dash background callbacks; "
            "empty means BIANJIAN_CACHE_URL when that is redis://, else no Celery (local background processes)."),
    Setting("web_workers", "4", "gunicorn worker processes of `bianjian serve --prod` (about 2 per core)."),
    Setting("web_threads", "4", "Threads per gunicorn worker (callbacks wait on the database, not the CPU)."),
    Setting("pipeline_nightly_at", "02:30", "Local time (HH:MM) of the nightly full pipeline run on `bianjian worker --beat`."),
    Setting("reports_daily_at", "06:30", "Local time (HH:MM) `bianjian worker --beat` writes the reports due that day (monthly bulletin on the 1st, weekly check on Mondays) into VAR_DIR/reports."),
    Setting("pipeline_hourly_steps", "daily_counts,provincial_leads",
            "Steps re-run every hour by `bianjian worker --beat` (comma-separated; empty turns the hourly run off)."),
    Setting("session_idle_minutes", "30", "Log a session out after this many minutes without a request."),
    Setting("outage_session_seconds", "300", "While the warehouse cannot be reached, a session resolved within this many "
            "seconds still opens pages (with cached data); revocations apply as soon as the database is back."),
    Setting("session_cookie_secure", "false", "Send session cookies only over HTTPS (set true behind TLS)."),
    Setting("login_max_failures", "5", "Failed logins per username + IP before that pair is locked out."),
    Setting("login_max_failures_per_ip", "20", "Failed logins from one IP (any username) before the IP is locked out."),
    Setting("login_max_in_flight_per_ip", "50", "Logins from one IP whose password is still being checked that do not "
            "count against the IP's failures (an office behind one NAT address logging in at once)."),
    Setting("login_lock_minutes", "15", "Window in which failures are counted, and so the length of a lockout."),
    Setting("proxy_hops", "0", "Reverse proxies in front of the server whose X-Forwarded-For/-Proto are trusted."),
    Setting("text_model_max_age_days", "31", "Retrain the complaint-category model once the newest 12345 data is this "
            "many days past the cached model's training cut-off (step text_features)."),
    Setting("text_model_train_rows", "200000", "Newest labelled 12345 orders the complaint-category model trains on."),
    Setting("text_review_accuracy", "0.98", "Declared accuracy of the 12345 orders the category model routes without "
            "manual triage (人工分拨); the review gate's confidence threshold is the lowest at which the 95 % lower "
            "bound of the held-out accuracy of the routed orders reaches it (docs/text_mining.md § Selective routing)."),
    Setting("text_hot_word_weeks", "26", "Recent weeks of hot words (week × county × category) step hot_topics rewrites."),
    Setting("text_hot_issue_days", "60", "Sliding window in days within which near-duplicate orders form a hot issue."),
    Setting("text_workers", "2", "Worker processes segmenting and scoring 12345 text in step text_features (1 = none)."),
    Setting("text_batch_rows", "20000", "12345 orders step text_features reads, segments and links at a time (bounds "
            "memory; reply relevance's idf is per batch, so it is part of the result)."),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """Current value of a setting: its environment variable if set, else the default."""
    setting = SETTINGS_BY_NAME[name]
    return os.environ.get(setting.env, setting.default)


def markdown() -> str:
    """docs/configuration.md: every setting's environment variable, default and help, in declaration order."""
    lines = [
        "# Configuration",
        "",
        "Every tunable of Bianjian is an environment variable `BIANJIAN_<NAME>`, declared once in `settings.py`",
        "with its default and help. `bianjian settings` prints the values in force. This page is generated by",
        "`bianjian settings --markdown > docs/configuration.md`; a test fails when it differs from `settings.py`.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for s in SETTINGS:
        default = "`<checkout>/var`" if s.name == "var_dir" else (f"`{s.default}`" if s.default else "(empty)")
        meaning = s.help.replace("|", "\\|")
        lines.append(f"| `{s.env}` | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


def var_dir() -> Path:
    path = Path(get("var_dir"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key() -> str:
    """The ``secret_key`` setting, else a random key created once and kept (mode 0600) in VAR_DIR/secret_key.

    It keys the CSRF tokens and the signatures of everything kept in the shared cache."""
    configured = get("secret_key")
    if configured:
        return configured
    return _key_file(get("var_dir"))


@functools.cache
def _key_file(directory: str) -> str:
    """The key kept in ``directory``/secret_key, read once per process (it is asked for several times in every
    request: CSRF tokens, cache signatures; the file is never rewritten once created)."""
    path = Path(directory) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32), encoding="ascii")
    return path.read_text(encoding="ascii").strip()


def database_url() -> str:
    return get("database_url") or f"sqlite:///{var_dir() / 'bianjian.db'}"
