"""Production operation: gunicorn serving, Celery worker and schedule, background callbacks, fault handling."""
