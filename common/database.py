"""Client-side limits on the database, so that a frozen PostgreSQL costs a
visitor seconds (a 503 page), never a hung gunicorn worker.

Measured against a SIGSTOPped PostgreSQL (every process of the cluster), with a
query on a connection opened before the freeze: it was still blocked after 8 s
with TCP keepalives (idle 1 s, interval 1 s, count 2), with `tcp_user_timeout`
2 s and with `statement_timeout` 2 s. The frozen server's kernel still ACKs
every packet and answers keepalive probes, and statement_timeout is enforced
by the server, which is frozen. `connect_timeout` does end a *new* connection
attempt on time (DATABASE_CONNECT_TIMEOUT). What does end the wait is the
client closing its own socket: libpq then reports "server closed the
connection unexpectedly" at once. So:

* `watch()` (around each web request, common.guards.DatabaseDeadlineMiddleware)
  lets one thread per process look at the request's connection a few times a
  second; one statement (or health check, or commit) that has had no answer
  for DATABASE_QUERY_TIMEOUT seconds gets its socket shut down. The view sees
  an OperationalError: the 503 page. Only web requests are watched: workers,
  migrations and management commands may run long statements.
* A process that met a database that does not answer (the cut above, or a
  connection attempt that timed out) stops trying it for
  DATABASE_RETRY_AFTER_SECONDS (common.postgresql refuses new connections at
  once meanwhile): under load every request would otherwise wait its own
  timeout and the queue would grow without end. A refused connection (the
  server stopped) opens nothing: it fails fast by itself.

psycopg has no client-side limit for a statement on a synchronous connection
(and its cancel goes to the frozen server too); a circuit breaker library
would add a dependency for the dozen lines of `unresponsive()`.
"""

import contextlib
import logging
import os
import socket
import threading
import time

from django.conf import settings

log = logging.getLogger(__name__)

_unresponsive_until = 0.0


def mark_unresponsive():
    """The database did not answer: stop trying it for a while (this process)."""
    global _unresponsive_until
    _unresponsive_until = time.monotonic() + settings.DATABASE_RETRY_AFTER_SECONDS


def unresponsive():
    """Whether this process met a database that did not answer a moment ago."""
    return time.monotonic() < _unresponsive_until


class _Watch:
    """One request's database connection, as the watchdog sees it."""

    def __init__(self, database):
        self.database = database  # Django's connection wrapper of that thread
        self.statements = 0  # counted by an execute wrapper: each one resets the clock
        self.seen = None  # (psycopg connection, statement count) when first seen busy
        self.busy_since = None

    def count(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)


class _Watchdog:
    INTERVAL = 0.1  # seconds between looks

    def __init__(self):
        self.watches = {}
        self.lock = threading.Lock()
        self.thread = None
        self.pid = None

    def add(self, watch):
        with self.lock:
            # After a fork (gunicorn's workers) the parent's thread is gone.
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self.run, name="db-watchdog", daemon=True)
                self.thread.start()
            self.watches[id(watch)] = watch

    def remove(self, watch):
        with self.lock:
            self.watches.pop(id(watch), None)

    def run(self):
        while True:
            time.sleep(self.INTERVAL)
            with self.lock:
                watches = list(self.watches.values())
            now = time.monotonic()
            for watch in watches:
                self.look(watch, now)

    def look(self, watch, now):
        connection = watch.database.connection
        if connection is None or not _busy(connection):
            watch.busy_since = None
            return
        seen = (connection, watch.statements)
        if watch.busy_since is None or watch.seen != seen:
            watch.seen, watch.busy_since = seen, now
        elif now - watch.busy_since >= settings.DATABASE_QUERY_TIMEOUT:
            waited, watch.busy_since = now - watch.busy_since, None
            # Marked first: the thread woken by the cut must not try a new connection.
            mark_unresponsive()
            if _cut(connection):
                log.error("The database did not answer for %.1fs: connection closed", waited)


def _busy(connection):
    """A statement (or commit, or health check) is waiting for the server's answer."""
    try:
        from psycopg import pq

        return (
            not connection.closed
            and connection.pgconn.transaction_status == pq.TransactionStatus.ACTIVE
        )
    except Exception:  # closed under our feet, or not psycopg (SQLite)
        return False


def _cut(connection):
    """Shut the connection's socket down: the thread waiting on it wakes with an error."""
    try:
        peer = (connection.info.hostaddr or connection.info.host, connection.info.port)
        duplicate = socket.socket(fileno=os.dup(connection.pgconn.socket))
    except Exception:
        return False
    try:
        # Only if the descriptor is still the database's (not closed and reused meanwhile).
        if duplicate.getpeername()[:2] == peer and _busy(connection):
            duplicate.shutdown(socket.SHUT_RDWR)
            return True
        return False
    except OSError:
        return False
    finally:
        duplicate.close()


_watchdog = _Watchdog()


@contextlib.contextmanager
def watch(database):
    """Within this block, a statement of `database` (this thread's connection
    wrapper) unanswered for DATABASE_QUERY_TIMEOUT seconds is cut off."""
    if database.vendor != "postgresql":
        yield
        return
    current = _Watch(database)
    _watchdog.add(current)
    try:
        with database.execute_wrapper(current.count):
            yield
    finally:
        _watchdog.remove(current)
