#!/usr/bin/env bash
# `make run-cached`: the site behind Debian's Varnish with the repository's VCL.
# Varnish listens on PORT; the application (runserver) on PORT+1. Saves purge
# the pages they change by surrogate key (no broker here: delivered in-process).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PORT=${PORT:-8000}
APP_PORT=$((PORT + 1))
PYTHON=${PYTHON:-.venv/bin/python}

# default.vcl purges by surrogate key with varnish-modules' xkey.
if { ! command -v varnishd >/dev/null && [ ! -x /usr/sbin/varnishd ]; } \
    || ! compgen -G "/usr/lib/*/varnish/vmods/libvmod_xkey.so" >/dev/null; then
    echo "Installing Debian's varnish and varnish-modules (needs root)…"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends varnish varnish-modules </dev/null
fi
VARNISHD=$(command -v varnishd || echo /usr/sbin/varnishd)

workdir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$workdir"' EXIT
cat > "$workdir/backend.vcl" <<VCL
backend default {
    .host = "127.0.0.1";
    .port = "$APP_PORT";
    # /healthz/ answers 200 while the application can serve pages (the host is 127.0.0.1).
    .probe = { .url = "/healthz/"; .interval = 2s; .timeout = 1s; .window = 3; .threshold = 2; .initial = 2; }
}
acl purgers { "127.0.0.1"; "::1"; }
VCL

export FRONTEND_CACHE_URLS="http://127.0.0.1:$PORT"
"$PYTHON" manage.py runserver "127.0.0.1:$APP_PORT" --noreload &
echo "Varnish on http://127.0.0.1:$PORT/ in front of the application on port $APP_PORT"
"$VARNISHD" -F -j none -n "$workdir/varnish" -a "127.0.0.1:$PORT" -T none \
    -p "vcl_path=$workdir:$PWD/varnish" -f "$PWD/varnish/default.vcl" -s malloc,128m
