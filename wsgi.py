"""WSGI entry point: PythonAnywhere's WSGI file and gunicorn import `application` from here."""

from gapfind import create_app

application = create_app()
app = application  # `flask --app wsgi` and plain-Flask tooling look for `app`
