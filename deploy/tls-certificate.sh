#!/bin/sh
# A self-signed certificate for trying the HTTPS front out: writes
# DIR/selfsigned.pem (key and certificate, as HAProxy reads them) for the
# host names of ALLOWED_HOSTS, 127.0.0.1 and localhost, unless DIR already
# holds a certificate (*.pem). For real use put your own PEM in DIR instead.
#   sh deploy/tls-certificate.sh DIR
set -eu
dir=${1:?usage: tls-certificate.sh DIR}
mkdir -p "$dir"
for existing in "$dir"/*.pem; do
    [ -e "$existing" ] && exit 0
done
names="DNS:localhost,IP:127.0.0.1"
first=""
old_ifs=$IFS
IFS=,
for host in ${ALLOWED_HOSTS:-}; do
    host=${host#.}
    case $host in
        ""|"*"|localhost|127.0.0.1) ;;
        \[*|*:*) ;;  # IPv6 literals: left out
        [0-9]*.[0-9]*.[0-9]*.[0-9]*) names="$names,IP:$host" ;;
        *) names="$names,DNS:$host"; first=${first:-$host} ;;
    esac
done
IFS=$old_ifs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
    -subj "/CN=${first:-localhost}" -addext "subjectAltName=$names" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" > "$work/selfsigned.pem"
chmod 644 "$work/selfsigned.pem"  # read by HAProxy's own user
mv "$work/selfsigned.pem" "$dir/selfsigned.pem"
echo "Wrote a self-signed certificate for $names to $dir/selfsigned.pem"
