from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from common.page_cache import NOT_FOUND_KEY, has_session, label

NOT_FOUND_MAX_AGE = 60


def page_not_found(request, exception):
    """Django's 404 page, the same for everyone: shared caches may keep it
    briefly, until a save makes an address appear (NOT_FOUND_KEY)."""
    response = defaults.page_not_found(request, exception)
    if not has_session(request):
        patch_cache_control(response, public=True, max_age=NOT_FOUND_MAX_AGE,
                            s_maxage=NOT_FOUND_MAX_AGE)
        label(response, {NOT_FOUND_KEY})
    return response


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


# One client (and so one connection pool) per Redis URL for the whole process:
# probes every few seconds must not open a socket each (they left thousands in
# TIME_WAIT). One try with a short timeout: a frozen Redis answers 503 in 2 s.
_redis_clients = {}


def _redis_client(url):
    client = _redis_clients.get(url)
    if client is None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = _redis_clients.setdefault(
            url,
            redis.Redis.from_url(
                url, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
            ),
        )
    return client


def _redis_ok():
    """Redis answers and accepts writes: a full one (maxmemory, noeviction)
    refuses queued tasks and cache entries, so it counts as down."""
    try:
        return bool(_redis_client(settings.REDIS_URL).set("healthz:write-check", 1, ex=60))
    except Exception:
        return False


@require_safe
@never_cache
def healthz(request):
    """200 when the database (and Redis, where configured) answer, else 503.
    A Redis that is full (refusing writes) counts as down. `?check=database`
    asks about the database alone: the shared cache's probe, since pages need
    the database but not Redis (the cache fails open)."""
    wanted = set(request.GET.getlist("check")) or {"database", "redis"}
    checks = {}
    if "database" in wanted:
        checks["database"] = _database_ok()
    if settings.REDIS_URL and "redis" in wanted:
        checks["redis"] = _redis_ok()
    healthy = all(checks.values())
    body = {name: "ok" if ok else "error" for name, ok in checks.items()}
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)


def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links to: the
    static file under its current (hashed in production) name."""
    return redirect(static("img/favicon.ico"))
