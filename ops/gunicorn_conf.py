"""gunicorn configuration for ``bianjian serve --prod``; bind and worker count come from the command line.

Threaded workers, because a callback spends most of its time waiting on PostgreSQL; recycled by draining
(ops/gunicorn_worker.py), because the stock gthread recycle resets the connections it holds. The app is *not*
preloaded: each worker builds its own engine and cache client after the fork, so no database socket is
ever shared between processes.
"""

import importlib

import settings
from ops.access_log import ACCESS_LOG_FORMAT

# The third-party libraries every worker imports, imported once in the master before it forks, so a worker
# that starts (or restarts after max_requests) begins with them loaded instead of importing them again:
# 3–8 CPU seconds a worker otherwise (docs/production.md). Only libraries that open nothing at import
# (no connection, thread pool or file handle a fork could share); our own modules stay out, so workers that a
# HUP starts load the new code.
PRELOADED_LIBRARIES = (
    "numpy", "pandas", "pyarrow", "scipy.stats", "scipy.optimize", "sklearn.base", "sklearn.preprocessing",
    "sklearn.feature_extraction", "matplotlib.pyplot", "sqlalchemy.orm", "sqlalchemy.dialects.postgresql",
    "flask", "dash", "dash_ag_grid", "dash_bootstrap_components", "plotly.graph_objects", "celery.app", "argon2",
)

worker_class = "ops.gunicorn_worker.DrainingThreadWorker"
threads = int(settings.get("web_threads"))
preload_app = False
timeout = 120  # a monthly bulletin may take a while; longer work belongs in a background callback
graceful_timeout = 30  # also the longest a recycled worker drains its open connections
keepalive = 5
max_requests = 5000  # recycle workers now and then so slow leaks cannot grow for weeks
max_requests_jitter = 2500  # spread: workers that recycle together leave nobody accepting while new ones boot
accesslog = "-"
access_log_format = ACCESS_LOG_FORMAT  # no query strings: a wall's ?kiosk= token must not reach the log


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's hook, in the master before the first fork
    for name in PRELOADED_LIBRARIES:
        importlib.import_module(name)
