# The production image: gunicorn serving portal_site.wsgi, the same image runs
# the one-shot migrate and tls (openssl comes with the base image's
# ca-certificates), the Celery workers and beats (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal_site.settings \
    MEDIA_ROOT=/app/media

RUN useradd --create-home --uid 10001 --user-group app
WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code changes reuse this layer.
# (The project installs no modules of its own: the code runs from /app.)
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

COPY --chown=root:root . .
# Static files are collected and compressed at build time; whitenoise serves them.
# (DEBUG=0 selects the hashed, compressed storage; the throwaway key only lets
# the settings load and stays out of the image.) The media volume is mounted on
# /app/media; a fresh named volume takes its owner.
RUN DEBUG=0 SECRET_KEY=collectstatic-at-build-time python manage.py collectstatic --no-input \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app
EXPOSE 8000
# WEB_CONCURRENCY sets the number of workers (gunicorn reads it).
CMD ["gunicorn", "portal_site.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "30"]
