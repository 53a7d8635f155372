from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

NOT_FOUND_MAX_AGE = 60


def page_not_found(request, exception):
    """Django's 404 page, the same for everyone: shared caches may keep it briefly."""
    response = defaults.page_not_found(request, exception)
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        patch_cache_control(response, public=True, max_age=NOT_FOUND_MAX_AGE,
                            s_maxage=NOT_FOUND_MAX_AGE)
    return response


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
