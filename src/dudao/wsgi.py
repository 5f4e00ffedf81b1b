"""WSGI entry point for gunicorn (`gunicorn dudao.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (settings are configured only now)

if settings.WORKER == "web":
    from django.utils.module_loading import autodiscover_modules  # noqa: E402

    from dudao.worker.runner import start_in_web_process  # noqa: E402

    # Every app's domain and job modules (and the libraries they import, shapely among them) are imported here, in
    # one thread, before the worker thread starts: two threads importing the same library for the first time at the
    # same moment can see it half initialised (a circular import error in the request that loses the race).
    autodiscover_modules("services", "selectors", "jobs")
    start_in_web_process()
