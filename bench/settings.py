"""Settings for the benchmarks: the site's own, plus one constant page.

The environment chooses the database, the cache (REDIS_URL) and the page cache
(PAGE_CACHE_TIMEOUT) exactly as in production; bench/news_pages.py sets it.
"""

import warnings

from portal_site.settings import *  # noqa: F403

# WhiteNoise warns that STATIC_ROOT was never collected; the pages measured need no static files.
warnings.filterwarnings("ignore", message="No directory at: ")

ROOT_URLCONF = "bench.urls"

# The benchmark measures HTML pages, never static files: serve {% static %}
# names unhashed so that DEBUG off needs no collectstatic into the work tree.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The baselines' plain templates (bench/urls.py).
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]  # noqa: F405
