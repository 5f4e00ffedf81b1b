"""WSGI entry point for gunicorn (`gunicorn dudao.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (settings are configured only now)

if settings.WORKER == "web":
    from dudao.worker.runner import start_in_web_process  # noqa: E402

    start_in_web_process()
