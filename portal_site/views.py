from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _redis_ok():
    try:
        import redis

        return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
    except Exception:
        return False


@require_safe
@never_cache
def healthz(request):
    """200 when the database (and Redis, where configured) answer, else 503."""
    checks = {"database": _database_ok()}
    if settings.REDIS_URL:
        checks["redis"] = _redis_ok()
    healthy = all(checks.values())
    body = {name: "ok" if ok else "error" for name, ok in checks.items()}
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)


def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links to: the
    static file under its current (hashed in production) name."""
    return redirect(static("img/favicon.ico"))
