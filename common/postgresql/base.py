"""Django's PostgreSQL backend that stops trying a database that did not answer
(common.database): while it is marked unresponsive, a new connection fails at
once instead of waiting DATABASE_CONNECT_TIMEOUT in every request."""

from django.db.backends.postgresql import base

from common import database


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        if database.unresponsive():
            raise self.Database.OperationalError(
                "The database did not answer a moment ago; not trying again yet."
            )
        try:
            return super().get_new_connection(conn_params)
        except self.Database.errors.ConnectionTimeout:
            database.mark_unresponsive()
            raise
