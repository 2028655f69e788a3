#!/bin/sh
# Creates the broker's TLS material once: a private CA (ca.crt, ca.key) and a server
# certificate signed by it (server.crt, server.key) in the folder given (default
# deploy/secrets/tls). Give the names loggers and Lantian reach the broker by in
# MQTT_TLS_NAMES (comma-separated DNS names; "mosquitto" and "localhost" are always in), e.g.
#   MQTT_TLS_NAMES=mqtt.example.gov.cn deploy/make-tls.sh
# Existing files are kept; delete them to issue new ones. Needs openssl.
set -eu
dir=${1:-"$(dirname "$0")/secrets/tls"}
mkdir -p "$dir"
cd "$dir"
if [ -s server.crt ] && [ -s server.key ] && [ -s ca.crt ]; then
  exit 0
fi
umask 077
san="DNS:mosquitto,DNS:localhost,IP:127.0.0.1"
for n in $(echo "${MQTT_TLS_NAMES:-}" | tr ',' ' '); do
  san="$san,DNS:$n"
done
openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -subj "/CN=Lantian MQTT CA" \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:3072 -sha256 -nodes -subj "/CN=mosquitto" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
  -extfile server.ext -out server.crt 2>/dev/null
rm -f server.csr server.ext ca.srl
# The broker runs as its own user and must read its key; the CA key stays with the owner.
chmod 644 ca.crt server.crt server.key
chmod 600 ca.key
echo "created TLS material in $dir (CA ca.crt: give it to loggers and to mqtt.tls.ca_file)"
