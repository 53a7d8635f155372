#!/bin/sh
# Starts Varnish in the foreground with the repository's VCL and a backend.vcl
# made from the environment (varnish/backend-vcl.sh). The same command for
# compose's cache-1 and cache-2 and for make run-production; extra arguments
# go to varnishd.
#
#   VARNISH_LISTEN    address to listen on (default :80)
#   VARNISH_MEMORY    cache size (default 256m)
#   VARNISH_VCL_DIR   where backend.vcl is written (default /tmp/varnish-vcl)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vcl_dir=${VARNISH_VCL_DIR:-/tmp/varnish-vcl}
mkdir -p "$vcl_dir"
"$here/backend-vcl.sh" > "$vcl_dir/backend.vcl"
varnishd=$(command -v varnishd || echo /usr/sbin/varnishd)
# timeout_idle: idle client connections are closed after 10 s; send_timeout:
# a client slower than this to take a response is dropped.
exec "$varnishd" -F -a "${VARNISH_LISTEN:-:80}" \
    -p "vcl_path=$vcl_dir:$here" -f "$here/default.vcl" \
    -s "malloc,${VARNISH_MEMORY:-256m}" \
    -p timeout_idle=10 -p send_timeout=60 "$@"
