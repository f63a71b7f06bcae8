"""The Dash background-callback manager: Celery on Redis in production, diskcache processes locally.

Long work (a monthly bulletin, a big export) runs outside the request thread, so a gunicorn worker is
never tied up for minutes. A page opts in with ``@callback(..., background=True)``; the manager is set
once in ``create_app``. In production the Celery worker (``bianjian worker``) imports the app, which is
how it knows the background callbacks.
"""

from __future__ import annotations

import dash

import settings
from ops.celery_app import broker_url


def manager() -> dash.CeleryManager | dash.DiskcacheManager:
    if broker_url():
        from ops.celery_app import celery

        return dash.CeleryManager(celery, expire=3600)
    import diskcache

    return dash.DiskcacheManager(diskcache.Cache(str(settings.var_dir() / "background")), expire=3600)
