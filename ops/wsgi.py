"""The WSGI entry point gunicorn loads in each worker: the Flask server of ``create_app()``."""

from app import create_app

application = create_app().server
