"""Django's database sessions, read with one prepared statement instead of a query built per request.

Every signed-in request reads its session; building that query through the ORM cost more than serving a kept
page (dudao.core.kept). The table, its rows and every write stay Django's own (SESSION_ENGINE)."""

import types

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseStore):
    def _get_session_from_db(self):
        if not self._validate_session_key(self.session_key):  # the ORM's own check of a cookie's key
            self._session_key = None
            return None
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608
                           [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return types.SimpleNamespace(session_data=row[0])
