#!/bin/sh
# Creates the secrets docker-compose needs, once: random values in deploy/secrets/, the
# broker's TLS certificates (deploy/make-tls.sh) and the Mosquitto password file with the
# "lantian" account. Existing files are kept.
set -eu
cd "$(dirname "$0")"
# The directory is private to the owner; the files are world-readable so that the containers'
# own non-root users (grafana 472, lantian 10001, mosquitto 1883) can read their bind mounts.
umask 022
mkdir -p secrets
chmod 700 secrets
for name in influx_admin_password influx_token mqtt_password grafana_admin_password smtp_password; do
  if [ ! -s "secrets/$name" ]; then
    head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40 > "secrets/$name"
    chmod 644 "secrets/$name"
    echo "created deploy/secrets/$name"
  fi
done
if [ ! -s mosquitto/passwords ]; then
  : > mosquitto/passwords
  # mosquitto_passwd hashes the password; run it from the broker image so nothing needs installing.
  docker run --rm -v "$PWD/mosquitto:/m" -v "$PWD/secrets:/s:ro" eclipse-mosquitto:2.0 \
    sh -c 'mosquitto_passwd -b /m/passwords lantian "$(cat /s/mqtt_password)" && chmod 644 /m/passwords'
  echo "created deploy/mosquitto/passwords with the account lantian"
fi
# The broker serves devices on 8883 with TLS only; 1883 stays on the compose network.
./make-tls.sh secrets/tls
