"""Middleware that keeps faults and abuse from becoming 500s or wasted work.

* RequestBodyLimitMiddleware refuses a request whose declared body is too large
  (413) before anything reads it: Django would otherwise stream a 300 MB
  multipart body to a temporary file before any view could say no.
* DatabaseDeadlineMiddleware cuts off a statement the database leaves
  unanswered (a frozen server) after DATABASE_QUERY_TIMEOUT seconds.
* DatabaseUnavailableMiddleware (with the 500 handler, server_error) answers a
  clear 503 page while the database cannot be reached, instead of a traceback;
  the next request after it returns is served normally (no restart).
* AdminQueryGuardMiddleware answers 400 to admin lookups that could only fail:
  a NUL byte (PostgreSQL refuses it in text) or a date-hierarchy part that is
  not a small number (Django's date drill-down overflows on it).
"""

import logging
import re
import sys

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views import defaults

from common import database

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def declared_body_size(request):
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads no body at all for a malformed length


def body_limit(request):
    """The largest body this request may carry: staff upload documents and images."""
    if request.user.is_staff:
        return settings.STAFF_REQUEST_MAX_BODY_SIZE
    return settings.REQUEST_MAX_BODY_SIZE


class RequestBodyLimitMiddleware:
    """413 for bodies over the limit, judged on Content-Length alone.

    Sits after AuthenticationMiddleware (staff have the larger limit) but runs
    before any process_view hook, so before CsrfViewMiddleware reads the form.
    The user is looked up only for a body over the public limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        size = declared_body_size(request)
        if size > settings.REQUEST_MAX_BODY_SIZE and size > body_limit(request):
            log.warning("Refused a %d-byte body to %s", size, request.path)
            content = render_to_string("413.html", {"limit": body_limit(request)})
            # No "Connection: close": WSGI leaves hop-by-hop headers to the server.
            return HttpResponse(content, status=413)
        return self.get_response(request)


def database_unavailable(request, exception):
    log.error("Database unavailable for %s: %s", request.path, exception)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseDeadlineMiddleware:
    """A statement of this request that the database leaves unanswered for
    DATABASE_QUERY_TIMEOUT seconds is cut off (common.database): the request
    gets the 503 page instead of hanging on a frozen server."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with database.watch(connections[DEFAULT_DB_ALIAS]):
            return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A 503 page, not a 500, when a view cannot reach the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def server_error(request):
    """handler500: the 503 page for database errors raised outside views
    (a session saved by middleware, say), Django's 500 page otherwise."""
    exception = sys.exception()
    if isinstance(exception, DATABASE_ERRORS):
        return database_unavailable(request, exception)
    return defaults.server_error(request)


DATE_PART = re.compile(r"__(year|month|day)$")


def bad_admin_lookup(query):
    """Why the admin cannot use this query string (a QueryDict), or ""."""
    for name, values in query.lists():
        if any("\x00" in value for value in [name, *values]):
            return "A filter value contains a NUL character."
        if DATE_PART.search(name) and not all(v.isascii() and v.isdigit() and len(v) <= 4
                                              for v in values):
            return "A date filter needs a year, month or day as a number."
    return ""


class AdminQueryGuardMiddleware:
    """Admin changelists turn query parameters into lookups: refuse (400)
    those that could only end in a database or overflow error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or "admin" not in match.namespaces:
            return None
        problem = bad_admin_lookup(request.GET)
        if problem:
            return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
        return None
