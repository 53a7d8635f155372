"""
Settings for the Claims Portal news site.

Everything that differs between a laptop and production comes from environment
variables (listed in README.md). The defaults are safe for development; with
DEBUG off the site refuses to start on the development SECRET_KEY.
"""

import datetime
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY: the development key is refused with DEBUG off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

# Absolute links in feeds and emails are built from SITE_URL, never from the
# request's Host header.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Claims Portal")
# The meta description of pages that have none of their own (search results, previews).
SITE_DESCRIPTION = os.environ.get(
    "SITE_DESCRIPTION",
    f"News, updates, documents and planned maintenance from the {SITE_NAME}.",
)

INSTALLED_APPS = [
    "portal_site.apps.PortalAdminConfig",  # django.contrib.admin with the site's policy
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_ckeditor_5",
    "anymail",
    "common",
    "news",
    "newsletter",
    "cookies",
    "maintenance",
    "pages",
    "management_information",
    "axes",
    # Last: it gives the staff roles their permissions once every app's exist.
    "editorial",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so that the session and auth middleware's queries are watched too.
    "common.guards.DatabaseDeadlineMiddleware",
    # Public pages carry no secret, so compressing them is safe (no BREACH).
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before any process_view hook (CSRF reads the form); after auth (staff's limit).
    "common.guards.RequestBodyLimitMiddleware",
    "common.guards.DatabaseUnavailableMiddleware",
    # Admin lookups with a NUL byte or an impossible date: 400, not 500.
    "common.guards.AdminQueryGuardMiddleware",
    # Approved changes due now go live before any request is answered.
    "editorial.scheduling.ScheduledChangesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it answers locked-out log-ins.
    "axes.middleware.AxesMiddleware",
]

# Staff log-in throttling (django-axes): AXES_FAILURE_LIMIT failed log-ins for
# one user name lock that account for AXES_COOLOFF_MINUTES, wherever they come
# from. The client address is REMOTE_ADDR (axes' default without django-ipware);
# behind a proxy, lockouts still hold because they are per user name.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["username"]
# The address axes records for each attempt: the client behind the trusted proxies.
AXES_CLIENT_IP_CALLABLE = "common.client_address.client_address"
AXES_LOCKOUT_TEMPLATE = "editorial/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # lockouts are logged by editorial.signals, not every log-in
# axes.W006 wants the IP address among the lockout parameters. Behind the
# proxy every client has the proxy's REMOTE_ADDR, so an IP lockout would lock
# all staff out at once; accounts are locked by user name instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

ROOT_URLCONF = "portal_site.urls"
WSGI_APPLICATION = "portal_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal_site.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend that stops trying a database that did not answer
    # (common.database): a frozen PostgreSQL means a 503 page, not a hang.
    DATABASES["default"]["ENGINE"] = "common.postgresql"
if DATABASES["default"]["ENGINE"] == "common.postgresql" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # Bind parameters on the server and prepare each query after its second use,
    # planned once per connection: planning was most of PostgreSQL's work for a
    # year page (its CPU per query, measured here: 0.9 ms, 0.25 ms prepared).
    # Transaction-mode poolers such as PgBouncer need this off (set it to 0).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=2,
        options="-c plan_cache_mode=force_generic_plan",
    )
if DATABASES["default"]["ENGINE"] == "common.postgresql":
    # A database that is down or frozen costs a visitor seconds, not minutes:
    # the request gets the 503 page (common.guards) and the next one retries.
    # connect_timeout ends new connection attempts only (whole seconds, at
    # least 2); a reused connection is watched from the client side.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3"))
    )
# A statement of a web request that has had no answer for this long is cut off
# by the client (common.database; the server may be frozen), and the process
# leaves the database alone for DATABASE_RETRY_AFTER_SECONDS after a timeout.
DATABASE_QUERY_TIMEOUT = float(os.environ.get("DATABASE_QUERY_TIMEOUT", 3))
DATABASE_RETRY_AFTER_SECONDS = float(os.environ.get("DATABASE_RETRY_AFTER_SECONDS", 5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache that logs and carries on when Redis is down,
            # frozen or full: pages then render from the database.
            "BACKEND": "common.cache_backends.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "portal"),
            "OPTIONS": {
                # Short, so that a frozen Redis costs a request a fraction of a second.
                "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", 0.25)),
                "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", 0.25)),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# After a Redis error the cache skips Redis for this long instead of waiting
# on it in every request (common.cache_backends).
CACHE_RETRY_AFTER_SECONDS = float(os.environ.get("CACHE_RETRY_AFTER_SECONDS", 5))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files in production (collectstatic runs in the image);
    # development and tests serve the source files as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads (documents, editor images) in S3-compatible object storage when
# MEDIA_S3_BUCKET is set, so that every web replica sees every file; boto3
# reads the credentials and region from the standard AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION (or the machine's role). The
# bucket stays private: the site serves every file itself (common.storage).
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,
            # Path-style addresses work with every S3 server (SeaweedFS, MinIO).
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,  # the bucket's own: private
            "querystring_auth": True,  # any URL made for an object is signed...
            "querystring_expire": 60,  # ...and short-lived
            "file_overwrite": False,  # an existing name gets a new one, never new content
        },
    }

# Uploads larger than this are refused by the form validators, not just streamed
# to disk; Django's own limits guard the request body.
DOCUMENT_MAX_UPLOAD_SIZE = int(os.environ.get("DOCUMENT_MAX_UPLOAD_SIZE", 20 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Bodies larger than these are refused with 413 before they are read
# (common.guards): the public limit for everyone, and room for an upload
# plus the rest of its form for staff.
REQUEST_MAX_BODY_SIZE = int(os.environ.get("REQUEST_MAX_BODY_SIZE", 1024 * 1024))
STAFF_REQUEST_MAX_BODY_SIZE = DOCUMENT_MAX_UPLOAD_SIZE + REQUEST_MAX_BODY_SIZE
FILE_UPLOAD_PERMISSIONS = 0o644

# Email goes out through Django 6.1's MAILERS: SMTP when EMAIL_HOST is set,
# otherwise printed to the console.
_email_host = os.environ.get("EMAIL_HOST", "")
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
# Or through an email service's API with django-anymail (EMAIL_PROVIDER); its
# bounce and complaint webhooks are at /anymail/<provider>/tracking/.
EMAIL_PROVIDERS = {
    # name: (Anymail backend, the option the API key goes in; SES reads the AWS variables)
    "amazon_ses": ("anymail.backends.amazon_ses.EmailBackend", None),
    "postmark": ("anymail.backends.postmark.EmailBackend", "server_token"),
    "mailgun": ("anymail.backends.mailgun.EmailBackend", "api_key"),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", "api_key"),
    "brevo": ("anymail.backends.brevo.EmailBackend", "api_key"),
}
EMAIL_PROVIDER = os.environ.get("EMAIL_PROVIDER", "").strip().lower()
if EMAIL_PROVIDER:
    if EMAIL_PROVIDER not in EMAIL_PROVIDERS:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER must be empty (SMTP) or one of {', '.join(EMAIL_PROVIDERS)}."
        )
    _backend, _key_option = EMAIL_PROVIDERS[EMAIL_PROVIDER]
    _options = {}
    if _key_option:
        _options[_key_option] = os.environ.get("EMAIL_PROVIDER_API_KEY", "")
    if os.environ.get("EMAIL_PROVIDER_API_URL") and EMAIL_PROVIDER != "amazon_ses":
        _options["api_url"] = os.environ["EMAIL_PROVIDER_API_URL"]  # e.g. Mailgun's EU region
    MAILERS = {"default": {"BACKEND": _backend, "OPTIONS": _options}}
ANYMAIL = {
    # "user:password" the provider sends with every webhook (HTTP basic auth).
    "WEBHOOK_SECRET": os.environ.get("EMAIL_WEBHOOK_SECRET", ""),
    # Mailgun also signs its webhooks (its "HTTP webhook signing key").
    "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("EMAIL_WEBHOOK_SIGNING_KEY", ""),
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Claims Portal <news@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: a Redis broker when REDIS_URL is set; otherwise tasks run in-process
# so that `make run` needs nothing else.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any task, so Redis never redelivers a task that is still running.
    "visibility_timeout": 2 * 60 * 60,
    # A frozen Redis costs a request that queues a task seconds, not a hang:
    # the publish fails and the caller falls back (newsletter.tasks.queue_or_run).
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {}
if CELERY_BROKER_URL:
    # Production's beats (`celery beat --scheduler redbeat.RedBeatScheduler`,
    # docker-compose.yml) run on two machines, one active: celery-redbeat keeps
    # the schedule in Redis behind a lock the active beat renews on every tick
    # (at most CELERY_BEAT_MAX_LOOP_INTERVAL apart); a standby beat takes the
    # lock, and the schedule with each task's last run, once it has not been
    # renewed for BEAT_LOCK_TIMEOUT seconds. One beat sends each task once.
    # (A worker's embedded beat, `make worker`, keeps Celery's file schedule.)
    CELERY_REDBEAT_REDIS_URL = CELERY_BROKER_URL
    CELERY_REDBEAT_LOCK_TIMEOUT = int(os.environ.get("BEAT_LOCK_TIMEOUT", 30))
    CELERY_BEAT_MAX_LOOP_INTERVAL = 5
# Newsletter (newsletter/). Digest times are DigestSchedule rows edited in admin;
# one static beat entry checks every few minutes which digests are due.
NEWSLETTER_BEAT_SECONDS = int(os.environ.get("NEWSLETTER_BEAT_SECONDS", 120))
CELERY_BEAT_SCHEDULE["newsletter-send-due-digests"] = {
    "task": "newsletter.tasks.send_due_digests",
    "schedule": float(NEWSLETTER_BEAT_SECONDS),
}
# Approved changes to live items set to go live at a time are applied by the
# first request after it (editorial.scheduling), by a task queued for the time
# and, when neither came, by this within a minute. New items scheduled by
# their publication time go live at that exact moment with no task at all.
CELERY_BEAT_SCHEDULE["editorial-publish-due-revisions"] = {
    "task": "editorial.tasks.publish_due_revisions",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["editorial-prune-audit-log"] = {
    "task": "editorial.tasks.prune_audit_log",
    "schedule": 24 * 60 * 60.0,  # daily
}
# The editorial audit log is kept this long (six years by default, as for
# other records of a public body's decisions), then pruned by beat.
EDITORIAL_AUDIT_RETENTION_DAYS = int(os.environ.get("EDITORIAL_AUDIT_RETENTION_DAYS", 6 * 365))
# What each app brings to the editorial workflow: dotted paths of
# editorial.registry.Registration objects (models under review, the staff
# roles' permissions, admin index panels). README, "Editorial workflow".
EDITORIAL_REGISTRATIONS = [
    "editorial.editorial_hooks.registration",
    "news.editorial_hooks.registration",
    "maintenance.editorial_hooks.registration",
    "pages.editorial_hooks.registration",
    "newsletter.editorial_hooks.registration",
    "management_information.editorial_hooks.registration",
    "cookies.editorial_hooks.registration",
]
# Days a preview link a Publisher shares with a reviewer without an account works.
EDITORIAL_PREVIEW_LINK_DAYS = int(os.environ.get("EDITORIAL_PREVIEW_LINK_DAYS", 7))
CELERY_BEAT_SCHEDULE["cookies-prune-consent-log"] = {
    "task": "cookies.tasks.prune_consent_log",
    "schedule": 24 * 60 * 60.0,  # daily
}
NEWSLETTER_MAILER = os.environ.get("NEWSLETTER_MAILER", "default")  # a MAILERS alias
NEWSLETTER_CONFIRM_MAX_AGE = 3 * 24 * 60 * 60  # confirmation links expire after 3 days
NEWSLETTER_BATCH_MINUTES = 5  # "as soon as published": items within 5 minutes go together
NEWSLETTER_PUBLISH_LAG = 60  # seconds allowed for a publishing transaction to commit
NEWSLETTER_CHUNK_SIZE = int(os.environ.get("NEWSLETTER_CHUNK_SIZE", 500))
NEWSLETTER_PARALLEL_CHUNKS = int(os.environ.get("NEWSLETTER_PARALLEL_CHUNKS", 4))
NEWSLETTER_BUILD_BATCH = 2000
# Through an email service's batch API (EMAIL_PROVIDER mailgun, sendgrid or
# brevo): recipients per API call (capped at what the service takes).
NEWSLETTER_BATCH_SIZE = int(os.environ.get("NEWSLETTER_BATCH_SIZE", 500))
# The sending rate of all workers together (0: no limit), counted in Redis.
NEWSLETTER_MAX_PER_SECOND = int(os.environ.get("NEWSLETTER_MAX_PER_SECOND", 0))
NEWSLETTER_MAX_PER_DAY = int(os.environ.get("NEWSLETTER_MAX_PER_DAY", 0))
# The brake (newsletter.brakes): a digest pauses when its spam complaints or
# bounces pass these fractions of its accepted emails (of at least
# NEWSLETTER_BRAKE_MIN_DELIVERIES).
NEWSLETTER_MAX_COMPLAINT_RATE = float(os.environ.get("NEWSLETTER_MAX_COMPLAINT_RATE", 0.003))
NEWSLETTER_MAX_BOUNCE_RATE = float(os.environ.get("NEWSLETTER_MAX_BOUNCE_RATE", 0.05))
NEWSLETTER_BRAKE_MIN_DELIVERIES = int(os.environ.get("NEWSLETTER_BRAKE_MIN_DELIVERIES", 1000))
# A digest's HTML is kept under this (Gmail clips messages past 102 KB, and
# with them the unsubscribe link): the oldest items become links.
NEWSLETTER_MAX_HTML_BYTES = 90 * 1024
NEWSLETTER_MAX_ATTEMPTS = 6
NEWSLETTER_RETRY_BASE_SECONDS = int(os.environ.get("NEWSLETTER_RETRY_BASE_SECONDS", 60))
# A worker holds a lease on the deliveries it claimed and renews it while it is
# alive; once a lease has run out (its worker died) the sweeper, run every
# NEWSLETTER_SWEEP_SECONDS, gives the rows to another worker.
NEWSLETTER_LEASE_SECONDS = int(os.environ.get("NEWSLETTER_LEASE_SECONDS", 45))
NEWSLETTER_SWEEP_SECONDS = int(os.environ.get("NEWSLETTER_SWEEP_SECONDS", 30))
CELERY_BEAT_SCHEDULE["newsletter-sweep"] = {
    "task": "newsletter.tasks.sweep_deliveries",
    "schedule": float(NEWSLETTER_SWEEP_SECONDS),
}
# Soft bounces (an email service's "deferred" events) within 30 days that suppress an address.
NEWSLETTER_SOFT_BOUNCE_LIMIT = int(os.environ.get("NEWSLETTER_SOFT_BOUNCE_LIMIT", 5))
# Dotted paths of functions (digest) -> list of {"title", "items": [{"title", "url", "text"}]}
# whose sections are added to digests (upcoming maintenance, new MI releases;
# updated items, whose entries carry a "topic" and go to that topic's subscribers).
NEWSLETTER_DIGEST_EXTRA_SECTIONS = [
    "maintenance.digests.upcoming_maintenance",
    "management_information.digests.new_releases",
    "news.digests.updated_items",
]
# Emails public forms may make us send to one address (sign-up, "lost your
# link?"), counted on the subscriber's row in the database; and sign-ups per
# client IP address, counted in the cache (skipped when it is unavailable).
NEWSLETTER_EMAIL_INTERVAL = 10 * 60  # one email per address per 10 minutes
NEWSLETTER_EMAIL_PER_DAY = 3
NEWSLETTER_IP_PER_HOUR = int(os.environ.get("NEWSLETTER_IP_PER_HOUR", 10))

# Editor: CKEditor 5; HTML is cleaned with nh3 on save (common.sanitize).
CKEDITOR_5_FILE_UPLOAD_PERMISSION = "staff"
CKEDITOR_5_FILE_STORAGE = "common.storage.RandomNameStorage"
CKEDITOR_5_UPLOAD_FILE_TYPES = ["jpg", "jpeg", "png", "gif", "webp"]
CKEDITOR_5_MAX_FILE_SIZE = 5  # megabytes
CKEDITOR_5_CONFIGS = {
    "default": {
        "toolbar": {
            "items": [
                "heading", "|", "bold", "italic", "link", "|",
                "bulletedList", "numberedList", "blockQuote", "|",
                "insertTable", "imageUpload", "|", "undo", "redo",
            ],
        },
        "heading": {
            "options": [
                {"model": "paragraph", "title": "Paragraph", "class": "ck-heading_paragraph"},
                {"model": "heading2", "view": "h2", "title": "Heading 2",
                 "class": "ck-heading_heading2"},
                {"model": "heading3", "view": "h3", "title": "Heading 3",
                 "class": "ck-heading_heading3"},
            ]
        },
        "image": {"toolbar": ["imageTextAlternative"]},
        "table": {"contentToolbar": ["tableColumn", "tableRow", "mergeTableCells"]},
        "link": {"defaultProtocol": "https://"},
    },
}

# Content Security Policy (Django's built-in middleware): no inline scripts,
# scripts only from this origin or carrying the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # No nonce: the header and the page are the same for every visitor, and
    # every script is a file of this site.
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# CKEditor 5 styles its UI with inline style attributes, so admin pages allow
# them (portal_site.admin.PortalAdminSite).
ADMIN_CSP = {
    **SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
}

# Cookie consent (cookies/). ANALYTICS_ID is a Google Analytics measurement id
# (G-XXXXXXX); empty means no analytics at all. Its script loads only after
# consent, and only then does the policy allow Google's hosts.
ANALYTICS_ID = os.environ.get("ANALYTICS_ID", "").strip()
if ANALYTICS_ID and not re.fullmatch(r"[A-Z]{1,3}-[A-Z0-9-]{4,30}", ANALYTICS_ID):
    raise ImproperlyConfigured("ANALYTICS_ID must look like G-XXXXXXXXXX.")
# Google's list for Google Analytics 4 (its "Content Security Policy" guide).
# Consent gates the analytics script in the browser, not in the header, which
# is the same for everyone: with ANALYTICS_ID set it always allows these hosts.
ANALYTICS_CSP = {
    "script-src": ["https://*.googletagmanager.com"],
    "img-src": ["https://*.google-analytics.com", "https://*.googletagmanager.com"],
    "connect-src": [
        "https://*.google-analytics.com",
        "https://*.analytics.google.com",
        "https://*.googletagmanager.com",
    ],
}
if ANALYTICS_ID:
    SECURE_CSP = {
        name: [*sources, *ANALYTICS_CSP.get(name, [])] for name, sources in SECURE_CSP.items()
    }
COOKIE_CONSENT_NAME = "cookie_consent"
# Consent is asked again after this many days (ICO: a year is reasonable).
COOKIE_CONSENT_MAX_AGE_DAYS = int(os.environ.get("COOKIE_CONSENT_MAX_AGE_DAYS", 365))
# The consent log keeps proof of choices longer than a consent can last.
COOKIE_CONSENT_LOG_RETENTION_DAYS = int(
    os.environ.get("COOKIE_CONSENT_LOG_RETENTION_DAYS", 2 * COOKIE_CONSENT_MAX_AGE_DAYS)
)
COOKIE_CONSENT_SECURE = env_bool("COOKIE_CONSENT_SECURE", not DEBUG)
# Consent changes a client may make per hour before the endpoint answers 429.
COOKIE_CONSENT_PER_HOUR = int(os.environ.get("COOKIE_CONSENT_PER_HOUR", 30))
# What allows statistics cookies (cookie categories marked "statistics only"):
# "consent" asks first; "exception" uses PECR's exception for statistics (Data
# (Use and Access) Act 2025, Schedule A1): set without asking, with a one-click
# objection on every page. A change starts a new cookie policy version.
COOKIE_STATISTICS_BASIS = os.environ.get("COOKIE_STATISTICS_BASIS", "consent").strip().lower()
if COOKIE_STATISTICS_BASIS not in {"consent", "exception"}:
    raise ImproperlyConfigured('COOKIE_STATISTICS_BASIS must be "consent" or "exception".')

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Proxies in front of the site that append to X-Forwarded-For (compose: the
# cache service); 0 means clients connect directly (common.client_address).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The health check is probed over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Public pages (common.page_cache): how long shared caches (Varnish, a
# CDN) and the application's own page cache keep them, and browsers.
PAGE_CACHE_TIMEOUT = int(os.environ.get("PAGE_CACHE_TIMEOUT", 600))
PUBLIC_PAGE_SHARED_MAX_AGE = int(os.environ.get("PUBLIC_PAGE_SHARED_MAX_AGE", 600))
PUBLIC_PAGE_BROWSER_MAX_AGE = int(os.environ.get("PUBLIC_PAGE_BROWSER_MAX_AGE", 60))
PUBLIC_PAGE_STALE_WHILE_REVALIDATE = 30
PUBLIC_PAGE_STALE_IF_ERROR = 24 * 60 * 60
# Shared HTTP caches to purge by surrogate key when content changes
# (common.purges): comma-separated base addresses (http://cache-1:80,
# http://cache-2:80); every one is purged. Empty means none.
FRONTEND_CACHE_URLS = env_list("FRONTEND_CACHE_URLS", [])
FRONTEND_CACHE_TIMEOUT = 2  # seconds per purge request
# How often beat delivers the purges still owed (a cache or the broker was down).
PURGE_RETRY_SECONDS = int(os.environ.get("PURGE_RETRY_SECONDS", 5))
CELERY_BEAT_SCHEDULE["common-deliver-purges"] = {
    "task": "common.tasks.deliver_purges",
    "schedule": float(PURGE_RETRY_SECONDS),
    "options": {"expires": PURGE_RETRY_SECONDS},  # never a queue of them without a worker
}
# Functions changes(start, end) giving the changes public pages undergo by
# themselves in (start, end] (a scheduled item goes live, say), as (moment,
# surrogate keys): no cached copy of a page carrying one of those keys, in this
# process or in a shared cache in front, is kept past that moment; other pages
# are not touched. Apps add their own.
PUBLIC_PAGE_CHANGE_TIMERS = [
    "news.selectors.scheduled_changes",
    "maintenance.selectors.scheduled_changes",
    "management_information.selectors.scheduled_changes",
    # Changes approved for a time (editorial.scheduling publishes them then).
    "editorial.scheduling.scheduled_changes",
]
# What `manage.py load_demo_content` loads, in order: {what: the app's loader,
# which creates or updates its demo rows and returns (created, total)}.
DEMO_CONTENT = {
    "news items": "news.demo.load_demo_items",
    "maintenance notices": "maintenance.demo.load_demo_notices",
    "standing pages": "pages.demo.load_demo_pages",
    "management information releases (illustrative figures)": (
        "management_information.demo.load_demo_releases"
    ),
}

# Maintenance notices: how long before a window the site-wide banner appears
# (each notice may set its own moment).
MAINTENANCE_BANNER_HOURS = int(os.environ.get("MAINTENANCE_BANNER_HOURS", "72"))
# Management information (management_information/): the news category whose
# items announce releases, and whose subscribers want them in their digests.
MANAGEMENT_INFORMATION_CATEGORY = "management-info"
# Where readers ask for documents in an accessible format (and other questions).
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "enquiries@localhost")
