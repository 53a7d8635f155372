"""Production settings, checked the way production starts: a fresh process
with its configuration in the environment."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

# Variables read by portal_site/settings.py that the developer's or CI's own
# environment must not leak into these processes.
SETTINGS_VARIABLES = {
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
    "SITE_URL", "SITE_NAME", "DEFAULT_FROM_EMAIL", "MEDIA_ROOT", "PAGE_CACHE_TIMEOUT",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "CSRF_TRUSTED_ORIGINS", "LOG_LEVEL",
    "CONN_MAX_AGE", "DOCUMENT_MAX_UPLOAD_SIZE", "CACHE_KEY_PREFIX", "FRONTEND_CACHE_URLS",
    "PUBLIC_PAGE_SHARED_MAX_AGE", "PUBLIC_PAGE_BROWSER_MAX_AGE", "REDIS_TIMEOUT",
    "ANALYTICS_ID", "DATABASE_PREPARED_STATEMENTS", "TRUSTED_PROXY_COUNT",
    # Only the browser tests may relax Django's async safety, never production.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "news.example.org",
    "SITE_URL": "https://news.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://news.example.org",
    # Production sends mail: Django's deploy checks refuse the console backend.
    "EMAIL_HOST": "smtp.example.org",
}


def run(args, **environment):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTINGS_VARIABLES and not name.startswith("EMAIL_")
    }
    env.update(environment, DJANGO_SETTINGS_MODULE="portal_site.settings")
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def manage(*args, **environment):
    return run(["manage.py", *args], **environment)


def mailer(**environment):
    """The default mailer's class and options in a process with `environment`."""
    code = (
        "import json, django; django.setup()\n"
        "from django.core.mail import mailers\n"
        "m = mailers.default\n"
        "print(json.dumps({'class': type(m).__module__ + '.' + type(m).__name__,"
        " 'host': getattr(m, 'host', None), 'port': getattr(m, 'port', None),"
        " 'username': getattr(m, 'username', None), 'use_tls': getattr(m, 'use_tls', None),"
        " 'use_ssl': getattr(m, 'use_ssl', None), 'timeout': getattr(m, 'timeout', None)}))"
    )
    result = run(["-c", code], **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_reports_nothing_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced check is axes.W006 (lockouts by user name, not by the
    # proxy's address: see portal_site/settings.py); nothing else may be.
    assert "System check identified no issues (1 silenced)." in result.stdout
    assert production_settings("SILENCED_SYSTEM_CHECKS") == {
        "SILENCED_SYSTEM_CHECKS": ["axes.W006"]
    }


def test_deploy_check_refuses_the_console_mailer_in_production():
    production_without_mail = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_HOST"}
    result = manage("check", "--deploy", **production_without_mail)
    assert result.returncode != 0
    assert "mail.E001" in result.stderr


@pytest.mark.parametrize("key", [None, settings.DEVELOPMENT_SECRET_KEY], ids=["unset", "dev-key"])
def test_production_refuses_the_development_secret_key(key):
    environment = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    if key is not None:
        environment["SECRET_KEY"] = key
    result = manage("check", **environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Set SECRET_KEY: the development key is refused with DEBUG off." in result.stderr


def test_development_starts_on_the_development_secret_key():
    result = manage("check")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def production_settings(*names):
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    result = run(["-c", code], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.django_db
def test_production_redirects_to_https_except_the_health_check(client, settings):
    production = production_settings("SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT")
    assert production["SECURE_SSL_REDIRECT"] is True
    # The probe from inside the network speaks plain HTTP and must get its answer.
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = production["SECURE_REDIRECT_EXEMPT"]
    assert client.get("/healthz/").status_code == 200
    assert client.get("/news/").status_code == 301
    assert client.get("/news/")["Location"] == "https://testserver/news/"


def database_options(**environment):
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    result = run(["-c", code], DATABASE_URL="postgres://news@db.example.org/news", **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_postgresql_prepares_statements_with_generic_plans_unless_told_not_to():
    assert database_options() == {
        "server_side_binding": True,
        "prepare_threshold": 2,
        "options": "-c plan_cache_mode=force_generic_plan",
        "connect_timeout": 3,
    }
    assert database_options(DATABASE_PREPARED_STATEMENTS="0") == {"connect_timeout": 3}


def test_postgresql_connections_give_up_after_a_few_seconds():
    assert database_options(DATABASE_CONNECT_TIMEOUT="2")["connect_timeout"] == 2


def test_email_host_selects_the_smtp_mailer():
    chosen = mailer(
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="news",
        EMAIL_HOST_PASSWORD="secret",
        EMAIL_USE_TLS="1",
        EMAIL_TIMEOUT="12",
    )
    assert chosen == {
        "class": "django.core.mail.backends.smtp.EmailBackend",
        "host": "smtp.example.org",
        "port": 587,
        "username": "news",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 12,
    }


def test_without_email_host_mail_goes_to_the_console():
    assert mailer()["class"] == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.parametrize(
    "provider, backend",
    [
        ("postmark", "anymail.backends.postmark.EmailBackend"),
        ("mailgun", "anymail.backends.mailgun.EmailBackend"),
        ("brevo", "anymail.backends.brevo.EmailBackend"),
        ("amazon_ses", "anymail.backends.amazon_ses.EmailBackend"),
    ],
)
def test_an_email_service_is_one_mailers_entry_and_passes_the_deploy_check(provider, backend):
    environment = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_HOST"}
    environment |= {
        "EMAIL_PROVIDER": provider,
        "EMAIL_PROVIDER_API_KEY": "key-0123",
        "EMAIL_WEBHOOK_SECRET": "anymail:secret",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }
    assert mailer(**environment)["class"] == backend
    result = manage("check", "--deploy", "--fail-level", "WARNING", **environment)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_email_provider_refuses_to_start():
    result = manage("check", EMAIL_PROVIDER="pigeon")
    assert result.returncode != 0
    assert "EMAIL_PROVIDER must be empty (SMTP) or one of" in result.stderr
